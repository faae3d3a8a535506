//! Small reads over reports: counts, the rows `retag` and `trending` work on.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

/// What topics are matched on, per report.
#[derive(Debug, Clone)]
pub struct RetagRow {
    pub id: i64,
    pub source: String,
    pub title: String,
    pub summary: Option<String>,
    pub content: Option<String>,
    pub text: String,
}

/// Up to `limit` reports after id `after`, in id order, for `svodka retag` (a page at a time,
/// so neither memory nor one transaction grows with the store).
pub fn items_for_retag(
    conn: &Connection,
    after: i64,
    limit: usize,
) -> rusqlite::Result<Vec<RetagRow>> {
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
}

/// A report's topics as a retag matched them, and its names when they are read again too.
#[derive(Debug, Clone)]
pub struct Retagged {
    pub id: i64,
    pub topics: Vec<String>,
    pub names: Option<Vec<svodka_core::storyline::Entity>>,
}

/// Writes a page of retagged reports in one IMMEDIATE transaction: the write lock is taken at
/// its start, so the page never fails halfway with SQLITE_BUSY beside another writer.
pub fn save_retagged(conn: &mut Connection, page: &[Retagged]) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    for r in page {
        crate::set_topics(&tx, r.id, &r.topics)?;
        if let Some(names) = &r.names {
            crate::set_entities(&tx, r.id, names)?;
        }
    }
    tx.commit()
}

pub fn item_count(conn: &Connection) -> rusqlite::Result<u64> {
    let n: i64 = conn.query_row("SELECT count(*) FROM items", [], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

/// Per configured topic, the stories of the period that carry it and the agencies that did.
pub fn topic_story_counts(
    conn: &Connection,
    since: DateTime<Utc>,
) -> rusqlite::Result<Vec<(String, u64, u64)>> {
    topic_story_counts_between(conn, since.timestamp(), i64::MAX)
}

/// [`topic_story_counts`] of the reports published in `[since, until)` (a digest's period).
pub fn topic_story_counts_between(
    conn: &Connection,
    since: i64,
    until: i64,
) -> rusqlite::Result<Vec<(String, u64, u64)>> {
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
}

/// The (story, source, headline) rows of the period, for discovering topics: one per report,
/// so every agency that carried a story counts.
pub fn headlines_since(
    conn: &Connection,
    since: DateTime<Utc>,
) -> rusqlite::Result<Vec<(i64, String, String)>> {
    headlines_between(conn, since.timestamp(), i64::MAX)
}

/// [`headlines_since`] of the reports published in `[since, until)`.
pub fn headlines_between(
    conn: &Connection,
    since: i64,
    until: i64,
) -> rusqlite::Result<Vec<(i64, String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT coalesce(story_id, id), source, title FROM items
         WHERE published >= ?1 AND published < ?2 ORDER BY id",
    )?;
    let rows = stmt.query_map([since, until], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}
