//! HTTP: the routes, and feeds rendered once per change and served from memory with
//! ETag / Last-Modified (and 304s). Only this module knows HTTP responses.

use std::collections::HashMap;
use std::hash::Hasher;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::archive::StoreError;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::pages;
use crate::publish::{self, Format, Target};
use crate::store::{self, Db};
use crate::sync::{Recover, RecoverRw};

pub mod conn;

/// One rendered feed, kept until the data or the config changes.
struct Rendered {
    version: (u64, u64),
    body: Bytes,
    /// The same body gzipped once at render time rather than once per request.
    gzip: Option<Bytes>,
    etag: String,
    last_modified: SystemTime,
}

/// Rendered feeds by (what, format).
type Cache = HashMap<(Target, Format), Arc<Rendered>>;
/// Single-flight locks of the renders, by (what, format).
type Flights = HashMap<(Target, Format), Arc<tokio::sync::Mutex<()>>>;

/// Search feeds as last rendered, by (query, format).
type Searches = HashMap<(String, Format), Arc<Rendered>>;

type FeedSources = HashMap<String, Option<Arc<[String]>>>;

fn feed_sources(cfg: &Config) -> FeedSources {
    cfg.feeds
        .iter()
        .map(|f| (f.name.clone(), publish::feed_sources(cfg, f).map(Arc::from)))
        .collect()
}

/// What the bulletin was built from: (data version, config generation, minute).
type FrontKey = (u64, u64, i64);

/// A page that costs much to make (the bulletin reads a week of headlines), served
/// stale-while-revalidate behind a single-flight lock. Once made it stays fresh for
/// [`COSTLY_REDO`] times what it took to make, whatever came in meanwhile (each new item is a
/// new data version), so the server spends at most a tenth of its time remaking it. Past that, a page
/// that took [`COSTLY_BEHIND`] or more is served stale while one task remakes it; a cheaper one
/// is remade for the reader who asked. A reader with no close page (the first, or after a
/// config change) waits for one.
struct Costly<K, T = Page> {
    last: Mutex<Option<Made<K, T>>>,
    /// The single-flight lock: one make at a time.
    flight: Arc<tokio::sync::Mutex<()>>,
}

struct Made<K, T> {
    key: K,
    page: T,
    at: std::time::Instant,
    took: std::time::Duration,
}

const COSTLY_REDO: u32 = 10;
const COSTLY_BEHIND: std::time::Duration = std::time::Duration::from_millis(100);

impl<K, T> Default for Costly<K, T> {
    fn default() -> Self {
        Costly {
            last: Mutex::new(None),
            flight: Arc::default(),
        }
    }
}

impl<K, T> Costly<K, T>
where
    K: PartialEq + Clone + Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
{
    /// The page for `key`: the last one made when it is for `key` or for a key `close` to it
    /// (revalidated in the background once it is stale); else made by `make` now.
    async fn get<E, F>(
        self: &Arc<Self>,
        key: K,
        close: impl Fn(&K, &K) -> bool,
        make: F,
    ) -> Result<T, E>
    where
        F: std::future::Future<Output = Result<T, E>> + Send + 'static,
        E: Send + 'static,
    {
        // (the page, whether it is stale, whether it costs enough to revalidate in the background).
        let last = |key: &K| {
            let last = self.last.lock_or_recover();
            last.as_ref().and_then(|m| {
                if m.key == *key {
                    Some((m.page.clone(), false, false))
                } else if close(&m.key, key) {
                    let stale = m.at.elapsed() >= m.took * COSTLY_REDO;
                    Some((m.page.clone(), stale, m.took >= COSTLY_BEHIND))
                } else {
                    None
                }
            })
        };
        match last(&key) {
            Some((page, false, _)) => return Ok(page),
            Some((page, true, true)) => {
                // Revalidated in the background, unless a make is in flight already.
                if let Ok(flight) = self.flight.clone().try_lock_owned() {
                    let this = self.clone();
                    tokio::spawn(async move {
                        let _flight = flight;
                        // A failure keeps the stale page; the next reader tries again.
                        let _ = this.make(key, make).await;
                    });
                }
                return Ok(page);
            }
            Some((_, true, false)) | None => {}
        }
        let _flight = self.flight.lock().await;
        // Made while this reader waited for the lock.
        if let Some((page, false, _)) = last(&key) {
            return Ok(page);
        }
        self.make(key, make).await
    }

    async fn make<E>(
        &self,
        key: K,
        make: impl std::future::Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let started = std::time::Instant::now();
        let page = make.await?;
        *self.last.lock_or_recover() = Some(Made {
            key,
            page: page.clone(),
            at: std::time::Instant::now(),
            took: started.elapsed(),
        });
        Ok(page)
    }
}

