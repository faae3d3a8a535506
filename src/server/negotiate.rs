//! Header negotiation: which representation a request gets (gzip or identity, by
//! Accept-Encoding) and whether the reader's copy is still good (If-None-Match, else
//! If-Modified-Since), so every route answers conditional requests the same way.

use std::hash::Hasher;
use std::time::SystemTime;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A generated page: its bytes, their strong ETag, and (when compressed) the gzipped bytes.
/// The costly pages are kept and served many times, so they are compressed once when made,
/// as feeds are; the others are compressed for the reader who asked, when they accept it.
#[derive(Clone)]
pub(crate) struct Page {
    pub(crate) body: Bytes,
    pub(crate) etag: String,
    pub(crate) gzip: Option<Bytes>,
}

impl Page {
    pub(crate) fn new(body: String, gzip: bool) -> Page {
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

    /// A page compressed on the blocking pool: the bulletin of ten thousand sources is
    /// megabytes, too much CPU for a runtime worker.
    pub(crate) async fn made_once(body: String) -> Page {
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
pub(crate) fn tagged(req: &HeaderMap, content_type: &'static str, page: &Page) -> Response {
    let headers = headers(content_type, "no-cache", true);
    let tags = Tags {
        body: &page.body,
        gzip: page.gzip.as_ref(),
        etag: &page.etag,
        last_modified: None,
    };
    answer(req, headers, tags).0
}

/// The headers every answer of a route starts with.
pub(crate) fn headers(
    content_type: &'static str,
    cache_control: &'static str,
    vary: bool,
) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    if vary {
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    h
}

/// What an answer is made of: the identity bytes, their gzip when there is one, the identity's
/// strong ETag, and Last-Modified for what has one.
pub(crate) struct Tags<'a> {
    pub(crate) body: &'a Bytes,
    pub(crate) gzip: Option<&'a Bytes>,
    pub(crate) etag: &'a str,
    pub(crate) last_modified: Option<SystemTime>,
}

/// The answer to `req`: 304 when the reader's copy of the representation it would get is
/// current, else 200 with the bytes; `true` with a 304.
pub(crate) fn answer(req: &HeaderMap, mut h: HeaderMap, t: Tags<'_>) -> (Response, bool) {
    let gzip = t.gzip.filter(|_| accepts_gzip(req));
    // Each representation has its own strong ETag, as RFC 9110 asks.
    let etag = match gzip {
        Some(_) => gzip_etag(t.etag),
        None => t.etag.to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Some(lm) = t.last_modified
        && let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(lm))
    {
        h.insert(header::LAST_MODIFIED, v);
    }
    if not_modified(req, &etag, t.last_modified) {
        return ((StatusCode::NOT_MODIFIED, h).into_response(), true);
    }
    let body = match gzip {
        Some(gz) => {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            gz.clone()
        }
        None => t.body.clone(),
    };
    ((StatusCode::OK, h, body).into_response(), false)
}

/// RFC 9110: If-None-Match decides when present; otherwise If-Modified-Since.
fn not_modified(req: &HeaderMap, etag: &str, last_modified: Option<SystemTime>) -> bool {
    if let Some(matched) = none_match(req, etag) {
        return matched;
    }
    if let Some(lm) = last_modified
        && let Some(ims) = req
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
    {
        return lm <= ims;
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

/// Whether `Accept-Encoding` allows gzip: an explicit `gzip` entry decides by its q-value;
/// otherwise `*` does; otherwise no.
pub(crate) fn accepts_gzip(req: &HeaderMap) -> bool {
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

/// A strong ETag of some bytes.
pub(crate) fn etag_of(body: &[u8]) -> String {
    let mut h = siphasher::sip::SipHasher13::new_with_keys(1, 2);
    h.write(body);
    format!("\"{:016x}\"", h.finish())
}

fn gzip_etag(etag: &str) -> String {
    format!("{}-gz\"", etag.trim_end_matches('"'))
}

pub(crate) fn gzip_bytes(body: &[u8]) -> Option<Bytes> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(body).ok()?;
    e.finish().ok().map(Bytes::from)
}

#[cfg(test)]
mod tests {
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

    /// The status, ETag and Content-Encoding of the answer to a request with these headers.
    fn ask(
        page: &Page,
        last_modified: Option<SystemTime>,
        req: &[(&str, &str)],
    ) -> (u16, String, String) {
        let mut h = HeaderMap::new();
        for (k, v) in req {
            h.append(
                header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        let tags = Tags {
            body: &page.body,
            gzip: page.gzip.as_ref(),
            etag: &page.etag,
            last_modified,
        };
        let (r, _) = answer(&h, headers("text/html", "no-cache", true), tags);
        let get = |name| {
            r.headers()
                .get(name)
                .map_or(String::new(), |v| v.to_str().unwrap().to_string())
        };
        (
            r.status().as_u16(),
            get(header::ETAG),
            get(header::CONTENT_ENCODING),
        )
    }

    #[test]
    fn a_reader_gets_304_only_for_the_copy_it_holds_of_the_representation_it_would_get() {
        let page = Page::new("<p>новости</p>".repeat(50), true);
        let plain = page.etag.clone();
        let (status, gz, encoding) = ask(&page, None, &[("accept-encoding", "gzip")]);
        assert_eq!((status, encoding.as_str()), (200, "gzip"));
        assert_ne!(gz, plain, "each representation has its own ETag");
        // A cache holding the identity bytes is not told they stand for the gzipped ones.
        let asked = [
            ("accept-encoding", "gzip"),
            ("if-none-match", plain.as_str()),
        ];
        assert_eq!(ask(&page, None, &asked).0, 200);
        let asked = [("accept-encoding", "gzip"), ("if-none-match", gz.as_str())];
        assert_eq!(ask(&page, None, &asked), (304, gz.clone(), String::new()));
        // Without gzip: the identity bytes and their own tag, also when a proxy weakened it or
        // it is one of several.
        assert_eq!(ask(&page, None, &[]), (200, plain.clone(), String::new()));
        let weak = format!("W/{plain}");
        assert_eq!(ask(&page, None, &[("if-none-match", weak.as_str())]).0, 304);
        let several = format!("\"other\", {plain}");
        assert_eq!(
            ask(&page, None, &[("if-none-match", several.as_str())]).0,
            304
        );
        assert_eq!(ask(&page, None, &[("if-none-match", "*")]).0, 304);
        assert_eq!(ask(&page, None, &[("if-none-match", gz.as_str())]).0, 200);
    }

    #[test]
    fn if_none_match_decides_over_if_modified_since() {
        let page = Page::new("<p>новости</p>".repeat(50), false);
        let changed = httpdate::parse_http_date("Mon, 07 Dec 2026 10:00:00 GMT").unwrap();
        let at = |t: &'static str| [("if-modified-since", t)];
        assert_eq!(
            ask(&page, Some(changed), &at("Mon, 07 Dec 2026 10:00:00 GMT")).0,
            304
        );
        assert_eq!(
            ask(&page, Some(changed), &at("Mon, 07 Dec 2026 09:59:59 GMT")).0,
            200
        );
        // A page without Last-Modified is never answered by date.
        assert_eq!(
            ask(&page, None, &at("Mon, 07 Dec 2026 10:00:00 GMT")).0,
            200
        );
        // An ETag that does not match wins over a date that would.
        let both = [
            ("if-none-match", "\"older\""),
            ("if-modified-since", "Mon, 07 Dec 2026 11:00:00 GMT"),
        ];
        assert_eq!(ask(&page, Some(changed), &both).0, 200);
    }
}
