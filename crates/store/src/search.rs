//! The full-text index: an FTS5 table of each report's lemmas (`search`, rowid = the report's
//! id), written with the report, dropped with it by a trigger, and built for the reports stored
//! before it existed in batches (`search_backfill`).

use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use svodka_core::archive::{Find, Hit, StoreError};

use crate::error::sql;
use svodka_core::search::Terms;

/// Sets up a connection that searches: the index's pages and the reports' dates are read
/// through a memory map, not copied from the OS's page cache one by one (a broad query reads
/// tens of thousands of pages).
pub fn searching(conn: &Connection) -> Result<(), StoreError> {
    map_searched(conn).map_err(sql)
}

pub(crate) fn map_searched(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "mmap_size", 1i64 << 31)
}

/// `write_terms` for callers outside the store (a bench building a database by hand).
pub fn index(conn: &Connection, id: i64, terms: &Terms, new: bool) -> Result<(), StoreError> {
    write_terms(conn, id, terms, new).map_err(sql)
}

/// Indexes a report: a `new` one (never indexed), or one indexed before (edited), whose old
/// terms go first. Within a transaction, write a batch's rows in rowid order and after its
/// other statements: FTS5 writes its pending rows out as a segment of their own before any
/// statement that opens a savepoint, and before a rowid lower than the last it took.
pub(crate) fn write_terms(
    conn: &Connection,
    id: i64,
    terms: &Terms,
    new: bool,
) -> rusqlite::Result<()> {
    if !new {
        conn.prepare_cached("DELETE FROM search WHERE rowid = ?1")?
            .execute([id])?;
    }
    conn.prepare_cached("INSERT INTO search (rowid, title, body, more) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![id, terms.title, terms.body, terms.more])?;
    Ok(())
}

/// A report stored with the index off (`[search] index = false`): the backfill's range is
/// widened to reach it, so turning the index on later finds it too. An edited (not `new`)
/// report's old terms go, as they no longer say what it holds.
pub(crate) fn unindexed_report(conn: &Connection, id: i64, new: bool) -> rusqlite::Result<()> {
    if !new {
        conn.prepare_cached("DELETE FROM search WHERE rowid = ?1")?
            .execute([id])?;
    }
    conn.prepare_cached("UPDATE search_backfill SET upto = max(upto, ?1)")?
        .execute([id])?;
    Ok(())
}

/// A report stored before the index, to be indexed: (id, source, content hash, title, text).
pub type Unindexed = (i64, String, String, String, String);

/// The next reports the backfill has not reached, oldest first, and how far it still has to
/// go (the last id it must reach, the last it reached).
pub(crate) fn unindexed(
    conn: &Connection,
    limit: usize,
) -> rusqlite::Result<(Vec<Unindexed>, i64, i64)> {
    let Some((done, upto)) = backfill_state(conn)? else {
        return Ok((Vec::new(), 0, 0));
    };
    let rows = conn
        .prepare_cached(
            "SELECT id, source, content_hash, title, text FROM items
             WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3",
        )?
        .query_map(params![done, upto, limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok((rows, upto, done))
}

/// (last id indexed by the backfill, last id it must reach), `None` when it is finished.
pub(crate) fn backfill_state(conn: &Connection) -> rusqlite::Result<Option<(i64, i64)>> {
    conn.prepare_cached("SELECT done, upto FROM search_backfill WHERE done < upto")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}

/// Writes one batch of the backfill in one short transaction: each report that is still as it
/// was read (an edit in between indexed itself), then how far the backfill got.
pub(crate) fn backfilled(
    conn: &mut Connection,
    batch: &[(i64, String, Terms)],
    reached: i64,
) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    for (id, hash, terms) in batch {
        let same: bool = tx
            .prepare_cached("SELECT count(*) FROM items WHERE id = ?1 AND content_hash = ?2")?
            .query_row(params![id, hash], |r| r.get(0))?;
        if same {
            // Not `new`: an edit may have indexed it since the index was turned on again.
            write_terms(&tx, *id, terms, false)?;
        }
    }
    tx.execute("UPDATE search_backfill SET done = max(done, ?1)", [reached])?;
    tx.commit()
}

/// The title column counts four times the text, the other readings half; a week-old report's
/// score is ~1.5× weaker than today's at the same relevance, a three-month-old one ~2×.
const RANK: &str =
    "bm25(search, 4.0, 1.0, 0.5) * (1.0 + 7.0 / (7.0 + max(0, ?1 - i.published) / 86400.0))";

/// How many times the cap an unfiltered search reads by relevance alone before the recency
/// boost reorders them: a report outside them would need its relevance several times lower
/// than theirs to be boosted past them.
const RELEVANT_FIRST: usize = 4;

/// The reports that match, best first (or newest first), at most `cap`, within `limit` of
/// time: past it SQLite's progress handler interrupts the query.
pub fn find(conn: &Connection, f: &Find, limit: Duration) -> Result<Vec<Hit>, StoreError> {
    let unfiltered =
        f.sources.is_none() && f.topics.is_empty() && f.since.is_none() && f.until.is_none();
    let mut sql = if unfiltered && !f.by_date {
        // Without filters, the best by relevance alone are found in the index before any
        // report is read (a broad query matches a tenth of the archive: reading each report's
        // date for its boost was most of its time); the recency boost then orders those.
        format!(
            "SELECT i.id, coalesce(i.story_id, i.id), i.published,
                    r.rank * (1.0 + 7.0 / (7.0 + max(0, ?1 - i.published) / 86400.0)) AS score
             FROM (SELECT rowid, bm25(search, 4.0, 1.0, 0.5) AS rank FROM search
                   WHERE search MATCH ?2 ORDER BY rank LIMIT {}) r
             JOIN items i ON i.id = r.rowid WHERE 1",
            f.cap * RELEVANT_FIRST
        )
    } else {
        format!(
            "SELECT i.id, coalesce(i.story_id, i.id), i.published, {RANK} AS score
             FROM search JOIN items i ON i.id = search.rowid
             WHERE search MATCH ?2"
        )
    };
    let mut args: Vec<rusqlite::types::Value> = vec![f.now.into(), f.fts.to_string().into()];
    push_filters(&mut sql, &mut args, f);
    sql.push_str(if f.by_date {
        " ORDER BY i.published DESC, i.id DESC"
    } else {
        " ORDER BY score, i.id DESC"
    });
    sql.push_str(&format!(" LIMIT {}", f.cap));
    let deadline = Instant::now() + limit;
    conn.progress_handler(10_000, Some(move || Instant::now() >= deadline))
        .map_err(StoreError::backend)?;
    let result = (|| {
        let mut stmt = conn.prepare_cached(&sql)?;
        stmt.query_map(params_from_iter(args.iter()), |r| {
            Ok(Hit {
                id: r.get(0)?,
                story: r.get(1)?,
                published: r.get(2)?,
                score: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<Hit>>>()
    })();
    conn.progress_handler(0, None::<fn() -> bool>)
        .map_err(StoreError::backend)?;
    result.map_err(|e| match e {
        rusqlite::Error::SqliteFailure(err, _)
            if err.code == rusqlite::ErrorCode::OperationInterrupted =>
        {
            StoreError::TooSlow
        }
        e => StoreError::backend(e),
    })
}

/// Adds `f`'s sources, topics and dates to a query over `items i`, as numbered parameters after
/// those already in `args`.
fn push_filters(sql: &mut String, args: &mut Vec<rusqlite::types::Value>, f: &Find) {
    if let Some(sources) = f.sources {
        sql.push_str(&format!(
            " AND i.source IN ({})",
            marks(args.len(), sources.len())
        ));
        args.extend(sources.iter().map(|s| s.clone().into()));
    }
    if !f.topics.is_empty() {
        sql.push_str(&format!(
            " AND i.id IN (SELECT item_id FROM item_topics WHERE topic IN ({}))",
            marks(args.len(), f.topics.len())
        ));
        args.extend(f.topics.iter().map(|s| s.clone().into()));
    }
    if let Some(since) = f.since {
        args.push(since.into());
        sql.push_str(&format!(" AND i.published >= ?{}", args.len()));
    }
    if let Some(until) = f.until {
        args.push(until.into());
        sql.push_str(&format!(" AND i.published < ?{}", args.len()));
    }
}

/// Whether a report of `story` matches `f` (its expression, sources, topics and dates): an
/// alert's search, asked of one new story. The index is asked per report (`rowid =`), so a
/// common word costs no more than a rare one.
pub(crate) fn story_matches(conn: &Connection, f: &Find, story: i64) -> rusqlite::Result<bool> {
    let mut sql = String::from(
        "SELECT count(*) FROM items i WHERE coalesce(i.story_id, i.id) = ?1
           AND EXISTS (SELECT 1 FROM search WHERE search MATCH ?2 AND search.rowid = i.id)",
    );
    let mut args: Vec<rusqlite::types::Value> = vec![story.into(), f.fts.to_string().into()];
    push_filters(&mut sql, &mut args, f);
    let n: i64 = conn
        .prepare_cached(&sql)?
        .query_row(params_from_iter(args.iter()), |r| r.get(0))?;
    Ok(n > 0)
}

/// A report's title and text (for its snippet).
pub(crate) fn report_text(
    conn: &Connection,
    id: i64,
) -> rusqlite::Result<Option<(String, String)>> {
    conn.prepare_cached("SELECT title, text FROM items WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}

fn marks(start: usize, n: usize) -> String {
    (start + 1..=start + n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Indexes the reports stored before the index existed, `batch` at a time: reads a batch, takes
/// its terms (its source's boilerplate removed, as for a new report), writes them in one short
/// transaction. Returns (indexed now, ids left to go).
pub fn backfill_step(conn: &mut Connection, batch: usize) -> Result<(usize, i64), StoreError> {
    crate::error::in_sql(|| backfill_batch(conn, batch))
}

fn backfill_batch(conn: &mut Connection, batch: usize) -> rusqlite::Result<(usize, i64)> {
    let (rows, upto, _) = unindexed(conn, batch)?;
    let Some(last) = rows.last().map(|r| r.0) else {
        // Nothing left below `upto`: the backfill is finished.
        if upto > 0 {
            backfilled(conn, &[], upto)?;
        }
        return Ok((0, 0));
    };
    let lem = svodka_core::search::Lemmatizer::new();
    let mut boilerplate: std::collections::HashMap<String, svodka_core::stories::Boilerplate> =
        std::collections::HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for (id, source, hash, title, text) in rows {
        if !boilerplate.contains_key(&source) {
            let b = crate::stories::boilerplate(conn, &source)?;
            boilerplate.insert(source.clone(), b);
        }
        let body = boilerplate
            .get(&source)
            .map_or_else(|| text.clone(), |b| b.strip(&text));
        out.push((id, hash, lem.terms(&title, &body)));
    }
    let n = out.len();
    let reached = if n < batch { upto } else { last };
    backfilled(conn, &out, reached)?;
    Ok((n, upto - reached))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate as store;
    use svodka_core::search::{Lemmatizer, RESULT_CAP};

    fn item(n: usize, title: &str, text: &str) -> svodka_core::model::Item {
        crate::testing::item(
            &format!("g{n}"),
            &format!("https://a.test/{n}"),
            title,
            text,
        )
    }

    fn found(db: &store::Db, fts: &str) -> Vec<i64> {
        let f = Find {
            fts,
            cap: 100,
            now: chrono::Utc::now().timestamp(),
            ..Find::default()
        };
        let mut ids: Vec<i64> = db
            .with(|c| find(c, &f, Duration::from_secs(10)))
            .unwrap()
            .iter()
            .map(|h| h.id)
            .collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn a_fetch_is_indexed_as_one_segment_and_an_edit_replaces_the_old_terms() {
        let dir = tempfile::tempdir().unwrap();
        let db = store::Db::open(&dir.path().join("s.db")).unwrap();
        let towns = ["Липецке", "Ельце", "Воронеже", "Тамбове", "Курске", "Орле"];
        let fetch = |items: Vec<svodka_core::model::Item>| {
            let incoming: Vec<store::Incoming> = items
                .into_iter()
                .map(|i| store::Incoming::new(i, vec![]))
                .collect();
            let state = svodka_core::model::FetchState::default();
            db.with_engine(|c, e| {
                store::save_fetch(c, e, "a", &incoming, None, &state, chrono::Utc::now())
            })
            .unwrap()
        };
        let first: Vec<_> = towns
            .iter()
            .enumerate()
            .map(|(n, t)| {
                item(
                    n,
                    &format!("Пожар в {t}"),
                    &format!("В {t} горел склад номер {n}."),
                )
            })
            .collect();
        assert_eq!(fetch(first).new, 6);
        // FTS5 numbers each segment it writes (its origin): the fetch's reports share one.
        let origins: i64 = db
            .with(|c| {
                c.query_row(
                    "SELECT count(DISTINCT origin) FROM search_docsize",
                    [],
                    |r| r.get(0),
                )
            })
            .unwrap();
        assert_eq!(origins, 1, "one segment for the whole fetch");
        assert_eq!(found(&db, "(\"склад\")").len(), 6);
        // The next fetch edits the first report and brings a new one.
        let counts = fetch(vec![
            item(0, "Наводнение в Липецке", "В Липецке затопило подвал."),
            item(9, "Пожар в Брянске", "В Брянске горел склад."),
        ]);
        assert_eq!((counts.new, counts.updated), (1, 1));
        assert_eq!(found(&db, "(\"склад\")").len(), 6);
        assert_eq!(found(&db, "(\"подвал\")").len(), 1);
        assert_eq!(found(&db, "(\"брянск\")").len(), 1);
        assert!(found(&db, "(\"пожар\" AND \"липецк\")").is_empty());
    }

    /// The segments FTS5 holds: its `%_data` rows past the averages and structure records are
    /// keyed by segment id << 37 (tombstone pages' ids are 65,536 higher).
    fn segments(db: &store::Db) -> i64 {
        db.with(|c| {
            c.query_row(
                "SELECT count(DISTINCT id >> 37) FROM search_data WHERE (id >> 37) BETWEEN 1 AND 65535",
                [],
                |r| r.get(0),
            )
        })
        .unwrap()
    }

    #[test]
    fn fetches_segments_wait_for_sixteen_before_a_merge_rewrites_them() {
        let dir = tempfile::tempdir().unwrap();
        let db = store::Db::open(&dir.path().join("s.db")).unwrap();
        let state = svodka_core::model::FetchState::default();
        for n in 0..10 {
            let incoming: Vec<store::Incoming> = (0..50)
                .map(|i| {
                    // A hundred words of its own: each fetch's segment spans several pages,
                    // and FTS5 merges only once some 64 pages have been written.
                    let words: Vec<String> =
                        (0..100).map(|k| format!("склад{n}ч{i}ч{k}")).collect();
                    let text = format!("Горел склад. {}", words.join(" "));
                    store::Incoming::new(item(n * 50 + i, &format!("Пожар {n} {i}"), &text), vec![])
                })
                .collect();
            db.with_engine(|c, e| {
                store::save_fetch(c, e, "a", &incoming, None, &state, chrono::Utc::now())
            })
            .unwrap();
        }
        // With FTS5's default fan-in of four, these ten would have been merged into two.
        assert_eq!(segments(&db), 10);
        assert_eq!(found(&db, "(\"склад\")").len(), 100);
    }

    #[test]
    fn a_search_past_its_time_is_interrupted_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let conn = store::open(&dir.path().join("svodka.db")).unwrap();
        let lem = Lemmatizer::new();
        for i in 0..2_000 {
            let t = lem.terms("Пожар на складе", &format!("Горел склад номер {i}."));
            conn.execute(
                "INSERT INTO items (id, source, key, content_hash, title, text, published,
                                    first_seen, updated) VALUES (?1, 'a', ?1, '', '', '', 0, 0, 0)",
                [i],
            )
            .unwrap();
            store::search::index(&conn, i, &t, true).unwrap();
        }
        let f = Find {
            fts: "(\"склад\")",
            cap: RESULT_CAP,
            ..Find::default()
        };
        let all = find(&conn, &f, Duration::from_secs(10)).unwrap();
        assert_eq!(all.len(), RESULT_CAP, "the result cap");
        assert!(matches!(
            find(&conn, &f, Duration::ZERO),
            Err(StoreError::TooSlow)
        ));
        // The handler is gone after the search: the next query on the connection runs.
        let n: i64 = conn
            .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2_000);
    }
}
