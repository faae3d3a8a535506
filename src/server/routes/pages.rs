//! The site's pages: the bulletin, a story, a topic, the sources' health, OPML, and
//! `/trending.json`. The bulletin and trending are costly, so they are served from a
//! stale-while-revalidate cache; the others are made per request.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{for_reader, html_page, missing, this_minute};
use crate::pages;
use crate::publish;
use crate::server::AppState;
use crate::server::negotiate::{Page, accepts_gzip, tagged};

pub(crate) async fn index(State(st): State<AppState>, req: HeaderMap) -> Response {
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

pub(crate) async fn sources(State(st): State<AppState>, req: HeaderMap) -> Response {
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

pub(crate) async fn story(
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

/// `/topics/NAME`: a topic's page (its feeds are under the same path, see [`super::feeds`]).
pub(crate) async fn topic(st: AppState, name: String, req: HeaderMap) -> Response {
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

pub(crate) async fn opml(State(st): State<AppState>, req: HeaderMap) -> Response {
    let page = Page::new(publish::render_opml(&st.config()), accepts_gzip(&req));
    tagged(&req, "text/x-opml; charset=utf-8", &page)
}

#[derive(serde::Deserialize)]
pub(crate) struct TrendingQuery {
    period: Option<String>,
}

pub(crate) async fn trending(
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
