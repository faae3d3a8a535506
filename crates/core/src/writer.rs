//! What the write side (the fetch loop, retention, retag) asks of a store: the [`Writer`]
//! trait, and [`Incoming`], a report ready to store. The SQLite store implements it; a second
//! store (PostgreSQL for several fetchers) would implement it without touching this crate,
//! deciding identities with [`crate::identity`] and stories with the engine as SQLite's does.

use chrono::{DateTime, Utc};

use crate::archive::Result;
use crate::config::Source;
use crate::dedup::content_hash;
use crate::model::{Counts, FetchState, Item, RetagRow};
use crate::stories::{Boilerplate, Engine, Fingerprint};

/// The stored wire, written: the configured sources and their fetch state, a fetch's reports
/// with their identities and stories, the boilerplate learned, retention, and retag's topics
/// and names. Besides these, a store builds its schema when it opens.
pub trait Writer {
    /// Makes the stored sources match the config: a new source is added; one whose URL
    /// changed starts over (validators, backoff and a 410 belong to the old URL).
    fn sync_sources(&mut self, sources: &[Source]) -> Result<()>;
    /// The fetch states of `names`, in their order (a default one for a source never fetched).
    fn fetch_states(&self, names: &[String]) -> Result<Vec<FetchState>>;
    /// The boilerplate learned for a source so far.
    fn boilerplate(&self, source: &str) -> Result<Boilerplate>;
    /// Saves one fetch whole or not at all: each report as [`crate::identity::decide`] says
    /// (over the lookups [`crate::identity::Lookup::next`] asks for), a new one in the story
    /// `engine` decides (checked against the store's memberships), the boilerplate learned and
    /// the source's new fetch state. On an error the engine no longer matches the store: the
    /// caller drops it and builds it again with [`Writer::load_engine`].
    fn save_fetch(
        &mut self,
        engine: &mut Engine,
        source: &str,
        items: &[Incoming],
        boilerplate: Option<&Boilerplate>,
        state: &FetchState,
        now: DateTime<Utc>,
    ) -> Result<Counts>;
    /// Records a failed or unchanged fetch: only the source's state changes.
    fn save_state(&mut self, source: &str, state: &FetchState, success: bool) -> Result<()>;
    /// The engine of the reports first seen, edited or dated in the last `window` seconds,
    /// within `budget` bytes (see [`crate::stories::Rebuild`]).
    fn load_engine(&mut self, window: i64, budget: usize, now: i64) -> Result<Engine>;
    /// Deletes up to `limit` reports older than `before` (by date and by first seen) and
    /// forgets them in `engine`; returns how many. A story keeps its id and GUID while a
    /// report of it is left.
    fn prune(
        &mut self,
        engine: Option<&mut Engine>,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<usize>;
    /// Up to `limit` reports after id `after`, in id order, for `svodka retag`.
    fn items_for_retag(&self, after: i64, limit: usize) -> Result<Vec<RetagRow>>;
    /// Replaces the topics (and names, when read again) of a page of reports, whole or not
    /// at all.
    fn save_retagged(&mut self, page: &[Retagged]) -> Result<()>;
}

/// One report ready to store: the normalized item, its topics, and its fingerprint (taken
/// from its text with the source's boilerplate removed).
#[derive(Debug, Clone)]
pub struct Incoming {
    pub item: Item,
    pub topics: Vec<String>,
    pub fp: Fingerprint,
    /// The content hash of its title and text (see [`content_hash`]), taken where it is parsed
    /// and not on the writer's thread.
    pub hash: String,
    /// Its search terms (its title and text without boilerplate, lemmatised), taken where it
    /// is parsed; `None`: taken from the whole text when it is saved.
    pub terms: Option<crate::search::Terms>,
    /// Whether it is indexed for search (`[search] index`; tests and tools: yes).
    pub index: bool,
    /// The names of its title and lead, for the storyline (see [`crate::storyline::entities`]).
    pub entities: Vec<crate::storyline::Entity>,
}

impl Incoming {
    /// A report with no boilerplate learned for its source (tests, tools).
    pub fn new(item: Item, topics: Vec<String>) -> Incoming {
        let fp = Fingerprint::of(&item.title, &item.text, &crate::text::Stems::new());
        Incoming::with_fingerprint(item, topics, fp)
    }

    /// A report with its fingerprint taken.
    pub fn with_fingerprint(item: Item, topics: Vec<String>, fp: Fingerprint) -> Incoming {
        let hash = content_hash(&item.title, &item.text);
        Incoming {
            item,
            topics,
            fp,
            hash,
            entities: Vec::new(),
            terms: None,
            index: true,
        }
    }

    /// Its search terms, as taken or now.
    pub fn terms(&self) -> std::borrow::Cow<'_, crate::search::Terms> {
        match &self.terms {
            Some(t) => std::borrow::Cow::Borrowed(t),
            None => std::borrow::Cow::Owned(
                crate::search::Lemmatizer::new().terms(&self.item.title, &self.item.text),
            ),
        }
    }
}

/// A report's topics as a retag matched them, and its names when they are read again too.
#[derive(Debug, Clone)]
pub struct Retagged {
    pub id: i64,
    pub topics: Vec<String>,
    pub names: Option<Vec<crate::storyline::Entity>>,
}
