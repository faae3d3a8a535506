//! Saving a fetch: each report in its row, its topics, its copy group and story, the source's
//! learned boilerplate and its new fetch state, in one transaction. Which report an incoming
//! one is, is core's decision ([`identity`]) over what the lookups here return; its story is
//! the story engine's.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use svodka_core::archive::StoreError;
use svodka_core::model::Counts;

use super::sources::write_fetch_state;
use super::stories;
use svodka_core::identity::{self, Ask, Asked, Identity, Lookup, Seen, Stored};
use svodka_core::model::FetchState;
use svodka_core::stories::{Decision, Engine, Report};
pub use svodka_core::writer::Incoming;

use crate::error::in_sql;
use crate::related::NewNames;

/// Saves one fetch in one transaction: the reports with their topics and stories, the
/// boilerplate learned, and the source's new fetch state (validators). If anything fails,
/// nothing is written, validators included, so the next cycle fetches the same items again
/// instead of getting a 304. The engine then no longer matches the database: the caller drops
/// it and rebuilds it from the window (see `Db::call_engine`).
pub fn save_fetch(
    conn: &mut Connection,
    engine: &mut Engine,
    source: &str,
    items: &[Incoming],
    boilerplate: Option<&svodka_core::stories::Boilerplate>,
    state: &FetchState,
    now: DateTime<Utc>,
) -> Result<Counts, StoreError> {
    in_sql(|| {
        // IMMEDIATE takes the write lock first: a deferred transaction that reads first fails at
        // once (SQLITE_BUSY_SNAPSHOT) when another process (`svodka fetch` beside the daemon)
        // committed in between, whatever the busy timeout.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut counts = Counts::default();
        let mut names = NewNames::default();
        let mut searched = Vec::new();
        for incoming in items {
            if let Some((id, new)) = save_item(
                &tx,
                engine,
                source,
                incoming,
                now.timestamp(),
                &mut counts,
                &mut names,
            )? {
                searched.push((id, new, incoming));
            }
        }
        if let Some(b) = boilerplate {
            stories::save_boilerplate(&tx, source, b, now.timestamp())?;
        }
        write_fetch_state(&tx, source, state, true)?;
        names.count(&tx)?;
        // The index's rows go last, with no other statement after them: a statement that opens
        // a savepoint makes FTS5 write its pending rows out as a segment of their own, and one
        // segment per fetch rather than per report is half of what indexing costs.
        searched.sort_by_key(|(id, _, _)| *id);
        for (id, new, incoming) in searched {
            super::search::write_terms(&tx, id, &incoming.terms(), new)?;
        }
        tx.commit()?;
        Ok(counts)
    })
}

/// Records a failed or unchanged fetch: only the source's state changes.
pub fn save_state(
    conn: &Connection,
    source: &str,
    state: &FetchState,
    success: bool,
) -> Result<(), StoreError> {
    in_sql(|| write_fetch_state(conn, source, state, success))
}

/// The stored report of this source under this key.
fn find(tx: &Transaction, source: &str, key: &str) -> rusqlite::Result<Option<Stored>> {
    tx.prepare_cached(
        "SELECT id, content_hash, title, coalesce(story_id, id) FROM items
         WHERE source = ?1 AND key = ?2",
    )?
    .query_row(params![source, key], |r| {
        Ok(Stored {
            id: r.get(0)?,
            hash: r.get(1)?,
            title: r.get(2)?,
            story: r.get(3)?,
        })
    })
    .optional()
}

/// What the store holds under an incoming report's key and link, as [`identity`] asks.
fn look_up(tx: &Transaction, source: &str, seen: &Seen) -> rusqlite::Result<Lookup> {
    let (mut lookup, mut asked) = (Lookup::default(), Asked::default());
    while let Some(ask) = lookup.next(seen, &mut asked) {
        match ask {
            Ask::Key(key) => lookup.by_key = find(tx, source, key)?,
            Ask::SharedLink(link) => lookup.by_link = find(tx, source, link)?,
            Ask::Elsewhere(link) => {
                lookup.elsewhere = tx
                    .prepare_cached(
                        "SELECT id FROM items WHERE link = ?1 AND source <> ?2 LIMIT 1",
                    )?
                    .query_row(params![link, source], |r| r.get(0))
                    .optional()?;
            }
        }
    }
    Ok(lookup)
}

