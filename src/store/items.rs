//! The `items`, `item_refs` and `item_topics` tables: saving a fetch, selecting for feeds.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params, params_from_iter};

use super::sources::{FetchState, write_fetch_state};
use crate::dedup::content_hash;
use crate::model::Item;

/// What one saved fetch did, for `svodka fetch`'s summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub new: u32,
    pub updated: u32,
    pub unchanged: u32,
    /// Items another source had already brought (same link, same text, or nearly the same
    /// text: one story).
    pub merged: u32,
}

/// A story as published: its first item's fields, the topics of all its items, and every
/// other source that carried it.
#[derive(Debug, Clone)]
pub struct StoredItem {
    pub id: i64,
    pub source: String,
    pub link: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub content: Option<String>,
    pub author: Option<String>,
    pub image: Option<String>,
    pub published: i64,
    /// When svodka last stored a change to it (first seen, or the source's last edit).
    pub updated: i64,
    /// When the source last edited it, if it ever did.
    pub edited: Option<i64>,
    /// The owning source's own key for it (its guid, else its link, else a content hash).
    pub key: String,
    pub topics: Vec<String>,
    /// Sources other than `source` that carried the same item or story.
    pub also: Vec<String>,
}

/// Saves one fetch in one transaction: the items with their topics, and the source's new
/// fetch state (validators). If anything fails, nothing is written, validators included, so
/// the next cycle fetches the same items again instead of getting a 304.
pub fn save_fetch(
    conn: &mut Connection,
    source: &str,
    items: &[(Item, Vec<String>)],
    state: &FetchState,
    now: DateTime<Utc>,
) -> rusqlite::Result<Counts> {
    // IMMEDIATE takes the write lock first: a deferred transaction that reads first fails at
    // once (SQLITE_BUSY_SNAPSHOT) when another process (`svodka fetch` beside the daemon)
    // committed in between, whatever the busy timeout.
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut counts = Counts::default();
    for (item, topics) in items {
        save_item(&tx, source, item, topics, now.timestamp(), &mut counts)?;
    }
    write_fetch_state(&tx, source, state, true)?;
    tx.commit()?;
    Ok(counts)
}

/// Records a failed or unchanged fetch: only the source's state changes.
pub fn save_state(
    conn: &Connection,
    source: &str,
    state: &FetchState,
    success: bool,
) -> rusqlite::Result<()> {
    write_fetch_state(conn, source, state, success)
}

fn save_item(
    tx: &Transaction,
    source: &str,
    item: &Item,
    topics: &[String],
    now: i64,
    counts: &mut Counts,
) -> rusqlite::Result<()> {
    let key = item.source_key();
    let hash = content_hash(&item.title, &item.text);
    let by_ref: Option<i64> = tx
        .query_row(
            "SELECT item_id FROM item_refs WHERE source = ?1 AND key = ?2",
            params![source, key],
            |r| r.get(0),
        )
        .optional()?;
    let found = match by_ref {
        Some(id) => Some(id),
        None => {
            let by_link = match &item.link {
                // Within one source, two guids are two items even when an agency reuses one
                // link (a live-blog page); the link joins items across sources only.
                Some(l) => tx
                    .query_row(
                        "SELECT id FROM items WHERE link = ?1 AND (source <> ?2 OR ?3) LIMIT 1",
                        params![l, source, item.guid.is_none()],
                        |r| r.get(0),
                    )
                    .optional()?,
                None => None,
            };
            match by_link {
                Some(id) => Some(id),
                // Same text is the same item only across agencies (the press release five of
                // them republish); within one source, a daily «Курс валют» with the same
                // words is a new item, told apart by its guid or link.
                None => tx
                    .query_row(
                        "SELECT id FROM items WHERE content_hash = ?1 AND source <> ?2 LIMIT 1",
                        params![hash, source],
                        |r| r.get(0),
                    )
                    .optional()?,
            }
        }
    };
    let Some(id) = found else {
        tx.execute(
            "INSERT INTO items (source, link, content_hash, title, summary, content, text, author,
                                image, published, first_seen, updated)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
            params![
                source,
                item.link,
                hash,
                item.title,
                item.summary,
                item.content,
                item.text,
                item.author,
                item.image,
                item.published.timestamp(),
                now
            ],
        )?;
        let id = tx.last_insert_rowid();
        insert_ref(tx, source, &key, id, item, now)?;
        set_topics(tx, id, topics)?;
        // A near-repeat of another agency's story is stored, but published inside that story.
        if super::stories::assign(tx, id, source, &item.text, item.published.timestamp())? {
            counts.merged += 1;
        } else {
            counts.new += 1;
        }
        return Ok(());
    };
    if by_ref.is_none() {
        insert_ref(tx, source, &key, id, item, now)?;
    }
    let (owner, stored_hash, stored_title): (String, String, String) = tx.query_row(
        "SELECT source, content_hash, title FROM items WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    if owner != source {
        // Another agency's copy: the first source's text stays; this one is named beside it.
        if by_ref.is_none() {
            counts.merged += 1;
        } else {
            counts.unchanged += 1;
        }
        return Ok(());
    }
    if stored_hash == hash && stored_title == item.title {
        counts.unchanged += 1;
        return Ok(());
    }
    // The source edited its item (a corrected headline, a longer text): keep the first-seen
    // time and the original date unless the feed gave one.
    tx.execute(
        "UPDATE items SET link = coalesce(?2, link), content_hash = ?3, title = ?4, summary = ?5,
            content = ?6, text = ?7, author = ?8, image = ?9,
            published = CASE WHEN ?11 THEN published ELSE ?10 END, updated = ?12
         WHERE id = ?1",
        params![
            id,
            item.link,
            hash,
            item.title,
            item.summary,
            item.content,
            item.text,
            item.author,
            item.image,
            item.published.timestamp(),
            item.date_from_first_seen,
            now
        ],
    )?;
    set_topics(tx, id, topics)?;
    counts.updated += 1;
    Ok(())
}

