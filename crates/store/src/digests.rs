//! Digest editions: each made once, keyed by its digest and cron tick, with its mailing state.

use rusqlite::{Connection, OptionalExtension, params};
use svodka_core::archive::StoreError;
use svodka_core::model::EditionRow;
pub use svodka_core::model::Unsent;

use crate::error::in_sql;

/// When the daemon first scheduled `digest`; the first call records `now`.
pub fn watch_since(conn: &Connection, digest: &str, now: i64) -> Result<i64, StoreError> {
    in_sql(|| {
        conn.execute(
            "INSERT OR IGNORE INTO digest_watch (digest, since) VALUES (?1, ?2)",
            params![digest, now],
        )?;
        conn.query_row(
            "SELECT since FROM digest_watch WHERE digest = ?1",
            [digest],
            |r| r.get(0),
        )
    })
}

/// The newest edition's (tick, until).
pub fn last_edition(conn: &Connection, digest: &str) -> Result<Option<(i64, i64)>, StoreError> {
    in_sql(|| {
        conn.query_row(
            "SELECT tick, until FROM editions WHERE digest = ?1 ORDER BY tick DESC LIMIT 1",
            [digest],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
    })
}

/// Stores an edition unless one of its tick (or key) is stored already: idempotent, so a
/// restart or a second process stores each edition once. True when stored.
pub fn insert_edition(conn: &Connection, e: &EditionRow) -> Result<bool, StoreError> {
    in_sql(|| {
        let n = conn.execute(
            "INSERT OR IGNORE INTO editions (digest, tick, key, since, until, made, body, mail_to)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                e.digest, e.tick, e.key, e.since, e.until, e.made, e.body, e.mail_to
            ],
        )?;
        Ok(n == 1)
    })
}

const COLUMNS: &str = "digest, tick, key, since, until, made, body, mail_to, sent, attempts, error";

fn row(r: &rusqlite::Row) -> rusqlite::Result<EditionRow> {
    Ok(EditionRow {
        digest: r.get(0)?,
        tick: r.get(1)?,
        key: r.get(2)?,
        since: r.get(3)?,
        until: r.get(4)?,
        made: r.get(5)?,
        body: r.get(6)?,
        mail_to: r.get(7)?,
        sent: r.get(8)?,
        attempts: r.get::<_, i64>(9)?.clamp(0, i64::from(u32::MAX)) as u32,
        error: r.get(10)?,
    })
}

/// A digest's editions, newest first.
pub fn editions(
    conn: &Connection,
    digest: &str,
    limit: usize,
) -> Result<Vec<EditionRow>, StoreError> {
    in_sql(|| {
        let sql =
            format!("SELECT {COLUMNS} FROM editions WHERE digest = ?1 ORDER BY tick DESC LIMIT ?2");
        conn.prepare_cached(&sql)?
            .query_map(
                params![digest, i64::try_from(limit).unwrap_or(i64::MAX)],
                row,
            )?
            .collect()
    })
}

/// The edition with key `key`, else the newest whose key starts with it (a date names the
/// day's last edition of a digest made several times a day).
pub fn edition(
    conn: &Connection,
    digest: &str,
    key: &str,
) -> Result<Option<EditionRow>, StoreError> {
    in_sql(|| {
        let sql = format!(
            "SELECT {COLUMNS} FROM editions WHERE digest = ?1
             AND (key = ?2 OR substr(key, 1, length(?2)) = ?2)
             ORDER BY key = ?2 DESC, tick DESC LIMIT 1"
        );
        conn.query_row(&sql, params![digest, key], row).optional()
    })
}

/// Every edition that is to be mailed and was not, soonest retry first.
pub fn unsent(conn: &Connection) -> Result<Vec<Unsent>, StoreError> {
    in_sql(|| {
        conn.prepare_cached(
            "SELECT digest, tick, attempts, next_try FROM editions
             WHERE sent IS NULL AND mail_to IS NOT NULL ORDER BY coalesce(next_try, 0), tick",
        )?
        .query_map([], |r| {
            Ok(Unsent {
                digest: r.get(0)?,
                tick: r.get(1)?,
                attempts: r.get::<_, i64>(2)?.clamp(0, i64::from(u32::MAX)) as u32,
                next_try: r.get(3)?,
            })
        })?
        .collect()
    })
}

/// One edition by its tick.
pub fn edition_at(
    conn: &Connection,
    digest: &str,
    tick: i64,
) -> Result<Option<EditionRow>, StoreError> {
    in_sql(|| {
        let sql = format!("SELECT {COLUMNS} FROM editions WHERE digest = ?1 AND tick = ?2");
        conn.query_row(&sql, params![digest, tick], row).optional()
    })
}

pub fn mark_sent(conn: &Connection, digest: &str, tick: i64, now: i64) -> Result<(), StoreError> {
    in_sql(|| {
        conn.execute(
            "UPDATE editions SET sent = ?3, attempts = attempts + 1, error = NULL, next_try = NULL
             WHERE digest = ?1 AND tick = ?2",
            params![digest, tick, now],
        )?;
        Ok(())
    })
}

pub fn mark_failed(
    conn: &Connection,
    digest: &str,
    tick: i64,
    error: &str,
    next_try: i64,
) -> Result<(), StoreError> {
    in_sql(|| {
        conn.execute(
            "UPDATE editions SET attempts = attempts + 1, error = ?3, next_try = ?4
             WHERE digest = ?1 AND tick = ?2",
            params![digest, tick, error, next_try],
        )?;
        Ok(())
    })
}
