//! SIGHUP: a new config checked whole and swapped in, or refused with the running one kept; the
//! stored reports tagged again in the background for the topics it changed.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use anyhow::Result;
use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::scheduler::{Scheduler, initial_due};
use super::systemd::{notify, notify_status};
use crate::config::Config;
use crate::cycle::Ctx;
use crate::server::AppState;
use crate::store;

impl Scheduler {
    /// SIGHUP: the new config replaces the running one whole, or is refused and changes nothing.
    pub(super) async fn reload(&mut self) {
        let mut reloading = vec![sd_notify::NotifyState::Reloading];
        reloading.extend(sd_notify::NotifyState::monotonic_usec_now().ok());
        notify(&reloading);
        let busy: HashSet<String> = self.ingest.running().map(str::to_string).collect();
        match reload_config(&self.config_path, &self.ctx, &busy).await {
            Ok((new, due)) => {
                let changed = changed_topics(&self.ctx.cfg, &new.cfg);
                if !changed.is_empty() {
                    self.start_retag(&new, changed);
                }
                self.state.set_config(new.cfg.clone());
                self.publishing.send_replace(new.cfg.clone());
                self.ctx = new;
                // The queued sources are in the new table, by the new schedule.
                self.due = due;
                self.ingest.reconfigure(&self.ctx.cfg);
                tracing::info!("reloaded {}", self.config_path.display());
            }
            Err(e) => tracing::error!("kept the running config; the new one is refused: {e:#}"),
        }
        notify(&[sd_notify::NotifyState::Ready]);
        notify_status(&self.ctx.cfg);
    }

    /// Tags the stored reports for the topics a reload added or changed, in the background.
    fn start_retag(&mut self, new: &Ctx, changed: Vec<String>) {
        // Topics still being tagged by an earlier reload are tagged again with this config's
        // matcher, which knows them all.
        self.retag.cancel();
        self.retag = self.shutdown.child_token();
        let mut pending = self.state.retagging();
        pending.extend(changed);
        pending.sort();
        pending.dedup();
        pending.retain(|t| new.cfg.topic(t).is_some());
        self.state.set_retagging(pending.clone());
        let task = retag_stored(new.clone(), self.state.clone(), pending, self.retag.clone());
        tokio::spawn(task);
    }
}

/// Everything a new config needs before it may replace the running one: the context, the
/// sources' rows and the schedule. Any error leaves the running config untouched.
async fn reload_config(
    path: &std::path::Path,
    old: &Ctx,
    busy: &HashSet<String>,
) -> Result<(Ctx, HashMap<String, DateTime<Utc>>)> {
    let mut new = Config::load(path)?;
    // The listener and the database were opened at start; moving them needs a restart. Until
    // then the running values stay whole, with what derives from them (a base URL taken from
    // `listen`), so no link points where nothing listens; the rest of the new config applies.
    let mut kept = new.keep_listen(old.cfg.server.listen);
    // Still serving where it was bound at start (port 0 in the config picks one).
    new.fetch.own.listen = old.cfg.fetch.own.listen;
    if new.storage.path != old.cfg.storage.path {
        kept.push(format!(
            "storage.path {} (the new value {} needs a restart)",
            old.cfg.storage.path.display(),
            new.storage.path.display()
        ));
        new.storage.path = old.cfg.storage.path.clone();
    }
    if !kept.is_empty() {
        tracing::warn!(
            "reload keeps until a restart: {}; the rest of the new config applies",
            kept.join("; ")
        );
    }
    let ctx = old.reconfigure(Arc::new(new))?;
    let sources = ctx.cfg.sources.clone();
    ctx.db
        .call(move |c| store::sync_sources(c, &sources))
        .await??;
    let due = initial_due(&ctx, Utc::now(), busy).await?;
    Ok((ctx, due))
}

/// The topics of `new` that `old` lacks or matched otherwise: their stored reports need tagging.
fn changed_topics(old: &Config, new: &Config) -> Vec<String> {
    new.topics
        .iter()
        .filter(|t| {
            old.topic(&t.name).is_none_or(|o| {
                (&o.keywords, &o.exclude, o.scope) != (&t.keywords, &t.exclude, t.scope)
            })
        })
        .map(|t| t.name.clone())
        .collect()
}

/// Applies the config's topics to every stored report, a page per transaction on the writer's
/// connection (as `svodka retag` does), so fetches take turns with it. `topics` are the ones
/// their pages say are still being tagged until this ends.
async fn retag_stored(ctx: Ctx, state: AppState, topics: Vec<String>, cancel: CancellationToken) {
    tracing::info!(
        "tagging stored items for the topics {} in the background",
        topics.join(", ")
    );
    let mut retag = crate::retag::Retagger::new(ctx.matcher.clone());
    loop {
        if cancel.is_cancelled() {
            return;
        }
        let page = ctx
            .db
            .call(move |c| {
                let more = retag.page(c);
                (retag, more)
            })
            .await;
        match page {
            Ok((r, Ok(true))) => retag = r,
            Ok((r, Ok(false))) => {
                retag = r;
                break;
            }
            Ok((_, Err(e))) | Err(e) => {
                tracing::error!("tagging stored items failed: {e:#}; `svodka retag` does it");
                state.set_retagging(Vec::new());
                return;
            }
        }
    }
    ctx.db.bump();
    if !cancel.is_cancelled() {
        state.set_retagging(Vec::new());
        tracing::info!(
            "tagged {} for the topics {}; {} {} topics",
            crate::text::counted(retag.seen, "stored item", "stored items"),
            topics.join(", "),
            retag.tagged,
            if retag.tagged == 1 { "has" } else { "have" }
        );
    }
}
