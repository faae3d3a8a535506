//! The daemon's loop: which sources are due when, handed to the ingest runner as they come
//! due; retention started hourly beside it; the watchdog fed from it.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::systemd::{Watchdog, notify};
use super::upkeep::prune;
use crate::config::Config;
use crate::cycle::Ctx;
use crate::ingest::{Ended, Ingest};
use crate::schedule::jitter;
use crate::server::AppState;
use crate::store;

/// The daemon's loop: which sources are due when, handed to the ingest runner; hourly
/// retention; SIGHUP reloads.
pub(super) struct Scheduler {
    pub(super) config_path: PathBuf,
    pub(super) ctx: Ctx,
    pub(super) state: AppState,
    /// The config the background tasks (`spawn_background`) follow.
    pub(super) publishing: watch::Sender<Arc<Config>>,
    /// When each source is next due: the schedule. A source being fetched is not in it.
    pub(super) due: HashMap<String, DateTime<Utc>>,
    pub(super) ingest: Ingest,
    pub(super) watchdog: Watchdog,
    pub(super) next_prune: DateTime<Utc>,
    pub(super) pruning: Option<JoinHandle<()>>,
    /// Tagging stored reports for topics a reload added or changed, in the background.
    pub(super) retag: CancellationToken,
    pub(super) shutdown: CancellationToken,
}

impl Scheduler {
    pub(super) async fn run(&mut self, mut reload: mpsc::Receiver<()>) {
        loop {
            self.watchdog.feed();
            let now = Utc::now();
            self.queue_due(now);
            self.ingest.start(&self.ctx).await;
            self.prune_if_due(now);
            let wait = self.wait();
            tokio::select! {
                () = self.shutdown.cancelled() => break,
                Some(ended) = self.ingest.next(), if !self.ingest.is_idle() => self.ended(ended),
                Some(()) = reload.recv() => self.reload().await,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Sources that came due leave the table for the runner's queue. Only those: the table is
    /// the schedule, so a tick costs the sources it starts, not every configured source.
    fn queue_due(&mut self, now: DateTime<Utc>) {
        let mut came: Vec<String> = self
            .due
            .iter()
            .filter(|(_, t)| **t <= now)
            .map(|(name, _)| name.clone())
            .collect();
        came.sort();
        for name in came {
            self.due.remove(&name);
            let cfg = &self.ctx.cfg;
            if let Some(at) = self
                .ctx
                .position(&name)
                .filter(|&at| cfg.sources[at].enabled)
            {
                self.ingest.push(&self.ctx, at, None);
            }
        }
    }

    /// Retention runs beside the loop, in small transactions, so neither the schedule nor the
    /// fetches' writes wait for it.
    fn prune_if_due(&mut self, now: DateTime<Utc>) {
        if now >= self.next_prune && self.pruning.as_ref().is_none_or(|p| p.is_finished()) {
            let task = prune(self.ctx.clone(), now, self.shutdown.clone());
            self.pruning = Some(tokio::spawn(task));
            self.next_prune = now + chrono::Duration::hours(1);
        }
    }

    /// How long the loop may sleep: until a source or retention is due, or the watchdog wants
    /// its ping. Queued sources start when a task ends, not on a timer.
    fn wait(&self) -> std::time::Duration {
        let next = self
            .due
            .values()
            .min()
            .copied()
            .unwrap_or(self.next_prune)
            .min(self.next_prune);
        (next - Utc::now())
            .to_std()
            .unwrap_or_default()
            .min(self.watchdog.until_next())
    }

    /// A fetch ended: its source is due again at its next tick.
    fn ended(&mut self, ended: Ended) {
        if let Some(result) = ended.result {
            tracing::info!("{result}");
        }
        // A source removed from the config, or a schedule that never fires again, leaves the
        // table rather than looping.
        match next_tick(&self.ctx, &ended.name, Utc::now()) {
            Some(t) => self.due.insert(ended.name, t),
            None => self.due.remove(&ended.name),
        };
    }

    /// Shutdown: fetches see the cancellation and stop; a write already running commits first.
    pub(super) async fn finish(mut self) {
        tracing::info!("shutting down");
        notify(&[sd_notify::NotifyState::Stopping]);
        while let Some(ended) = self.ingest.next().await {
            if let Some(result) = ended.result {
                tracing::info!("{result}");
            }
        }
        if let Some(p) = self.pruning {
            let _ = p.await;
        }
    }
}

/// When each enabled source is next due: now when its data is stale (never fetched, or not
/// within one period of its schedule), else its next tick.
pub(super) async fn initial_due(
    ctx: &Ctx,
    now: DateTime<Utc>,
    busy: &HashSet<String>,
) -> Result<HashMap<String, DateTime<Utc>>> {
    // A source being fetched is rescheduled when its fetch ends; a due time now would only
    // make the loop spin while it cannot start.
    let sources: Vec<&crate::config::Source> = ctx
        .cfg
        .sources
        .iter()
        .filter(|s| s.enabled && !busy.contains(&s.name))
        .collect();
    let names: Vec<String> = sources.iter().map(|s| s.name.clone()).collect();
    let states = ctx
        .db
        .call(move |c| store::load_fetch_states(c, &names))
        .await??;
    let mut due = HashMap::new();
    for (s, state) in sources.into_iter().zip(states) {
        let schedule = s.cron.as_deref().unwrap_or(&ctx.cfg.schedule);
        let stale = state
            .last_fetch
            .is_none_or(|t| t < (now - schedule.period_near(now)).timestamp());
        // Stale data is fetched at once; the concurrency limits keep a large start polite.
        let at = if stale {
            Some(now)
        } else {
            next_tick(ctx, &s.name, now)
        };
        if let Some(at) = at {
            due.insert(s.name.clone(), at);
        }
    }
    Ok(due)
}

fn next_tick(ctx: &Ctx, name: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let s = ctx.source(name).filter(|s| s.enabled)?;
    let schedule = s.cron.as_deref().unwrap_or(&ctx.cfg.schedule);
    let tick = schedule.next_after(now)?;
    Some(tick + jitter(name, schedule.period_near(tick)))
}
