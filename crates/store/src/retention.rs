//! Retention: reports older than the configured age go; their stories stay whole.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use svodka_core::archive::StoreError;

use svodka_core::stories::Engine;

use crate::error::in_sql;

/// Deletes up to `limit` reports older than `before` (by date and by first seen), in one short
/// transaction; returns how many. Callers repeat until fewer than `limit` go, so other writers
/// get their turn between batches. A story whose lead expires passes to its best remaining
/// report, keeping its id and GUID; a story with no report left is removed. The engine forgets
/// the deleted reports.
pub fn prune(
    conn: &mut Connection,
    engine: Option<&mut Engine>,
    before: DateTime<Utc>,
    limit: usize,
) -> Result<usize, StoreError> {
    in_sql(|| {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let cutoff = before.timestamp();
        let expired: Vec<(i64, i64, bool)> = {
            let mut stmt = tx.prepare_cached(
                "SELECT id, coalesce(story_id, id), coalesce(copy_id, id) = id FROM items
                 WHERE published < ?1 AND first_seen < ?1 ORDER BY id LIMIT ?2",
            )?;
            stmt.query_map(params![cutoff, limit as i64], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<_>>()?
        };
        {
            let mut delete = tx.prepare_cached("DELETE FROM items WHERE id = ?1")?;
            // A copy group is named by its first report: when that one goes, the next one names it.
            let mut rename = tx.prepare_cached(
                "UPDATE items SET copy_id = (SELECT min(id) FROM items WHERE copy_id = ?1)
                 WHERE copy_id = ?1",
            )?;
            for (id, _, names_copies) in &expired {
                delete.execute([id])?;
                if *names_copies {
                    rename.execute([id])?;
                }
            }
        }
        let mut stories: Vec<i64> = expired.iter().map(|(_, s, _)| *s).collect();
        stories.sort_unstable();
        stories.dedup();
        for story in stories {
            super::stories::relead(&tx, story)?;
        }
        tx.commit()?;
        if let Some(engine) = engine {
            for (id, _, _) in &expired {
                engine.remove(*id);
            }
        }
        Ok(expired.len())
    })
}
