//! What the read side (feeds, pages, search, digests) asks of a store, as one trait, and the
//! error every store function gives. The SQLite store implements [`Archive`]; a second store
//! (PostgreSQL for several fetchers) would implement it, and the write side's `Writer` trait
//! (in `writer`), without touching this crate.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::Source;
use crate::model::{EditionRow, Entry, Grouping, RelatedStory, SourceHealth};

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
