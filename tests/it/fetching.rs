//! Fetch limits: a hanging, huge, bombing, looping or vanished source costs only itself.

use std::io::Write;
use std::time::Duration;

use crate::feeds::{item, rss};
use crate::harness::{App, Origin, Route, config};

fn good_feed() -> Route {
    Route::ok(
        rss(&[item("Хорошая новость").guid("g1")]),
        "application/rss+xml",
    )
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[tokio::test]
async fn hostile_sources_fail_alone_and_good_items_are_stored() {
    let o = Origin::start().await;
    o.route("/good.xml", good_feed());
    o.route("/hang.xml", good_feed().delay(Duration::from_secs(30)));
    let huge = rss(&(0..3000)
        .map(|i| item(&format!("Новость номер {i}")).guid(&i.to_string()))
        .collect::<Vec<_>>());
    o.route("/huge.xml", Route::ok(huge, "application/rss+xml"));
    // 64 MiB of zeros packed into ~64 KiB.
    let bomb = gzip(&vec![0u8; 64 << 20]);
    o.route(
        "/bomb.xml",
        Route::ok(bomb, "application/rss+xml").header("content-encoding", "gzip"),
    );
    o.route(
        "/loop.xml",
        Route::status(302).header("location", "/loop.xml"),
    );
    o.route("/gone.xml", Route::status(410));
    o.route("/error.xml", Route::status(500));
    let lying = crate::feeds::rss_with(
        "windows-1251",
        &[item("Новость в кодировке windows-1251").guid("w1")],
    );
    o.route(
        "/lying.xml",
        Route::ok(
            crate::feeds::to_encoding(&lying, "windows-1251"),
            "application/rss+xml; charset=utf-8",
        ),
    );
    let cfg = config(
        &[
            ("good", o.url("/good.xml")),
            ("hang", o.url("/hang.xml")),
            ("huge", o.url("/huge.xml")),
            ("bomb", o.url("/bomb.xml")),
            ("loop", o.url("/loop.xml")),
            ("gone", o.url("/gone.xml")),
            ("error", o.url("/error.xml")),
            ("lying", o.url("/lying.xml")),
        ],
        "",
    )
    .replace(
        "[fetch]\ntimeout_secs = 2\n",
        "[fetch]\ntimeout_secs = 2\nmax_body_bytes = 65536\n",
    );
    let app = App::new(&cfg);
    let (code, out, _) = app.svodka(&["fetch"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("good: 1 new"), "{out}");
    assert!(out.contains("hang: error: timed out after 2s"), "{out}");
    assert!(
        out.contains("huge: error: body larger than 65536 bytes"),
        "{out}"
    );
    assert!(
        out.contains("bomb: error: body larger than 65536 bytes"),
        "{out}"
    );
    assert!(out.contains("loop: error: more than 5 redirects"), "{out}");
    assert!(out.contains("gone: error: 410 Gone"), "{out}");
    assert!(out.contains("error: error: HTTP 500"), "{out}");
    assert!(out.contains("lying: 1 new"), "{out}");
    let (_, feed, _) = app.svodka(&["export", "--feed", "all"]).await;
    let mut got = crate::harness::titles(&feed);
    got.sort();
    assert_eq!(got, ["Новость в кодировке windows-1251", "Хорошая новость"]);

    let (_, out, _) = app.svodka(&["fetch"]).await;
    assert!(
        out.contains("gone: skipped: the server answered 410 Gone"),
        "{out}"
    );
    let (_, out, _) = app.svodka(&["sources"]).await;
    assert!(out.contains("gone (410)"), "{out}");
    let gone = out.split("\ngone\n").nth(1).unwrap();
    assert!(gone.contains("next due: never (gone)"), "{out}");
}

#[tokio::test]
async fn gzip_feeds_are_decoded_and_permanent_redirects_recorded() {
    let o = Origin::start().await;
    let body = gzip(rss(&[item("Сжатая лента из Тамбова").guid("z1")]).as_bytes());
    o.route(
        "/new.xml",
        Route::ok(body, "application/rss+xml").header("content-encoding", "gzip"),
    );
    o.route(
        "/old.xml",
        Route::status(301).header("location", "/new.xml"),
    );
    let app = App::new(&config(&[("tambov", o.url("/old.xml"))], ""));
    let (_, out, _) = app.svodka(&["fetch"]).await;
    assert!(out.contains("tambov: 1 new"), "{out}");
    let accept = o.seen("/old.xml")[0].headers["accept-encoding"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(accept.contains("gzip") && accept.contains("br"), "{accept}");
    let (_, out, _) = app.svodka(&["sources"]).await;
    assert!(
        out.contains(&format!("moved permanently to: {}", o.url("/new.xml"))),
        "{out}"
    );
    // The next fetch goes straight to the new address.
    app.svodka(&["fetch"]).await;
    assert_eq!(o.seen("/old.xml").len(), 1);
    assert_eq!(o.seen("/new.xml").len(), 2);
}

#[tokio::test]
async fn global_limit_holds() {
    let o = Origin::start().await;
    let mut sources = Vec::new();
    for (i, name) in ["a", "b", "c", "d", "e", "f"].iter().enumerate() {
        let path = format!("/g{i}.xml");
        o.route(&path, good_feed().delay(Duration::from_millis(150)));
        sources.push((*name, o.url(&path)));
    }
    let cfg = config(&sources, "").replace(
        "timeout_secs = 2\n",
        "timeout_secs = 5\nper_host = 10\nconcurrency = 3\n",
    );
    let app = App::new(&cfg);
    let (_, out, _) = app.svodka(&["fetch"]).await;
    // The six copies of one item: one new, five merged into it.
    assert_eq!(
        out.lines()
            .filter(|l| l.ends_with("0 unchanged, 1 merged"))
            .count(),
        5,
        "{out}"
    );
    assert_eq!(o.max_in_flight(), 3);
}

#[tokio::test]
async fn brotli_feeds_are_decoded() {
    let mut body = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut body, 4096, 9, 22);
        w.write_all(rss(&[item("Лента, сжатая brotli").guid("b1")]).as_bytes())
            .unwrap();
    }
    let o = Origin::start().await;
    o.route(
        "/br.xml",
        Route::ok(body, "application/rss+xml").header("content-encoding", "br"),
    );
    let app = App::new(&config(&[("br", o.url("/br.xml"))], ""));
    let (_, out, _) = app.svodka(&["fetch"]).await;
    assert!(out.contains("br: 1 new"), "{out}");
    let ua = o.seen("/br.xml")[0].headers["user-agent"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(
        ua,
        format!("svodka/{} (+http://news.test)", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn per_host_limit_holds() {
    let o = Origin::start().await;
    let mut sources = Vec::new();
    for i in 0..6 {
        let path = format!("/feed{i}.xml");
        o.route(&path, good_feed().delay(Duration::from_millis(150)));
        sources.push((["a", "b", "c", "d", "e", "f"][i], o.url(&path)));
    }
    let cfg =
        config(&sources, "").replace("timeout_secs = 2\n", "timeout_secs = 5\nper_host = 2\n");
    let app = App::new(&cfg);
    let (_, out, _) = app.svodka(&["fetch"]).await;
    assert_eq!(out.lines().count(), 6, "{out}");
    assert_eq!(o.max_in_flight(), 2);
}

#[tokio::test]
async fn retry_after_and_backoff_set_the_next_due_time() {
    let o = Origin::start().await;
    o.route(
        "/busy.xml",
        Route::status(503).header("retry-after", "3600"),
    );
    o.route("/down.xml", Route::status(502));
    let app = App::new(
        &config(
            &[("busy", o.url("/busy.xml")), ("down", o.url("/down.xml"))],
            "",
        )
        .replace("[server]\n", "[server]\ntimezone = \"UTC\"\n"),
    );
    let before = chrono::Utc::now();
    app.svodka(&["fetch"]).await;
    let (_, out, _) = app.svodka(&["sources"]).await;
    let due = |name: &str| -> chrono::DateTime<chrono::Utc> {
        let block = out.split(&format!("{name}\n")).nth(1).unwrap();
        let at = block
            .split("backing off until ")
            .nth(1)
            .unwrap()
            .split(')')
            .next()
            .unwrap();
        chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M:%S UTC")
            .unwrap()
            .and_utc()
    };
    // Retry-After: an hour; a plain 502: the first backoff step, one minute and some jitter.
    let busy = due("busy") - before;
    assert!(
        busy >= chrono::Duration::minutes(59) && busy <= chrono::Duration::minutes(61),
        "{out}"
    );
    let down = due("down") - before;
    assert!(
        down >= chrono::Duration::seconds(59) && down <= chrono::Duration::seconds(80),
        "{out}"
    );
    assert!(out.contains("error: HTTP 503"), "{out}");
}
