//! The route handlers, by what they serve: feeds, pages, search, digests, metrics; and what
//! they share: the site's 404 page and pages made for one reader.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::negotiate::{Page, accepts_gzip, tagged};
use crate::archive::StoreError;

pub(crate) mod digests;
pub(crate) mod feeds;
pub(crate) mod metrics;
pub(crate) mod pages;
pub(crate) mod search;

/// A 404 as a page of the site: what was not found, in Russian, and links back.
pub(crate) fn missing(st: &AppState, what: &str) -> Response {
    let cfg = st.config();
    let topics: Vec<(String, String)> = if what.contains("темы") {
        cfg.topics
            .iter()
            .map(|t| (t.name.clone(), t.title.clone()))
            .collect()
    } else {
        Vec::new()
    };
    let body = crate::pages::render_not_found(&crate::pages::site(&cfg), what, &topics);
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

pub(crate) async fn no_route(State(st): State<AppState>) -> Response {
    missing(&st, "По этому адресу ничего нет.")
}

/// A page made for one reader, compressed when they accept it: after the read, so the reader
/// connection is not held for it, and a large one on the blocking pool.
pub(crate) async fn for_reader(
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
pub(crate) fn html_page(req: &HeaderMap, page: anyhow::Result<Option<Page>>) -> Response {
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

/// Now, to the minute: a report's period then starts at the same instant for a minute, and so
/// its bytes and ETag stay put.
pub(crate) fn this_minute() -> chrono::DateTime<chrono::Utc> {
    let now = chrono::Utc::now().timestamp();
    chrono::DateTime::from_timestamp(now - now.rem_euclid(60), 0).unwrap_or_default()
}