/// What the handlers share. The config sits behind a lock so SIGHUP can swap it.
#[derive(Clone)]
pub struct AppState {
    config: Arc<RwLock<Arc<Config>>>,
    config_gen: Arc<std::sync::atomic::AtomicU64>,
    db: Db,
    cache: Arc<Mutex<Cache>>,
    /// One render at a time per feed (single-flight): readers asking for a stale feed together
    /// get one rendering instead of each doing it.
    rendering: Arc<Mutex<Flights>>,
    /// The bulletin as last built, with what it was built from (data version, config
    /// generation, minute): building it reads the week's headlines, so readers share one.
    front: Arc<Costly<FrontKey>>,
    /// `/trending.json` as last made for each period (day, week, month), likewise.
    trending: [Arc<Costly<FrontKey>>; 3],
    /// Each feed's sources (`None`: every source), from the config served: a feed is stale
    /// when one of its sources moved (`Db::version_of`).
    feed_sources: Arc<RwLock<FeedSources>>,
    /// Search feeds as last rendered, by (query, format): a saved search polled by many
    /// readers is searched once per change.
    searches: Arc<Mutex<Searches>>,
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
            config_gen: Arc::new(std::sync::atomic::AtomicU64::new(0)),
            db,
            cache: Arc::new(Mutex::new(HashMap::new())),
            rendering: Arc::new(Mutex::new(HashMap::new())),
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
    fn page_key(&self, minute: chrono::DateTime<chrono::Utc>) -> FrontKey {
        (
            self.db.version(),
            self.config_gen.load(std::sync::atomic::Ordering::Acquire),
            minute.timestamp(),
        )
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
        self.cache.lock_or_recover().retain(|(t, _), _| known(t));
        self.rendering
            .lock_or_recover()
            .retain(|(t, _), _| known(t));
        *self.feed_sources.write_or_recover() = feed_sources(&config);
        *self.config.write_or_recover() = config;
        self.config_gen
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    /// How many renderings and single-flight locks are held (feeds × formats asked for since
    /// start).
    pub fn cached(&self) -> (usize, usize) {
        (
            self.cache.lock_or_recover().len(),
            self.rendering.lock_or_recover().len(),
        )
    }

    /// The version a target's rendering is current at: a feed of some sources moves only with
    /// them; a feed of every source and a topic move with any change.
    fn version_for(&self, target: &Target) -> (u64, u64) {
        let gen_ = self.config_gen.load(std::sync::atomic::Ordering::Acquire);
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
        .route("/", get(index))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/feeds/{file}", get(feed))
        .route("/topics/{file}", get(topic))
        .route("/stories/{id}", get(story_page))
        .route("/sources", get(sources_page))
        .route("/opml", get(opml))
        .route("/metrics", get(metrics))
        .route("/trending.json", get(trending))
        .route("/search", get(search_page))
        .route(
            "/search.rss",
            get(|st, q, h| search_feed(st, q, h, Format::Rss)),
        )
        .route(
            "/search.atom",
            get(|st, q, h| search_feed(st, q, h, Format::Atom)),
        )
        .route(
            "/search.json",
            get(|st, q, h| search_feed(st, q, h, Format::Json)),
        )
        .route("/digests/{file}", get(digest_file))
        .route("/digests/{name}/{key}", get(digest_edition))
        .fallback(no_route)
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

async fn feed(
    State(st): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    serve_target(st, file, headers, Target::Feed).await
}

/// What a 404 under a target's path says.
fn no_such(target: fn(String) -> Target) -> &'static str {
    match target(String::new()) {
        Target::Feed(_) => "Такой ленты нет.",
        Target::Topic(_) => "Такой темы нет.",
    }
}

async fn topic(
    State(st): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    // `/topics/NAME` is the topic's page; `/topics/NAME.rss` (and .atom, .json) its feed.
    if !file.contains('.') {
        return topic_page(st, file, headers).await;
    }
    serve_target(st, file, headers, Target::Topic).await
}

async fn serve_target(
    st: AppState,
    file: String,
    headers: HeaderMap,
    make: fn(String) -> Target,
) -> Response {
    let Some((name, ext)) = file.rsplit_once('.') else {
        return missing(&st, no_such(make));
    };
    let Some(format) = Format::from_ext(ext) else {
        return missing(&st, no_such(make));
    };
    let target = make(name.to_string());
    // Unknown names are answered before anything is allocated or locked for them.
    let known = {
        let cfg = st.config();
        match &target {
            Target::Feed(n) => cfg.feed(n).is_some(),
            Target::Topic(n) => cfg.topic(n).is_some(),
        }
    };
    if !known {
        return missing(&st, no_such(make));
    }
    let rendered = match rendered(&st, target, format).await {
        Ok(Some(r)) => r,
        Ok(None) => return missing(&st, no_such(make)),
        Err(e) => {
            tracing::error!("cannot render {file}: {e:#}");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot render this feed\n",
            )
                .into_response();
        }
    };
    respond(&st, format, &rendered, &headers)
}

/// A rendered feed with its validators, or 304 when the reader's copy is current.
fn respond(st: &AppState, format: Format, rendered: &Rendered, headers: &HeaderMap) -> Response {
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    let gzip = rendered.gzip.as_ref().filter(|_| accepts_gzip(headers));
    // Each representation has its own strong ETag, as RFC 9110 asks.
    let etag = match gzip {
        Some(_) => gzip_etag(&rendered.etag),
        None => rendered.etag.clone(),
    };
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(rendered.last_modified)) {
        h.insert(header::LAST_MODIFIED, v);
    }
    let unchanged = not_modified(headers, &etag, rendered.last_modified);
    st.metrics.served(unchanged);
    if unchanged {
        return (StatusCode::NOT_MODIFIED, h).into_response();
    }
    match gzip {
        Some(gz) => {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            (StatusCode::OK, h, gz.clone()).into_response()
        }
        None => (StatusCode::OK, h, rendered.body.clone()).into_response(),
    }
}

