//! Alerts: which reports they looked at last, and each (alert, story, event) claimed once.

use rusqlite::{Connection, OptionalExtension, params};
use svodka_core::archive::StoreError;

use crate::error::in_sql;

/// The last report the alerts looked at; the first call starts at the newest stored, so
/// turning alerts on does not alert the whole archive.
pub fn alert_cursor(conn: &Connection) -> Result<i64, StoreError> {
    let found = in_sql(|| {
        conn.query_row("SELECT item FROM alert_cursor WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()
    })?;
    if let Some(c) = found {
        return Ok(c);
    }
    let newest: i64 =
        in_sql(|| conn.query_row("SELECT coalesce(max(id), 0) FROM items", [], |r| r.get(0)))?;
    set_alert_cursor(conn, newest)?;
    Ok(newest)
}

pub fn set_alert_cursor(conn: &Connection, item: i64) -> Result<(), StoreError> {
    in_sql(|| {
        conn.execute(
            "INSERT INTO alert_cursor (id, item) VALUES (1, ?1)
             ON CONFLICT (id) DO UPDATE SET item = excluded.item",
            [item],
        )?;
        Ok(())
    })
}

/// The stories of the reports stored after `after` (at most `limit` reports), and the newest
/// report's id.
pub fn stories_after(
    conn: &Connection,
    after: i64,
    limit: usize,
) -> Result<(Vec<i64>, i64), StoreError> {
    in_sql(|| {
        let rows: Vec<(i64, Option<i64>)> = conn
            .prepare_cached("SELECT id, story_id FROM items WHERE id > ?1 ORDER BY id LIMIT ?2")?
            .query_map(
                params![after, i64::try_from(limit).unwrap_or(i64::MAX)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?
            .collect::<rusqlite::Result<_>>()?;
        let last = rows.last().map_or(after, |r| r.0);
        let mut stories: Vec<i64> = rows.into_iter().filter_map(|r| r.1).collect();
        stories.sort_unstable();
        stories.dedup();
        Ok((stories, last))
    })
}

/// Which events of `alert` were claimed for `story`.
pub fn alert_events(conn: &Connection, alert: &str, story: i64) -> Result<Vec<String>, StoreError> {
    in_sql(|| {
        conn.prepare_cached("SELECT event FROM alert_events WHERE alert = ?1 AND story = ?2")?
            .query_map(params![alert, story], |r| r.get(0))?
            .collect()
    })
}

/// Claims an event; false when it was claimed before (by this process or an earlier one).
pub fn claim_alert(
    conn: &Connection,
    alert: &str,
    story: i64,
    event: &str,
    now: i64,
) -> Result<bool, StoreError> {
    in_sql(|| {
        Ok(conn.execute(
            "INSERT OR IGNORE INTO alert_events (alert, story, event, at) VALUES (?1, ?2, ?3, ?4)",
            params![alert, story, event, now],
        )? == 1)
    })
}
