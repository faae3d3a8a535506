//! The `sources` table: each configured source's fetch state (validators, backoff) and health.

use std::collections::{HashMap, HashSet};
use svodka_core::archive::StoreError;

use rusqlite::{Connection, OptionalExtension, Row, params};
use svodka_core::model::{FetchState, SourceHealth};

use svodka_core::config::Source;

use crate::error::in_sql;

/// Makes the table match the config: new sources get a row; a source whose URL changed starts
/// over (validators, backoff and a 410 belong to the old URL).
pub fn sync_sources(conn: &Connection, sources: &[Source]) -> Result<(), StoreError> {
    in_sql(|| {
        for s in sources {
            conn.execute(
                "INSERT INTO sources (name, url, priority) VALUES (?1, ?2, ?3)
                 ON CONFLICT(name) DO UPDATE SET
                    url = excluded.url, etag = NULL, last_modified = NULL, error_streak = 0,
                    next_due = NULL, moved_to = NULL, gone = 0
                 WHERE sources.url <> excluded.url",
                params![s.name, stored_url(&s.url), s.priority],
            )?;
            conn.execute(
                "UPDATE sources SET priority = ?2 WHERE name = ?1 AND priority <> ?2",
                params![s.name, s.priority],
            )?;
        }
        Ok(())
    })
}

/// A configured URL as it is stored and shown: without a password, which only the config
/// file holds (a fetch uses the configured URL itself).
fn stored_url(url: &url::Url) -> String {
    svodka_core::redirects::without_credentials(url).to_string()
}

const STATE_COLUMNS: &str = "etag, last_modified, last_fetch, last_status, last_error,
    error_streak, next_due, moved_to, gone, url";

/// A `FetchState` from the ten `STATE_COLUMNS` starting at column `at`.
fn state_from(r: &Row, at: usize) -> rusqlite::Result<FetchState> {
    Ok(FetchState {
        etag: r.get(at)?,
        last_modified: r.get(at + 1)?,
        last_fetch: r.get(at + 2)?,
        last_status: r.get(at + 3)?,
        last_error: r.get(at + 4)?,
        error_streak: r.get(at + 5)?,
        next_due: r.get(at + 6)?,
        moved_to: r.get(at + 7)?,
        gone: r.get(at + 8)?,
        url: r.get(at + 9)?,
    })
}

pub fn load_fetch_state(conn: &Connection, name: &str) -> Result<FetchState, StoreError> {
    in_sql(|| {
        conn.prepare_cached(&format!(
            "SELECT {STATE_COLUMNS} FROM sources WHERE name = ?1"
        ))?
        .query_row([name], |r| state_from(r, 0))
        .optional()
        .map(Option::unwrap_or_default)
    })
}

/// The fetch states of `names`, in their order, read in one call (a cycle over thousands of
/// sources would otherwise make thousands of trips to the blocking pool).
pub fn load_fetch_states(
    conn: &Connection,
    names: &[String],
) -> Result<Vec<FetchState>, StoreError> {
    names.iter().map(|n| load_fetch_state(conn, n)).collect()
}

/// Writes a source's new fetch state; part of the fetch's transaction. `url` is the configured
/// URL the fetch started from (`state.url`): if a reload changed it meanwhile, the row belongs
/// to the new URL and the old fetch's state (validators, a recorded redirect) is dropped.
pub(crate) fn write_fetch_state(
    conn: &Connection,
    name: &str,
    state: &FetchState,
    success: bool,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE sources SET etag = ?2, last_modified = ?3, last_fetch = ?4, last_status = ?5,
            last_error = ?6, error_streak = ?7, next_due = ?8, moved_to = ?9, gone = ?10,
            last_success = CASE WHEN ?11 THEN ?4 ELSE last_success END
         WHERE name = ?1 AND url = ?12",
    )?
    .execute(params![
        name,
        state.etag,
        state.last_modified,
        state.last_fetch,
        state.last_status,
        state.last_error,
        state.error_streak,
        state.next_due,
        state.moved_to,
        state.gone,
        success,
        state.url,
    ])?;
    Ok(())
}

/// Every source in config order, with its health and the number of items it carried: one
/// query for all of them (the index page lists every source on each request). The item counts
/// are kept on the `sources` rows by triggers on `items`, so nothing is counted here.
pub fn source_health(
    conn: &Connection,
    sources: &[Source],
) -> Result<Vec<SourceHealth>, StoreError> {
    in_sql(|| {
        type Row = (String, FetchState, Option<i64>, i64);
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT name, last_success, items, {STATE_COLUMNS} FROM sources ORDER BY rowid"
        ))?;
        let mut rows: Vec<Option<Row>> = stmt
            .query_map([], |r| {
                Ok(Some((r.get(0)?, state_from(r, 3)?, r.get(1)?, r.get(2)?)))
            })?
            .collect::<rusqlite::Result<_>>()?;
        // Rows are created in config order (`sync_sources`), so they are matched by walking both
        // lists; only a source out of step is looked up by name, so the common case hashes
        // nothing.
        let mut by_name: Option<HashMap<String, usize>> = None;
        let mut next = 0;
        let mut take = |name: &str| -> Option<Row> {
            if rows
                .get(next)
                .and_then(Option::as_ref)
                .is_some_and(|r| r.0 == name)
            {
                next += 1;
                return rows[next - 1].take();
            }
            let index = by_name.get_or_insert_with(|| {
                rows.iter()
                    .enumerate()
                    .filter_map(|(i, r)| Some((r.as_ref()?.0.clone(), i)))
                    .collect()
            });
            let i = *index.get(name)?;
            rows[i].take()
        };
        Ok(sources
            .iter()
            .map(|s| {
                let (state, last_success, items) = take(&s.name)
                    .map(|(_, st, ls, n)| (st, ls, n))
                    .unwrap_or_default();
                SourceHealth {
                    name: s.name.clone(),
                    title: s.title.clone(),
                    url: stored_url(&s.url),
                    state,
                    last_success,
                    items: items.max(0) as u64,
                }
            })
            .collect())
    })
}

/// The numbers `/metrics` reports from the database. Sources count only while configured: a
/// source removed from the config keeps its row (its items stay, and its state returns if it
/// comes back) but leaves the gauges.
pub fn gauges(
    conn: &Connection,
    sources: &[Source],
) -> Result<svodka_core::model::Gauges, StoreError> {
    in_sql(|| {
        let count = |sql: &str| -> rusqlite::Result<u64> {
            conn.query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(|n| n.max(0) as u64)
        };
        let configured: HashSet<&str> = sources.iter().map(|s| s.name.as_str()).collect();
        let mut g = svodka_core::model::Gauges {
            items: count("SELECT count(*) FROM items")?,
            stories: count("SELECT count(*) FROM stories")?,
            ..Default::default()
        };
        let mut stmt = conn.prepare_cached(
            "SELECT name, last_fetch IS NOT NULL, error_streak > 0, gone FROM sources",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let name: String = r.get(0)?;
            if !configured.contains(name.as_str()) {
                continue;
            }
            let (fetched, failing, gone): (bool, bool, bool) = (r.get(1)?, r.get(2)?, r.get(3)?);
            match (fetched, failing, gone) {
                (_, _, true) => g.sources_gone += 1,
                (false, _, _) => g.sources_never += 1,
                (true, true, false) => g.sources_failing += 1,
                (true, false, false) => g.sources_ok += 1,
            }
        }
        Ok(g)
    })
}
