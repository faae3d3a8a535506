//! Small reads over reports: counts, the rows `retag` and `trending` work on.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

/// Every report's id, title and text, for `svodka retag`.
pub fn items_for_retag(conn: &Connection) -> rusqlite::Result<Vec<(i64, String, String)>> {
    let mut stmt = conn.prepare("SELECT id, title, text FROM items ORDER BY id")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

pub fn item_count(conn: &Connection) -> rusqlite::Result<u64> {
    let n: i64 = conn.query_row("SELECT count(*) FROM items", [], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

/// Per configured topic, the stories of the period that carry it.
pub fn topic_story_counts(
    conn: &Connection,
    since: DateTime<Utc>,
) -> rusqlite::Result<Vec<(String, u64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT t.topic, count(DISTINCT m.story_id) FROM item_topics t JOIN items m ON m.id = t.item_id
         WHERE m.published >= ?1 GROUP BY t.topic",
    )?;
    let rows = stmt.query_map([since.timestamp()], |r| {
        Ok((r.get(0)?, r.get::<_, i64>(1)?.max(0) as u64))
    })?;
    rows.collect()
}

/// The (story, headline) pairs of the period, for discovering topics.
pub fn headlines_since(
    conn: &Connection,
    since: DateTime<Utc>,
) -> rusqlite::Result<Vec<(i64, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT coalesce(story_id, id), title FROM items WHERE published >= ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([since.timestamp()], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}