/// `/digests/NAME` (the archive) and `/digests/NAME.rss` (`.atom`, `.json`: one entry per
/// edition). The feeds are a few editions, made on request with the feeds' validators.
async fn digest_file(
    State(st): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let cfg = st.config();
    let (name, ext) = match file.rsplit_once('.') {
        Some((n, e)) => (n.to_string(), Some(e.to_string())),
        None => (file, None),
    };
    let Some(d) = cfg.digest(&name).cloned() else {
        return missing(&st, "Такой сводки нет.");
    };
    let Some(ext) = ext else {
        let page = st
            .db
            .read(move |c| crate::digest::archive_page(&cfg, c, &d).map(Some))
            .await;
        return html_page(&headers, for_reader(&headers, page).await);
    };
    let Some(format) = Format::from_ext(&ext) else {
        return (StatusCode::NOT_FOUND, "no such feed\n").into_response();
    };
    let made = st
        .db
        .read(move |c| crate::digest::feed(&cfg, c, &d, format))
        .await;
    let (body, newest) = match made {
        Ok(Ok(m)) => m,
        failed => {
            tracing::error!("cannot render digest {name}: {failed:?}");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot render this feed\n",
            )
                .into_response();
        }
    };
    let last_modified = newest.map_or(truncate_to_secs(st.started), |t| {
        UNIX_EPOCH + Duration::from_secs(t.max(0) as u64)
    });
    let etag = etag_of(body.as_bytes());
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(last_modified)) {
        h.insert(header::LAST_MODIFIED, v);
    }
    let unchanged = not_modified(&headers, &etag, last_modified);
    st.metrics.served(unchanged);
    if unchanged {
        return (StatusCode::NOT_MODIFIED, h).into_response();
    }
    (StatusCode::OK, h, body).into_response()
}

/// `/digests/NAME/2026-12-07`: one edition as a page.
async fn digest_edition(
    State(st): State<AppState>,
    Path((name, key)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let cfg = st.config();
    let Some(d) = cfg.digest(&name).cloned() else {
        return missing(&st, "Такой сводки нет.");
    };
    let page = st
        .db
        .read(move |c| crate::digest::edition_page(&cfg, c, &d, &key))
        .await;
    if matches!(page, Ok(Ok(None))) {
        return missing(&st, "Такого выпуска нет.");
    }
    html_page(&headers, for_reader(&headers, page).await)
}

/// RFC 9110: If-None-Match decides when present; otherwise If-Modified-Since.
fn not_modified(req: &HeaderMap, etag: &str, last_modified: SystemTime) -> bool {
    if let Some(matched) = none_match(req, etag) {
        return matched;
    }
    if let Some(ims) = req
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
    {
        return last_modified <= ims;
    }
    false
}

/// Whether If-None-Match names `etag` (or `*`); `None` without the header. Only the tag of the
/// representation this request would get counts: a cache that holds the gzipped bytes must not
/// be told its identity copy is still good, or the other way. The comparison is weak, as
/// RFC 9110 asks: a proxy may have turned the tag into W/"…".
fn none_match(req: &HeaderMap, etag: &str) -> Option<bool> {
    let inm = req.get(header::IF_NONE_MATCH)?.to_str().ok()?;
    Some(
        inm.split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == "*" || t == etag),
    )
}

/// A strong ETag of some bytes.
fn etag_of(body: &[u8]) -> String {
    let mut h = siphasher::sip::SipHasher13::new_with_keys(1, 2);
    h.write(body);
    format!("\"{:016x}\"", h.finish())
}