/// Saves one report; `Some((id, new))` when its search terms are still to be indexed (see
/// `save_fetch`).
fn save_item(
    tx: &Transaction,
    engine: &mut Engine,
    source: &str,
    incoming: &Incoming,
    now: i64,
    counts: &mut Counts,
    names: &mut NewNames,
) -> rusqlite::Result<Option<(i64, bool)>> {
    let item = &incoming.item;
    let key = item.source_key();
    let hash = &incoming.hash;
    let seen = Seen::new(item, &key, hash);
    let lookup = look_up(tx, source, &seen)?;
    let published = item.published.timestamp();
    let decision = match identity::decide(&seen, &lookup) {
        Identity::Unchanged { .. } => {
            counts.unchanged += 1;
            return Ok(None);
        }
        Identity::Edited { id, story } => {
            update(tx, engine, id, story, source, incoming, hash, now, names)?;
            counts.updated += 1;
            return Ok(incoming.index.then_some((id, false)));
        }
        // `verify` reads its copy group and story.
        Identity::CopyOf { of } => Decision::Copy {
            of,
            copy: of,
            story: of,
        },
        Identity::New => engine.decide(&Report {
            source,
            published,
            fp: &incoming.fp,
        }),
    };
    let decision = verify(tx, decision)?;
    tx.prepare_cached(
        "INSERT INTO items (source, key, link, content_hash, title, summary, content, text, author,
                            image, published, first_seen, updated, fp)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?13)",
    )?
    .execute(params![
        source,
        key,
        item.link,
        hash,
        item.title,
        item.summary,
        item.content,
        item.text,
        item.author,
        item.image,
        published,
        now,
        incoming.fp.to_bytes(),
    ])?;
    let id = tx.last_insert_rowid();
    add_topics(tx, id, &incoming.topics)?;
    if !incoming.index {
        super::search::unindexed_report(tx, id, true)?;
    }
    names.add(tx, id, &incoming.entities)?;
    let (copy, story) = match identity::membership(id, decision) {
        (copy, Some(story)) => (copy, story),
        (copy, None) => (copy, stories::create(tx, id, source, &key, published, now)?),
    };
    tx.prepare_cached("UPDATE items SET copy_id = ?2, story_id = ?3 WHERE id = ?1")?
        .execute(params![id, copy, story])?;
    if decision.story().is_some() {
        stories::joined(tx, story, id, now)?;
        counts.merged += 1;
    } else {
        counts.new += 1;
    }
    engine.insert(id, source, published, now, story, copy, &incoming.fp);
    Ok(incoming.index.then_some((id, true)))
}

/// The engine's decision checked against the database, which is the authority on
/// memberships: the engine may still hold a report or a story that retention has since removed,
/// or a copy group renamed after its first report went.
fn verify(tx: &Transaction, decision: Decision) -> rusqlite::Result<Decision> {
    Ok(match decision {
        Decision::Copy { of, .. } => tx
            .prepare_cached(
                "SELECT coalesce(copy_id, id), coalesce(story_id, id) FROM items WHERE id = ?1",
            )?
            .query_row([of], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .map_or(Decision::New, |(copy, story)| Decision::Copy {
                of,
                copy,
                story,
            }),
        Decision::Story { story, .. } if !stories::exists(tx, story)? => Decision::New,
        d => d,
    })
}

/// The source edited its report (a corrected headline, a longer text): keep the first-seen
/// time and the original date unless the feed gave one, and decide its story again when
/// [`identity::decide_again`] says so.
#[allow(clippy::too_many_arguments)]
fn update(
    tx: &Transaction,
    engine: &mut Engine,
    id: i64,
    story: i64,
    source: &str,
    incoming: &Incoming,
    hash: &str,
    now: i64,
    names: &mut NewNames,
) -> rusqlite::Result<()> {
    let item = &incoming.item;
    tx.prepare_cached(
        "UPDATE items SET link = coalesce(?2, link), content_hash = ?3, title = ?4, summary = ?5,
            content = ?6, text = ?7, author = ?8, image = ?9,
            published = CASE WHEN ?11 THEN published ELSE ?10 END, updated = ?12, fp = ?13
         WHERE id = ?1",
    )?
    .execute(params![
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
        now,
        incoming.fp.to_bytes(),
    ])?;
    replace_topics(tx, id, &incoming.topics)?;
    if !incoming.index {
        super::search::unindexed_report(tx, id, false)?;
    }
    names.replace(tx, id, &incoming.entities)?;
    let published: i64 = tx.query_row("SELECT published FROM items WHERE id = ?1", [id], |r| {
        r.get(0)
    })?;
    let alone: bool = tx.query_row(
        "SELECT count(*) = 1 FROM items WHERE story_id = ?1",
        [story],
        |r| r.get(0),
    )?;
    engine.remove(id);
    let (mut copy, mut new_story) = (id, story);
    if identity::decide_again(alone) {
        let decision = verify(
            tx,
            engine.decide(&Report {
                source,
                published,
                fp: &incoming.fp,
            }),
        )?;
        if let Some((s, c)) = identity::regroup(id, story, decision) {
            (new_story, copy) = (s, c);
            tx.execute(
                "UPDATE items SET story_id = ?2, copy_id = ?3 WHERE id = ?1",
                params![id, new_story, copy],
            )?;
            stories::relead(tx, story)?;
            stories::joined(tx, new_story, id, now)?;
        }
    } else {
        copy = tx.query_row(
            "SELECT coalesce(copy_id, id) FROM items WHERE id = ?1",
            [id],
            |r| r.get(0),
        )?;
    }
    tx.execute(
        "UPDATE stories SET updated = ?2 WHERE id = ?1",
        params![new_story, now],
    )?;
    engine.insert(id, source, published, now, new_story, copy, &incoming.fp);
    Ok(())
}

/// Replaces a report's topics.
pub fn set_topics(conn: &Connection, id: i64, topics: &[String]) -> Result<(), StoreError> {
    in_sql(|| replace_topics(conn, id, topics))
}

pub(crate) fn replace_topics(
    conn: &Connection,
    id: i64,
    topics: &[String],
) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM item_topics WHERE item_id = ?1")?
        .execute([id])?;
    add_topics(conn, id, topics)
}

/// Adds topics to a report (a new one has none to replace).
fn add_topics(conn: &Connection, id: i64, topics: &[String]) -> rusqlite::Result<()> {
    let mut insert =
        conn.prepare_cached("INSERT OR IGNORE INTO item_topics (item_id, topic) VALUES (?1, ?2)")?;
    for t in topics {
        insert.execute(params![id, t])?;
    }
    Ok(())
}
