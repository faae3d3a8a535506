//! Saving a fetch: each report in its row, its topics, its copy group and story (decided by the
//! story engine), the source's learned boilerplate and its new fetch state, in one transaction.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use svodka_core::model::Counts;

use super::sources::write_fetch_state;
use super::stories;
use svodka_core::dedup::content_hash;
use svodka_core::model::FetchState;
use svodka_core::model::Item;
use svodka_core::stories::{Boilerplate, Decision, Engine, Fingerprint, Report};

/// One report ready to store: the normalized item, its topics, and its fingerprint (taken
/// from its text with the source's boilerplate removed).
#[derive(Debug, Clone)]
pub struct Incoming {
    pub item: Item,
    pub topics: Vec<String>,
    pub fp: Fingerprint,
    /// The content hash of its title and text (see [`content_hash`]), taken where it is parsed
    /// and not on the writer's thread.
    pub hash: String,
    /// Its search terms (its title and text without boilerplate, lemmatised), taken where it
    /// is parsed; `None`: taken from the whole text when it is saved.
    pub terms: Option<svodka_core::search::Terms>,
    /// Whether it is indexed for search (`[search] index`; tests and tools: yes).
    pub index: bool,
    /// The names of its title and lead, for the storyline (see [`svodka_core::storyline::entities`]).
    pub entities: Vec<svodka_core::storyline::Entity>,
}

impl Incoming {
    /// A report with no boilerplate learned for its source (tests, tools).
    pub fn new(item: Item, topics: Vec<String>) -> Incoming {
        let fp = Fingerprint::of(&item.title, &item.text, &svodka_core::text::Stems::new());
        Incoming::with_fingerprint(item, topics, fp)
    }

    /// A report with its fingerprint taken.
    pub fn with_fingerprint(item: Item, topics: Vec<String>, fp: Fingerprint) -> Incoming {
        let hash = content_hash(&item.title, &item.text);
        Incoming {
            item,
            topics,
            fp,
            hash,
            entities: Vec::new(),
            terms: None,
            index: true,
        }
    }

    /// Its search terms, as taken or now.
    fn terms(&self) -> std::borrow::Cow<'_, svodka_core::search::Terms> {
        match &self.terms {
            Some(t) => std::borrow::Cow::Borrowed(t),
            None => std::borrow::Cow::Owned(
                svodka_core::search::Lemmatizer::new().terms(&self.item.title, &self.item.text),
            ),
        }
    }
}

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
    boilerplate: Option<&Boilerplate>,
    state: &FetchState,
    now: DateTime<Utc>,
) -> rusqlite::Result<Counts> {
    // IMMEDIATE takes the write lock first: a deferred transaction that reads first fails at
    // once (SQLITE_BUSY_SNAPSHOT) when another process (`svodka fetch` beside the daemon)
    // committed in between, whatever the busy timeout.
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut counts = Counts::default();
    for incoming in items {
        save_item(&tx, engine, source, incoming, now.timestamp(), &mut counts)?;
    }
    if let Some(b) = boilerplate {
        stories::save_boilerplate(&tx, source, b, now.timestamp())?;
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

/// The stored report of this source under this key: (id, content hash, title, story).
fn find(
    tx: &Transaction,
    source: &str,
    key: &str,
) -> rusqlite::Result<Option<(i64, String, String, i64)>> {
    tx.prepare_cached(
        "SELECT id, content_hash, title, coalesce(story_id, id) FROM items
         WHERE source = ?1 AND key = ?2",
    )?
    .query_row(params![source, key], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })
    .optional()
}

fn save_item(
    tx: &Transaction,
    engine: &mut Engine,
    source: &str,
    incoming: &Incoming,
    now: i64,
    counts: &mut Counts,
) -> rusqlite::Result<()> {
    let item = &incoming.item;
    let key = item.source_key();
    let hash = &incoming.hash;
    let mut found = find(tx, source, &key)?;
    if found.is_none()
        && item.link_shared
        && let Some(link) = &item.link
    {
        // A link this feed now lists for several items was one item's own before (a live
        // blog that keeps its link): the stored item under that link is the one with the same
        // title.
        found = find(tx, source, link)?.filter(|(_, _, title, _)| *title == item.title);
    }
    if let Some((id, stored_hash, stored_title, story)) = found {
        if stored_hash == *hash && stored_title == item.title {
            counts.unchanged += 1;
            return Ok(());
        }
        update(tx, engine, id, story, source, incoming, hash, now)?;
        counts.updated += 1;
        return Ok(());
    }
    let published = item.published.timestamp();
    // The same canonical link from another agency is the same report carried twice.
    let by_link: Option<i64> = match &item.link {
        Some(l) => tx
            .prepare_cached("SELECT id FROM items WHERE link = ?1 AND source <> ?2 LIMIT 1")?
            .query_row(params![l, source], |r| r.get(0))
            .optional()?,
        None => None,
    };
    let decision = match by_link {
        // `verify` reads its copy group and story.
        Some(of) => Decision::Copy {
            of,
            copy: of,
            story: of,
        },
        None => engine.decide(&Report {
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
    if incoming.index {
        super::search::index(tx, id, &incoming.terms())?;
    } else {
        super::search::unindexed_report(tx, id)?;
    }
    super::related::add_entities(tx, id, &incoming.entities)?;
    let (copy, story) = match decision {
        Decision::Copy { copy, story, .. } => (copy, story),
        Decision::Story { story, .. } => (id, story),
        Decision::New => (id, stories::create(tx, id, source, &key, published, now)?),
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
    Ok(())
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
/// time and the original date unless the feed gave one. A report alone in its story (a
/// one-line «молния» expanded later) may now join another story.
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
    set_topics(tx, id, &incoming.topics)?;
    if incoming.index {
        super::search::index(tx, id, &incoming.terms())?;
    } else {
        super::search::unindexed_report(tx, id)?;
    }
    super::related::set_entities(tx, id, &incoming.entities)?;
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
    if alone {
        let decision = verify(
            tx,
            engine.decide(&Report {
                source,
                published,
                fp: &incoming.fp,
            }),
        )?;
        if let Some(s) = decision.story().filter(|s| *s != story) {
            if let Decision::Copy { copy: c, .. } = decision {
                copy = c;
            }
            new_story = s;
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
pub fn set_topics(conn: &Connection, id: i64, topics: &[String]) -> rusqlite::Result<()> {
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
