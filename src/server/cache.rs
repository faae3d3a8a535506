//! The render cache of feeds: each feed or topic × format (and each search feed, by query)
//! rendered once per change of what it shows and held as bytes, gzip, ETag and Last-Modified.
//! Readers polling a feed then cost one render per change, and a single-flight lock lets one of
//! them render while the others get the previous rendering.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;

use super::AppState;
use super::negotiate::{etag_of, gzip_bytes};
use crate::publish::{self, Format, Target, View};
use crate::sync::Recover;

/// One rendered feed, kept until the data or the config changes.
pub(crate) struct Rendered {
    /// (data version, config generation) it was rendered at.
    pub(crate) version: (u64, u64),
    pub(crate) body: Bytes,
    /// The same body gzipped once at render time rather than once per request.
    pub(crate) gzip: Option<Bytes>,
    pub(crate) etag: String,
    pub(crate) last_modified: SystemTime,
}

type Key = (Target, Format);

/// Rendered feeds and topics by (what, format), with the single-flight lock of each.
#[derive(Default)]
pub(crate) struct Feeds {
    held: Mutex<HashMap<Key, Arc<Rendered>>>,
    /// One render at a time per feed: readers asking for a stale feed together get one
    /// rendering instead of each doing it.
    flights: Mutex<HashMap<Key, Arc<tokio::sync::Mutex<()>>>>,
}

impl Feeds {
    /// Drops the renderings and locks of targets that are not `known` (a reload removed them),
    /// so the maps hold only what can still be asked for.
    pub(crate) fn retain(&self, known: impl Fn(&Target) -> bool) {
        self.held.lock_or_recover().retain(|(t, _), _| known(t));
        self.flights.lock_or_recover().retain(|(t, _), _| known(t));
    }

    /// How many renderings and single-flight locks are held.
    pub(crate) fn len(&self) -> (usize, usize) {
        (
            self.held.lock_or_recover().len(),
            self.flights.lock_or_recover().len(),
        )
    }

    fn get(&self, key: &Key) -> Option<Arc<Rendered>> {
        self.held.lock_or_recover().get(key).cloned()
    }
}

/// The rendering of `target` in `format` for the data and config served now; `None` when the
/// store has no such feed.
pub(crate) async fn feed(
    st: &AppState,
    target: Target,
    format: Format,
) -> anyhow::Result<Option<Arc<Rendered>>> {
    let version = st.version_for(&target);
    let key = (target.clone(), format);
    if let Some(r) = st.feeds.get(&key).filter(|r| r.version == version) {
        return Ok(Some(r));
    }
    let flight = st
        .feeds
        .flights
        .lock_or_recover()
        .entry(key.clone())
        .or_default()
        .clone();
    let _flight = match flight.try_lock() {
        Ok(t) => t,
        // Another reader is rendering this feed: the previous rendering serves this request
        // (stale-while-revalidate). While items stream in, a feed is stale more often than
        // not, and readers would otherwise queue behind its renders.
        Err(_) => match st.feeds.get(&key) {
            Some(r) => return Ok(Some(r)),
            None => flight.lock().await,
        },
    };
    // The data may have moved while we waited; whoever held the lock may have rendered it.
    let version = st.version_for(&target);
    let previous = st.feeds.get(&key);
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
    let r = Arc::new(render(st, view, format, hub, version, previous.as_deref()).await?);
    st.feeds.held.lock_or_recover().insert(key, r.clone());
    Ok(Some(r))
}

/// Renders `view` as the rendering that follows `previous`. Rendering and compressing a feed
/// of a hundred stories takes milliseconds of CPU: off the runtime's workers, which meanwhile
/// answer every other reader (from the cache).
pub(crate) async fn render(
    st: &AppState,
    view: View,
    format: Format,
    hub: Option<String>,
    version: (u64, u64),
    previous: Option<&Rendered>,
) -> Result<Rendered, tokio::task::JoinError> {
    let newest = view.items.iter().map(|i| i.updated).max().unwrap_or(0);
    let same_as = previous.map(|p| p.etag.clone());
    let (body, etag, gzip) = tokio::task::spawn_blocking(move || {
        let body = format.render(&view, hub.as_deref());
        let etag = etag_of(body.as_bytes());
        // The same bytes as before keep the gzip made of them then.
        let gzip = if same_as.as_deref() == Some(etag.as_str()) {
            None
        } else {
            (body.len() > 200)
                .then(|| gzip_bytes(body.as_bytes()))
                .flatten()
        };
        (body, etag, gzip)
    })
    .await?;
    st.metrics.rendered();
    let made = Made {
        body,
        etag,
        gzip,
        newest,
    };
    Ok(Rendered::after(
        previous,
        version,
        made,
        st.started,
        SystemTime::now(),
    ))
}

