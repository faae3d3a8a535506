//! WebSub: every feed announces the hub, and after a change the hub hears one ping per feed
//! whose bytes changed — retried when the hub fails, and never in ingest's way.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;

use crate::daemon::{install_crypto, spawn, until};
use crate::feeds::{item, rss};
use crate::harness::{App, Origin, Route, config};

/// A hub on 127.0.0.1:0 that records each publish ping; the first `fail_first` requests get a
/// 503, as a hub that is restarting would answer.
#[derive(Clone, Default)]
struct Hub {
    pings: Arc<Mutex<Vec<(String, String)>>>,
    requests: Arc<Mutex<usize>>,
    fail_first: usize,
}

impl Hub {
    async fn start(fail_first: usize) -> (Hub, String) {
        let hub = Hub {
            fail_first,
            ..Hub::default()
        };
        let app = Router::new()
            .route("/hub", post(record))
            .with_state(hub.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hub", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (hub, url)
    }

    /// How many successful pings named each feed.
    fn counts(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for (mode, url) in self.pings.lock().unwrap().iter() {
            assert_eq!(mode, "publish");
            *m.entry(url.clone()).or_default() += 1;
        }
        m
    }

    async fn until_pinged(&self, n: usize) -> BTreeMap<String, usize> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let c = self.counts();
            if c.values().sum::<usize>() >= n {
                return c;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the hub got {c:#?}, waiting for {n} pings"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn record(State(hub): State<Hub>, body: Bytes) -> StatusCode {
    let n = {
        let mut r = hub.requests.lock().unwrap();
        *r += 1;
        *r
    };
    if n <= hub.fail_first {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let form: BTreeMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    hub.pings.lock().unwrap().push((
        form.get("hub.mode").cloned().unwrap_or_default(),
        form.get("hub.url").cloned().unwrap_or_default(),
    ));
    StatusCode::NO_CONTENT
}

const SYRIA: &str = "[[topic]]\nname = \"syria\"\ntitle = \"Сирия\"\nkeywords = [\"Сирия\"]\n\n\
    [[feed]]\nname = \"all\"\ntitle = \"Все новости\"\n\n\
    [[feed]]\nname = \"tambov\"\ntitle = \"Тамбов\"\nsources = [\"tambov\"]\n\n\
    [schedule]\ncron = \"* * * * * *\"\n";

fn feeds(base: &str, names: &[&str]) -> BTreeMap<String, usize> {
    names
        .iter()
        .flat_map(|n| ["rss", "atom", "json"].map(|e| (format!("{base}{n}.{e}"), 1)))
        .collect()
}

#[tokio::test]
async fn the_hub_hears_one_ping_per_changed_feed_and_every_feed_announces_it() {
    install_crypto();
    let (hub, hub_url) = Hub::start(1).await;
    let o = Origin::start().await;
    o.route("/lipetsk.xml", Route::ok(rss(&[]), "application/rss+xml"));
    o.route("/tambov.xml", Route::ok(rss(&[]), "application/rss+xml"));
    // The harness writes `[server]`; the hub goes into it.
    let cfg = config(
        &[
            ("lipetsk", o.url("/lipetsk.xml")),
            ("tambov", o.url("/tambov.xml")),
        ],
        SYRIA,
    )
    .replace(
        "base_url = \"http://news.test\"",
        &format!("base_url = \"http://news.test\"\nwebsub_hub = \"{hub_url}\""),
    );
    let app = App::new(&cfg);
    let mut d = spawn(&["run"], Some(&app)).await;
    d.wait_log("tambov: 0 new").await;

    // A Syria story from Lipetsk: the merged feed and the topic's feed change, Tambov's not.
    o.route(
        "/lipetsk.xml",
        Route::ok(
            rss(&[item("Липецкие врачи вернулись из командировки в Сирию")
                .guid("lp-1")
                .link("https://lipetsk.test/news/1")]),
            "application/rss+xml",
        ),
    );
    let got = hub.until_pinged(6).await;
    let mut want = feeds("http://news.test/feeds/", &["all"]);
    want.extend(feeds("http://news.test/topics/", &["syria"]));
    assert_eq!(got, want);
    assert!(*hub.requests.lock().unwrap() >= 7, "the 503 was retried");

    // Later fetches of the same feeds change nothing, and ping nothing.
    d.wait_log("lipetsk: 0 new, 0 updated, 1 unchanged").await;
    d.wait_log("lipetsk: 0 new, 0 updated, 1 unchanged").await;
    assert_eq!(hub.counts(), want);

    // A Tambov story, not about Syria: the merged and Tambov's feeds, once each.
    o.route(
        "/tambov.xml",
        Route::ok(
            rss(&[item("В Тамбове открыли новый ледовый дворец")
                .guid("tb-1")
                .link("https://tambov.test/news/1")]),
            "application/rss+xml",
        ),
    );
    let got = hub.until_pinged(12).await;
    for (url, n) in feeds("http://news.test/feeds/", &["all", "tambov"]) {
        *want.entry(url).or_default() += n;
    }
    assert_eq!(got, want);

    // Every feed names the hub: RSS and Atom as rel="hub", JSON Feed in `hubs`.
    let base = d.base.clone();
    let rss_text = until(&format!("{base}/feeds/all.rss"), |_| true).await;
    let ch = crate::harness::channel(&rss_text);
    let hubs: Vec<String> = ch
        .atom_ext()
        .unwrap()
        .links()
        .iter()
        .filter(|l| l.rel() == "hub")
        .map(|l| l.href().to_string())
        .collect();
    assert_eq!(hubs, std::slice::from_ref(&hub_url));
    let atom = until(&format!("{base}/topics/syria.atom"), |_| true).await;
    let atom = atom_syndication::Feed::read_from(atom.as_bytes()).unwrap();
    assert!(
        atom.links()
            .iter()
            .any(|l| l.rel() == "hub" && l.href() == hub_url)
    );
    let json: serde_json::Value =
        serde_json::from_str(&until(&format!("{base}/feeds/tambov.json"), |_| true).await).unwrap();
    assert_eq!(json["hubs"][0]["type"], "WebSub");
    assert_eq!(json["hubs"][0]["url"], hub_url.as_str());
    assert_eq!(d.stop().await, 0);
}

#[tokio::test]
async fn a_hub_that_hangs_never_slows_ingest() {
    install_crypto();
    // The hub accepts connections and never answers.
    let hub = Origin::start().await;
    hub.route("/hub", Route::status(204).delay(Duration::from_secs(120)));
    let o = Origin::start().await;
    o.route(
        "/feed.xml",
        Route::ok(
            rss(&[item("Первая новость").guid("1")]),
            "application/rss+xml",
        ),
    );
    let cfg = config(
        &[("lipetsk", o.url("/feed.xml"))],
        "[schedule]\ncron = \"* * * * * *\"\n",
    )
    .replace(
        "base_url = \"http://news.test\"",
        &format!(
            "base_url = \"http://news.test\"\nwebsub_hub = \"{}\"",
            hub.url("/hub")
        ),
    );
    let app = App::new(&cfg);
    let d = spawn(&["run"], Some(&app)).await;
    let url = format!("{}/feeds/all.rss", d.base);
    until(&url, |b| b.contains("Первая")).await;
    // Each change pings the hanging hub (10 s per try, five tries); were ingest waiting on
    // it, the next items would not appear within the 20 s `until` allows.
    for (n, title) in ["Вторая новость", "Третья новость"].iter().enumerate()
    {
        let mut items = vec![item("Первая новость").guid("1")];
        items.push(item("Вторая новость").guid("2"));
        if n == 1 {
            items.push(item(title).guid("3"));
        }
        o.route("/feed.xml", Route::ok(rss(&items), "application/rss+xml"));
        until(&url, |b| b.contains(title)).await;
    }
    assert!(!hub.seen("/hub").is_empty(), "the hub was pinged");
    assert_eq!(d.stop().await, 0);
}
