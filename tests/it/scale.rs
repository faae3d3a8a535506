//! Running at scale: memory bounded by `fetch.concurrency`, maps that do not only grow, the
//! watchdog fed by the loop that does the work, retention and retag in small transactions, and
//! the source health the index page reads in one query.

use std::time::Duration;

use chrono::Utc;
use svodka::model::Item;
use svodka::store;
use tokio::process::Child;

use crate::feeds::{item, rss};
use crate::harness::{App, Origin, Route, config};

const TOWNS: [&str; 8] = [
    "Липецке",
    "Ельце",
    "Данкове",
    "Задонске",
    "Лебедяни",
    "Усмани",
    "Чаплыгине",
    "Грязях",
];

const STREETS: [&str; 6] = [
    "Советской",
    "Ленина",
    "Гагарина",
    "Космонавтов",
    "Терешковой",
    "Октябрьской",
];

/// A regional agency's feed of `n` items: its own reports, each a different event (agencies
/// differ by the streets and sums they report).
fn agency_feed(agency: &str, n: usize) -> String {
    let seed = agency.bytes().map(usize::from).sum::<usize>();
    let items: Vec<_> =
        (0..n)
            .map(|k| {
                let town = TOWNS[k % TOWNS.len()];
                let street = STREETS[(seed + k) % STREETS.len()];
                item(&format!(
                "В {town} отремонтируют {} участок дороги на улице {street}",
                k + 2
            ))
            .guid(&format!("{agency}-{k}"))
            .link(&format!("https://{agency}.test/news/{k}.html?utm_source=rss"))
            .desc(&format!(
                "<p>Администрация сообщила, что работы на улице {street} в {town} начнутся {} мая \
                 и обойдутся в {} млн рублей.</p>",
                k % 28 + 1,
                seed * 10 + k * 3 + 7
            ))
            })
            .collect();
    rss(&items)
}

/// Serves `names` as agencies' feeds of `items` each, and the config's sources for them.
fn serve_agencies<'a>(o: &Origin, names: &'a [String], items: usize) -> Vec<(&'a str, String)> {
    for n in names {
        o.route(
            &format!("/{n}.xml"),
            Route::ok(agency_feed(n, items), "application/rss+xml"),
        );
    }
    names
        .iter()
        .map(|n| (n.as_str(), o.url(&format!("/{n}.xml"))))
        .collect()
}

/// A running `svodka run` and its log lines.
struct Daemon {
    child: Child,
    base: String,
    log: tokio::sync::mpsc::UnboundedReceiver<String>,
}

async fn start(app: &App, env: &[(&str, String)]) -> Daemon {
    let mut cmd = crate::harness::run_command(app);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let (child, base, log) = crate::harness::start_serving(cmd).await;
    Daemon { child, base, log }
}

impl Daemon {
    fn signal(&self, sig: &str) {
        let pid = self.child.id().unwrap().to_string();
        assert!(
            std::process::Command::new("kill")
                .args([sig, &pid])
                .status()
                .unwrap()
                .success()
        );
    }

