//! The `stories` and `boilerplate` tables: the story engine's persistence. A story has its
//! own row: an id and a GUID minted once (never changed, whoever joins or expires), and a lead
//! report, which is the earliest unless a source with a higher priority carried the story.
//! The engine's in-memory indexes are rebuilt from the reports of the window.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use svodka_core::archive::StoreError;

use svodka_core::stories::{Boilerplate, Engine, Kept, Rebuild};
use svodka_core::text::Stems;

use crate::error::in_sql;

/// The public id of a report (and of the story it founded): derived from its agency and that
/// agency's own key for it, never from a row number, so it survives a rebuilt database.
pub fn public_id(source: &str, key: &str) -> String {
    use siphasher::sip128::Hasher128;
    use std::hash::Hasher;
    let mut h = siphasher::sip128::SipHasher13::new_with_keys(0x6775_6964, 0x7376_6f64_6b61);
    h.write(source.as_bytes());
    h.write_u8(0);
    h.write(key.as_bytes());
    let v = h.finish128();
    format!("tag:svodka,2026:{source}/{:016x}{:016x}", v.h1, v.h2)
}

/// Starts a story led by report `item`; returns its id.
pub(crate) fn create(
    tx: &Transaction,
    item: i64,
    source: &str,
    key: &str,
    published: i64,
    now: i64,
) -> rusqlite::Result<i64> {
    tx.prepare_cached(
        "INSERT INTO stories (guid, lead, published, first_seen, updated)
         VALUES (?1, ?2, ?3, ?4, ?4)",
    )?
    .execute(params![public_id(source, key), item, published, now])?;
    Ok(tx.last_insert_rowid())
}

/// Whether a story row exists (the engine may still hold a story that retention removed).
pub(crate) fn exists(tx: &Transaction, story: i64) -> rusqlite::Result<bool> {
    Ok(tx
        .prepare_cached("SELECT 1 FROM stories WHERE id = ?1")?
        .query_row([story], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Report `item` joined `story`: it becomes the lead when its source's priority is higher, or
/// equal and it is earlier. The story's GUID stays.
pub(crate) fn joined(tx: &Transaction, story: i64, item: i64, now: i64) -> rusqlite::Result<()> {
    // (priority, earlier, older row): the greatest leads. A lead that is gone ranks lowest.
    let rank = |id: i64| -> rusqlite::Result<Option<(i64, i64, i64)>> {
        tx.prepare_cached(
            "SELECT coalesce(s.priority, 0), i.published FROM items i
             LEFT JOIN sources s ON s.name = i.source WHERE i.id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, -r.get::<_, i64>(1)?, -id)))
        .optional()
    };
    let lead: i64 = tx
        .prepare_cached("SELECT lead FROM stories WHERE id = ?1")?
        .query_row([story], |r| r.get(0))?;
    let lead = if rank(item)? > rank(lead)? {
        item
    } else {
        lead
    };
    tx.prepare_cached("UPDATE stories SET lead = ?2, updated = ?3 WHERE id = ?1")?
        .execute(params![story, lead, now])?;
    refresh_date(tx, story)
}

/// The story's date is its lead's.
fn refresh_date(tx: &Transaction, story: i64) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE stories SET published = (SELECT published FROM items WHERE id = stories.lead)
         WHERE id = ?1",
    )?
    .execute([story])?;
    Ok(())
}

/// Picks a new lead among the story's remaining reports (after its lead expired or moved), or
/// removes the story when none is left.
pub(crate) fn relead(tx: &Transaction, story: i64) -> rusqlite::Result<()> {
    let lead: Option<i64> = tx
        .query_row(
            "SELECT i.id FROM items i LEFT JOIN sources s ON s.name = i.source
             WHERE i.story_id = ?1
             ORDER BY coalesce(s.priority, 0) DESC, i.published, i.id LIMIT 1",
            [story],
            |r| r.get(0),
        )
        .optional()?;
    match lead {
        Some(lead) => {
            tx.execute("UPDATE stories SET lead = ?2 WHERE id = ?1", [story, lead])?;
            refresh_date(tx, story)
        }
        None => {
            tx.execute("DELETE FROM stories WHERE id = ?1", [story])?;
            Ok(())
        }
    }
}

/// The boilerplate learned for a source so far.
pub fn load_boilerplate(conn: &Connection, source: &str) -> Result<Boilerplate, StoreError> {
    in_sql(|| boilerplate(conn, source))
}

pub(crate) fn boilerplate(conn: &Connection, source: &str) -> rusqlite::Result<Boilerplate> {
    let blob: Option<Vec<u8>> = conn
        .query_row(
            "SELECT units FROM boilerplate WHERE source = ?1",
            [source],
            |r| r.get(0),
        )
        .optional()?;
    Ok(blob
        .map(|b| Boilerplate::from_bytes(&b))
        .unwrap_or_default())
}

pub(crate) fn save_boilerplate(
    tx: &Transaction,
    source: &str,
    b: &Boilerplate,
    now: i64,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO boilerplate (source, units, updated) VALUES (?1, ?2, ?3)
         ON CONFLICT(source) DO UPDATE SET units = excluded.units, updated = excluded.updated
         WHERE boilerplate.units <> excluded.units",
        params![source, b.to_bytes(), now],
    )?;
    Ok(())
}

/// Builds the engine from the reports first seen, edited or dated in the last `window` seconds,
/// as many of the newest as `budget` bytes hold. A fingerprint recomputed for a report (see
/// [`Rebuild::add`]) is stored.
pub fn load_engine(
    conn: &mut Connection,
    window: i64,
    budget: usize,
    now: i64,
) -> Result<Engine, StoreError> {
    in_sql(|| {
        let since = now - window;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let stems = Stems::new();
        let mut rebuild = Rebuild::new(window, budget, &stems);
        {
            let mut stmt = tx.prepare(
                "SELECT id, source, published, story_id, copy_id, fp, title,
                        CASE WHEN fp IS NULL OR substr(fp, 1, 1) <> ?2 THEN text END,
                        max(first_seen, updated)
                 FROM items WHERE first_seen >= ?1 OR updated >= ?1 OR published >= ?1
                 ORDER BY max(first_seen, updated), id",
            )?;
            let mut update = tx.prepare("UPDATE items SET fp = ?2 WHERE id = ?1")?;
            let mut rows = stmt.query(params![
                since,
                vec![svodka_core::stories::fingerprint::VERSION]
            ])?;
            while let Some(r) = rows.next()? {
                let id: i64 = r.get(0)?;
                let kept = Kept {
                    id,
                    source: r.get_ref(1)?.as_str().map_err(from_sql)?,
                    published: r.get(2)?,
                    story: r.get(3)?,
                    copy: r.get(4)?,
                    // A value of another type (a hand-edited row) is a missing fingerprint.
                    fp: r.get_ref(5)?.as_blob().ok(),
                    title: r.get_ref(6)?.as_str().map_err(from_sql)?,
                    text: r.get_ref(7)?.as_str_or_null().map_err(from_sql)?,
                    seen: r.get(8)?,
                };
                if let Some(fp) = rebuild.add(&kept) {
                    update.execute(params![id, fp.to_bytes()])?;
                }
            }
        }
        tx.commit()?;
        Ok(rebuild.finish())
    })
}

/// A column of an unexpected type, as rusqlite's own error for it.
fn from_sql(e: rusqlite::types::FromSqlError) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Null, Box::new(e))
}
