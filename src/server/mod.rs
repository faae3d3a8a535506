//! HTTP: the routes, the state their handlers share, and the server's start. Feeds and costly
//! pages are rendered once per change and served from memory with their validators; only this
//! module knows HTTP responses.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::publish::{self, Format, Target};
use crate::store::Db;
use crate::sync::RecoverRw;

mod cache;
pub mod conn;
mod costly;
mod negotiate;
mod routes;

use costly::StaleWhileRevalidate;
use routes::{digests, feeds, metrics, pages, search};

type FeedSources = HashMap<String, Option<Arc<[String]>>>;

fn feed_sources(cfg: &Config) -> FeedSources {
    cfg.feeds
        .iter()
        .map(|f| (f.name.clone(), publish::feed_sources(cfg, f).map(Arc::from)))
        .collect()
}

/// What a costly page was made from: (data version, config generation, minute).
type PageKey = (u64, u64, i64);

/// What the handlers share. The config sits behind a lock so SIGHUP can swap it.
#[derive(Clone)]
pub struct AppState {
    config: Arc<RwLock<Arc<Config>>>,
    config_gen: Arc<AtomicU64>,
    db: Db,
    /// Feeds and topics as last rendered.
    feeds: Arc<cache::Feeds>,
    /// The bulletin as last built, with what it was built from (data version, config
    /// generation, minute): building it reads the week's headlines, so readers share one.
    front: Arc<StaleWhileRevalidate<PageKey>>,
    /// `/trending.json` as last made for each period (day, week, month), likewise.
    trending: [Arc<StaleWhileRevalidate<PageKey>>; 3],
    /// Each feed's sources (`None`: every source), from the config served: a feed is stale
    /// when one of its sources moved (`Db::version_of`).
    feed_sources: Arc<RwLock<FeedSources>>,
    /// Search feeds as last rendered, by (query, format).
    searches: Arc<cache::Searches>,
    started: SystemTime,
    metrics: Arc<Metrics>,
    /// Topics a reload added or changed whose stored reports are still being tagged: their
    /// pages say so rather than look empty.
    retagging: Arc<RwLock<Vec<String>>>,
}

impl AppState {
    pub fn new(config: Arc<Config>, db: Db, metrics: Arc<Metrics>) -> AppState {
        AppState {
            metrics,
            feed_sources: Arc::new(RwLock::new(feed_sources(&config))),
            config: Arc::new(RwLock::new(config)),
            config_gen: Arc::new(AtomicU64::new(0)),
            db,
            feeds: Arc::default(),
            front: Arc::default(),
            trending: Default::default(),
            searches: Arc::default(),
            started: SystemTime::now(),
            retagging: Arc::default(),
        }
    }

    /// The topics whose stored reports are being tagged (empty when none are).
    pub fn retagging(&self) -> Vec<String> {
        self.retagging.read_or_recover().clone()
    }

    pub fn set_retagging(&self, topics: Vec<String>) {
        *self.retagging.write_or_recover() = topics;
    }

    /// What a page made at `minute` is made from: (data version, config generation, minute).
    fn page_key(&self, minute: chrono::DateTime<chrono::Utc>) -> PageKey {
        let (version, gen_) = self.version();
        (version, gen_, minute.timestamp())
    }

    /// (data version, config generation): what a search feed is current at.
    fn version(&self) -> (u64, u64) {
        (self.db.version(), self.config_gen.load(Ordering::Acquire))
    }

    pub fn config(&self) -> Arc<Config> {
        self.config.read_or_recover().clone()
    }

    /// Serves `config` from now on; every rendered feed is rendered again, and the renderings
    /// and single-flight locks of feeds and topics the new config no longer has are dropped, so
    /// the maps hold only what can still be asked for.
    pub fn set_config(&self, config: Arc<Config>) {
        let known = |t: &Target| match t {
            Target::Feed(n) => config.feed(n).is_some(),
            Target::Topic(n) => config.topic(n).is_some(),
        };
        self.feeds.retain(known);
        *self.feed_sources.write_or_recover() = feed_sources(&config);
        *self.config.write_or_recover() = config;
        self.config_gen.fetch_add(1, Ordering::AcqRel);
    }

    /// How many renderings and single-flight locks are held (feeds × formats asked for since
    /// start).
    pub fn cached(&self) -> (usize, usize) {
        self.feeds.len()
    }

    /// The version a target's rendering is current at: a feed of some sources moves only with
    /// them; a feed of every source and a topic move with any change.
    fn version_for(&self, target: &Target) -> (u64, u64) {
        let gen_ = self.config_gen.load(Ordering::Acquire);
        let sources = match target {
            Target::Feed(name) => self
                .feed_sources
                .read_or_recover()
                .get(name)
                .cloned()
                .flatten(),
            Target::Topic(_) => None,
        };
        (self.db.version_of(sources.as_deref()), gen_)
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::index))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/feeds/{file}", get(feeds::feed))
        .route("/topics/{file}", get(feeds::topic))
        .route("/stories/{id}", get(pages::story))
        .route("/sources", get(pages::sources))
        .route("/opml", get(pages::opml))
        .route("/metrics", get(metrics::metrics))
        .route("/trending.json", get(pages::trending))
        .route("/search", get(search::page))
        .route(
            "/search.rss",
            get(|st, q, h| search::feed(st, q, h, Format::Rss)),
        )
        .route(
            "/search.atom",
            get(|st, q, h| search::feed(st, q, h, Format::Atom)),
        )
        .route(
            "/search.json",
            get(|st, q, h| search::feed(st, q, h, Format::Json)),
        )
        .route("/digests/{file}", get(digests::file))
        .route("/digests/{name}/{key}", get(digests::edition))
        .fallback(routes::no_route)
        .with_state(state)
}

/// Serves until `shutdown` is cancelled, then finishes the requests in flight. Connections are
/// capped and held to the `[server]` timeouts (see [`conn`]).
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let config = {
        let state = state.clone();
        move || state.config()
    };
    conn::serve(listener, router(state), config, shutdown).await
}

/// Warms the bulletin's cache at start, so that the first reader does not wait for a page that
/// reads a week of headlines.
pub async fn warm(st: AppState) {
    let made = pages::index(State(st), HeaderMap::new()).await;
    if !made.status().is_success() {
        tracing::warn!("cannot make the bulletin: {}", made.status());
    }
}