async fn rendered(
    st: &AppState,
    target: Target,
    format: Format,
) -> anyhow::Result<Option<Arc<Rendered>>> {
    let version = st.version_for(&target);
    let key = (target.clone(), format);
    let cached = || st.cache.lock_or_recover().get(&key).cloned();
    if let Some(r) = cached().filter(|r| r.version == version) {
        return Ok(Some(r));
    }
    let flight = st
        .rendering
        .lock_or_recover()
        .entry(key.clone())
        .or_default()
        .clone();
    let _flight = match flight.try_lock() {
        Ok(t) => t,
        // Another reader is rendering this feed: the previous rendering serves this request
        // (stale-while-revalidate). While items stream in, a feed is stale more often than
        // not, and readers would otherwise queue behind its renders.
        Err(_) => match cached() {
            Some(r) => return Ok(Some(r)),
            None => flight.lock().await,
        },
    };
    // The data may have moved while we waited; whoever held the lock may have rendered it.
    let version = st.version_for(&target);
    let previous = cached();
    if let Some(r) = previous.as_ref().filter(|r| r.version == version) {
        return Ok(Some(r.clone()));
    }
    let cfg = st.config();
    let hub = cfg.server.websub_hub.as_ref().map(|u| u.to_string());
    let view = st
        .db
        .read(move |c| publish::view(&cfg, c, &target, format.ext()))
        .await??;
    let Some(view) = view else { return Ok(None) };
    // Rendering and compressing a feed of a hundred stories takes milliseconds of CPU: off the
    // runtime's workers, which meanwhile answer every other reader (from the cache).
    let same_as = previous.as_ref().map(|p| p.etag.clone());
    let (view, body, etag, gzip) = tokio::task::spawn_blocking(move || {
        let body = format.render(&view, hub.as_deref());
        let etag = etag_of(body.as_bytes());
        let gzip = if same_as.as_deref() == Some(etag.as_str()) {
            None
        } else {
            (body.len() > 200)
                .then(|| gzip_bytes(body.as_bytes()))
                .flatten()
        };
        (view, body, etag, gzip)
    })
    .await?;
    st.metrics.rendered();
    let first = previous.is_none();
    let before = previous.as_ref().map(|p| p.last_modified);
    let r = match previous.filter(|p| p.etag == etag) {
        // Same bytes as before the data moved (another feed's item arrived): same validators.
        Some(p) => Arc::new(Rendered {
            version,
            body: p.body.clone(),
            gzip: p.gzip.clone(),
            etag,
            last_modified: p.last_modified,
        }),
        None => {
            // The body changed now (a new item, a merge, a retag, a new config), or this is the
            // first rendering since start: then the newest stored change, but never before
            // this process started.
            let last_modified = if first {
                let newest = view.items.iter().map(|i| i.updated).max().unwrap_or(0);
                (UNIX_EPOCH + Duration::from_secs(newest.max(0) as u64))
                    .max(truncate_to_secs(st.started))
            } else {
                // HTTP dates have whole seconds: a change within the second of the last one
                // still moves Last-Modified, or If-Modified-Since would hide it.
                let now = truncate_to_secs(SystemTime::now());
                match before {
                    Some(b) if now <= b => b + Duration::from_secs(1),
                    _ => now,
                }
            };
            Arc::new(Rendered {
                version,
                gzip,
                etag,
                body: Bytes::from(body),
                last_modified,
            })
        }
    };
    st.cache.lock_or_recover().insert(key, r.clone());
    Ok(Some(r))
}

