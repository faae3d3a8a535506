//! `/digests/NAME` (a digest's archive), its feeds, and `/digests/NAME/KEY` (one edition).

use std::time::{Duration, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{for_reader, html_page, missing};
use crate::publish::Format;
use crate::server::AppState;
use crate::server::cache::truncate_to_secs;
use crate::server::negotiate::{self, Tags, answer, etag_of};

/// `/digests/NAME` (the archive) and `/digests/NAME.rss` (`.atom`, `.json`: one entry per
/// edition). The feeds are a few editions, made on request with the feeds' validators.
pub(crate) async fn file(
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
    let body = Bytes::from(body);
    let etag = etag_of(&body);
    let h = negotiate::headers(format.content_type(), "public, max-age=60", false);
    let tags = Tags {
        body: &body,
        gzip: None,
        etag: &etag,
        last_modified: Some(last_modified),
    };
    let (response, unchanged) = answer(&headers, h, tags);
    st.metrics.served(unchanged);
    response
}

/// `/digests/NAME/2026-12-07`: one edition as a page.
pub(crate) async fn edition(
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
