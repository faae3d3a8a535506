//! `/search?q=…` (the page) and `/search.rss?q=…` (`.atom`, `.json`: a saved search as a
//! feed, held in the render cache by query). A query that cannot be run is answered with what
//! is wrong, in the reader's words.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::feeds::respond;
use crate::pages;
use crate::publish::{self, Format};
use crate::server::AppState;
use crate::server::cache;
use crate::server::negotiate::{Page, accepts_gzip, tagged};

#[derive(serde::Deserialize)]
pub(crate) struct SearchParams {
    q: Option<String>,
}

/// `/search?q=…`: the page, with a query that cannot be run answered on the page itself.
pub(crate) async fn page(
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
pub(crate) async fn feed(
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
    let version = st.version();
    let key = (q.clone(), format);
    let previous = st.searches.get(&key);
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
    let Ok(r) = cache::render(&st, view, format, hub, version, previous.as_deref()).await else {
        return plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot render this feed".into(),
        );
    };
    let r = Arc::new(r);
    st.searches.insert(key, r.clone());
    respond(&st, format, &r, &headers)
}