/// HTTP dates have whole seconds; compare like with like.
fn truncate_to_secs(t: SystemTime) -> SystemTime {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// A 404 as a page of the site: what was not found, in Russian, and links back.
fn missing(st: &AppState, what: &str) -> Response {
    let cfg = st.config();
    let topics: Vec<(String, String)> = if what.contains("темы") {
        cfg.topics
            .iter()
            .map(|t| (t.name.clone(), t.title.clone()))
            .collect()
    } else {
        Vec::new()
    };
    let body = pages::render_not_found(&pages::site(&cfg), what, &topics);
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

async fn no_route(State(st): State<AppState>) -> Response {
    missing(&st, "По этому адресу ничего нет.")
}

/// Makes the bulletin once, so that the first reader after a start does not wait for it: it
/// reads a week of headlines.
pub async fn warm(st: AppState) {
    let made = index(State(st), HeaderMap::new()).await;
    if !made.status().is_success() {
        tracing::warn!("cannot make the bulletin: {}", made.status());
    }
}

async fn index(State(st): State<AppState>, req: HeaderMap) -> Response {
    let cfg = st.config();
    let minute = this_minute();
    let key = st.page_key(minute);
    // Close: the same config, whatever the data and the minute.
    let page = st
        .front
        .get(key, |a, b| a.1 == b.1, {
            let db = st.db.clone();
            async move {
                let made = db
                    .read(move |c| pages::front(&cfg, c, minute).map(|f| pages::render_front(&f)))
                    .await;
                match made {
                    // Compressed once here, for every reader it is served to.
                    Ok(Ok(page)) => Ok(Page::made_once(page).await),
                    Ok(Err(e)) => Err(anyhow::Error::from(e)),
                    Err(e) => Err(e),
                }
            }
        })
        .await;
    html_page(&req, page.map(Some))
}

async fn sources_page(State(st): State<AppState>, req: HeaderMap) -> Response {
    let cfg = st.config();
    let now = this_minute().timestamp();
    // Alert targets live in this process's counters, not in the store.
    let targets: Vec<pages::DeliveryRow> = st
        .metrics
        .targets()
        .into_iter()
        .map(|(name, t)| pages::DeliveryRow {
            state: format!(
                "доставлено: {}, неудачных попыток: {}, потеряно: {}",
                t.sent, t.failed, t.lost
            ),
            failing: t.streak > 0,
            error: (t.streak > 0).then_some(t.last_error).flatten(),
            name: format!("оповещение {name}"),
        })
        .collect();
    let page = st
        .db
        .read(move |c| {
            pages::sources(&cfg, c, now).map(|mut p| {
                p.deliveries.extend(targets);
                Some(pages::render_sources(&p))
            })
        })
        .await;
    html_page(&req, for_reader(&req, page).await)
}

async fn story_page(
    State(st): State<AppState>,
    Path(id): Path<String>,
    req: HeaderMap,
) -> Response {
    const GONE: &str = "Такой истории нет: возможно, она старше срока хранения.";
    let Ok(id) = id.parse::<i64>() else {
        return missing(&st, GONE);
    };
    let cfg = st.config();
    let page = st
        .db
        .read(move |c| pages::story(&cfg, c, id).map(|p| p.map(|p| pages::render_story(&p))))
        .await;
    if matches!(page, Ok(Ok(None))) {
        return missing(&st, GONE);
    }
    html_page(&req, for_reader(&req, page).await)
}

async fn topic_page(st: AppState, name: String, req: HeaderMap) -> Response {
    if st.config().topic(&name).is_none() {
        return missing(&st, "Такой темы нет.");
    }
    let cfg = st.config();
    let pending = st.retagging().contains(&name);
    let page = st
        .db
        .read(move |c| {
            pages::topic(&cfg, c, &name).map(|p| {
                p.map(|mut p| {
                    p.pending = pending;
                    pages::render_topic(&p)
                })
            })
        })
        .await;
    html_page(&req, for_reader(&req, page).await)
}

/// A page made for one reader, compressed when they accept it: after the read, so the reader
/// connection is not held for it, and a large one on the blocking pool.
async fn for_reader(
    req: &HeaderMap,
    page: anyhow::Result<Result<Option<String>, StoreError>>,
) -> anyhow::Result<Option<Page>> {
    let gzip = accepts_gzip(req);
    match page?? {
        Some(body) if gzip && body.len() > 64 * 1024 => Ok(Some(Page::made_once(body).await)),
        body => Ok(body.map(|b| Page::new(b, gzip))),
    }
}

/// A rendered page (or 404 for `None`), with an ETag of its bytes.
fn html_page(req: &HeaderMap, page: anyhow::Result<Option<Page>>) -> Response {
    match page {
        Ok(Some(page)) => tagged(req, "text/html; charset=utf-8", &page),
        Ok(None) => (StatusCode::NOT_FOUND, "страница не найдена\n").into_response(),
        Err(e) => {
            tracing::error!("cannot build a page: {e:#}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot read the database\n",
            )
                .into_response()
        }
    }
}

async fn opml(State(st): State<AppState>, req: HeaderMap) -> Response {
    let page = Page::new(publish::render_opml(&st.config()), accepts_gzip(&req));
    tagged(&req, "text/x-opml; charset=utf-8", &page)
}

/// A generated page: its bytes, their strong ETag, and (when compressed) the gzipped bytes.
/// The costly pages are kept and served many times, so they are compressed once when made,
/// as feeds are; the others are compressed for the reader who asked, when they accept it.
#[derive(Clone)]
struct Page {
    body: Bytes,
    etag: String,
    gzip: Option<Bytes>,
}

impl Page {
    fn new(body: String, gzip: bool) -> Page {
        let etag = etag_of(body.as_bytes());
        let gzip = (gzip && body.len() > 200)
            .then(|| gzip_bytes(body.as_bytes()))
            .flatten();
        Page {
            body: Bytes::from(body),
            etag,
            gzip,
        }
    }

    /// A page compressed on the blocking pool: a large page takes milliseconds of CPU, which
    /// the runtime's workers should spend answering readers.
    async fn made_once(body: String) -> Page {
        match tokio::task::spawn_blocking(move || Page::new(body, true)).await {
            Ok(page) => page,
            // A blocking task is never cancelled: this is a panic, passed on as it was.
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
}

/// A generated page with a strong ETag of its bytes, revalidated on every use (`no-cache`): a
/// matching If-None-Match gets 304. Gzipped for a client that accepts it, with its own ETag
/// (RFC 9110: each representation its own), and `Vary` so caches keep the two apart.
fn tagged(req: &HeaderMap, content_type: &'static str, page: &Page) -> Response {
    let gzip = page.gzip.as_ref().filter(|_| accepts_gzip(req));
    let etag = match gzip {
        Some(_) => gzip_etag(&page.etag),
        None => page.etag.clone(),
    };
    let matches = none_match(req, &etag).unwrap_or(false);
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, v);
    }
    if matches {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    match gzip {
        Some(gz) => {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            (StatusCode::OK, headers, gz.clone()).into_response()
        }
        None => (StatusCode::OK, headers, page.body.clone()).into_response(),
    }
}

fn gzip_etag(etag: &str) -> String {
    format!("{}-gz\"", etag.trim_end_matches('"'))
}

fn gzip_bytes(body: &[u8]) -> Option<Bytes> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(body).ok()?;
    e.finish().ok().map(Bytes::from)
}

/// Whether `Accept-Encoding` allows gzip: an explicit `gzip` entry decides by its q-value;
/// otherwise `*` does; otherwise no.
fn accepts_gzip(req: &HeaderMap) -> bool {
    let mut star = None;
    for coding in req
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or("");
        let allowed = !parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        });
        if name.eq_ignore_ascii_case("gzip") {
            return allowed;
        }
        if name == "*" {
            star = Some(allowed);
        }
    }
    star.unwrap_or(false)
}

