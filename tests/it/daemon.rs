//! The real `svodka run` and `svodka demo`: served feeds, 304s, schedule, SIGHUP, SIGTERM.

use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::feeds::{item, rss};
use crate::harness::{App, Origin, Route, config, titles};

/// A running `svodka` process and the address it serves on (read from its log).
pub(crate) struct Running {
    child: Child,
    pub(crate) base: String,
    log: tokio::sync::mpsc::UnboundedReceiver<String>,
}

pub(crate) async fn spawn(args: &[&str], app: Option<&App>) -> Running {
    spawn_with_env(args, app, &[]).await
}

async fn spawn_with_env(
    args: &[&str],
    app: Option<&App>,
    env: &[(&str, &std::path::Path)],
) -> Running {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_svodka"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args)
        .env_remove("SVODKA_CONFIG")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(app) = app {
        cmd.arg("--config").arg(app.config_path());
    }
    let (child, base, log) = crate::harness::start_serving(cmd).await;
    Running { child, base, log }
}

impl Running {
    pub(crate) fn pid(&self) -> u32 {
        self.child.id().unwrap()
    }

    pub(crate) fn signal(&self, sig: &str) {
        let pid = self.child.id().unwrap().to_string();
        let st = std::process::Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap();
        assert!(st.success());
    }

    pub(crate) async fn stop(mut self) -> i32 {
        self.signal("-TERM");
        let st = tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .expect("svodka did not stop after SIGTERM")
            .unwrap();
        st.code().unwrap_or(-1)
    }

    pub(crate) async fn wait_log(&mut self, needle: &str) {
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
}

/// Polls `url` until `ok(body)` holds; the daemon works on its own clock, so tests wait for
/// what a user would wait for, with a deadline instead of a fixed sleep.
pub(crate) async fn until(url: &str, ok: impl Fn(&str) -> bool) -> String {
    until_within(url, 20, ok).await
}

/// Polls `url` until it answers 200 with a body for which `ok` holds, for at most `secs` seconds.
pub(crate) async fn until_within(url: &str, secs: u64, ok: impl Fn(&str) -> bool) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Ok(r) = reqwest::get(url).await
            && r.status() == 200
            && let Ok(body) = r.text().await
            && ok(&body)
        {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{url} never became ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) fn install_crypto() {
    svodka::fetch::install_crypto_provider();
}

/// The common start: an origin serving one item titled `title` at `/feed.xml`, `svodka run`
/// with one source (`lipetsk`) pointing at it and `extra` config, and the merged feed's URL once
/// that item is served there.
async fn serving(title: &str, extra: &str) -> (Origin, App, Running, String) {
    install_crypto();
    let o = Origin::start().await;
    o.route(
        "/feed.xml",
        Route::ok(rss(&[item(title).guid("1")]), "application/rss+xml"),
    );
    let app = App::new(&config(&[("lipetsk", o.url("/feed.xml"))], extra));
    let d = spawn(&["run"], Some(&app)).await;
    let url = format!("{}/feeds/all.rss", d.base);
    until(&url, |b| b.contains(title)).await;
    (o, app, d, url)
}

#[tokio::test]
async fn run_serves_feeds_with_validators_and_304s_then_stops_cleanly() {
    let extra = "[[topic]]\nname = \"syria\"\ntitle = \"Сирия\"\nkeywords = [\"Сирия\"]\n";
    let (_o, _app, d, url) = serving("Студенты из Сирии начали учёбу в Липецке", extra).await;

    let client = reqwest::Client::new();
    let r = client.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/rss+xml")
    );
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let lm = r.headers()["last-modified"].to_str().unwrap().to_string();
    let body = r.text().await.unwrap();
    assert_eq!(titles(&body), ["Студенты из Сирии начали учёбу в Липецке"]);

