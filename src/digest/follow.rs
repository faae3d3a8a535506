//! The daemon's digest task: at start, the edition each digest missed while the daemon was
//! down; then each edition at its tick. It runs beside the fetch loop and the server, reads on
//! the reader connection and writes one row per edition, so it never holds up ingest.

use std::sync::Arc;

use chrono::Utc;
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::store::Db;

/// Makes editions until `shutdown`; wakes `mailer` after storing one that is to be mailed.
pub async fn follow(
    db: Db,
    mut config: watch::Receiver<Arc<Config>>,
    metrics: Arc<crate::metrics::Metrics>,
    mailer: Arc<Notify>,
    shutdown: CancellationToken,
) {
    loop {
        let cfg = config.borrow_and_update().clone();
        let now = Utc::now();
        for d in &cfg.delivery.digests {
            let name = d.name.clone();
            let watched = match db
                .call(move |c| crate::store::watch_since(c, &name, now.timestamp()))
                .await
            {
                Ok(Ok(w)) => w,
                Ok(Err(e)) => {
                    tracing::error!("digest {}: cannot read its state: {e}", d.name);
                    continue;
                }
                Err(e) => {
                    tracing::error!("digest {}: cannot read its state: {e:#}", d.name);
                    continue;
                }
            };
            let (c, d2) = (cfg.clone(), d.clone());
            // Gathering reads a period of reports: on the reader connection, so a fetch's
            // write never waits behind it. Only the insert takes the writer.
            let made = db
                .read(move |conn| {
                    let last = crate::store::last_edition(conn, &d2.name)?;
                    let Some(plan) = super::plan(&d2, last, watched, now) else {
                        return Ok(None);
                    };
                    super::gather(&c, conn, &d2, &plan, now).map(|e| Some((plan, e)))
                })
                .await;
            let (plan, edition) = match made {
                Ok(Ok(Some(p))) => p,
                Ok(Ok(None)) => continue,
                Ok(Err(e)) => {
                    tracing::error!("digest {}: cannot make an edition: {e}", d.name);
                    continue;
                }
                Err(e) => {
                    tracing::error!("digest {}: cannot make an edition: {e:#}", d.name);
                    continue;
                }
            };
            let row = super::to_row(d, &edition, plan.tick.timestamp());
            let stored = db
                .call(move |c| crate::store::insert_edition(c, &row))
                .await;
            match stored {
                Ok(Ok(true)) => {
                    metrics.edition_made();
                    // The static export and the feeds that follow the data pick it up.
                    db.bump();
                    tracing::info!(
                        "digest {}: edition {} made ({} stories{})",
                        d.name,
                        edition.key,
                        edition.stories.len(),
                        if plan.late {
                            format!(", late, standing for {} missed", plan.missed)
                        } else {
                            String::new()
                        }
                    );
                    if !d.to.is_empty() {
                        mailer.notify_one();
                    }
                }
                Ok(Ok(false)) => {}
                Ok(Err(e)) => tracing::error!("digest {}: cannot store an edition: {e}", d.name),
                Err(e) => tracing::error!("digest {}: cannot store an edition: {e:#}", d.name),
            }
        }
        let now = Utc::now();
        let next = cfg
            .delivery
            .digests
            .iter()
            .filter_map(|d| d.cron.next_after(now))
            .min();
        // At most a minute: a suspended machine or a changed clock is noticed within one.
        let wait = next
            .map_or(std::time::Duration::from_secs(60), |t| {
                (t - now).to_std().unwrap_or_default() + std::time::Duration::from_millis(20)
            })
            .min(std::time::Duration::from_secs(60));
        tokio::select! {
            () = shutdown.cancelled() => return,
            changed = config.changed() => if changed.is_err() { return },
            () = tokio::time::sleep(wait) => {}
        }
    }
}
