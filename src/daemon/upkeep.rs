//! The daemon's upkeep beside the fetches, each in short transactions so fetches take turns
//! with it: hourly retention, the search index's backfill, and the watch for other writers.

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::cycle::Ctx;
use crate::store::{self, Db};

/// Another process (`svodka fetch`, `svodka retag`) may write the same database: SQLite's
/// `data_version` moves when it commits, and then the render cache is invalidated.
pub(super) async fn watch_other_writers(db: Db, shutdown: CancellationToken) {
    let read = |c: &mut store::Sqlite| store::data_version(c).ok();
    let mut last = db.call(read).await.ok().flatten();
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
        }
        let now = db.call(read).await.ok().flatten();
        if now != last {
            db.bump();
            last = now;
        }
    }
}

/// Reports are removed this many at a time, each batch its own short transaction: the fetches'
/// writes take turns with retention instead of timing out behind one long transaction.
const PRUNE_BATCH: usize = 500;

/// Hourly retention, in batches until nothing is left to remove or shutdown begins.
pub(super) async fn prune(ctx: Ctx, now: DateTime<Utc>, shutdown: CancellationToken) {
    let before = now - chrono::Duration::days(i64::from(ctx.cfg.storage.retention_days));
    let mut removed = 0;
    while !shutdown.is_cancelled() {
        match ctx
            .db
            .call_engine(move |c, engine| store::prune(c, Some(engine), before, PRUNE_BATCH))
            .await
        {
            Ok(Ok(n)) => {
                removed += n;
                if n > 0 {
                    ctx.db.bump();
                }
                if n < PRUNE_BATCH {
                    break;
                }
            }
            Ok(Err(e)) => {
                tracing::error!("retention failed: {e}");
                break;
            }
            Err(e) => {
                tracing::error!("retention failed: {e:#}");
                break;
            }
        }
    }
    if removed > 0 {
        tracing::info!("retention: removed {removed} items older than {before}");
    }
}

/// Reports the search index is built for at a time, each batch its own short transaction on
/// the writer's connection, so fetches take turns with it.
const INDEX_BATCH: usize = 200;

/// Builds the search index for the reports stored before it existed (a database from an
/// earlier version), batch by batch beside the fetches, saying how far it got; nothing to do
/// on a database that had the index from its start.
pub(super) async fn build_search_index(db: Db, shutdown: CancellationToken) {
    let mut indexed = 0usize;
    let mut said = std::time::Instant::now();
    let mut batches = 0u32;
    while !shutdown.is_cancelled() {
        match db
            .call(|c| crate::store::search::backfill_step(c, INDEX_BATCH))
            .await
        {
            Ok(Ok((n, left))) => {
                indexed += n;
                batches += 1;
                if n > 0 && (said.elapsed() >= std::time::Duration::from_secs(5) || left == 0) {
                    tracing::info!(
                        "search index: {indexed} older reports indexed, ids to go: {left}"
                    );
                    said = std::time::Instant::now();
                }
                // Invalidates the cached searches, which then see the new part of the index.
                if left == 0 || batches.is_multiple_of(25) {
                    db.bump();
                }
                if left == 0 || n == 0 {
                    if indexed > 0 {
                        tracing::info!("search index: built ({indexed} older reports)");
                    }
                    break;
                }
            }
            Ok(Err(e)) => {
                tracing::error!("cannot build the search index: {e}");
                break;
            }
            Err(e) => {
                tracing::error!("cannot build the search index: {e:#}");
                break;
            }
        }
        // The writer's other users (fetches, retention) get their turn between batches.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
