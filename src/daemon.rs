//! The daemon's wiring: scheduler + HTTP server + signals (SIGTERM/SIGINT stop, SIGHUP reloads).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::cycle::{self, Ctx};
use crate::schedule::jitter;
use crate::server::{self, AppState};
use crate::store::{self, Db};

/// Runs until `shutdown` is cancelled (the caller wires signals to it). `listener` is already
/// bound, so tests and the demo can use port 0. `config_path` is read again on `reload`.
pub async fn run(
    config_path: PathBuf,
    cfg: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
    mut reload: tokio::sync::mpsc::Receiver<()>,
) -> Result<()> {
    let conn = store::open(&cfg.storage.path)?;
    store::sync_sources(&conn, &cfg.sources).context("cannot record the configured sources")?;
    let db = Db::new(conn);
    let cfg = Arc::new(cfg);
    let state = AppState::new(cfg.clone(), db.clone());
    let addr = listener.local_addr()?;
    tracing::info!("serving on http://{addr} ({} sources)", cfg.sources.len());
    let server = tokio::spawn(server::run(listener, state.clone(), shutdown.clone()));

    let mut ctx = Ctx::new(cfg, db.clone())?;
    let mut due = initial_due(&ctx, Utc::now()).await?;
    loop {
        let now = Utc::now();
        let next = due.values().min().copied();
        let wait = next.map_or(std::time::Duration::from_secs(3600), |n| {
            (n - now).to_std().unwrap_or_default()
        });
        tokio::select! {
            () = shutdown.cancelled() => break,
            Some(()) = reload.recv() => {
                match Config::load(&config_path) {
                    Ok(new) => {
                        let conn_sources = new.sources.clone();
                        db.call(move |c| store::sync_sources(c, &conn_sources)).await??;
                        let new = Arc::new(new);
                        state.set_config(new.clone());
                        ctx = Ctx::new(new, db.clone())?;
                        due = initial_due(&ctx, Utc::now()).await?;
                        tracing::info!("reloaded {}", config_path.display());
                    }
                    Err(e) => tracing::error!("kept the running config; the new one is refused: {e}"),
                }
                continue;
            }
            () = tokio::time::sleep(wait) => {}
        }
        let now = Utc::now();
        let names: Vec<String> = due
            .iter()
            .filter(|(_, t)| **t <= now)
            .map(|(n, _)| n.clone())
            .collect();
        let sources: Vec<_> = ctx
            .cfg
            .sources
            .iter()
            .filter(|s| names.contains(&s.name))
            .cloned()
            .collect();
        for r in cycle::run(&ctx, sources, false, &shutdown).await {
            tracing::info!("{r}");
        }
        let after = Utc::now();
        for n in names {
            if let Some(t) = next_tick(&ctx.cfg, &n, after) {
                due.insert(n, t);
            }
        }
        prune(&ctx, after).await;
    }
    tracing::info!("shutting down");
    server.await.context("the server task failed")??;
    Ok(())
}

/// When each enabled source is next due: now when its data is stale (never fetched, or not
/// within one period of its schedule), else its next tick.
async fn initial_due(ctx: &Ctx, now: DateTime<Utc>) -> Result<HashMap<String, DateTime<Utc>>> {
    let mut due = HashMap::new();
    for s in ctx.cfg.sources.iter().filter(|s| s.enabled) {
        let name = s.name.clone();
        let state = ctx
            .db
            .call(move |c| store::load_fetch_state(c, &name))
            .await??;
        let schedule = s.cron.as_ref().unwrap_or(&ctx.cfg.schedule);
        let stale = state
            .last_fetch
            .is_none_or(|t| t < (now - schedule.period_near(now)).timestamp());
        // Stale data is fetched at once; the concurrency limits keep a large start polite.
        let at = if stale {
            Some(now)
        } else {
            next_tick(&ctx.cfg, &s.name, now)
        };
        if let Some(at) = at {
            due.insert(s.name.clone(), at);
        }
    }
    Ok(due)
}

fn next_tick(cfg: &Config, name: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let s = cfg.source(name)?;
    let schedule = s.cron.as_ref().unwrap_or(&cfg.schedule);
    let tick = schedule.next_after(now)?;
    Some(tick + jitter(name, schedule.period_near(tick)))
}

async fn prune(ctx: &Ctx, now: DateTime<Utc>) {
    let before = now - chrono::Duration::days(i64::from(ctx.cfg.storage.retention_days));
    match ctx.db.call(move |c| store::prune(c, before)).await {
        Ok(Ok(0)) => {}
        Ok(Ok(n)) => {
            tracing::info!("retention: removed {n} items older than {before}");
            ctx.db.bump();
        }
        Ok(Err(e)) => tracing::error!("retention failed: {e}"),
        Err(e) => tracing::error!("retention failed: {e:#}"),
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
