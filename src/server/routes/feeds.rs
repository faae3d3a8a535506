//! `/feeds/NAME.rss` and `/topics/NAME.rss` (and `.atom`, `.json`): feeds served from the
//! render cache, with their validators and 304s.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::missing;
use crate::publish::{Format, Target};
use crate::server::AppState;
use crate::server::cache::{self, Rendered};
use crate::server::negotiate::{Tags, answer, headers};

pub(crate) async fn feed(
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

pub(crate) async fn topic(
    State(st): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    // `/topics/NAME` is the topic's page; `/topics/NAME.rss` (and .atom, .json) its feed.
    if !file.contains('.') {
        return super::pages::topic(st, file, headers).await;
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
    let rendered = match cache::feed(&st, target, format).await {
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
pub(crate) fn respond(
    st: &AppState,
    format: Format,
    rendered: &Rendered,
    req: &HeaderMap,
) -> Response {
    let h = headers(format.content_type(), "public, max-age=60", true);
    let tags = Tags {
        body: &rendered.body,
        gzip: rendered.gzip.as_ref(),
        etag: &rendered.etag,
        last_modified: Some(rendered.last_modified),
    };
    let (response, unchanged) = answer(req, h, tags);
    st.metrics.served(unchanged);
    response
}
