//! The daemon's wiring: scheduler + HTTP server + background tasks + signals (SIGTERM/SIGINT
//! stop, SIGHUP reloads) + systemd notifications, started in order and stopped in order.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::Utc;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::cycle::Ctx;
use crate::ingest::Ingest;
use crate::metrics::Metrics;
use crate::server::{self, AppState};
use crate::store::{self, Db};

mod reload;
mod scheduler;
mod systemd;
mod upkeep;

use scheduler::{Scheduler, initial_due};
use systemd::{Watchdog, notify, notify_status};
use upkeep::{build_search_index, watch_other_writers};

/// Runs until `shutdown` is cancelled (the caller wires signals to it). `listener` is already
/// bound, so tests and the demo can use port 0. `config_path` is read again on `reload`.
pub async fn run(
    config_path: PathBuf,
    mut cfg: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
    reload: mpsc::Receiver<()>,
) -> Result<()> {
    raise_file_limit();
    let db = Db::open(&cfg.storage.path)?;
    db.with(|c| store::sync_sources(c, &cfg.sources))
        .context("cannot record the configured sources")?;
    // A redirect to the address actually bound (port 0 in the config picks one) is refused.
    cfg.fetch.own.listen = listener.local_addr()?;
    let cfg = Arc::new(cfg);
    let metrics: Arc<Metrics> = Arc::default();
    let state = AppState::new(cfg.clone(), db.clone(), metrics.clone());
    let addr = listener.local_addr()?;
    tracing::info!(
        "serving on http://{addr} (sources configured: {})",
        cfg.sources.len()
    );
    let server = tokio::spawn(server::run(listener, state.clone(), shutdown.clone()));
    tokio::spawn(server::warm(state.clone()));
    let publishing = spawn_background(&cfg, &db, &metrics, &shutdown);
    // The watchdog is fed by the scheduler loop, the loop that does the work: if it wedges,
    // the pings stop and systemd restarts the service.
    let watchdog = Watchdog::new(sd_notify::watchdog_enabled());
    notify(&[sd_notify::NotifyState::Ready]);
    notify_status(&cfg);

    let ctx = Ctx::new(cfg, db, metrics)?;
    let due = initial_due(&ctx, Utc::now(), &HashSet::new()).await?;
    let mut scheduler = Scheduler {
        config_path,
        // Each source is fetched in its own task, so a slow one never holds back the others'
        // schedules, and the loop stays free to answer SIGHUP and SIGTERM.
        ingest: Ingest::new(&ctx.cfg, false, shutdown.clone()),
        ctx,
        state,
        publishing,
        due,
        watchdog,
        next_prune: Utc::now(),
        pruning: None,
        retag: shutdown.child_token(),
        shutdown,
    };
    scheduler.run(reload).await;
    scheduler.finish().await;
    server.await.context("the server task failed")??;
    Ok(())
}

/// Starts the background tasks beside the scheduler: static files and WebSub pings, digests
/// and their mail, alerts, the watch for other writers, the search index's backfill. They
/// follow reloads through the returned watch channel.
fn spawn_background(
    cfg: &Arc<Config>,
    db: &Db,
    metrics: &Arc<Metrics>,
    shutdown: &CancellationToken,
) -> watch::Sender<Arc<Config>> {
    let (publishing, publish_cfg) = watch::channel(cfg.clone());
    tokio::spawn(crate::export::follow(
        db.clone(),
        publish_cfg,
        shutdown.clone(),
    ));
    let mail_wake = Arc::new(tokio::sync::Notify::new());
    tokio::spawn(crate::digest::follow::follow(
        db.clone(),
        publishing.subscribe(),
        metrics.clone(),
        mail_wake.clone(),
        shutdown.clone(),
    ));
    tokio::spawn(crate::digest::mail::mailer(
        db.clone(),
        publishing.subscribe(),
        metrics.clone(),
        mail_wake,
        shutdown.clone(),
    ));
    tokio::spawn(crate::digest::alert::watch(
        db.clone(),
        publishing.subscribe(),
        metrics.clone(),
        shutdown.clone(),
    ));
    tokio::spawn(watch_other_writers(db.clone(), shutdown.clone()));
    // With the index off (`[search] index = false`) older reports are left unindexed too.
    if cfg.search.index {
        tokio::spawn(build_search_index(db.clone(), shutdown.clone()));
    }
    publishing
}

/// Raises the soft limit on open files to the hard one, and logs both: readers' connections,
/// fetches and SQLite all need descriptors, and systemd starts services with a soft limit of
/// 1024. The server caps its connections below whatever limit this leaves (`server::conn`).
fn raise_file_limit() {
    use rlimit::Resource;
    let before = match rlimit::getrlimit(Resource::NOFILE) {
        Ok(limits) => limits,
        Err(e) => {
            tracing::warn!("cannot read the open files limit: {e}");
            return;
        }
    };
    // An unlimited hard limit cannot be the soft one: Linux caps descriptors at `fs.nr_open`,
    // 1048576 unless raised.
    let raised =
        rlimit::increase_nofile_limit(u64::MAX).or_else(|_| rlimit::increase_nofile_limit(1 << 20));
    match raised {
        Ok(soft) if soft > before.0 => tracing::info!(
            "open files limit: soft {soft} (raised from {}), hard {}",
            before.0,
            before.1
        ),
        Ok(soft) => tracing::info!("open files limit: soft {soft}, hard {}", before.1),
        Err(e) => tracing::warn!(
            "open files limit: soft {}, hard {}; cannot raise the soft one: {e}",
            before.0,
            before.1
        ),
    }
}

/// Binds `[server] listen` with a message that names the address.
pub async fn bind(cfg: &Config) -> Result<TcpListener> {
    TcpListener::bind(cfg.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", cfg.server.listen))
}

/// SIGTERM and SIGINT cancel `shutdown`; SIGHUP sends on the returned channel.
pub fn wire_signals(shutdown: CancellationToken) -> Result<tokio::sync::mpsc::Receiver<()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = term.recv() => { tracing::info!("SIGTERM"); shutdown.cancel(); break; }
                _ = int.recv() => { tracing::info!("SIGINT"); shutdown.cancel(); break; }
                _ = hup.recv() => { let _ = tx.try_send(()); }
            }
        }
    });
    Ok(rx)
}