    let r = client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert_eq!(r.headers()["etag"].to_str().unwrap(), etag);
    assert!(r.bytes().await.unwrap().is_empty());
    let r = client
        .get(&url)
        .header("if-modified-since", &lm)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let r = client
        .get(&url)
        .header("if-none-match", "\"other\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let topic = client
        .get(format!("{}/topics/syria.rss", d.base))
        .send()
        .await
        .unwrap();
    assert_eq!(topic.status(), 200);
    assert!(topic.headers().contains_key("etag"));
    assert_eq!(
        titles(&topic.text().await.unwrap()),
        ["Студенты из Сирии начали учёбу в Липецке"]
    );
    // Compressed once, served to whoever asks, as its own representation.
    let raw = reqwest::Client::builder()
        .no_gzip()
        .no_brotli()
        .build()
        .unwrap();
    let plain = raw.get(&url).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let plain_etag = plain.headers()["etag"].clone();
    let plain = plain.bytes().await.unwrap();
    let gz = raw
        .get(&url)
        .header("accept-encoding", "br;q=1.0, gzip;q=0.8")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    assert_eq!(gz.headers()["vary"], "accept-encoding");
    assert_ne!(gz.headers()["etag"], plain_etag);
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&gz.bytes().await.unwrap()[..]),
        &mut unzipped,
    )
    .unwrap();
    assert_eq!(unzipped, plain);
    // A cache holding the gzipped copy asks without gzip: it gets the identity body, not a 304.
    let gz_etag = raw
        .get(&url)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap()
        .headers()["etag"]
        .clone();
    let other = raw
        .get(&url)
        .header("if-none-match", gz_etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
    let same = raw
        .get(&url)
        .header("accept-encoding", "gzip")
        .header("if-none-match", gz_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), 304);
    let refused = raw
        .get(&url)
        .header("accept-encoding", "gzip;q=0")
        .send()
        .await
        .unwrap();
    assert!(refused.headers().get("content-encoding").is_none());
    let r = raw
        .get(&url)
        .header("if-none-match", plain_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);

    // The same feed as Atom and JSON Feed, each with its own validators.
    let atom = client
        .get(format!("{}/feeds/all.atom", d.base))
        .send()
        .await
        .unwrap();
    assert_eq!(atom.status(), 200);
    assert!(
        atom.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    assert_ne!(atom.headers()["etag"].to_str().unwrap(), etag);
    let atom = atom_syndication::Feed::read_from(atom.text().await.unwrap().as_bytes()).unwrap();
    // Not edited by its agency: "updated" is its publication, not when svodka stored it.
    assert_eq!(
        atom.entries()[0].updated(),
        &atom.entries()[0].published().cloned().unwrap()
    );
    assert_eq!(
        atom.entries()[0].title().as_str(),
        "Студенты из Сирии начали учёбу в Липецке"
    );
    assert_eq!(atom.entries()[0].categories()[0].label(), Some("Сирия"));
    assert!(
        atom.links()
            .iter()
            .any(|l| l.rel() == "self" && l.href() == "http://news.test/feeds/all.atom")
    );
    let json = client
        .get(format!("{}/topics/syria.json", d.base))
        .send()
        .await
        .unwrap();
    assert!(
        json.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/feed+json")
    );
    let json: serde_json::Value = serde_json::from_str(&json.text().await.unwrap()).unwrap();
    assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(
        json["items"][0]["title"],
        "Студенты из Сирии начали учёбу в Липецке"
    );
    assert_eq!(json["items"][0]["tags"][0], "Сирия");
    for page in ["/opml", "/", "/trending.json?period=day"] {
        let r = client
            .get(format!("{}{page}", d.base))
            .send()
            .await
            .unwrap();
        let tag = r.headers()["etag"].clone();
        let again = client
            .get(format!("{}{page}", d.base))
            .header("if-none-match", tag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{page}");
    }
    let opml = client
        .get(format!("{}/opml", d.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        opml.contains("xmlUrl=\"http://news.test/feeds/all.rss\""),
        "{opml}"
    );
    assert!(
        opml.contains("xmlUrl=\"http://news.test/topics/syria.rss\""),
        "{opml}"
    );

    for missing in [
        "/topics/nope.rss",
        "/feeds/nope.rss",
        "/feeds/all.xml",
        "/feeds/nope.json",
    ] {
        let r = client
            .get(format!("{}{missing}", d.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{missing}");
    }
    let metrics = client
        .get(format!("{}/metrics", d.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |line: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(line)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{line} missing:\n{metrics}"))
    };
    assert!(value("svodka_fetches_total{outcome=\"saved\"}") >= 1);
    assert!(value("svodka_feed_responses_total{status=\"304\"}") >= 3);
    assert_eq!(value("svodka_items"), 1);
    assert_eq!(value("svodka_sources{state=\"ok\"}"), 1);
    let health = client
        .get(format!("{}/healthz", d.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let index = client
        .get(format!("{}/", d.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        index.contains("<link rel=\"alternate\" type=\"application/rss+xml\""),
        "{index}"
    );
    assert!(
        index.contains("http://news.test/topics/syria.rss"),
        "{index}"
    );

    assert_eq!(d.stop().await, 0);
}

#[tokio::test]
async fn run_fetches_on_schedule_and_a_changed_feed_gets_a_new_etag() {
    let extra = "[schedule]\ncron = \"* * * * * *\"\n";
    let (o, _app, d, url) = serving("Первая новость дня", extra).await;
    let r = reqwest::get(&url).await.unwrap();
    let first = r.headers()["etag"].clone();
    let first_lm = r.headers()["last-modified"].clone();
    o.route(
        "/feed.xml",
        Route::ok(
            rss(&[
                item("Первая новость дня").guid("1"),
                item("Вторая новость дня").guid("2"),
            ]),
            "application/rss+xml",
        ),
    );
    until(&url, |b| b.contains("Вторая")).await;
    let second = reqwest::get(&url).await.unwrap().headers()["etag"].clone();
    assert_ne!(first, second);
    // A reader that only remembers the date must see the change too.
    let client = reqwest::Client::new();
    let r = client
        .get(&url)
        .header("if-modified-since", first_lm)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(o.seen("/feed.xml").len() >= 2);
    assert_eq!(d.stop().await, 0);
}

#[tokio::test]
async fn a_hanging_source_does_not_hold_back_the_others() {
    install_crypto();
    let o = Origin::start().await;
    o.route(
        "/fast.xml",
        Route::ok(
            rss(&[item("Быстрая лента").guid("1")]),
            "application/rss+xml",
        ),
    );
    o.route(
        "/hang.xml",
        Route::ok(rss(&[]), "application/rss+xml").delay(Duration::from_secs(120)),
    );
    let extra = "[schedule]\ncron = \"* * * * * *\"\n";
    let cfg = config(
        &[("fast", o.url("/fast.xml")), ("hang", o.url("/hang.xml"))],
        extra,
    )
    .replace("timeout_secs = 2", "timeout_secs = 60");
    let app = App::new(&cfg);
    let d = spawn(&["run"], Some(&app)).await;
    // While the other source hangs for a minute, the fast one keeps its every-second schedule.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while o.seen("/fast.xml").len() < 4 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the fast source waited for the hanging one"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(o.seen("/hang.xml").len(), 1);
    // Shutdown does not wait for the hanging fetch either.
    assert_eq!(d.stop().await, 0);
}

#[tokio::test]
async fn systemd_hears_ready_reloading_and_stopping() {
    install_crypto();
    let app = App::new(&config(&[], ""));
    let socket_path = app.dir.path().join("notify.sock");
    let socket = tokio::net::UnixDatagram::bind(&socket_path).unwrap();
    let d = spawn_with_env(&["run"], Some(&app), &[("NOTIFY_SOCKET", &socket_path)]).await;
    let mut heard = String::new();
    let mut buf = [0u8; 4096];
    let mut listen_for = async |what: &str, heard: &mut String| {
        tokio::time::timeout(Duration::from_secs(20), async {
            while !heard.contains(what) {
                let n = socket.recv(&mut buf).await.unwrap();
                heard.push_str(&String::from_utf8_lossy(&buf[..n]));
                heard.push('\n');
            }
        })
        .await
        .unwrap_or_else(|_| panic!("systemd never heard {what}: {heard}"));
    };
    listen_for("READY=1", &mut heard).await;
    listen_for(
        "STATUS=serving 1 feed and 0 topics from 0 sources",
        &mut heard,
    )
    .await;
    d.signal("-HUP");
    listen_for("RELOADING=1", &mut heard).await;
    d.signal("-TERM");
    listen_for("STOPPING=1", &mut heard).await;
    let mut child = d.child;
    let st = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(st.code(), Some(0));
}

#[tokio::test]
async fn readers_asking_together_share_one_rendering() {
    let (_o, _app, mut d, url) = serving("Новость", "").await;
    // A reload makes every rendered feed stale; twenty readers then arrive at once (a
    // thundering herd), and the single-flight lock renders the feed once for all of them.
    d.signal("-HUP");
    d.wait_log("reloaded").await;
    let before = renders(&d.base).await;
    let client = reqwest::Client::new();
    let asks: Vec<_> = (0..20).map(|_| client.get(&url).send()).collect();
    for r in futures_join(asks).await {
        assert_eq!(r.unwrap().status(), 200);
    }
    assert_eq!(renders(&d.base).await, before + 1);
    assert_eq!(d.stop().await, 0);
}

#[tokio::test]
async fn a_new_item_renders_again_only_the_feeds_it_touches() {
    install_crypto();
    let o = Origin::start().await;
    let lipetsk = "В Липецке открыли новую поликлинику на улице Катукова";
    let tambov = "В Тамбове начали ремонт моста через Цну";
    let tambov_later = "Тамбовские фермеры собрали рекордный урожай сахарной свёклы";
    o.route(
        "/l.xml",
        Route::ok(
            rss(&[item(lipetsk)
                .guid("l1")
                .desc("Поликлинику на 300 посещений в смену построили за год.")]),
            "application/rss+xml",
        ),
    );
    o.route(
        "/t.xml",
        Route::ok(
            rss(&[item(tambov)
                .guid("t1")
                .desc("Движение по мосту ограничат до конца лета.")]),
            "application/rss+xml",
        ),
    );
    let extra = format!(
        "[schedule]\ncron = \"* * * * * *\"\n\n\
         [[source]]\nname = \"lipetsk\"\nurl = \"{}\"\n\n\
         [[source]]\nname = \"tambov\"\nurl = \"{}\"\n\n\
         [[feed]]\nname = \"lipetsk\"\ntitle = \"Липецк\"\nsources = [\"lipetsk\"]\n\n\
         [[feed]]\nname = \"tambov\"\ntitle = \"Тамбов\"\nsources = [\"tambov\"]\n",
        o.url("/l.xml"),
        o.url("/t.xml")
    );
    let app = App::new(&config(&[], &extra));
    let d = spawn(&["run"], Some(&app)).await;
    let l_url = format!("{}/feeds/lipetsk.rss", d.base);
    let t_url = format!("{}/feeds/tambov.rss", d.base);
    until(&l_url, |b| b.contains(lipetsk)).await;
    until(&t_url, |b| b.contains(tambov)).await;
    let client = reqwest::Client::new();
    let etag = client.get(&l_url).send().await.unwrap().headers()["etag"]
        .to_str()
        .unwrap()
        .to_string();

    // Tambov publishes a report of its own; its feed shows it.
    o.route(
        "/t.xml",
        Route::ok(
            rss(&[
                item(tambov_later)
                    .guid("t2")
                    .desc("Урожай составил 5,1 млн тонн, на 12% больше прошлогоднего."),
                item(tambov)
                    .guid("t1")
                    .desc("Движение по мосту ограничат до конца лета."),
            ]),
            "application/rss+xml",
        ),
    );
    until(&t_url, |b| b.contains(tambov_later)).await;
    let before = renders(&d.base).await;
    // The Lipetsk feed was not touched: it is served as rendered, not rendered again.
    let r = client
        .get(&l_url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert_eq!(
        renders(&d.base).await,
        before,
        "the Lipetsk feed was rendered again"
    );
    assert_eq!(d.stop().await, 0);
}

/// `svodka_feed_renders_total` from `/metrics`.
async fn renders(base: &str) -> u64 {
    let m = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    m.lines()
        .find_map(|l| {
            l.strip_prefix("svodka_feed_renders_total ")?
                .parse::<u64>()
                .ok()
        })
        .unwrap()
}

/// Awaits all the futures, concurrently.
async fn futures_join<F>(fs: Vec<F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = fs.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test]
async fn sighup_reloads_a_good_config_and_keeps_the_old_one_when_the_new_is_bad() {
    let (o, app, mut d, _) = serving("Новость", "").await;
    let sources = [("lipetsk", o.url("/feed.xml"))];

    std::fs::write(
        app.config_path(),
        config(
            &sources,
            "[[feed]]\nname = \"fresh\"\ntitle = \"Новая лента\"\n",
        ),
    )
    .unwrap();
    d.signal("-HUP");
    until(&format!("{}/feeds/fresh.rss", d.base), |b| {
        b.contains("Новая лента")
    })
    .await;

    std::fs::write(app.config_path(), "[[source]]\nurll = \"x\"\n").unwrap();
    d.signal("-HUP");
    d.wait_log("kept the running config").await;
    let r = reqwest::get(format!("{}/feeds/fresh.rss", d.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(d.stop().await, 0);
}

#[tokio::test]
async fn demo_refuses_a_busy_address_it_was_given() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let (code, _, err) = crate::harness::run_svodka(None, &["demo", "--listen", &addr]).await;
    assert_ne!(code, 0);
    assert!(err.contains(&format!("cannot listen on {addr}")), "{err}");
}

#[tokio::test]
async fn demo_serves_the_sample_agencies_merged() {
    install_crypto();
    let d = spawn(&["demo", "--listen", "127.0.0.1:0"], None).await;
    let url = format!("{}/feeds/all.rss", d.base);
    // 36 items in four feeds; the press release carried by all four agencies counts once.
    let body = until(&url, |b| {
        titles(b).len() <= 33
            && crate::harness::channel(b).items().iter().any(|i| {
                i.description().is_some_and(|d| {
                    d.matches("Также сообщили").count() == 1
                        && d.contains("312 км дорог")
                        && d.matches("<a href").count() == 3
                })
            })
    })
    .await;
    let t = titles(&body);
    assert_eq!(t.len(), 33, "{t:#?}");
    // Two verdicts of one court on ИГИЛ recruits, from Белгород and from Лиски, are two
    // events: each stays its own entry.
    for verdict in ["В Белгороде осудили двоих", "Жителя Лисок приговорили"]
    {
        assert!(t.iter().any(|t| t.contains(verdict)), "{verdict}: {t:#?}");
    }
    // And the front page shows each verdict with its own agency only.
    let front = reqwest::get(format!("{}/", d.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let front = scraper::Html::parse_document(&front);
    let story = scraper::Selector::parse("article.story").unwrap();
    let agencies = scraper::Selector::parse("span.agencies").unwrap();
    let mut seen = 0;
    for s in front.select(&story) {
        let text: String = s.text().collect();
        if text.contains("В Белгороде осудили двоих") || text.contains("Жителя Лисок")
        {
            seen += 1;
            let who: String = s.select(&agencies).flat_map(|a| a.text()).collect();
            assert!(!who.contains(','), "one agency each: {text}");
        }
    }
    assert!(seen >= 2, "both verdicts on the front page");
    assert!(
        t.iter()
            .any(|t| t.contains("Воронежское зерно впервые отправят в Сирию")),
        "the windows-1251 feed: {t:#?}"
    );
    // Whichever agency was fetched first owns the story; the others are named beside it.
    let ch = crate::harness::channel(&body);
    let release: Vec<_> = ch
        .items()
        .iter()
        .filter(|i| i.description().is_some_and(|d| d.contains("312 км дорог")))
        .collect();
    assert_eq!(release.len(), 1, "{t:#?}");
    let also = release[0].description().unwrap();
    assert_eq!(also.matches("Также сообщили:").count(), 1, "{also}");
    let named = [
        "Липецкий телеграф",
        "Курьер Придонья",
        "Тамбовский перекрёсток",
        "Черноземный обозреватель",
    ]
    .iter()
    .filter(|a| also.contains(*a))
    .count();
    assert_eq!(named, 3, "the other three agencies are named: {also}");
    // The demo's items carry fixed dates, so how many fall in the month depends on the day
    // this runs: only the report's shape is checked here (counts are in cli::trending_…).
    let trending = reqwest::get(format!("{}/trending.json?period=month", d.base))
        .await
        .unwrap();
    assert_eq!(trending.status(), 200);
    let trending: serde_json::Value =
        serde_json::from_str(&trending.text().await.unwrap()).unwrap();
    assert_eq!(trending["period"], "month");
    assert_eq!(trending["configured"].as_array().unwrap().len(), 4);
    let bad = reqwest::get(format!("{}/trending.json?period=year", d.base))
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let headlines = reqwest::get(format!("{}/feeds/headlines.rss", d.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let h = titles(&headlines);
    assert!(h.iter().any(|t| t.contains("Сири")), "{h:#?}");
    assert!(!h.iter().any(|t| t.contains("сирена")), "{h:#?}");
    assert_eq!(d.stop().await, 0);
}

#[tokio::test]
async fn a_reload_that_moves_listen_keeps_it_and_the_base_url_derived_from_it() {
    install_crypto();
    let o = Origin::start().await;
    o.route(
        "/feed.xml",
        Route::ok(rss(&[item("Новость").guid("1")]), "application/rss+xml"),
    );
    let (old, moved) = (crate::harness::free_port(), crate::harness::free_port());
    // No base_url: it is derived from listen.
    let cfg = |port: u16, extra: &str| {
        config(&[("lipetsk", o.url("/feed.xml"))], extra).replace(
            "listen = \"127.0.0.1:0\"\nbase_url = \"http://news.test\"",
            &format!("listen = \"127.0.0.1:{port}\""),
        )
    };
    let app = App::new(&cfg(old, ""));
    let mut d = spawn(&["run"], Some(&app)).await;
    assert_eq!(d.base, format!("http://127.0.0.1:{old}"));

    // A new address and a new database file: both need a restart.
    std::fs::write(
        app.config_path(),
        cfg(
            moved,
            "[[feed]]\nname = \"fresh\"\ntitle = \"Новая лента\"\n",
        )
        .replace("path = \"svodka.db\"", "path = \"other.db\""),
    )
    .unwrap();
    d.signal("-HUP");
    d.wait_log(&format!(
        "reload keeps until a restart: server.listen 127.0.0.1:{old} (the new value 127.0.0.1:{moved} needs a restart); server.base_url http://127.0.0.1:{old} (derived from server.listen); storage.path {} (the new value {} needs a restart); the rest of the new config applies",
        app.dir.path().join("svodka.db").display(),
        app.dir.path().join("other.db").display()
    ))
    .await;
    // The rest of the new config applies; the links still point where the server listens.
    until(&format!("{}/feeds/fresh.rss", d.base), |b| {
        b.contains("Новая лента")
    })
    .await;
    let opml = until(&format!("{}/opml", d.base), |b| b.contains("fresh")).await;
    assert!(
        opml.contains(&format!("http://127.0.0.1:{old}/feeds/fresh.rss")),
        "{opml}"
    );
    assert!(!opml.contains(&moved.to_string()), "{opml}");
    let fresh = reqwest::get(format!("{}/feeds/fresh.rss", d.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!fresh.contains(&format!(":{moved}")), "{fresh}");
    assert!(!app.dir.path().join("other.db").exists());

    // Back to the address it serves on: nothing is kept, and the log says no more than that.
    std::fs::write(app.config_path(), cfg(old, "")).unwrap();
    d.signal("-HUP");
    let mut lines = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let l = d.log.recv().await.expect("svodka exited");
            let done = l.contains("reloaded");
            lines.push(l);
            if done {
                return;
            }
        }
    })
    .await
    .expect("no reload");
    assert!(
        !lines.iter().any(|l| l.contains("listen")),
        "a revert claims a move: {lines:#?}"
    );
    let r = reqwest::get(format!("{}/feeds/fresh.rss", d.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let opml = until(&format!("{}/opml", d.base), |b| !b.contains("fresh")).await;
    assert!(
        opml.contains(&format!("http://127.0.0.1:{old}/feeds/all.rss")),
        "{opml}"
    );
    assert_eq!(d.stop().await, 0);
}