fn insert_ref(
    tx: &Transaction,
    source: &str,
    key: &str,
    id: i64,
    item: &Item,
    now: i64,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO item_refs (source, key, item_id, link, first_seen)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![source, key, id, item.link, now],
    )?;
    Ok(())
}

/// Replaces an item's topics.
pub fn set_topics(conn: &Connection, id: i64, topics: &[String]) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM item_topics WHERE item_id = ?1", [id])?;
    for t in topics {
        conn.execute(
            "INSERT OR IGNORE INTO item_topics (item_id, topic) VALUES (?1, ?2)",
            params![id, t],
        )?;
    }
    Ok(())
}

/// Up to `limit` items' id, title and text after id `after`, in id order, for `svodka retag`
/// (a page at a time, so neither memory nor one transaction grows with the store).
pub fn items_for_retag(
    conn: &Connection,
    after: i64,
    limit: usize,
) -> rusqlite::Result<Vec<(i64, String, String)>> {
    let mut stmt = conn
        .prepare_cached("SELECT id, title, text FROM items WHERE id > ?1 ORDER BY id LIMIT ?2")?;
    let rows = stmt.query_map(params![after, limit as i64], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    rows.collect()
}

pub fn item_count(conn: &Connection) -> rusqlite::Result<u64> {
    let n: i64 = conn.query_row("SELECT count(*) FROM items", [], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

/// Newest first, one per story: stories with an item carried by any of `sources` (all when
/// `None`) and an item tagged with any of `topics` (any when empty).
pub fn select_items(
    conn: &Connection,
    sources: Option<&[String]>,
    topics: &[String],
    limit: usize,
) -> rusqlite::Result<Vec<StoredItem>> {
    let mut sql = String::from(
        "SELECT id, source, link, title, summary, content, author, image, published, updated,
                CASE WHEN updated > first_seen THEN updated END,
                coalesce((SELECT key FROM item_refs r WHERE r.item_id = i.id AND r.source = i.source
                          ORDER BY r.first_seen, r.key LIMIT 1), '')
         FROM items i WHERE story_id = id",
    );
    let mut args: Vec<String> = Vec::new();
    if let Some(sources) = sources {
        if sources.is_empty() {
            return Ok(Vec::new());
        }
        // `IN (subquery)` is evaluated once into an index; a correlated EXISTS would run per
        // story and walk the whole table for a rare source.
        sql.push_str(
            " AND i.id IN (SELECT m.story_id FROM item_refs r JOIN items m ON m.id = r.item_id
                           WHERE r.source IN (",
        );
        sql.push_str(&placeholders(args.len(), sources.len()));
        sql.push_str("))");
        args.extend(sources.iter().cloned());
    }
    if !topics.is_empty() {
        sql.push_str(
            " AND i.id IN (SELECT m.story_id FROM item_topics t JOIN items m ON m.id = t.item_id
                           WHERE t.topic IN (",
        );
        sql.push_str(&placeholders(args.len(), topics.len()));
        sql.push_str("))");
        args.extend(topics.iter().cloned());
    }
    sql.push_str(&format!(" ORDER BY published DESC, id DESC LIMIT {limit}"));
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut items: Vec<StoredItem> = stmt
        .query_map(params_from_iter(args.iter()), |r| {
            Ok(StoredItem {
                id: r.get(0)?,
                source: r.get(1)?,
                link: r.get(2)?,
                title: r.get(3)?,
                summary: r.get(4)?,
                content: r.get(5)?,
                author: r.get(6)?,
                image: r.get(7)?,
                published: r.get(8)?,
                updated: r.get(9)?,
                edited: r.get(10)?,
                key: r.get(11)?,
                topics: Vec::new(),
                also: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut topics_stmt = conn.prepare_cached(
        "SELECT DISTINCT t.topic FROM item_topics t JOIN items m ON m.id = t.item_id
         WHERE m.story_id = ?1 ORDER BY t.topic",
    )?;
    let mut refs_stmt = conn.prepare_cached(
        "SELECT DISTINCT r.source FROM item_refs r JOIN items m ON m.id = r.item_id
         WHERE m.story_id = ?1 AND r.source <> ?2 ORDER BY r.source",
    )?;
    for it in &mut items {
        it.topics = topics_stmt
            .query_map([it.id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        it.also = refs_stmt
            .query_map(params![it.id, it.source], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
    }
    Ok(items)
}

fn placeholders(start: usize, n: usize) -> String {
    (start + 1..=start + n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Deletes up to `limit` items older than `before` (by date and by first seen), in one short
/// transaction; returns how many. Callers repeat until fewer than `limit` go, so other writers
/// get their turn between batches. A story whose first item expires passes to its oldest
/// remaining item, so it stays one story.
pub fn prune(
    conn: &mut Connection,
    before: DateTime<Utc>,
    limit: usize,
) -> rusqlite::Result<usize> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let cutoff = before.timestamp();
    let expired: Vec<(i64, bool)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT id, story_id = id FROM items WHERE published < ?1 AND first_seen < ?1
             ORDER BY id LIMIT ?2",
        )?;
        stmt.query_map(params![cutoff, limit as i64], |r| {
            Ok((r.get(0)?, r.get::<_, Option<bool>>(1)?.unwrap_or(false)))
        })?
        .collect::<rusqlite::Result<_>>()?
    };
    for &(head, _) in expired.iter().filter(|(_, is_head)| *is_head) {
        let heir: Option<i64> = tx.query_row(
            "SELECT min(id) FROM items WHERE story_id = ?1 AND id <> ?1
               AND NOT (published < ?2 AND first_seen < ?2)",
            params![head, cutoff],
            |r| r.get(0),
        )?;
        if let Some(heir) = heir {
            tx.execute(
                "UPDATE items SET story_id = ?2 WHERE story_id = ?1",
                params![head, heir],
            )?;
        }
    }
    {
        let mut delete = tx.prepare_cached("DELETE FROM items WHERE id = ?1")?;
        for (id, _) in &expired {
            delete.execute([id])?;
        }
    }
    tx.commit()?;
    Ok(expired.len())
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

impl StoredItem {
    /// An id for readers that survives a rebuilt database: derived from the owning source and
    /// its own key for the item, never from a row number.
    pub fn stable_id(&self) -> String {
        use siphasher::sip128::Hasher128;
        use std::hash::Hasher;
        let mut h = siphasher::sip128::SipHasher13::new_with_keys(0x6775_6964, 0x7376_6f64_6b61);
        h.write(self.source.as_bytes());
        h.write_u8(0);
        h.write(self.key.as_bytes());
        let v = h.finish128();
        format!("tag:svodka,2026:{}/{:016x}{:016x}", self.source, v.h1, v.h2)
    }

    /// The date readers see as "updated": the source's last edit, else its publication.
    pub fn modified(&self) -> i64 {
        self.edited.unwrap_or(self.published).max(self.published)
    }
}