async fn metrics(State(st): State<AppState>) -> Response {
    let cfg = st.config();
    let gauges = st.db.read(move |c| store::gauges(c, &cfg.sources)).await;
    match gauges {
        Ok(Ok(mut g)) => {
            g.rendered = st.cached().0 as u64;
            (
                [(
                    header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                )],
                st.metrics.render(g),
            )
                .into_response()
        }
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot read the database\n",
        )
            .into_response(),
    }
}

#[derive(serde::Deserialize)]
struct SearchParams {
    q: Option<String>,
}

/// Search feeds held at most; past it the held ones are dropped (readers' queries are
/// unbounded in number, memory is not).
const SEARCHES_HELD: usize = 256;

/// `/search?q=…`: the page, with a query that cannot be run answered on the page itself.
async fn search_page(
    State(st): State<AppState>,
    Query(p): Query<SearchParams>,
    req: HeaderMap,
) -> Response {
    let cfg = st.config();
    let q = p.q.unwrap_or_default();
    let failed = |status: StatusCode, e: String| {
        let page = pages::render_search(&pages::search_failed(&cfg, &q, Some(e)));
        let mut r = tagged(
            &req,
            "text/html; charset=utf-8",
            &Page::new(page, accepts_gzip(&req)),
        );
        *r.status_mut() = status;
        r
    };
    if !cfg.search.index {
        return failed(StatusCode::SERVICE_UNAVAILABLE, crate::search::OFF.into());
    }
    if q.len() > crate::search::MAX_QUERY_BYTES {
        let e = crate::search::QueryError::TooLong.to_string();
        return failed(StatusCode::URI_TOO_LONG, e);
    }
    if q.trim().is_empty() {
        let page = pages::render_search(&pages::search_failed(&cfg, "", None));
        return tagged(
            &req,
            "text/html; charset=utf-8",
            &Page::new(page, accepts_gzip(&req)),
        );
    }
    let now = chrono::Utc::now().timestamp();
    let made = st
        .db
        .search({
            let (cfg, q) = (cfg.clone(), q.clone());
            move |c| pages::search(&cfg, c, &q, now).map(|p| pages::render_search(&p))
        })
        .await;
    match made {
        Ok(Ok(page)) => tagged(
            &req,
            "text/html; charset=utf-8",
            &Page::new(page, accepts_gzip(&req)),
        ),
        Ok(Err(e @ crate::search::SearchError::Query(_))) => {
            failed(StatusCode::BAD_REQUEST, e.to_string())
        }
        Ok(Err(e @ crate::search::SearchError::TooSlow)) => {
            failed(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
        }
        Ok(Err(e)) => {
            tracing::error!("cannot search: {e}");
            failed(
                StatusCode::INTERNAL_SERVER_ERROR,
                "не удалось прочитать базу".into(),
            )
        }
        Err(e) => {
            tracing::error!("cannot search: {e:#}");
            failed(
                StatusCode::INTERNAL_SERVER_ERROR,
                "не удалось прочитать базу".into(),
            )
        }
    }
}

/// `/search.rss?q=…` (and `.atom`, `.json`): a saved search as a feed, newest first, with the
/// ETag, Last-Modified and 304 of every feed. A query that cannot be run is a 400 saying why.
async fn search_feed(
    State(st): State<AppState>,
    Query(p): Query<SearchParams>,
    headers: HeaderMap,
    format: Format,
) -> Response {
    let q = p.q.unwrap_or_default();
    let plain = |status: StatusCode, text: String| (status, format!("{text}\n")).into_response();
    if !st.config().search.index {
        return plain(StatusCode::SERVICE_UNAVAILABLE, crate::search::OFF.into());
    }
    if q.len() > crate::search::MAX_QUERY_BYTES {
        let e = crate::search::QueryError::TooLong.to_string();
        return plain(StatusCode::URI_TOO_LONG, e);
    }
    if q.trim().is_empty() {
        let e = crate::search::QueryError::NothingToFind.to_string();
        return plain(StatusCode::BAD_REQUEST, format!("q: {e}"));
    }
    let version = (
        st.db.version(),
        st.config_gen.load(std::sync::atomic::Ordering::Acquire),
    );
    let key = (q.clone(), format);
    let previous = st.searches.lock_or_recover().get(&key).cloned();
    if let Some(r) = previous.as_ref().filter(|r| r.version == version) {
        return respond(&st, format, r, &headers);
    }
    let cfg = st.config();
    let hub = cfg.server.websub_hub.as_ref().map(|u| u.to_string());
    let now = chrono::Utc::now().timestamp();
    let view = st
        .db
        .search(move |c| publish::search_view(&cfg, c, &q, format.ext(), now))
        .await;
    let view = match view {
        Ok(Ok(v)) => v,
        Ok(Err(e @ crate::search::SearchError::Query(_))) => {
            return plain(StatusCode::BAD_REQUEST, e.to_string());
        }
        Ok(Err(e @ crate::search::SearchError::TooSlow)) => {
            let mut r = plain(StatusCode::SERVICE_UNAVAILABLE, e.to_string());
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
            return r;
        }
        Ok(Err(e)) => {
            tracing::error!("cannot search: {e}");
            return plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot read the database".into(),
            );
        }
        Err(e) => {
            tracing::error!("cannot search: {e:#}");
            return plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot read the database".into(),
            );
        }
    };
    let newest = view.items.iter().map(|i| i.updated).max().unwrap_or(0);
    let made = tokio::task::spawn_blocking(move || {
        let body = format.render(&view, hub.as_deref());
        let etag = etag_of(body.as_bytes());
        let gzip = (body.len() > 200)
            .then(|| gzip_bytes(body.as_bytes()))
            .flatten();
        (body, etag, gzip)
    })
    .await;
    let Ok((body, etag, gzip)) = made else {
        return plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot render this feed".into(),
        );
    };
    st.metrics.rendered();
    // As for every feed: Last-Modified moves exactly when the bytes do.
    let last_modified = match &previous {
        Some(p) if p.etag == etag => p.last_modified,
        Some(p) => {
            let now = truncate_to_secs(SystemTime::now());
            now.max(p.last_modified + Duration::from_secs(1))
        }
        None => (UNIX_EPOCH + Duration::from_secs(newest.max(0) as u64))
            .max(truncate_to_secs(st.started)),
    };
    let r = Arc::new(Rendered {
        version,
        body: Bytes::from(body),
        gzip,
        etag,
        last_modified,
    });
    {
        let mut held = st.searches.lock_or_recover();
        if held.len() >= SEARCHES_HELD && !held.contains_key(&key) {
            held.clear();
        }
        held.insert(key, r.clone());
    }
    respond(&st, format, &r, &headers)
}

