//! The only place that knows SQL: the SQLite handle, the schema and its migrations, and the
//! queries by concern: `save` (a fetch's reports, their copy groups and stories), `entries`
//! (what feeds and pages publish), `stories` (story rows, boilerplate, rebuilding the engine),
//! `related` (each report's names, the stories of one affair), `retention`, `items` (counts and
//! rows for retag and trending), `sources` (fetch state), `search` (the full-text index).
//!
//! Functions take `&Connection` and are synchronous, and their errors are the core's
//! `StoreError` (see [`sql`]), so no caller names rusqlite; the async side goes through `Db`,
//! which owns one connection behind a mutex and runs work on tokio's blocking pool.

mod alerts;
mod archive;
pub mod background;
mod db;
mod digests;
mod entries;
mod error;
mod items;
mod related;
mod retention;
mod save;
mod schema;
pub mod search;
#[cfg(test)]
mod search_labelled;
mod sources;
mod stories;

pub use alerts::{alert_cursor, alert_events, claim_alert, set_alert_cursor, stories_after};
pub use archive::Sqlite;
pub use db::Db;
pub use digests::{
    Unsent, edition, edition_at, editions, insert_edition, last_edition, mark_failed, mark_sent,
    unsent, watch_since,
};
pub use entries::{biggest_stories, biggest_stories_in, select_items, story, story_entries};
pub use error::sql;
pub use items::{
    RetagRow, Retagged, headlines_between, headlines_since, item_count, items_for_retag,
    save_retagged, topic_story_counts, topic_story_counts_between,
};
pub use related::{RELATED_DAYS, RELATED_LISTED, related, related_many, set_entities};
pub use retention::prune;
pub use save::{Incoming, save_fetch, save_state, set_topics};
pub use schema::{NewerSchema, data_version};
pub use stories::{load_boilerplate, load_engine, public_id};

use std::path::Path;

use anyhow::{Context, Result};
use rusqlite::Connection;

/// WAL pages after which the writer checkpoints itself (see [`open`]): 64 MiB of 4 KiB pages.
const WRITER_AUTOCHECKPOINT: i64 = 16_384;

/// The story window until the config says otherwise (`[stories] window_hours`).
pub const DEFAULT_WINDOW: i64 = svodka_core::config::DEFAULT_WINDOW_HOURS as i64 * 3600;
/// What the story engine may hold until the config says otherwise (`[stories] memory_mb`).
pub const DEFAULT_BUDGET: usize = (svodka_core::config::DEFAULT_MEMORY_MB as usize) << 20;

pub use sources::{gauges, load_fetch_state, load_fetch_states, source_health, sync_sources};

/// Opens (creating if needed) the database and brings its schema up to date.
pub fn open(path: &Path) -> Result<Sqlite> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the database folder {}", dir.display()))?;
    }
    let mut conn = Connection::open(path)
        .with_context(|| format!("cannot open the database {}", path.display()))?;
    // Before anything is written: a newer svodka's database is left exactly as it was, so
    // rolling the binary back is loud, and rolling it forward again still works.
    schema::refuse_newer(&conn)
        .with_context(|| format!("cannot open the database {}", path.display()))?;
    // WAL lets the server's reader read while a fetch writes; NORMAL is durable across a kill
    // (only a power loss can drop the last commits) and syncs at checkpoints, not per commit.
    conn.pragma_update(None, "journal_mode", "WAL")
        .and_then(|_| conn.pragma_update(None, "synchronous", "NORMAL"))
        .and_then(|_| conn.pragma_update(None, "foreign_keys", "ON"))
        // 8 MiB of page cache: the indexes of `items` are written at random keys (source and
        // key, link), and a cache that holds their hot pages saves reads per new report; the
        // file's other pages come from the OS's page cache, a copy and not a disk read.
        .and_then(|_| conn.pragma_update(None, "cache_size", -8_192))
        .and_then(|_| conn.busy_timeout(std::time::Duration::from_secs(10)))
        .with_context(|| format!("cannot set up the database {}", path.display()))?;
    // A connection checkpoints the WAL into the database after its commits once the WAL holds
    // this many pages (SQLite's default is 1,000). `Db` checkpoints from another thread at
    // `CHECKPOINT_BYTES`, so that copying pages and syncing the file are not the writer's
    // time; this is the writer's own backstop should that fall behind.
    conn.pragma_update(None, "wal_autocheckpoint", WRITER_AUTOCHECKPOINT)
        .with_context(|| format!("cannot set up the database {}", path.display()))?;
    // Saving a report runs about twenty distinct statements; rusqlite keeps sixteen prepared
    // by default, and a statement pushed out is compiled again for every report.
    conn.set_prepared_statement_cache_capacity(64);
    schema::migrate(&mut conn)
        .with_context(|| format!("cannot migrate the database {}", path.display()))?;
    Ok(Sqlite::new(conn))
}

