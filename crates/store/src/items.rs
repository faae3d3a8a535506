//! Small reads over reports: counts, the rows `retag` and `trending` work on.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use svodka_core::archive::StoreError;
pub use svodka_core::model::RetagRow;
pub use svodka_core::writer::Retagged;

use crate::error::in_sql;

/// Up to `limit` reports after id `after`, in id order, for `svodka retag`: keyset pagination,
/// so neither memory nor one transaction grows with the store.
pub fn items_for_retag(
    conn: &Connection,
    after: i64,
    limit: usize,
) -> Result<Vec<RetagRow>, StoreError> {
    in_sql(|| {
        let mut stmt = conn.prepare_cached(
            "SELECT id, source, title, summary, content, text FROM items WHERE id > ?1
             ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(rusqlite::params![after, limit as i64], |r| {
            Ok(RetagRow {
                id: r.get(0)?,
                source: r.get(1)?,
                title: r.get(2)?,
                summary: r.get(3)?,
                content: r.get(4)?,
                text: r.get(5)?,
            })
        })?;
        rows.collect()
    })
}

/// Writes a page of retagged reports in one IMMEDIATE transaction: the write lock is taken at
/// its start, so the page never fails halfway with SQLITE_BUSY beside another writer.
pub fn save_retagged(conn: &mut Connection, page: &[Retagged]) -> Result<(), StoreError> {
    in_sql(|| {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut new_names = crate::related::NewNames::default();
        for r in page {
            crate::save::replace_topics(&tx, r.id, &r.topics)?;
            if let Some(names) = &r.names {
                new_names.replace(&tx, r.id, names)?;
            }
        }
        new_names.count(&tx)?;
        tx.commit()
    })
}

pub fn item_count(conn: &Connection) -> Result<u64, StoreError> {
    in_sql(|| {
        let n: i64 = conn.query_row("SELECT count(*) FROM items", [], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    })
}

/// Per configured topic, the stories of the period that carry it and the agencies that did.
pub fn topic_story_counts(
    conn: &Connection,
    since: DateTime<Utc>,
) -> Result<Vec<(String, u64, u64)>, StoreError> {
    topic_story_counts_between(conn, since.timestamp(), i64::MAX)
}

/// [`topic_story_counts`] of the reports published in `[since, until)` (a digest's period).
pub fn topic_story_counts_between(
    conn: &Connection,
    since: i64,
    until: i64,
) -> Result<Vec<(String, u64, u64)>, StoreError> {
    in_sql(|| {
        let mut stmt = conn.prepare_cached(
            "SELECT t.topic, count(DISTINCT coalesce(m.story_id, m.id)), count(DISTINCT m.source)
             FROM item_topics t JOIN items m ON m.id = t.item_id
             WHERE m.published >= ?1 AND m.published < ?2 GROUP BY t.topic",
        )?;
        let rows = stmt.query_map([since, until], |r| {
            let n = |i| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
            Ok((r.get(0)?, n(1)?, n(2)?))
        })?;
        rows.collect()
    })
}

/// The (story, source, headline) rows of the period, for discovering topics: one per report,
/// so every agency that carried a story counts.
pub fn headlines_since(
    conn: &Connection,
    since: DateTime<Utc>,
) -> Result<Vec<(i64, String, String)>, StoreError> {
    headlines_between(conn, since.timestamp(), i64::MAX)
}

/// [`headlines_since`] of the reports published in `[since, until)`.
pub fn headlines_between(
    conn: &Connection,
    since: i64,
    until: i64,
) -> Result<Vec<(i64, String, String)>, StoreError> {
    in_sql(|| {
        let mut stmt = conn.prepare_cached(
            "SELECT coalesce(story_id, id), source, title FROM items
             WHERE published >= ?1 AND published < ?2 ORDER BY id",
        )?;
        let rows = stmt.query_map([since, until], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect()
    })
}
