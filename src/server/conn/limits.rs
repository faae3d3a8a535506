//! What connections and requests are held to: the connection cap under the open files
//! limit, the timeouts of each phase, and the requests answered before they reach the router
//! (a target too long, a body on a GET, a missing or doubled `Host`).

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, Uri, header};

use super::registry::Phase;
use crate::config::Config;

/// A request head (request line and headers) longer than this is answered 431 by hyper. A
/// feed reader sends under 1 KiB; a browser with cookies a few KiB.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// More header fields than this: 431. Browsers send about twenty.
pub const MAX_HEADERS: usize = 64;
/// A request target (path and query) longer than this: 414. svodka's longest real target is a
/// feed name and a short query.
pub const MAX_URL_BYTES: usize = 2048;
/// How long a refused client is asked to wait (`Retry-After`), and how long a refusal may take.
pub(super) const RETRY_AFTER_SECS: u64 = 5;

/// Descriptors kept out of the readers' reach: the runtime, the log, the listener, SQLite's
/// files (two connections in WAL mode, temp files), the refusals in flight, and two sockets for
/// each fetch at once (one fetching, one kept alive in the client's pool).
pub fn reserved_fds(fetch_concurrency: usize) -> u64 {
    96 + 2 * fetch_concurrency as u64
}

/// The cap really used: the configured one, lowered so that readers can never take the
/// descriptors reserved for fetching and the database. A file limit too small to reserve
/// anything still leaves a quarter of it to readers.
pub fn connection_cap(configured: usize, soft_nofile: u64, reserved: u64) -> usize {
    let room = soft_nofile.saturating_sub(reserved);
    let room = if room < 8 {
        (soft_nofile / 4).max(1)
    } else {
        room
    };
    configured.min(usize::try_from(room).unwrap_or(usize::MAX))
}

/// The limits one connection is held to, read from the config when it is accepted (so a
/// SIGHUP applies to the connections that come after it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub request_timeout: Duration,
    pub max_connections: usize,
}

impl Limits {
    pub fn new(cfg: &Config, soft_nofile: u64) -> Limits {
        let s = &cfg.server;
        Limits {
            header_timeout: s.header_timeout,
            idle_timeout: s.idle_timeout,
            request_timeout: s.request_timeout,
            max_connections: connection_cap(
                s.max_connections,
                soft_nofile,
                reserved_fds(cfg.fetch.concurrency),
            ),
        }
    }

    pub(super) fn time_for(&self, phase: Phase) -> Duration {
        match phase {
            Phase::New | Phase::Head => self.header_timeout,
            Phase::Busy => self.request_timeout,
            Phase::Idle => self.idle_timeout,
        }
    }
}

pub(super) fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut r = Response::new(Body::from(text));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if status == StatusCode::SERVICE_UNAVAILABLE {
        h.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    }
    r
}

/// A request svodka does not answer, with the status that says why: an HTTP/1.1 request
/// without exactly one `Host` (400, as RFC 9112 asks), a target too long (414), or a body on a
/// GET or HEAD (413). Other methods reach the router, which answers 405.
pub(super) fn refusal(
    method: &Method,
    uri: &Uri,
    has_body: bool,
    one_host: bool,
) -> Option<Response<Body>> {
    if !one_host {
        return Some(plain(
            StatusCode::BAD_REQUEST,
            "an HTTP/1.1 request names its host once\n",
        ));
    }
    let target = uri.path_and_query().map_or(0, |pq| pq.as_str().len());
    if target > MAX_URL_BYTES {
        return Some(plain(StatusCode::URI_TOO_LONG, "the address is too long\n"));
    }
    if has_body && (method == Method::GET || method == Method::HEAD) {
        return Some(plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            "requests to svodka carry no body\n",
        ));
    }
    None
}

/// Whether a request names its host as RFC 9112 asks: HTTP/1.1 exactly once; HTTP/1.0 at most
/// once (it may leave it out).
pub(super) fn names_one_host(version: hyper::Version, h: &HeaderMap) -> bool {
    let hosts = h.get_all(header::HOST).iter().count();
    hosts == 1 || (hosts == 0 && version < hyper::Version::HTTP_11)
}

pub(super) fn carries_body(h: &HeaderMap) -> bool {
    h.contains_key(header::TRANSFER_ENCODING)
        || h.get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_the_reserve_to_fetching_and_the_database() {
        // systemd's default soft limit, 32 fetches at once: readers get what is left.
        assert_eq!(connection_cap(10_000, 1024, reserved_fds(32)), 1024 - 160);
        // A generous limit: the configured cap wins.
        assert_eq!(connection_cap(10_000, 65_536, reserved_fds(32)), 10_000);
        // A limit too small to reserve anything still serves a few readers.
        assert_eq!(connection_cap(10_000, 100, reserved_fds(32)), 25);
        assert_eq!(connection_cap(10_000, 0, reserved_fds(32)), 1);
    }
    #[test]
    fn requests_beyond_the_limits_get_their_status() {
        let long = format!(
            "/feeds/all.rss?q={}",
            "%D1%8F".repeat(MAX_URL_BYTES / 6 + 1)
        );
        let r = refusal(&Method::GET, &long.parse().unwrap(), false, true).unwrap();
        assert_eq!(r.status(), StatusCode::URI_TOO_LONG);
        let r = refusal(&Method::GET, &"/feeds/all.rss".parse().unwrap(), true, true).unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let r = refusal(&Method::GET, &"/".parse().unwrap(), false, false).unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert!(
            refusal(
                &Method::HEAD,
                &"/feeds/all.rss".parse().unwrap(),
                false,
                true
            )
            .is_none()
        );
        // Other methods are the router's to answer (405 with `Allow`).
        assert!(
            refusal(
                &Method::POST,
                &"/feeds/all.rss".parse().unwrap(),
                true,
                true
            )
            .is_none()
        );
        // Host: once in HTTP/1.1; HTTP/1.0 may leave it out.
        let mut h = HeaderMap::new();
        assert!(!names_one_host(hyper::Version::HTTP_11, &h));
        assert!(names_one_host(hyper::Version::HTTP_10, &h));
        h.insert(header::HOST, HeaderValue::from_static("news.test"));
        assert!(names_one_host(hyper::Version::HTTP_11, &h));
        h.append(header::HOST, HeaderValue::from_static("other.test"));
        assert!(!names_one_host(hyper::Version::HTTP_11, &h));
        assert!(!names_one_host(hyper::Version::HTTP_10, &h));
        let mut h = HeaderMap::new();
        assert!(!carries_body(&h));
        h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        assert!(!carries_body(&h));
        h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("12"));
        assert!(carries_body(&h));
        h.remove(header::CONTENT_LENGTH);
        h.insert(
            header::TRANSFER_ENCODING,
            HeaderValue::from_static("chunked"),
        );
        assert!(carries_body(&h));
    }
}