    async fn wait_log(&mut self, needle: &str) {
        tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                let l = self.log.recv().await.expect("svodka exited");
                if l.contains(needle) {
                    return;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no log line with {needle:?}"));
    }

    /// `/metrics` once `ok` holds for it (the daemon works on its own clock).
    async fn metrics_when(&self, ok: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let text = reqwest::get(format!("{}/metrics", self.base))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            if ok(&text) {
                return text;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "metrics never became ready:\n{text}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

#[tokio::test]
async fn while_the_database_is_busy_no_more_feeds_are_downloaded_than_the_concurrency() {
    svodka::fetch::install_crypto_provider();
    let o = Origin::start().await;
    let names: Vec<String> = (0..12).map(|i| format!("agency{i}")).collect();
    for n in &names {
        // Slow enough that the database can be locked while the first feeds are in flight.
        o.route(
            &format!("/{n}.xml"),
            Route::ok(agency_feed(n, 5), "application/rss+xml").delay(Duration::from_millis(300)),
        );
    }
    let sources: Vec<(&str, String)> = names
        .iter()
        .map(|n| (n.as_str(), o.url(&format!("/{n}.xml"))))
        .collect();
    let app = App::new(&config(&sources, "").replace(
        "[fetch]\ntimeout_secs = 2\n",
        "[fetch]\ntimeout_secs = 20\nconcurrency = 2\nper_host = 2\n",
    ));
    // The schema exists before the fetch below, so that fetch only waits to store.
    let (code, _, err) = app.svodka(&["check"]).await;
    assert_eq!(code, 0, "{err}");
    let db_path = app.dir.path().join("svodka.db");
    drop(svodka::store::Db::open(&db_path).unwrap());

    let fetch = tokio::spawn({
        let config = app.config_path();
        async move { crate::harness::run_svodka(Some(&config), &["fetch"]).await }
    });
    let requested = || {
        names
            .iter()
            .map(|n| o.seen(&format!("/{n}.xml")).len())
            .sum::<usize>()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while requested() == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "svodka never fetched"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Another writer (a `svodka retag`, a backup) holds the database for two seconds.
    let blocker = rusqlite::Connection::open(&db_path).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let while_locked = requested();
    blocker.execute_batch("COMMIT").unwrap();
    let (code, out, err) = fetch.await.unwrap();

    // Two feeds were fetched and wait to be stored, holding their places: no third body was
    // downloaded to wait beside them. Without that bound all twelve would be in memory.
    assert_eq!(while_locked, 2, "downloaded while the database was busy");
    assert_eq!(code, 0, "{err}");
    // Every feed stored whole: its five items new, or joined to another agency's story (the
    // generated feeds repeat one headline template across agencies).
    for n in &names {
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("{n}: ")))
            .unwrap_or_else(|| panic!("no line for {n}:\n{out}\n{err}"));
        let count = |what: &str| -> u32 {
            line.split(", ")
                .find_map(|p| p.trim_start_matches(&format!("{n}: ")).strip_suffix(what))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0)
        };
        assert_eq!(
            count(" new") + count(" merged"),
            5,
            "{n} not stored whole:\n{out}\n{err}"
        );
    }
}

#[tokio::test]
async fn the_watchdog_hears_from_the_scheduler_loop() {
    svodka::fetch::install_crypto_provider();
    let o = Origin::start().await;
    o.route(
        "/lipetsk.xml",
        Route::ok(agency_feed("lipetsk", 3), "application/rss+xml"),
    );
    let app = App::new(&config(&[("lipetsk", o.url("/lipetsk.xml"))], ""));
    let socket_path = app.dir.path().join("notify.sock");
    let socket = tokio::net::UnixDatagram::bind(&socket_path).unwrap();
    let d = start(
        &app,
        &[
            ("NOTIFY_SOCKET", socket_path.display().to_string()),
            // One second: systemd expects a ping at least this often; svodka pings every half.
            ("WATCHDOG_USEC", "1000000".to_string()),
        ],
    )
    .await;
    let mut buf = [0u8; 4096];
    let mut pings = 0;
    let mut heard = Vec::new();
    // The schedule is every 15 minutes and the source is fetched at start: the loop then
    // sleeps, and only the watchdog's deadline wakes it.
    let listened = tokio::time::timeout(Duration::from_secs(20), async {
        while pings < 5 {
            let n = socket.recv(&mut buf).await.unwrap();
            let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
            if msg.lines().any(|l| l == "WATCHDOG=1") {
                pings += 1;
                heard.push(tokio::time::Instant::now());
            }
        }
    })
    .await;
    assert!(listened.is_ok(), "only {pings} watchdog pings in 20 s");
    // Five pings, each within the interval systemd was given.
    for pair in heard.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap < Duration::from_secs(1),
            "{gap:?} between watchdog pings, beyond WATCHDOG_USEC"
        );
    }
    drop(d);
}

