//! The SQLite store as the core's [`Archive`] and [`Writer`]: each forwards to its function.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use svodka_core::archive::{Archive, Find, Hit, Period, Result};
use svodka_core::config::Source;
use svodka_core::model::{
    Counts, EditionRow, Entry, FetchState, Grouping, RelatedStory, RetagRow, SourceHealth,
};
use svodka_core::stories::{Boilerplate, Engine};
use svodka_core::writer::{Incoming, Retagged, Writer};

use crate::error::sql;

/// A connection to the database: what `open` returns and what `Db` hands its callers. It is a
/// `rusqlite::Connection` to this crate's queries and an [`Archive`] to everyone else's.
pub struct Sqlite(Connection);

impl Sqlite {
    pub(crate) fn new(conn: Connection) -> Sqlite {
        Sqlite(conn)
    }
}

impl Deref for Sqlite {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.0
    }
}

impl DerefMut for Sqlite {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.0
    }
}

impl Archive for Sqlite {
    fn select_items(
        &self,
        grouping: Grouping,
        sources: Option<&[String]>,
        topics: &[String],
        limit: usize,
    ) -> Result<Vec<Entry>> {
        crate::select_items(self, grouping, sources, topics, limit)
    }

    fn story(&self, id: i64) -> Result<Option<Entry>> {
        crate::story(self, id)
    }

    fn story_entries(&self, ids: &[i64]) -> Result<Vec<Entry>> {
        crate::story_entries(self, ids)
    }

    fn biggest_stories(&self, since: i64, limit: usize) -> Result<Vec<(Entry, u64)>> {
        crate::biggest_stories(self, since, limit)
    }

    fn biggest_stories_in(&self, p: &Period, limit: usize) -> Result<Vec<(Entry, u64)>> {
        crate::biggest_stories_in(self, p, limit)
    }

    fn related(&self, story: i64) -> Result<Vec<RelatedStory>> {
        crate::related(self, story)
    }

    fn related_many(&self, stories: &[i64]) -> Result<HashMap<i64, Vec<RelatedStory>>> {
        crate::related_many(self, stories)
    }

    fn topic_story_counts(&self, since: DateTime<Utc>) -> Result<Vec<(String, u64, u64)>> {
        crate::topic_story_counts(self, since)
    }

    fn topic_story_counts_between(
        &self,
        since: i64,
        until: i64,
    ) -> Result<Vec<(String, u64, u64)>> {
        crate::topic_story_counts_between(self, since, until)
    }

    fn headlines_since(&self, since: DateTime<Utc>) -> Result<Vec<(i64, String, String)>> {
        crate::headlines_since(self, since)
    }

    fn headlines_between(&self, since: i64, until: i64) -> Result<Vec<(i64, String, String)>> {
        crate::headlines_between(self, since, until)
    }

    fn source_health(&self, sources: &[Source]) -> Result<Vec<SourceHealth>> {
        crate::source_health(self, sources)
    }

    fn editions(&self, digest: &str, limit: usize) -> Result<Vec<EditionRow>> {
        crate::editions(self, digest, limit)
    }

    fn edition(&self, digest: &str, key: &str) -> Result<Option<EditionRow>> {
        crate::edition(self, digest, key)
    }

    fn find(&self, f: &Find, limit: Duration) -> Result<Vec<Hit>> {
        crate::search::find(self, f, limit)
    }

    fn story_matches(&self, f: &Find, story: i64) -> Result<bool> {
        crate::search::story_matches(self, f, story).map_err(sql)
    }

    fn report_text(&self, id: i64) -> Result<Option<(String, String)>> {
        crate::search::report_text(self, id).map_err(sql)
    }

    fn backfill_state(&self) -> Result<Option<(i64, i64)>> {
        crate::search::backfill_state(self).map_err(sql)
    }
}

impl Writer for Sqlite {
    fn sync_sources(&mut self, sources: &[Source]) -> Result<()> {
        crate::sync_sources(self, sources)
    }

    fn fetch_states(&self, names: &[String]) -> Result<Vec<FetchState>> {
        crate::load_fetch_states(self, names)
    }

    fn boilerplate(&self, source: &str) -> Result<Boilerplate> {
        crate::load_boilerplate(self, source)
    }

    fn save_fetch(
        &mut self,
        engine: &mut Engine,
        source: &str,
        items: &[Incoming],
        boilerplate: Option<&Boilerplate>,
        state: &FetchState,
        now: DateTime<Utc>,
    ) -> Result<Counts> {
        crate::save_fetch(self, engine, source, items, boilerplate, state, now)
    }

    fn save_state(&mut self, source: &str, state: &FetchState, success: bool) -> Result<()> {
        crate::save_state(self, source, state, success)
    }

    fn load_engine(&mut self, window: i64, budget: usize, now: i64) -> Result<Engine> {
        crate::load_engine(self, window, budget, now)
    }

    fn prune(
        &mut self,
        engine: Option<&mut Engine>,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<usize> {
        crate::prune(self, engine, before, limit)
    }

    fn items_for_retag(&self, after: i64, limit: usize) -> Result<Vec<RetagRow>> {
        crate::items_for_retag(self, after, limit)
    }

    fn save_retagged(&mut self, page: &[Retagged]) -> Result<()> {
        crate::save_retagged(self, page)
    }
}