/// What `svodka check` found in an existing database file.
#[derive(Debug, PartialEq, Eq)]
pub enum FileCheck {
    /// `PRAGMA quick_check` said ok.
    Ok,
    /// The header and schema read fine, but the whole check did not finish within its time.
    Unfinished,
}

/// Checks an existing database file the way `run` would find it, without writing to it: opened
/// read-only, a schema this build knows, then `PRAGMA quick_check` (every page and index, not
/// their contents), stopped after `budget` so a start on a large database is not held up.
pub fn check_file(path: &Path, budget: std::time::Duration) -> Result<FileCheck> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("cannot open the database {}", path.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    schema::refuse_newer(&conn)
        .with_context(|| format!("cannot read the database {}", path.display()))?;
    // A watchdog thread interrupts the check once the budget is spent; it is told when the
    // check ends first.
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let interrupt = conn.get_interrupt_handle();
    let watchman = std::thread::spawn(move || {
        if finished.recv_timeout(budget).is_err() {
            interrupt.interrupt();
        }
    });
    let verdict: rusqlite::Result<Vec<String>> = conn
        .prepare("PRAGMA quick_check")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect());
    let _ = done.send(());
    let _ = watchman.join();
    match verdict {
        Ok(lines) if lines.len() == 1 && lines[0] == "ok" => Ok(FileCheck::Ok),
        Ok(lines) => Err(anyhow::anyhow!(
            "the database {} is damaged: {}",
            path.display(),
            lines.into_iter().take(3).collect::<Vec<_>>().join("; ")
        )),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::OperationInterrupted =>
        {
            Ok(FileCheck::Unfinished)
        }
        Err(e) => {
            Err(anyhow::Error::new(e)
                .context(format!("the database {} is damaged", path.display())))
        }
    }
}

/// What the store's tests build their reports from.
#[cfg(test)]
pub(crate) mod testing {
    /// A report published now, with no summary, content or image.
    pub(crate) fn item(
        guid: &str,
        link: &str,
        title: &str,
        text: &str,
    ) -> svodka_core::model::Item {
        svodka_core::model::Item {
            guid: Some(guid.into()),
            link: Some(link.into()),
            title: title.into(),
            summary: None,
            content: None,
            text: text.into(),
            author: None,
            image: None,
            published: chrono::Utc::now(),
            date_from_first_seen: false,
            link_shared: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use db::wal_path;
    use svodka_core::model::FetchState;

    #[test]
    fn checking_a_large_database_stops_at_its_budget() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.db");
        let c = Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE t (x TEXT); CREATE INDEX t_x ON t(x);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
             INSERT INTO t SELECT printf('%08d-%s', i, hex(randomblob(16))) FROM n;",
        )
        .unwrap();
        drop(c);
        let budget = std::time::Duration::from_millis(1);
        assert_eq!(check_file(&path, budget).unwrap(), FileCheck::Unfinished);
        let budget = std::time::Duration::from_secs(120);
        assert_eq!(check_file(&path, budget).unwrap(), FileCheck::Ok);
    }

    use crate::testing::item;