#[tokio::test]
async fn a_reload_forgets_the_feeds_and_sources_it_removed() {
    svodka::fetch::install_crypto_provider();
    let o = Origin::start().await;
    for n in ["lipetsk", "elets"] {
        o.route(
            &format!("/{n}.xml"),
            Route::ok(agency_feed(n, 4), "application/rss+xml"),
        );
    }
    let feeds = "[[feed]]\nname = \"all\"\ntitle = \"Все новости\"\n\n\
                 [[feed]]\nname = \"elets\"\ntitle = \"Елец\"\nsources = [\"elets\"]\n";
    let app = App::new(&config(
        &[
            ("lipetsk", o.url("/lipetsk.xml")),
            ("elets", o.url("/elets.xml")),
        ],
        feeds,
    ));
    let mut d = start(&app, &[]).await;
    let m = d
        .metrics_when(|m| m.contains("svodka_fetches_total{outcome=\"saved\"} 2"))
        .await;
    assert_eq!(metric(&m, "svodka_sources{state=\"ok\"}"), 2);
    for ext in ["rss", "atom", "json"] {
        let r = reqwest::get(format!("{}/feeds/elets.{ext}", d.base))
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let m = d.metrics_when(|_| true).await;
    assert_eq!(metric(&m, "svodka_rendered_feeds"), 3);

    // Елец leaves the config: its source and its feed.
    std::fs::write(
        app.config_path(),
        config(
            &[("lipetsk", o.url("/lipetsk.xml"))],
            "[[feed]]\nname = \"all\"\ntitle = \"Все новости\"\n",
        ),
    )
    .unwrap();
    d.signal("-HUP");
    d.wait_log("reloaded").await;
    let r = reqwest::get(format!("{}/feeds/elets.rss", d.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let m = d.metrics_when(|_| true).await;
    assert_eq!(metric(&m, "svodka_rendered_feeds"), 0, "{m}");
    assert_eq!(metric(&m, "svodka_sources{state=\"ok\"}"), 1, "{m}");
    // Its items stay: they were published and may be in readers' feeds.
    assert_eq!(metric(&m, "svodka_items"), 8, "{m}");
}

/// Fetch tasks come in a window (not one per source at once): a host that hangs holds a few of
/// them, and the sources after it in the config still start as tasks end.
#[tokio::test]
async fn a_window_of_fetch_tasks_reaches_every_source_past_a_hanging_host() {
    svodka::fetch::install_crypto_provider();
    let o = Origin::start().await;
    let port = o.addr.port();
    // One server under two host names: `localhost` hangs for a minute, `127.0.0.1` answers.
    // The hanging sources sort first, so a window filled in order would be all of them.
    let mut sources = Vec::new();
    for i in 0..80 {
        let name = format!("a-hang{i:02}");
        o.route(
            &format!("/{name}.xml"),
            Route::ok(agency_feed(&name, 1), "application/rss+xml").delay(Duration::from_secs(60)),
        );
        sources.push((name.clone(), format!("http://localhost:{port}/{name}.xml")));
    }
    for i in 0..100 {
        let name = format!("b-fast{i:03}");
        o.route(
            &format!("/{name}.xml"),
            Route::ok(agency_feed(&name, 1), "application/rss+xml"),
        );
        sources.push((name.clone(), o.url(&format!("/{name}.xml"))));
    }
    let sources: Vec<(&str, String)> = sources
        .iter()
        .map(|(n, u)| (n.as_str(), u.clone()))
        .collect();
    let app = App::new(&config(&sources, "").replace(
        "[fetch]\ntimeout_secs = 2\n",
        "[fetch]\ntimeout_secs = 60\nconcurrency = 4\nper_host = 2\n",
    ));
    let d = start(&app, &[]).await;
    // Four places, sixty-four tasks, four of them at most the hanging host's: every fast
    // source is fetched while the hanging ones still wait for their answer.
    let m = d
        .metrics_when(|m| m.contains("svodka_fetches_total{outcome=\"saved\"} 100"))
        .await;
    assert_eq!(metric(&m, "svodka_sources{state=\"ok\"}"), 100, "{m}");
    let asked = (0..80)
        .filter(|i| !o.seen(&format!("/a-hang{i:02}.xml")).is_empty())
        .count();
    assert!(
        (1..=4).contains(&asked),
        "{asked} hanging feeds were asked for; the host's share of the window is four"
    );
}

/// `svodka fetch` of more sources than its window of tasks reports every one of them.
#[tokio::test]
async fn a_fetch_of_more_sources_than_its_window_reports_each() {
    svodka::fetch::install_crypto_provider();
    let o = Origin::start().await;
    let names: Vec<String> = (0..150).map(|i| format!("agency{i:03}")).collect();
    let sources = serve_agencies(&o, &names, 2);
    let app = App::new(&config(&sources, "").replace(
        "[fetch]\ntimeout_secs = 2\n",
        "[fetch]\ntimeout_secs = 20\nconcurrency = 2\nper_host = 2\n",
    ));
    let (code, out, err) = app.svodka(&["fetch"]).await;
    assert_eq!(code, 0, "{err}");
    // In the config's order, each stored.
    let reported: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_once(": ").map(|(n, _)| n))
        .collect();
    assert_eq!(reported, names, "{out}");
    assert!(out.lines().all(|l| !l.contains("error")), "{out}");
}

#[tokio::test]
async fn a_hosts_limit_is_forgotten_when_nothing_fetches_from_it() {
    svodka::fetch::install_crypto_provider();
    let o = Origin::start().await;
    o.route(
        "/slow.xml",
        Route::ok(agency_feed("slow", 1), "application/rss+xml").delay(Duration::from_millis(500)),
    );
    o.route(
        "/fast.xml",
        Route::ok(agency_feed("fast", 1), "application/rss+xml"),
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg = svodka::config::Config::parse("", &dir.path().join("svodka.toml")).unwrap();
    let fetcher = std::sync::Arc::new(svodka::fetch::Fetcher::new(&cfg.fetch).unwrap());
    let none = svodka::fetch::Validators::default();
    // The same origin by two host names: two per-host limits.
    let by_name = url::Url::parse(&o.url("/fast.xml").replace("127.0.0.1", "localhost")).unwrap();
    let slow = url::Url::parse(&o.url("/slow.xml")).unwrap();
    let running = tokio::spawn({
        let (fetcher, none) = (fetcher.clone(), none.clone());
        async move { fetcher.fetch(&slow, &none).await.is_ok() }
    });
    assert!(fetcher.fetch(&by_name, &none).await.is_ok());
    // localhost is done; 127.0.0.1 is still being fetched.
    assert_eq!(fetcher.hosts_tracked(), 1);
    assert!(running.await.unwrap());
    assert_eq!(fetcher.hosts_tracked(), 0);
}

fn report(agency: &str, k: usize, published: chrono::DateTime<Utc>) -> store::Incoming {
    let town = TOWNS[k % TOWNS.len()];
    let it = Item {
        guid: Some(format!("{agency}-{k}")),
        link: Some(format!("https://{agency}.test/news/{k}.html")),
        title: format!("В {town} открыли {k}-й пункт выдачи гуманитарной помощи"),
        summary: None,
        content: None,
        text: format!(
            "Пункт номер {k} в {town} будет работать ежедневно с девяти утра. Волонтёры \
             принимают одежду, продукты и лекарства; список нужного ({agency}) обновляется \
             каждый вечер, рассказала координатор Мария Соколова."
        ),
        author: None,
        image: None,
        published,
        date_from_first_seen: false,
        link_shared: false,
    };
    store::Incoming::new(it, vec![])
}

#[test]
fn retention_goes_in_batches_and_item_counts_follow() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = svodka::config::Config::parse(
        "[[source]]\nname = \"lipetsk\"\nurl = \"https://lipetsk.test/rss\"\n\n\
         [[source]]\nname = \"elets\"\nurl = \"https://elets.test/rss\"\n",
        &dir.path().join("svodka.toml"),
    )
    .unwrap();
    let mut conn = store::open(&dir.path().join("svodka.db")).unwrap();
    store::sync_sources(&conn, &cfg.sources).unwrap();
    let mut engine = svodka::stories::Engine::new(72 * 3600);
    let now = Utc::now();
    let old = now - chrono::Duration::days(120);
    for (agency, when) in [("lipetsk", old), ("elets", now)] {
        let items: Vec<_> = (0..7).map(|k| report(agency, k, when)).collect();
        let state = store::load_fetch_state(&conn, agency).unwrap();
        store::save_fetch(&mut conn, &mut engine, agency, &items, None, &state, when).unwrap();
    }
    // The same feed again adds no items and no counts.
    let again: Vec<_> = (0..7).map(|k| report("elets", k, now)).collect();
    let state = store::load_fetch_state(&conn, "elets").unwrap();
    store::save_fetch(&mut conn, &mut engine, "elets", &again, None, &state, now).unwrap();
    let counts = |conn: &rusqlite::Connection| -> Vec<(String, u64)> {
        store::source_health(conn, &cfg.sources)
            .unwrap()
            .into_iter()
            .map(|h| (h.name, h.items))
            .collect()
    };
    assert_eq!(
        counts(&conn),
        [("lipetsk".to_string(), 7), ("elets".to_string(), 7)]
    );

    let before = now - chrono::Duration::days(90);
    let mut batches = Vec::new();
    loop {
        let n = store::prune(&mut conn, Some(&mut engine), before, 3).unwrap();
        batches.push(n);
        if n < 3 {
            break;
        }
    }
    assert_eq!(batches, [3, 3, 1]);
    assert_eq!(
        counts(&conn),
        [("lipetsk".to_string(), 0), ("elets".to_string(), 7)]
    );
}

#[test]
fn retag_reads_the_store_a_page_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = store::open(&dir.path().join("svodka.db")).unwrap();
    let now = Utc::now();
    let items: Vec<_> = (0..5).map(|k| report("lipetsk", k, now)).collect();
    store::save_fetch(
        &mut conn,
        &mut svodka::stories::Engine::new(72 * 3600),
        "lipetsk",
        &items,
        None,
        &svodka::model::FetchState::default(),
        now,
    )
    .unwrap();
    let mut pages = Vec::new();
    let mut after = 0;
    loop {
        let page = store::items_for_retag(&conn, after, 2).unwrap();
        let Some(last) = page.last() else { break };
        after = last.id;
        pages.push(page.iter().map(|r| r.title.clone()).collect::<Vec<_>>());
    }
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [2, 2, 1],
        "{pages:?}"
    );
    let titles: Vec<&String> = pages.iter().flatten().collect();
    assert_eq!(titles.len(), 5);
    assert!(titles[4].contains("4-й пункт"), "{titles:?}");
}

