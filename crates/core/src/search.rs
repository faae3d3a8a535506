//! Full-text search: [`run`] asks an [`Archive`] for the reports a query finds and groups them
//! by story, as feeds show them. The query language, the index terms and the snippets are
//! [`crate::query`]'s, re-exported here.

pub use crate::query::{
    Lemmatizer, MAX_QUERY_BYTES, Names, Part, Query, QueryError, Term, Terms, Wanted, mark, plain,
    snippet,
};

use std::time::Duration;

use crate::archive::{Archive, Find, StoreError};
use crate::config::Config;
use crate::model::Entry;

/// The most reports one search reads from the index before grouping them into stories.
pub const RESULT_CAP: usize = 1_000;
/// The most stories one search shows.
pub const MAX_LIMIT: usize = 200;
/// How long one search may run in SQLite.
pub const TIME_LIMIT: Duration = Duration::from_secs(2);

/// What a reader is told when this config has the index off (`[search] index = false`).
pub const OFF: &str = "поиск выключен в настройках этого сервера ([search] index = false)";

/// Why a search gave no results list.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The reader's query: their mistake, said plainly.
    #[error("{0}")]
    Query(#[from] QueryError),
    #[error("поиск занял слишком много времени: уточните запрос")]
    TooSlow,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One story found: its feed entry, the report that matched best, its marked title and
/// snippet.
#[derive(Debug, Clone)]
pub struct Found {
    pub entry: Entry,
    pub title: Vec<Part>,
    pub snippet: Vec<Part>,
    /// Reports of the story that matched (of those read).
    pub matched: usize,
}

/// What a search found.
#[derive(Debug, Clone)]
pub struct Results {
    pub query: Query,
    pub stories: Vec<Found>,
    /// The index is still being built for reports stored before it: this many ids to go.
    pub building: Option<i64>,
    /// The result cap was reached: there may be more.
    pub capped: bool,
}

/// Runs `text` as a search over `archive`: at most `limit` stories, best first (newest first with
/// `sort:date`, or with `by_date` as feeds ask).
pub fn run(
    cfg: &Config,
    archive: &dyn Archive,
    text: &str,
    limit: usize,
    by_date: bool,
    now: i64,
) -> Result<Results, SearchError> {
    let lem = Lemmatizer::new();
    let mut query = Query::parse(text, cfg, &lem)?;
    query.by_date |= by_date;
    run_parsed(archive, query, limit, now, &lem)
}

/// [`run`] for a query already parsed (a configured feed's).
pub fn run_parsed(
    archive: &dyn Archive,
    query: Query,
    limit: usize,
    now: i64,
    lem: &Lemmatizer,
) -> Result<Results, SearchError> {
    let fts = query.fts();
    let find = Find {
        fts: &fts,
        sources: query.sources.as_deref(),
        topics: &query.topics,
        since: query.since,
        until: query.until,
        by_date: query.by_date,
        now,
        cap: RESULT_CAP,
    };
    let hits = archive.find(&find, TIME_LIMIT).map_err(|e| match e {
        StoreError::TooSlow => SearchError::TooSlow,
        e => SearchError::Store(e),
    })?;
    let capped = hits.len() >= RESULT_CAP;
    // One entry per story, where its best report ranks (or its newest, by date).
    let mut order: Vec<(i64, i64, usize)> = Vec::new();
    for h in &hits {
        match order.iter_mut().find(|(s, _, _)| *s == h.story) {
            Some(o) => o.2 += 1,
            None => order.push((h.story, h.id, 1)),
        }
    }
    order.truncate(limit.min(MAX_LIMIT));
    let ids: Vec<i64> = order.iter().map(|o| o.0).collect();
    let entries = archive.story_entries(&ids)?;
    let wanted = query.wanted();
    let mut stories = Vec::with_capacity(entries.len());
    for entry in entries {
        let Some(&(_, best, matched)) = order.iter().find(|o| o.0 == entry.story) else {
            continue;
        };
        let (title, text) = archive.report_text(best)?.unwrap_or_default();
        stories.push(Found {
            title: mark(&title, &wanted, lem),
            snippet: snippet(&text, &wanted, lem),
            entry,
            matched,
        });
    }
    let building = archive.backfill_state()?.map(|(done, upto)| upto - done);
    Ok(Results {
        query,
        stories,
        building,
        capped,
    })
}

/// The stories with a report published in `[since, until)` that `query` finds (its own filters
/// kept): a digest's search over its period. More reports are read than a reader's search
/// reads, and for longer, as a digest is made rarely and in the background.
pub fn stories_found(
    archive: &dyn Archive,
    query: &Query,
    since: i64,
    until: i64,
    now: i64,
) -> Result<Vec<i64>, SearchError> {
    let fts = query.fts();
    let find = Find {
        fts: &fts,
        sources: query.sources.as_deref(),
        topics: &query.topics,
        since: Some(query.since.map_or(since, |s| s.max(since))),
        until: Some(query.until.map_or(until, |u| u.min(until))),
        by_date: true,
        now,
        cap: 10 * RESULT_CAP,
    };
    let hits = archive.find(&find, 5 * TIME_LIMIT).map_err(|e| match e {
        StoreError::TooSlow => SearchError::TooSlow,
        e => SearchError::Store(e),
    })?;
    let mut stories: Vec<i64> = hits.iter().map(|h| h.story).collect();
    stories.sort_unstable();
    stories.dedup();
    Ok(stories)
}

/// Whether `query` finds a report of `story` (its own filters kept): an alert's search.
pub fn finds_story(
    archive: &dyn Archive,
    query: &Query,
    story: i64,
) -> crate::archive::Result<bool> {
    let fts = query.fts();
    let find = Find {
        fts: &fts,
        sources: query.sources.as_deref(),
        topics: &query.topics,
        since: query.since,
        until: query.until,
        ..Find::default()
    };
    archive.story_matches(&find, story)
}
