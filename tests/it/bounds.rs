//! Bounds: a source serving huge fields cannot bloat the site, pages are compressed, a redirect
//! cannot reach inside, credentials are never shown, a database from a newer svodka or a
//! damaged one is refused.

use crate::daemon::{install_crypto, spawn, until};
use crate::feeds::{item, rss};
use crate::harness::{App, Origin, Route, config};

/// A client that asks for no compression, so sizes are the bytes a page really holds.
fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_gzip()
        .no_brotli()
        .no_deflate()
        .build()
        .unwrap()
}

/// The daemon's peak resident memory (`VmHWM`), in MiB.
fn peak_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib / 1024
}

#[tokio::test]
async fn a_source_of_megabyte_titles_leaves_the_pages_and_feeds_small() {
    install_crypto();
    let o = Origin::start().await;
    // Nine items, each a 1 MB headline of real words: a 9.4 MB body, under the 10 MB body cap.
    let huge = |n: usize| format!("Сюжет {n}: ") + &"губернатор открыл мост ".repeat(26_000);
    let items: Vec<_> = (0..9)
        .map(|n| item(&huge(n)).guid(&n.to_string()))
        .collect();
    let body = rss(&items);
    assert!(
        body.len() > 9_000_000 && body.len() < 10 << 20,
        "{}",
        body.len()
    );
    o.route("/huge.xml", Route::ok(body, "application/rss+xml"));
    let app = App::new(&config(&[("huge", o.url("/huge.xml"))], ""));
    let d = spawn(&["run"], Some(&app)).await;
    // Nine megabytes through a debug build's parser: a loaded machine needs longer than the
    // usual deadline.
    let m = crate::daemon::until_within(&format!("{}/metrics", d.base), 90, |m| {
        m.contains("svodka_items_shortened_total 9")
    })
    .await;
    assert!(
        m.contains("svodka_items_saved_total{kind=\"new\"} 9"),
        "{m}"
    );

    let client = plain_client();
    let get = |path: &str| {
        let url = format!("{}{path}", d.base);
        let client = client.clone();
        async move {
            let r = client.get(&url).send().await.unwrap();
            assert_eq!(r.status(), 200, "{url}");
            r.text().await.unwrap()
        }
    };
    let front = get("/").await;
    assert!(front.len() < 100_000, "/ is {} bytes", front.len());
    // The headline is there, cut at a word with «…».
    assert!(front.contains("Сюжет 0: губернатор открыл мост"), "{front}");
    assert!(front.contains("мост…") || front.contains("открыл…") || front.contains("губернатор…"));
    for path in [
        "/feeds/all.rss",
        "/feeds/all.atom",
        "/feeds/all.json",
        "/trending.json",
    ] {
        let body = get(path).await;
        assert!(body.len() < 100_000, "{path} is {} bytes", body.len());
    }
    let rss = crate::harness::channel(&get("/feeds/all.rss").await);
    assert_eq!(rss.items().len(), 9);
    for it in rss.items() {
        let title = it.title().unwrap();
        assert!(title.chars().count() <= 1_000, "{}", title.chars().count());
        assert!(title.ends_with('…'), "{title}");
    }
    let story = front
        .split("href=\"/stories/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let page = get(&format!("/stories/{story}")).await;
    assert!(page.len() < 50_000, "a story page is {} bytes", page.len());
    // The whole daemon, having read and stored 9.4 MB of headlines, stays small: fields are
    // cut to their bounds when parsed, never kept whole.
    let peak = peak_mib(d.pid());
    assert!(peak < 120, "peak memory {peak} MiB");
    d.stop().await;

    // What a person running `svodka fetch` or `inspect` sees: the items, and how many were cut.
    let (code, out, err) = app.svodka(&["fetch"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("9 unchanged, 0 merged, 9 shortened"), "{out}");
    let url = o.url("/huge.xml");
    let (code, out, err) = crate::harness::run_svodka(None, &["inspect", &url]).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("# shortened: 9 items had a field cut to its size limit"),
        "{}",
        &out[..out.len().min(2000)]
    );
}

#[tokio::test]
async fn a_database_from_a_newer_svodka_is_refused_by_every_command() {
    let app = App::new(&config(
        &[("lipetsk", "https://lipetsk.test/rss".into())],
        "",
    ));
    let (code, _, err) = app.svodka(&["sources"]).await;
    assert_eq!(code, 0, "{err}");
    let db = app.dir.path().join("svodka.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let before = std::fs::read(&db).unwrap();
    for args in [
        &["check"][..],
        &["run"],
        &["fetch"],
        &["sources"],
        &["retag"],
        &["stories"],
        &["trending"],
        &["export", "--feed", "all"],
    ] {
        let (code, _, err) = app.svodka(args).await;
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains(
                "this database was written by a newer svodka (schema 99, this build knows up to "
            ),
            "{args:?}: {err}"
        );
        assert!(err.contains("svodka.db"), "{err}");
    }
    // Left as the newer svodka wrote it.
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

#[tokio::test]
async fn check_fails_on_a_damaged_database_as_run_does() {
    let app = App::new(&config(
        &[("lipetsk", "https://lipetsk.test/rss".into())],
        "",
    ));
    // A fresh database passes, and so does none at all (`run` creates it).
    let (code, out, err) = app.svodka(&["check"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ok: 1 source"), "{out}");
    let (code, _, err) = app.svodka(&["sources"]).await;
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = app.svodka(&["check"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ok: 1 source"), "{out}");

    let db = app.dir.path().join("svodka.db");
    let good = std::fs::read(&db).unwrap();
    // Random bytes; the file cut in half; a page in the middle overwritten.
    let mut noise = vec![0u8; good.len()];
    let mut x: u32 = 12345;
    for b in &mut noise {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        *b = (x >> 16) as u8;
    }
    let mut trampled = good.clone();
    let page = 4096;
    assert!(trampled.len() > 3 * page, "{}", trampled.len());
    trampled[page..2 * page].fill(0x5a);
    for (what, bytes) in [
        ("random bytes", noise),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("a trampled page", trampled),
    ] {
        std::fs::write(&db, &bytes).unwrap();
        let _ = std::fs::remove_file(app.dir.path().join("svodka.db-wal"));
        let _ = std::fs::remove_file(app.dir.path().join("svodka.db-shm"));
        let (code, out, err) = app.svodka(&["check"]).await;
        assert_ne!(code, 0, "{what}: check passed: {out}");
        assert!(err.contains("svodka.db"), "{what}: {err}");
        assert!(
            err.contains("not a database") || err.contains("damaged") || err.contains("malformed"),
            "{what}: {err}"
        );
        // `run` refuses the same file, so the service never starts into a restart loop.
        let (code, _, run_err) = app.svodka(&["sources"]).await;
        assert_ne!(code, 0, "{what}: sources read it");
        assert!(
            run_err.contains("malformed") || run_err.contains("not a database"),
            "{what}: {run_err}"
        );
    }
}

/// gunzip.
fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a gzip body");
    out
}

#[tokio::test]
async fn pages_and_trending_are_gzipped_for_clients_that_accept_it() {
    install_crypto();
    let o = Origin::start().await;
    let items: Vec<_> = (0..12)
        .map(|n| {
            item(&format!(
                "Ремонт дороги на улице номер {n} завершат к декабрю"
            ))
            .guid(&n.to_string())
            .desc(&"Подрядчик уложит новый асфальт и обновит разметку. ".repeat(5))
        })
        .collect();
    o.route("/feed.xml", Route::ok(rss(&items), "application/rss+xml"));
    let app = App::new(&config(
        &[("lipetsk", o.url("/feed.xml"))],
        "[[topic]]\nname = \"roads\"\ntitle = \"Дороги\"\nkeywords = [\"дорога\"]\n",
    ));
    let d = spawn(&["run"], Some(&app)).await;
    let front = until(&format!("{}/", d.base), |b| b.contains("/stories/")).await;
    let story = front
        .split("href=\"/stories/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let client = plain_client();
    for path in [
        "/".to_string(),
        format!("/stories/{story}"),
        "/topics/roads".into(),
        "/sources".into(),
        "/trending.json?period=day".into(),
        "/opml".into(),
    ] {
        // The pages are made to the minute: compare two readings within one.
        let second = chrono::Timelike::second(&chrono::Utc::now());
        if second >= 57 {
            tokio::time::sleep(std::time::Duration::from_secs(u64::from(61 - second))).await;
        }
        let url = format!("{}{path}", d.base);
        let plain = client.get(&url).send().await.unwrap();
        assert_eq!(plain.status(), 200, "{path}");
        assert_eq!(plain.headers().get("content-encoding"), None, "{path}");
        assert_eq!(plain.headers()["vary"], "accept-encoding", "{path}");
        let plain_tag = plain.headers()["etag"].to_str().unwrap().to_string();
        let plain = plain.bytes().await.unwrap();

        let gz = client
            .get(&url)
            .header("accept-encoding", "gzip, deflate, br")
            .send()
            .await
            .unwrap();
        assert_eq!(gz.status(), 200, "{path}");
        assert_eq!(gz.headers()["content-encoding"], "gzip", "{path}");
        assert_eq!(gz.headers()["vary"], "accept-encoding", "{path}");
        let gz_tag = gz.headers()["etag"].to_str().unwrap().to_string();
        assert_ne!(gz_tag, plain_tag, "{path}: one tag for two representations");
        let zipped = gz.bytes().await.unwrap();
        assert!(
            zipped.len() < plain.len(),
            "{path}: {} ≥ {}",
            zipped.len(),
            plain.len()
        );
        assert_eq!(gunzip(&zipped), plain.to_vec(), "{path}");

        // Each representation is revalidated with its own tag.
        let again = client
            .get(&url)
            .header("accept-encoding", "gzip")
            .header("if-none-match", &gz_tag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
        let other = client
            .get(&url)
            .header("if-none-match", &gz_tag)
            .send()
            .await
            .unwrap();
        assert_eq!(
            other.status(),
            200,
            "{path}: the gzip tag validated identity bytes"
        );
        // `gzip;q=0` refuses it.
        let refused = client
            .get(&url)
            .header("accept-encoding", "gzip;q=0")
            .send()
            .await
            .unwrap();
        assert_eq!(refused.headers().get("content-encoding"), None, "{path}");
    }
    d.stop().await;
}

#[tokio::test]
async fn a_redirect_to_svodka_itself_is_refused_while_local_sources_still_work() {
    install_crypto();
    let o = Origin::start().await;
    let port = crate::harness::free_port();
    let own = format!("http://127.0.0.1:{port}");
    o.route(
        "/feed.xml",
        Route::ok(
            rss(&[item("Мост через Воронеж откроют в пятницу").guid("1")]),
            "application/rss+xml",
        ),
    );
    // A local source that moved within its own server still works.
    o.route(
        "/old.xml",
        Route::status(302).header("location", "/feed2.xml"),
    );
    o.route(
        "/feed2.xml",
        Route::ok(
            rss(&[item("В Липецке выпал первый снег").guid("2")]),
            "application/rss+xml",
        ),
    );
    // What a hostile source tried: svodka's own merged feed and its metrics.
    o.route(
        "/sneaky.xml",
        Route::status(302).header("location", &format!("{own}/feeds/all.rss")),
    );
    o.route(
        "/peek.xml",
        Route::status(302).header("location", &format!("{own}/metrics")),
    );
    let sources = [
        ("local", o.url("/feed.xml")),
        ("moved", o.url("/old.xml")),
        ("sneaky", o.url("/sneaky.xml")),
        ("peek", o.url("/peek.xml")),
    ];
    let text = config(&sources, "").replace(
        "listen = \"127.0.0.1:0\"",
        &format!("listen = \"127.0.0.1:{port}\""),
    );
    let app = App::new(&text);
    let d = spawn(&["run"], Some(&app)).await;
    assert_eq!(d.base, own);
    let m = until(&format!("{own}/metrics"), |m| {
        m.contains("svodka_fetches_total{outcome=\"saved\"} 2")
            && m.contains("svodka_fetches_total{outcome=\"failed\"} 2")
    })
    .await;
    assert!(
        m.contains("svodka_items_saved_total{kind=\"new\"} 2"),
        "{m}"
    );
    let feed = until(&format!("{own}/feeds/all.rss"), |b| b.contains("снег")).await;
    assert_eq!(crate::harness::titles(&feed).len(), 2, "{feed}");

    // `svodka fetch` beside the daemon says why, and so does `svodka sources`.
    let (code, out, err) = app.svodka(&["fetch"]).await;
    assert_eq!(code, 0, "{err}");
    for line in [
        format!(
            "sneaky: error: redirect to svodka itself refused: {own}/feeds/all.rss ([fetch] allow_private_redirects = true allows it)"
        ),
        format!("peek: error: redirect to svodka itself refused: {own}/metrics"),
        "local: 0 new, 0 updated, 1 unchanged".into(),
        "moved: 0 new, 0 updated, 1 unchanged".into(),
    ] {
        assert!(out.contains(&line), "{line:?} missing from\n{out}");
    }
    let (_, sources_out, _) = app.svodka(&["sources"]).await;
    assert!(
        sources_out.contains(&format!(
            "error: redirect to svodka itself refused: {own}/metrics"
        )),
        "{sources_out}"
    );

    // Who needs it may allow it: then the source takes in the merged feed, as it asked.
    let allowed = App::new(&text.replace("[fetch]\n", "[fetch]\nallow_private_redirects = true\n"));
    let (code, out, err) = allowed.svodka(&["fetch", "--source", "sneaky"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("sneaky: 2 new"), "{out}");
    d.stop().await;
}

#[tokio::test]
async fn no_password_in_a_url_is_printed_or_stored() {
    install_crypto();
    let o = Origin::start().await;
    let addr = o.addr;
    o.route(
        "/feed.xml",
        Route::ok(
            rss(&[item("Открыт новый мост")
                .guid("1")
                .link("http://editor:secret@agency.test/news/1")]),
            "application/rss+xml",
        ),
    );
    // A redirect that hands out a password, once for good (301) and once to a dead port.
    o.route(
        "/moved.xml",
        Route::status(301).header("location", &format!("http://user:secret@{addr}/feed.xml")),
    );
    o.route(
        "/dead.xml",
        Route::status(302).header("location", "http://user:secret@127.0.0.1:1/feed.xml"),
    );
    let app = App::new(&config(
        &[
            ("moved", o.url("/moved.xml")),
            ("dead", o.url("/dead.xml")),
            ("private", format!("http://reader:secret@{addr}/feed.xml")),
        ],
        "",
    ));
    let mut printed = String::new();
    for args in [
        &["fetch"][..],
        &["sources"],
        &["export", "--feed", "all"],
        &["export", "--feed", "all", "--format", "json"],
    ] {
        let (code, out, err) = app.svodka(args).await;
        assert_eq!(code, 0, "{args:?}: {err}");
        printed.push_str(&out);
        printed.push_str(&err);
    }
    // The source behind a password was read with it.
    assert!(
        printed.contains("private: 1 new") || printed.contains("private: 0 new"),
        "{printed}"
    );
    assert!(printed.contains("dead: error:"), "{printed}");
    assert!(printed.contains("agency.test/news/1"), "{printed}");
    for url in [
        format!("http://user:secret@{addr}/moved.xml"),
        format!("http://user:secret@{addr}/dead.xml"),
    ] {
        let (_, out, err) = crate::harness::run_svodka(None, &["inspect", &url]).await;
        printed.push_str(&out);
        printed.push_str(&err);
    }
    assert!(
        printed.contains(&format!("# url: http://{addr}/feed.xml")),
        "{printed}"
    );
    assert!(
        !printed.contains("secret"),
        "a password was printed:\n{printed}"
    );
    // Nor stored: the database (and its log, if left) hold no password.
    for file in ["svodka.db", "svodka.db-wal"] {
        if let Ok(bytes) = std::fs::read(app.dir.path().join(file)) {
            assert!(
                !bytes.windows(6).any(|w| w == b"secret"),
                "a password is stored in {file}"
            );
        }
    }
}

#[tokio::test]
async fn an_http_1_1_request_must_name_its_host_once() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = App::new(&config(&[], ""));
    let d = spawn(&["run"], Some(&app)).await;
    let addr = d.base.trim_start_matches("http://").to_string();
    let ask = |head: &'static str| {
        let addr = addr.clone();
        async move {
            let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
            s.write_all(head.as_bytes()).await.unwrap();
            let mut answer = vec![0u8; 12];
            s.read_exact(&mut answer).await.unwrap();
            String::from_utf8(answer).unwrap()
        }
    };
    assert_eq!(ask("GET /healthz HTTP/1.1\r\n\r\n").await, "HTTP/1.1 400");
    assert_eq!(
        ask("GET /healthz HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n").await,
        "HTTP/1.1 400"
    );
    assert_eq!(
        ask("GET /healthz HTTP/1.1\r\nHost: news.test\r\n\r\n").await,
        "HTTP/1.1 200"
    );
    // HTTP/1.0 may leave it out.
    assert_eq!(ask("GET /healthz HTTP/1.0\r\n\r\n").await, "HTTP/1.0 200");
    d.stop().await;
}