#[tokio::test]
async fn retag_tags_every_item_past_the_first_page() {
    let o = Origin::start().await;
    // More items than one retag page (500), over several agencies' fetches.
    let agencies: Vec<String> = (0..11).map(|i| format!("agency{i}")).collect();
    let sources = serve_agencies(&o, &agencies, 50);
    let app = App::new(&config(&sources, ""));
    let (code, _, err) = app.svodka(&["fetch"]).await;
    assert_eq!(code, 0, "{err}");
    let with_topic = config(
        &sources,
        "[[topic]]\nname = \"roads\"\ntitle = \"Дороги\"\nkeywords = [\"дорога\"]\n",
    );
    std::fs::write(app.config_path(), with_topic).unwrap();
    let (code, out, err) = app.svodka(&["retag"]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "retagged 550 items; 550 have topics");
}

#[test]
fn source_health_follows_the_config_order_even_after_the_config_was_reordered() {
    let dir = tempfile::tempdir().unwrap();
    let source = |name: &str, title: &str| {
        format!(
            "[[source]]\nname = \"{name}\"\ntitle = \"{title}\"\nurl = \"https://{name}.test/rss\"\n\n"
        )
    };
    let first = svodka::config::Config::parse(
        &[
            source("lipetsk", "Липецкие вести"),
            source("elets", "Елецкий курьер"),
            source("dankov", "Данковские новости"),
        ]
        .concat(),
        &dir.path().join("svodka.toml"),
    )
    .unwrap();
    let mut conn = store::open(&dir.path().join("svodka.db")).unwrap();
    store::sync_sources(&conn, &first.sources).unwrap();
    let now = Utc::now();
    for (agency, n) in [("lipetsk", 3), ("elets", 1), ("dankov", 2)] {
        let items: Vec<_> = (0..n).map(|k| report(agency, k, now)).collect();
        let mut state = store::load_fetch_state(&conn, agency).unwrap();
        state.last_fetch = Some(now.timestamp());
        let mut engine = svodka::stories::Engine::new(72 * 3600);
        store::save_fetch(&mut conn, &mut engine, agency, &items, None, &state, now).unwrap();
    }
    // The editor moved Данков first and added Задонск, which was never fetched.
    let reordered = svodka::config::Config::parse(
        &[
            source("dankov", "Данковские новости"),
            source("lipetsk", "Липецкие вести"),
            source("zadonsk", "Задонский вестник"),
            source("elets", "Елецкий курьер"),
        ]
        .concat(),
        &dir.path().join("svodka.toml"),
    )
    .unwrap();
    let shown: Vec<(String, String, u64, bool)> = store::source_health(&conn, &reordered.sources)
        .unwrap()
        .into_iter()
        .map(|h| (h.name, h.title, h.items, h.state.last_fetch.is_some()))
        .collect();
    let expect = |n: &str, t: &str, items: u64, fetched: bool| {
        (n.to_string(), t.to_string(), items, fetched)
    };
    assert_eq!(
        shown,
        [
            expect("dankov", "Данковские новости", 2, true),
            expect("lipetsk", "Липецкие вести", 3, true),
            expect("zadonsk", "Задонский вестник", 0, false),
            expect("elets", "Елецкий курьер", 1, true),
        ]
    );
}
