//! The store on a real SQLite file: a failed or killed write leaves nothing half-done.

use chrono::Utc;
use svodka::model::Item;
use svodka::store::{self, FetchState};

use crate::feeds::{item, rss};
use crate::harness::{App, Origin, Route, config};

fn news(title: &str, guid: &str) -> Item {
    Item {
        guid: Some(guid.into()),
        link: Some(format!("https://lipetsk.test/news/{guid}")),
        title: title.into(),
        summary: None,
        content: None,
        text: String::new(),
        author: None,
        image: None,
        published: Utc::now(),
        date_from_first_seen: false,
    }
}

#[test]
fn a_write_that_fails_midway_stores_neither_items_nor_validators() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = svodka::config::Config::parse(
        "[[source]]\nname = \"lipetsk\"\nurl = \"https://lipetsk.test/rss\"\n",
        &dir.path().join("svodka.toml"),
    )
    .unwrap();
    let mut conn = store::open(&cfg.storage.path).unwrap();
    store::sync_sources(&conn, &cfg.sources).unwrap();
    // A real SQLite failure in the middle of the transaction, on the second item.
    conn.execute_batch(
        "CREATE TRIGGER boom BEFORE INSERT ON items WHEN NEW.title = 'Сбой' BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
    )
    .unwrap();
    let items = vec![
        (news("Первая новость", "1"), vec![]),
        (news("Сбой", "2"), vec![]),
    ];
    let state = FetchState {
        etag: Some("\"v7\"".into()),
        ..store::load_fetch_state(&conn, "lipetsk").unwrap()
    };
    let err = store::save_fetch(&mut conn, "lipetsk", &items, &state, Utc::now()).unwrap_err();
    assert!(err.to_string().contains("disk full"));
    assert_eq!(store::item_count(&conn).unwrap(), 0);
    assert_eq!(
        store::load_fetch_state(&conn, "lipetsk").unwrap().etag,
        None
    );

    conn.execute_batch("DROP TRIGGER boom").unwrap();
    let counts = store::save_fetch(&mut conn, "lipetsk", &items, &state, Utc::now()).unwrap();
    assert_eq!(counts.new, 2);
    assert_eq!(
        store::load_fetch_state(&conn, "lipetsk")
            .unwrap()
            .etag
            .as_deref(),
        Some("\"v7\"")
    );
}

const RELEASE: &str = "Отопительный сезон в Воронеже начнётся 5 октября: соответствующее постановление подписал \
    глава города. В первую очередь тепло подадут в детские сады, школы и больницы, затем в жилые дома. \
    Управляющие компании должны завершить промывку и опрессовку систем до конца сентября.";

