//! The language of search, with Russian morphology: reports are indexed by dictionary lemmas
//! (Snowball stems for words the dictionary lacks), so «Химки» finds «в Химках». `terms` makes a
//! report's index terms, `parse` reads what a reader types, `snippet` marks what was found.

mod parse;
mod snippet;
mod terms;

pub use parse::{MAX_QUERY_BYTES, Query, QueryError, Term, Wanted};
pub use snippet::{Part, mark, plain, snippet};
pub use terms::{Lemmatizer, Terms};

/// What a query's filters are checked against: the configured sources (with their regions),
/// topics and time zone. The config implements it; the query language does not read the config.
pub trait Names {
    /// Every source's name and region, in config order.
    fn sources(&self) -> Box<dyn Iterator<Item = (&str, Option<&str>)> + '_>;
    fn has_topic(&self, name: &str) -> bool;
    /// The zone `since:` and `until:` dates are days of.
    fn timezone(&self) -> chrono_tz::Tz;
}