#[derive(serde::Deserialize)]
struct TrendingQuery {
    period: Option<String>,
}

async fn trending(
    State(st): State<AppState>,
    Query(q): Query<TrendingQuery>,
    req: HeaderMap,
) -> Response {
    let Some(period) = crate::trending::Period::parse(q.period.as_deref().unwrap_or("week")) else {
        return (StatusCode::BAD_REQUEST, "period is day, week or month\n").into_response();
    };
    let cfg = st.config();
    let minute = this_minute();
    let key = st.page_key(minute);
    let made = &st.trending[period as usize];
    let report = made
        .get(key, |a, b| a.1 == b.1, {
            let db = st.db.clone();
            async move {
                match db
                    .read(move |c| crate::trending::from_store(&cfg, c, period, minute))
                    .await
                {
                    Ok(Ok(t)) => Ok(Page::made_once(
                        serde_json::to_string_pretty(&t).unwrap_or_else(|_| "{}".into()),
                    )
                    .await),
                    _ => Err(()),
                }
            }
        })
        .await;
    match report {
        Ok(json) => tagged(&req, "application/json; charset=utf-8", &json),
        Err(()) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot read the database\n",
        )
            .into_response(),
    }
}

/// Now, to the minute: a report's period then starts at the same instant for a minute, and so
/// its bytes and ETag stay put.
fn this_minute() -> chrono::DateTime<chrono::Utc> {
    let now = chrono::Utc::now().timestamp();
    chrono::DateTime::from_timestamp(now - now.rem_euclid(60), 0).unwrap_or_default()
}

