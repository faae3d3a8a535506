//! The `sources` table: each configured source's fetch state (validators, backoff) and health.

use rusqlite::{Connection, OptionalExtension, params};

use crate::config::Source;

/// What the next fetch of a source needs to know, and what the last one left behind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchState {
    /// The configured URL this state belongs to.
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_fetch: Option<i64>,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub error_streak: u32,
    /// Unix seconds before which the source is not fetched (backoff, Retry-After).
    pub next_due: Option<i64>,
    /// Where a 301/308 said the feed now lives.
    pub moved_to: Option<String>,
    /// 410 Gone: not polled again until its URL in the config changes.
    pub gone: bool,
}

#[derive(Debug, Clone)]
pub struct SourceHealth {
    pub name: String,
    pub url: String,
    pub state: FetchState,
    pub last_success: Option<i64>,
    pub items: u64,
}

/// Makes the table match the config: new sources get a row; a source whose URL changed starts
/// over (validators, backoff and a 410 belong to the old URL).
pub fn sync_sources(conn: &Connection, sources: &[Source]) -> rusqlite::Result<()> {
    for s in sources {
        conn.execute(
            "INSERT INTO sources (name, url, priority) VALUES (?1, ?2, ?3)
             ON CONFLICT(name) DO UPDATE SET
                url = excluded.url, etag = NULL, last_modified = NULL, error_streak = 0,
                next_due = NULL, moved_to = NULL, gone = 0
             WHERE sources.url <> excluded.url",
            params![s.name, s.url.as_str(), s.priority],
        )?;
        conn.execute(
            "UPDATE sources SET priority = ?2 WHERE name = ?1 AND priority <> ?2",
            params![s.name, s.priority],
        )?;
    }
    Ok(())
}

pub fn load_fetch_state(conn: &Connection, name: &str) -> rusqlite::Result<FetchState> {
    conn.query_row(
        "SELECT etag, last_modified, last_fetch, last_status, last_error, error_streak, next_due,
                moved_to, gone, url
         FROM sources WHERE name = ?1",
        [name],
        |r| {
            Ok(FetchState {
                etag: r.get(0)?,
                last_modified: r.get(1)?,
                last_fetch: r.get(2)?,
                last_status: r.get(3)?,
                last_error: r.get(4)?,
                error_streak: r.get(5)?,
                next_due: r.get(6)?,
                moved_to: r.get(7)?,
                gone: r.get(8)?,
                url: r.get(9)?,
            })
        },
    )
    .optional()
    .map(Option::unwrap_or_default)
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
    conn.execute(
        "UPDATE sources SET etag = ?2, last_modified = ?3, last_fetch = ?4, last_status = ?5,
            last_error = ?6, error_streak = ?7, next_due = ?8, moved_to = ?9, gone = ?10,
            last_success = CASE WHEN ?11 THEN ?4 ELSE last_success END
         WHERE name = ?1 AND url = ?12",
        params![
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
        ],
    )?;
    Ok(())
}

/// Every source in config order, with its health and the number of items it carried.
pub fn source_health(conn: &Connection, sources: &[Source]) -> rusqlite::Result<Vec<SourceHealth>> {
    let mut out = Vec::new();
    for s in sources {
        let state = load_fetch_state(conn, &s.name)?;
        let last_success: Option<i64> = conn
            .query_row(
                "SELECT last_success FROM sources WHERE name = ?1",
                [&s.name],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        let items: i64 = conn.query_row(
            "SELECT count(*) FROM items WHERE source = ?1",
            [&s.name],
            |r| r.get(0),
        )?;
        out.push(SourceHealth {
            name: s.name.clone(),
            url: s.url.to_string(),
            state,
            last_success,
            items: items.max(0) as u64,
        });
    }
    Ok(out)
}

/// The numbers `/metrics` reports from the database.
pub fn gauges(conn: &mut rusqlite::Connection) -> rusqlite::Result<crate::metrics::Gauges> {
    let count = |sql: &str| -> rusqlite::Result<u64> {
        conn.query_row(sql, [], |r| r.get::<_, i64>(0))
            .map(|n| n.max(0) as u64)
    };
    Ok(crate::metrics::Gauges {
        sources_ok: count(
            "SELECT count(*) FROM sources WHERE last_fetch IS NOT NULL AND error_streak = 0 AND gone = 0",
        )?,
        sources_failing: count("SELECT count(*) FROM sources WHERE error_streak > 0 AND gone = 0")?,
        sources_gone: count("SELECT count(*) FROM sources WHERE gone = 1")?,
        sources_never: count("SELECT count(*) FROM sources WHERE last_fetch IS NULL")?,
        items: count("SELECT count(*) FROM items")?,
        stories: count("SELECT count(*) FROM stories")?,
    })
}