/// A feed just rendered: its bytes, their ETag and gzip, and its newest entry's time.
struct Made {
    body: String,
    etag: String,
    gzip: Option<Bytes>,
    newest: i64,
}

impl Rendered {
    /// What follows `previous` once `made` is rendered at `now`. Last-Modified moves exactly
    /// when the bytes do, never goes back, and never claims a time before `started` that this
    /// process cannot vouch for.
    fn after(
        previous: Option<&Rendered>,
        version: (u64, u64),
        made: Made,
        started: SystemTime,
        now: SystemTime,
    ) -> Rendered {
        let last_modified = match previous {
            // Same bytes as before the data moved (another feed's item arrived): same
            // validators.
            Some(p) if p.etag == made.etag => {
                return Rendered {
                    version,
                    body: p.body.clone(),
                    gzip: p.gzip.clone(),
                    etag: made.etag,
                    last_modified: p.last_modified,
                };
            }
            // HTTP dates have whole seconds: a change within the second of the last one still
            // moves Last-Modified, or If-Modified-Since would hide it.
            Some(p) => truncate_to_secs(now).max(p.last_modified + Duration::from_secs(1)),
            // The first rendering since start: the newest stored change, but never before this
            // process started.
            None => (UNIX_EPOCH + Duration::from_secs(made.newest.max(0) as u64))
                .max(truncate_to_secs(started)),
        };
        Rendered {
            version,
            body: Bytes::from(made.body),
            gzip: made.gzip,
            etag: made.etag,
            last_modified,
        }
    }
}

/// HTTP dates have whole seconds; compare like with like.
pub(crate) fn truncate_to_secs(t: SystemTime) -> SystemTime {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// Search feeds held at most; past it the held ones are dropped (readers' queries are
/// unbounded in number, memory is not).
const SEARCHES_HELD: usize = 256;

/// Search feeds as last rendered, by (query, format): a saved search polled by many readers is
/// searched once per change.
#[derive(Default)]
pub(crate) struct Searches {
    held: Mutex<HashMap<(String, Format), Arc<Rendered>>>,
}

impl Searches {
    pub(crate) fn get(&self, key: &(String, Format)) -> Option<Arc<Rendered>> {
        self.held.lock_or_recover().get(key).cloned()
    }

    pub(crate) fn insert(&self, key: (String, Format), r: Arc<Rendered>) {
        let mut held = self.held.lock_or_recover();
        if held.len() >= SEARCHES_HELD && !held.contains_key(&key) {
            held.clear();
        }
        held.insert(key, r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn made(body: &str, newest: i64) -> Made {
        Made {
            body: body.to_string(),
            etag: etag_of(body.as_bytes()),
            gzip: None,
            newest,
        }
    }

    fn at(secs: u64, millis: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(secs * 1000 + millis)
    }

    #[test]
    fn last_modified_moves_exactly_when_the_bytes_do() {
        let started = at(1_000, 500);
        // The first rendering: its newest entry, but never before this process started.
        let first = Rendered::after(None, (1, 0), made("a", 2_000), started, at(2_100, 0));
        assert_eq!(first.last_modified, at(2_000, 0));
        let old = Rendered::after(None, (1, 0), made("a", 10), started, at(2_100, 0));
        assert_eq!(old.last_modified, at(1_000, 0));
        // Another feed's item moved the data version, not these bytes: same validators.
        let same = Rendered::after(
            Some(&first),
            (2, 0),
            made("a", 2_000),
            started,
            at(2_500, 0),
        );
        assert_eq!(same.last_modified, first.last_modified);
        assert_eq!(same.etag, first.etag);
        assert_eq!(same.version, (2, 0));
        // New bytes: now, to the second.
        let changed = Rendered::after(
            Some(&same),
            (3, 0),
            made("b", 2_000),
            started,
            at(2_600, 700),
        );
        assert_eq!(changed.last_modified, at(2_600, 0));
        assert_ne!(changed.etag, same.etag);
        // Changed again within that second: one second on, so If-Modified-Since sees it.
        let again = Rendered::after(
            Some(&changed),
            (4, 0),
            made("c", 2_000),
            started,
            at(2_600, 900),
        );
        assert_eq!(again.last_modified, at(2_601, 0));
    }
}
