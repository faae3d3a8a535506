//! Retention: reports older than the configured age go; their stories stay whole.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::stories::Engine;

/// Deletes reports older than `before` (by date and by first seen); returns how many. A story
/// whose lead expires passes to its best remaining report, keeping its id and GUID; a story
/// with no report left is removed. The engine forgets the deleted reports.
pub fn prune(
    conn: &mut Connection,
    engine: Option<&mut Engine>,
    before: DateTime<Utc>,
) -> rusqlite::Result<usize> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let cutoff = before.timestamp();
    let (ids, stories): (Vec<i64>, Vec<i64>) = {
        let mut stmt = tx.prepare(
            "SELECT id, coalesce(story_id, id) FROM items WHERE published < ?1 AND first_seen < ?1",
        )?;
        stmt.query_map([cutoff], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .unzip()
    };
    let n = tx.execute(
        "DELETE FROM items WHERE published < ?1 AND first_seen < ?1",
        [cutoff],
    )?;
    let mut stories = stories;
    stories.sort_unstable();
    stories.dedup();
    for story in stories {
        super::stories::relead(&tx, story)?;
    }
    tx.commit()?;
    if let Some(engine) = engine {
        for id in ids {
            engine.remove(id);
        }
    }
    Ok(n)
}
