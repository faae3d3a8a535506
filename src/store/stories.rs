//! Stories: items from different sources that say the same thing in near-identical words,
//! grouped by MinHash signature (see `dedup`). A story is named by the id of its first item;
//! feeds publish that item once, with the other agencies named beside it.

use std::collections::HashSet;

use rusqlite::{Transaction, params};

use crate::dedup::{STORY_SIMILARITY, Signature, signature};

/// How far apart in time two items of one story may be dated.
const WINDOW_SECS: i64 = 3 * 24 * 3600;

/// Gives a new item its story: an existing story from another source whose text it nearly
/// repeats, or a story of its own. Returns whether it joined an existing one.
pub(crate) fn assign(
    tx: &Transaction,
    id: i64,
    source: &str,
    text: &str,
    published: i64,
) -> rusqlite::Result<bool> {
    let Some(sig) = signature(text) else {
        tx.execute("UPDATE items SET story_id = id WHERE id = ?1", [id])?;
        return Ok(false);
    };
    let keys = sig.band_keys();
    let mut candidates = tx.prepare_cached(
        "SELECT j.id, j.story_id, j.minhash FROM item_bands b JOIN items j ON j.id = b.item_id
         WHERE b.band = ?1 AND b.key = ?2 AND j.source <> ?3 AND j.published BETWEEN ?4 AND ?5",
    )?;
    let mut seen = HashSet::new();
    let mut best: Option<(f64, i64)> = None;
    for (band, key) in keys.iter().enumerate() {
        let rows = candidates.query_map(
            params![
                band as i64,
                key,
                source,
                published - WINDOW_SECS,
                published + WINDOW_SECS
            ],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Option<i64>>(1)?,
                    r.get::<_, Option<Vec<u8>>>(2)?,
                ))
            },
        )?;
        for row in rows {
            let (cand, story, blob) = row?;
            if !seen.insert(cand) {
                continue;
            }
            let Some(other) = blob.as_deref().and_then(Signature::from_bytes) else {
                continue;
            };
            let similarity = sig.similarity(&other);
            if similarity >= STORY_SIMILARITY && best.is_none_or(|(b, _)| similarity > b) {
                best = Some((similarity, story.unwrap_or(cand)));
            }
        }
    }
    let story = best.map_or(id, |(_, s)| s);
    tx.execute(
        "UPDATE items SET story_id = ?2, minhash = ?3 WHERE id = ?1",
        params![id, story, sig.to_bytes()],
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO item_bands (band, key, item_id) VALUES (?1, ?2, ?3)",
    )?;
    for (band, key) in keys.iter().enumerate() {
        insert.execute(params![band as i64, key, id])?;
    }
    Ok(best.is_some())
}

/// Drops the signatures of items dated before `before`: no new item can join their stories
/// any more (they are outside the window), and the LSH index stays as small as the window.
pub fn forget_old_signatures(
    conn: &mut rusqlite::Connection,
    before: i64,
) -> rusqlite::Result<usize> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let n = tx.execute(
        "DELETE FROM item_bands WHERE item_id IN
           (SELECT id FROM items WHERE published < ?1 AND minhash IS NOT NULL)",
        [before],
    )?;
    tx.execute(
        "UPDATE items SET minhash = NULL WHERE published < ?1 AND minhash IS NOT NULL",
        [before],
    )?;
    tx.commit()?;
    Ok(n)
}

/// How far back signatures are kept: the story window, and a day to spare.
pub const SIGNATURE_DAYS: i64 = WINDOW_SECS / 86_400 + 1;

/// Gives signatures to recent items stored before stories existed (run once, inside the
/// transaction of migration 2), so that new copies can still join their stories. Items keep the story
/// the migration gave them; only the index learns about them.
pub(crate) fn backfill_signatures(tx: &Transaction, since: i64) -> rusqlite::Result<usize> {
    let rows: Vec<(i64, String)> = {
        let mut stmt =
            tx.prepare("SELECT id, text FROM items WHERE minhash IS NULL AND published >= ?1")?;
        stmt.query_map([since], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    let mut done = 0;
    for (id, text) in rows {
        let Some(sig) = signature(&text) else {
            continue;
        };
        tx.execute(
            "UPDATE items SET minhash = ?2 WHERE id = ?1",
            params![id, sig.to_bytes()],
        )?;
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO item_bands (band, key, item_id) VALUES (?1, ?2, ?3)",
        )?;
        for (band, key) in sig.band_keys().iter().enumerate() {
            insert.execute(params![band as i64, key, id])?;
        }
        done += 1;
    }
    Ok(done)
}