#[cfg(test)]
mod tests {

    #[tokio::test]
    async fn a_costly_page_is_made_once_at_a_time_and_not_for_every_new_item() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let page: Arc<Costly<(u64, u64), String>> = Arc::default();
        let made = Arc::new(AtomicUsize::new(0));
        let make = |label: &'static str, ms: u64| {
            let made = made.clone();
            async move {
                made.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                Ok::<_, ()>(label.to_string())
            }
        };
        let same_config = |a: &(u64, u64), b: &(u64, u64)| a.1 == b.1;
        // Until the last page made is stale: ten times what it took (as measured, on a busy
        // machine more than the sleep asked for).
        let until_stale = |page: &Costly<(u64, u64), String>| {
            let last = page.last.lock_or_recover();
            let took = last.as_ref().map_or(Duration::ZERO, |m| m.took);
            took * COSTLY_REDO + Duration::from_millis(20)
        };
        // (data version, config generation). The first takes 200 ms to make.
        let first = page.get((1, 0), same_config, make("v1", 200)).await;
        assert_eq!(first, Ok("v1".to_string()));
        // New items came in: within ten times what it took, the page made stays.
        let again = page.get((2, 0), same_config, make("v2", 200)).await;
        assert_eq!(again, Ok("v1".to_string()));
        assert_eq!(made.load(Ordering::SeqCst), 1);
        // A new config is never served the old page: this reader waits for its own.
        let reloaded = page.get((2, 1), same_config, make("c1", 10)).await;
        assert_eq!(reloaded, Ok("c1".to_string()));
        // It took 10 ms: 100 ms later it is stale, and new items have it remade for the reader
        // who asked (cheap enough to wait for).
        tokio::time::sleep(until_stale(&page)).await;
        let cheap = page.get((3, 1), same_config, make("v3", 10)).await;
        assert_eq!(cheap, Ok("v3".to_string()));
        assert_eq!(made.load(Ordering::SeqCst), 3);
        // A page that took 150 ms is revalidated in the background: the reader who found it
        // stale and the readers meanwhile get the stale one at once, and none makes another.
        let costly = page.get((4, 2), same_config, make("s1", 150)).await;
        assert_eq!(costly, Ok("s1".to_string()));
        tokio::time::sleep(until_stale(&page)).await;
        let t = std::time::Instant::now();
        let stale = page.get((5, 2), same_config, make("s2", 300)).await;
        assert_eq!(stale, Ok("s1".to_string()));
        let meanwhile = page.get((5, 2), same_config, make("never", 0)).await;
        assert_eq!(meanwhile, Ok("s1".to_string()));
        assert!(
            t.elapsed() < Duration::from_millis(250),
            "{:?}",
            t.elapsed()
        );
        tokio::time::sleep(std::time::Duration::from_millis(1_000)).await;
        let revalidated = page.get((5, 2), same_config, make("never", 0)).await;
        assert_eq!(revalidated, Ok("s2".to_string()));
        assert_eq!(made.load(Ordering::SeqCst), 5);
        // A page that failed to be made is not kept.
        let failed = page.get((6, 3), same_config, async { Err(()) }).await;
        assert_eq!(failed, Err(()));
        let next = page.get((6, 3), same_config, make("c2", 0)).await;
        assert_eq!(next, Ok("c2".to_string()));
    }

    use super::*;

    #[test]
    fn gzip_is_served_only_when_allowed() {
        let check = |value: &str| {
            let mut h = HeaderMap::new();
            h.insert(
                header::ACCEPT_ENCODING,
                HeaderValue::from_str(value).unwrap(),
            );
            accepts_gzip(&h)
        };
        assert!(check("gzip, deflate, br"));
        assert!(check("br;q=1.0, gzip;q=0.8"));
        assert!(check("*"));
        assert!(!check("gzip;q=0"));
        assert!(!check("gzip;q=0, *"));
        assert!(!check("br"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
