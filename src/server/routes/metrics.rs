//! `/metrics`: the process's counters and the store's gauges, read at scrape time, in the
//! Prometheus text format.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::server::AppState;
use crate::store;

pub(crate) async fn metrics(State(st): State<AppState>) -> Response {
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
