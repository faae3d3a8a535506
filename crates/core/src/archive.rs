//! What svodka asks of a store, as two traits: [`Archive`], the read side (feeds, pages,
//! search, digests), and [`Writer`], the write side (the fetch loop, retention, retag). The
//! SQLite store implements both; a second store (PostgreSQL for several fetchers) would
//! implement them without touching this crate, deciding identities with [`crate::identity`]
//! and stories with the engine as the SQLite store does.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::Source;
use crate::dedup::content_hash;
use crate::model::{
    Counts, EditionRow, Entry, FetchState, Grouping, Item, RelatedStory, RetagRow, Retagged,
    SourceHealth,
};
use crate::stories::{Boilerplate, Engine, Fingerprint};

/// Why a store did not answer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The query ran past its time limit and was interrupted.
    #[error("the query took too long")]
    TooSlow,
    /// A stored query (a digest's or a feed's) no longer parses against this config.
    #[error("the query {query:?}: {reason}")]
    Query { query: String, reason: String },
    /// The store failed (I/O, corruption, a lock held too long).
    #[error("cannot read the database: {0}")]
    Backend(Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    pub fn backend(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
        StoreError::Backend(Box::new(e))
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Which reports [`Archive::biggest_stories_in`] counts: those published in `[since, until)`,
/// of stories with a report from one of `sources` (any when `None`) and one tagged with one of
/// `topics` (any when empty), with at least `min_reports` reports in the period, and among
/// `stories` when given (those a search found).
pub struct Period<'a> {
    pub since: i64,
    pub until: i64,
    pub sources: Option<&'a [String]>,
    pub topics: &'a [String],
    pub min_reports: u32,
    pub stories: Option<&'a [i64]>,
}

/// A report that matched, with its story and its score (lower is better, as FTS5's bm25).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub id: i64,
    pub story: i64,
    pub published: i64,
    pub score: f64,
}

/// What to look for and where.
#[derive(Debug, Clone, Default)]
pub struct Find<'a> {
    /// The FTS5 expression (from `search::Query::fts`).
    pub fts: &'a str,
    pub sources: Option<&'a [String]>,
    pub topics: &'a [String],
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub by_date: bool,
    pub now: i64,
    /// The most reports read (a result cap: the best ranked, or the newest).
    pub cap: usize,
}

/// The stored wire, read: entries as feeds publish them, stories, the counts trending and
/// digests are made of, source health, editions and the full-text index.
pub trait Archive {
    /// The newest entries, grouped, from `sources` (any when `None`) tagged with one of
    /// `topics` (any when empty).
    fn select_items(
        &self,
        grouping: Grouping,
        sources: Option<&[String]>,
        topics: &[String],
        limit: usize,
    ) -> Result<Vec<Entry>>;
    /// A story's entry with every report, `None` when there is no such story.
    fn story(&self, id: i64) -> Result<Option<Entry>>;
    /// The entries of these stories, in the order given.
    fn story_entries(&self, ids: &[i64]) -> Result<Vec<Entry>>;
    /// The biggest stories since `since`: (entry, agencies).
    fn biggest_stories(&self, since: i64, limit: usize) -> Result<Vec<(Entry, u64)>>;
    /// The biggest stories of a period: (entry, agencies in the period).
    fn biggest_stories_in(&self, p: &Period, limit: usize) -> Result<Vec<(Entry, u64)>>;
    /// Stories of the same affair as `story`, newest first.
    fn related(&self, story: i64) -> Result<Vec<RelatedStory>>;
    /// [`Archive::related`] for many stories at once.
    fn related_many(&self, stories: &[i64]) -> Result<HashMap<i64, Vec<RelatedStory>>>;
    /// Per topic: (topic, stories, agencies) since `since`.
    fn topic_story_counts(&self, since: DateTime<Utc>) -> Result<Vec<(String, u64, u64)>>;
    /// Per topic: (topic, stories, agencies) in `[since, until)`.
    fn topic_story_counts_between(&self, since: i64, until: i64)
    -> Result<Vec<(String, u64, u64)>>;
    /// (story, source, headline) of the reports since `since`.
    fn headlines_since(&self, since: DateTime<Utc>) -> Result<Vec<(i64, String, String)>>;
    /// (story, source, headline) of the reports in `[since, until)`.
    fn headlines_between(&self, since: i64, until: i64) -> Result<Vec<(i64, String, String)>>;
    /// Each configured source's fetch state and counts.
    fn source_health(&self, sources: &[Source]) -> Result<Vec<SourceHealth>>;
    /// A digest's newest editions.
    fn editions(&self, digest: &str, limit: usize) -> Result<Vec<EditionRow>>;
    /// A digest's edition by its key (or a key's prefix: a day names its edition).
    fn edition(&self, digest: &str, key: &str) -> Result<Option<EditionRow>>;
    /// The reports the full-text index finds, best (or newest) first, within `limit` of time
    /// ([`StoreError::TooSlow`] past it).
    fn find(&self, f: &Find, limit: Duration) -> Result<Vec<Hit>>;
    /// Whether a report of `story` matches `f`.
    fn story_matches(&self, f: &Find, story: i64) -> Result<bool>;
    /// A report's title and text, as indexed.
    fn report_text(&self, id: i64) -> Result<Option<(String, String)>>;
    /// How far the index's backfill still has to go: (last id reached, last id to reach).
    fn backfill_state(&self) -> Result<Option<(i64, i64)>>;
}

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