    const TEXT: &str = "Отопительный сезон в Воронеже начнётся 5 октября: соответствующее постановление \
        подписал глава города. В первую очередь тепло подадут в детские сады, школы и больницы, затем \
        в жилые дома. Управляющие компании должны завершить промывку систем до конца сентября.";

    #[test]
    fn upgrading_a_first_version_database_keeps_every_report_and_rebuilds_stories() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.db");
        let now = chrono::Utc::now().timestamp();
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(schema::MIGRATIONS[0]).unwrap();
            c.pragma_update(None, "user_version", 1).unwrap();
            c.execute(
                "INSERT INTO items (id, source, link, content_hash, title, text, published, first_seen, updated)
                 VALUES (7, 'a', 'https://a.test/7', 'h', 'Отопление дадут 5 октября', ?1, ?2, ?2, ?2)",
                rusqlite::params![TEXT, now],
            )
            .unwrap();
            // Version 1 kept agency c's copy of the item as a reference only.
            c.execute_batch(
                "INSERT INTO item_refs (source, key, item_id, link, first_seen)
                   VALUES ('a', 'guid-7', 7, 'https://a.test/7', 0),
                          ('c', 'https://c.test/teplo', 7, 'https://c.test/teplo', 0);
                 INSERT INTO item_topics VALUES (7, 'heat');",
            )
            .unwrap();
        }
        let db = Db::open(&path).unwrap();
        let rows: Vec<(String, String, Option<String>, i64)> = db.with(|c| {
            c.prepare("SELECT source, key, link, story_id FROM items ORDER BY source")
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        });
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!((rows[0].0.as_str(), rows[0].1.as_str()), ("a", "guid-7"));
        assert_eq!(rows[1].2.as_deref(), Some("https://c.test/teplo"));
        assert_eq!(rows[0].3, rows[1].3, "one story");
        // The story keeps the GUID its feed entry had (agency a's own key).
        let entries = db
            .with(|c| select_items(c, Default::default(), None, &[], 10))
            .unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].guid, public_id("a", "guid-7"));
        assert_eq!(entries[0].also(), ["c"]);
        assert_eq!(entries[0].topics, ["heat"]);
        // The engine is rebuilt from the window: a near copy from a third agency joins.
        let copy = item(
            "b1",
            "https://b.test/1",
            "Тепло дадут пятого октября",
            &TEXT.replace("5 октября", "пятого октября"),
        );
        let fp = svodka_core::stories::Fingerprint::of(
            &copy.title,
            &copy.text,
            &svodka_core::text::Stems::new(),
        );
        let incoming = Incoming::with_fingerprint(copy, vec![], fp);
        let counts = db
            .with_engine(|c, e| {
                save_fetch(
                    c,
                    e,
                    "b",
                    &[incoming],
                    None,
                    &FetchState::default(),
                    chrono::Utc::now(),
                )
            })
            .unwrap();
        assert_eq!(counts.merged, 1);
        let entries = db
            .with(|c| select_items(c, Default::default(), None, &[], 10))
            .unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].also(), ["c", "b"]);
    }

    #[test]
    fn a_second_version_database_keeps_its_stories_their_guids_and_every_report() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v2.db");
        let now = chrono::Utc::now().timestamp();
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(schema::MIGRATIONS[0]).unwrap();
            c.execute_batch(schema::MIGRATIONS[1]).unwrap();
            c.pragma_update(None, "user_version", 2).unwrap();
            // Version 2: agency b's near copy joined a's story (story_id = a's item); agency c's
            // word-for-word copy was only a reference; d's item is a story of its own.
            c.execute_batch(&format!(
                "INSERT INTO items (id, source, link, content_hash, title, text, published, first_seen, updated, story_id)
                   VALUES (1, 'a', 'https://a.test/1', 'h1', 'Отопление дадут 5 октября', 'текст', {now}, {now}, {now}, 1),
                          (2, 'b', 'https://b.test/9', 'h2', 'Тепло придёт пятого', 'текст', {now}, {now}, {now}, 1),
                          (3, 'd', 'https://d.test/3', 'h3', 'Другая новость', 'другой текст', {now}, {now}, {now}, 3);
                 INSERT INTO item_refs (source, key, item_id, link, first_seen)
                   VALUES ('a', 'a-1', 1, 'https://a.test/1', {now}), ('b', 'b-9', 2, 'https://b.test/9', {now}),
                          ('c', 'c-5', 1, 'https://c.test/5', {now}), ('d', 'd-3', 3, 'https://d.test/3', {now});
                 INSERT INTO item_bands VALUES (0, 42, 1), (0, 42, 2);"
            ))
            .unwrap();
        }
        let db = Db::open(&path).unwrap();
        assert_eq!(
            db.with(|c| item_count(c)).unwrap(),
            4,
            "c's copy became a report"
        );
        let entries = db
            .with(|c| select_items(c, Default::default(), None, &[], 10))
            .unwrap();
        assert_eq!(entries.len(), 2);
        let story = entries.iter().find(|e| e.source == "a").unwrap();
        assert_eq!(story.guid, public_id("a", "a-1"));
        assert_eq!(story.also(), ["b", "c"]);
        let other = entries.iter().find(|e| e.source == "d").unwrap();
        assert_eq!(other.guid, public_id("d", "d-3"));
        assert!(other.others.is_empty());
    }

    #[test]
    fn a_feed_entry_lists_thirty_other_reports_and_the_story_page_all() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("big.db")).unwrap();
        for n in 0..41 {
            let item = item(
                &format!("g{n}"),
                &format!("https://agency{n}.test/1"),
                &format!("Отопление: версия {n}"),
                TEXT,
            );
            let state = FetchState::default();
            db.with_engine(|c, e| {
                save_fetch(
                    c,
                    e,
                    &format!("agency{n}"),
                    &[Incoming::new(item, vec![])],
                    None,
                    &state,
                    chrono::Utc::now(),
                )
            })
            .unwrap();
        }
        let entries = db
            .with(|c| select_items(c, Default::default(), None, &[], 10))
            .unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].others.len(), entries::OTHERS_LISTED);
        let page = db.with(|c| story(c, entries[0].story)).unwrap().unwrap();
        assert_eq!(page.others.len(), 40);
    }

    /// A report of agency `a` with a text of its own (no two alike, so none is a copy).
    fn report(k: usize) -> Incoming {
        let text = format!(
            "Подрядчик ООО «Дорстрой-{k}» начал ремонт дороги на улице Садовой, {k}. По словам \
             начальника управления С. Кравцова-{k}, работы обойдутся в {} тыс. рублей и завершатся \
             к {} октября. {}",
            1000 + k,
            1 + k % 28,
            "Движение по улице ограничат на время работ. ".repeat(20)
        );
        Incoming::new(
            item(
                &format!("a-{k}"),
                &format!("https://a.test/news/{k}"),
                &format!("Ремонт дороги на улице Садовой, {k}"),
                &text,
            ),
            vec![],
        )
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_is_copied_into_the_database_beside_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("svodka.db");
        let db = Db::open(&path).unwrap();
        let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
        let empty = size(&path);
        // ~40 MiB of WAL: past the point where the checkpointer starts (32 MiB), below the
        // writer's own checkpoint (64 MiB).
        for fetch in 0..140 {
            let items: Vec<Incoming> = (0..50).map(|i| report(fetch * 50 + i)).collect();
            db.call_engine(move |c, e| {
                save_fetch(
                    c,
                    e,
                    "a",
                    &items,
                    None,
                    &FetchState::default(),
                    chrono::Utc::now(),
                )
            })
            .await
            .unwrap()
            .unwrap();
        }
        // The checkpoint runs on a parse thread: give it a moment.
        let wal = wal_path(&path);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while size(&path) < empty + (2 << 20) && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(
            size(&path) >= empty + (2 << 20),
            "the database file is still {} bytes beside a WAL of {} bytes",
            size(&path),
            size(&wal)
        );
        // Nothing lost: every report is there, read by another connection.
        let n: i64 = Connection::open(&path)
            .unwrap()
            .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 7000);
    }
}