#[test]
fn retention_keeps_a_story_whole_when_its_first_item_expires() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = svodka::config::Config::parse(
        "[[source]]\nname = \"a\"\nurl = \"https://a.test/rss\"\n\
         [[source]]\nname = \"b\"\nurl = \"https://b.test/rss\"\n\
         [[source]]\nname = \"c\"\nurl = \"https://c.test/rss\"\n",
        &dir.path().join("svodka.toml"),
    )
    .unwrap();
    let mut conn = store::open(&cfg.storage.path).unwrap();
    store::sync_sources(&conn, &cfg.sources).unwrap();
    let now = Utc::now();
    let old = now - chrono::Duration::days(100);
    let copy = |source: &str, published| {
        let mut it = news(&format!("Отопление: версия {source}"), source);
        it.text = RELEASE.replace("5 октября", &format!("5 октября ({source})"));
        it.published = published;
        vec![(it, vec![])]
    };
    let save = |conn: &mut rusqlite::Connection,
                source: &str,
                items: Vec<(Item, Vec<String>)>,
                when: chrono::DateTime<Utc>| {
        let state = store::load_fetch_state(conn, source).unwrap();
        store::save_fetch(conn, source, &items, &state, when).unwrap()
    };
    // The first copy is 100 days old; two agencies carried it again within the window of a
    // story (their items are dated close to it), and were first seen today.
    assert_eq!(save(&mut conn, "a", copy("a", old), old).new, 1);
    assert_eq!(
        save(
            &mut conn,
            "b",
            copy("b", old + chrono::Duration::hours(2)),
            now
        )
        .merged,
        1
    );
    assert_eq!(
        save(
            &mut conn,
            "c",
            copy("c", old + chrono::Duration::hours(3)),
            now
        )
        .merged,
        1
    );
    let before = store::select_items(&conn, None, &[], 10).unwrap();
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].also, ["b", "c"]);

    assert_eq!(
        store::prune(&mut conn, now - chrono::Duration::days(90), 500).unwrap(),
        1
    );
    let after = store::select_items(&conn, None, &[], 10).unwrap();
    assert_eq!(after.len(), 1, "the story must not split: {after:?}");
    assert_eq!(after[0].source, "b");
    assert_eq!(after[0].also, ["c"]);

    // Past the story window the signatures go: the LSH index holds only recent items.
    let bands = |c: &rusqlite::Connection| -> i64 {
        c.query_row("SELECT count(*) FROM item_bands", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(bands(&conn), 32, "two items, sixteen bands each");
    let window = (now - chrono::Duration::days(store::SIGNATURE_DAYS)).timestamp();
    assert_eq!(store::forget_old_signatures(&mut conn, window).unwrap(), 32);
    assert_eq!(bands(&conn), 0);
}

/// SIGKILL `svodka fetch` at moments spread over its write and check after each kill that the
/// database is intact and all-or-nothing: items present exactly when the validators are.
#[tokio::test]
async fn sigkill_mid_fetch_leaves_a_consistent_database() {
    let o = Origin::start().await;
    let big: Vec<_> = (0..2500)
        .map(|i| {
            item(&format!("Новость номер {i} о жизни Липецкой области"))
                .guid(&i.to_string())
                .desc("Текст новости о событиях в регионе, подробности у корреспондента.")
        })
        .collect();
    o.route(
        "/feed.xml",
        Route::ok(rss(&big), "application/rss+xml").etag("\"big\""),
    );
    let app = App::new(&config(&[("lipetsk", o.url("/feed.xml"))], ""));
    let db = app.dir.path().join("svodka.db");
    // One whole run tells how long a fetch takes on this machine; the kills are spread over it.
    let started = std::time::Instant::now();
    let (code, out, _) = app.svodka(&["fetch"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("lipetsk: 2500 new"), "{out}");
    let whole = started.elapsed();
    let mut outcomes = std::collections::BTreeSet::new();
    // Search for the moment of the commit: a kill before it must leave nothing, a kill after it
    // everything. Halving the interval puts later kills ever closer to the write itself.
    let (mut lo, mut hi) = (std::time::Duration::ZERO, whole);
    for _ in 0..10 {
        let delay = (lo + hi) / 2;
        let _ = std::fs::remove_file(&db);
        let _ = std::fs::remove_file(app.dir.path().join("svodka.db-wal"));
        let _ = std::fs::remove_file(app.dir.path().join("svodka.db-shm"));
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_svodka"))
            .args(["fetch", "--config"])
            .arg(app.config_path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(delay).await;
        let _ = child.start_kill();
        let _ = child.wait().await;
        let committed = match state_after_kill(&db) {
            None => {
                outcomes.insert("no schema yet");
                false
            }
            Some((0, None)) => {
                outcomes.insert("nothing committed");
                false
            }
            Some((2500, Some(etag))) if etag == "\"big\"" => {
                outcomes.insert("all committed");
                true
            }
            Some(other) => panic!("half a fetch committed after a kill at {delay:?}: {other:?}"),
        };
        if committed { hi = delay } else { lo = delay }
    }
    assert!(
        outcomes.contains("nothing committed"),
        "no kill landed between opening and commit: {outcomes:?}"
    );
}

/// After a kill: (items, the source's ETag), or `None` before the schema exists. The database
/// must pass SQLite's own integrity check whatever the moment.
fn state_after_kill(db: &std::path::Path) -> Option<(i64, Option<String>)> {
    if !db.exists() {
        return None;
    }
    let conn = rusqlite::Connection::open(db).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name IN ('sources', 'items')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    if tables < 2 {
        return None;
    }
    let items: i64 = conn
        .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
        .unwrap();
    let etag: Option<String> = conn
        .query_row("SELECT etag FROM sources WHERE name = 'lipetsk'", [], |r| {
            r.get(0)
        })
        .unwrap_or(None);
    Some((items, etag))
}
