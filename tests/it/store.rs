//! The store on a real SQLite file: a failed or killed write leaves nothing half-done.

use chrono::Utc;
use svodka::model::FetchState;
use svodka::model::Grouping;
use svodka::model::Item;
use svodka::store::{self, Incoming};

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
        link_shared: false,
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
    let db = store::Db::open(&cfg.storage.path).unwrap();
    db.with(|c| store::sync_sources(c, &cfg.sources)).unwrap();
    // A real SQLite failure in the middle of the transaction, on the second item.
    db.with(|c| {
        c.execute_batch(
            "CREATE TRIGGER boom BEFORE INSERT ON items WHEN NEW.title = 'Сбой' BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
        )
    })
    .unwrap();
    let items = vec![
        Incoming::new(news("Первая новость", "1"), vec![]),
        Incoming::new(news("Сбой", "2"), vec![]),
    ];
    let state = FetchState {
        etag: Some("\"v7\"".into()),
        ..db.with(|c| store::load_fetch_state(c, "lipetsk")).unwrap()
    };
    let save = || {
        db.with_engine(|c, e| store::save_fetch(c, e, "lipetsk", &items, None, &state, Utc::now()))
    };
    let err = save().unwrap_err();
    assert!(err.to_string().contains("disk full"));
    assert_eq!(db.with(|c| store::item_count(c)).unwrap(), 0);
    assert_eq!(
        db.with(|c| store::load_fetch_state(c, "lipetsk"))
            .unwrap()
            .etag,
        None
    );

    // The engine, which saw the first item before the rollback, is rebuilt: the item is new
    // again, not a copy of a report that was never stored.
    db.with(|c| c.execute_batch("DROP TRIGGER boom")).unwrap();
    let counts = save().unwrap();
    assert_eq!(counts.new, 2);
    assert_eq!(
        db.with(|c| store::load_fetch_state(c, "lipetsk"))
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
fn retention_keeps_a_story_and_its_guid_when_its_lead_expires() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = svodka::config::Config::parse(
        "[[source]]\nname = \"a\"\nurl = \"https://a.test/rss\"\n\
         [[source]]\nname = \"b\"\nurl = \"https://b.test/rss\"\n\
         [[source]]\nname = \"c\"\nurl = \"https://c.test/rss\"\n",
        &dir.path().join("svodka.toml"),
    )
    .unwrap();
    let db = store::Db::open(&cfg.storage.path).unwrap();
    db.with(|c| store::sync_sources(c, &cfg.sources)).unwrap();
    let now = Utc::now();
    let copy = |source: &str, published: chrono::DateTime<Utc>| {
        let mut it = news(&format!("Отопление: версия {source}"), source);
        it.text = RELEASE.replace("5 октября", &format!("5 октября ({source})"));
        it.published = published;
        vec![Incoming::new(it, vec![])]
    };
    let save = |source: &str, items: Vec<Incoming>, when: chrono::DateTime<Utc>| {
        db.with_engine(|c, e| {
            let state = store::load_fetch_state(c, source)?;
            store::save_fetch(c, e, source, &items, None, &state, when)
        })
        .unwrap()
    };
    let day = chrono::Duration::days(1);
    assert_eq!(save("a", copy("a", now - day * 2), now - day * 2).new, 1);
    assert_eq!(save("b", copy("b", now - day), now - day).merged, 1);
    assert_eq!(save("c", copy("c", now), now).merged, 1);
    let select = || {
        db.with(|c| store::select_items(c, Grouping::Story, None, &[], 10))
            .unwrap()
    };
    let before = select();
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].source, "a");
    assert_eq!(before[0].also(), ["b", "c"]);

    // Retention takes a's report; the story passes to b, and readers see the same entry.
    assert_eq!(
        db.with_engine(|c, e| store::prune(c, Some(e), now - day - day / 2, 500))
            .unwrap(),
        1
    );
    let after = select();
    assert_eq!(after.len(), 1, "the story must not split: {after:?}");
    assert_eq!(after[0].source, "b");
    assert_eq!(after[0].also(), ["c"]);
    assert_eq!(after[0].guid, before[0].guid, "the GUID must not change");
    assert_eq!(after[0].story, before[0].story);
    // A fourth agency's copy still joins the story after the prune.
    assert_eq!(save("d", copy("d", now), now).merged, 1);
    assert_eq!(select()[0].also(), ["c", "d"]);
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
