//! The daemon's wiring: scheduler + HTTP server + signals (SIGTERM/SIGINT stop, SIGHUP reloads)
//! + systemd notifications (ready, reloading, stopping, status, watchdog).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::cycle::Ctx;
use crate::ingest::{Ended, Ingest};
use crate::metrics::Metrics;
use crate::schedule::jitter;
use crate::server::{self, AppState};
use crate::store::{self, Db};

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

/// The daemon's loop: which sources are due when, handed to the ingest runner; hourly
/// retention; SIGHUP reloads.
struct Scheduler {
    config_path: PathBuf,
    ctx: Ctx,
    state: AppState,
    /// The config the background tasks (`spawn_background`) follow.
    publishing: watch::Sender<Arc<Config>>,
    /// When each source is next due: the schedule. A source being fetched is not in it.
    due: HashMap<String, DateTime<Utc>>,
    ingest: Ingest,
    watchdog: Watchdog,
    next_prune: DateTime<Utc>,
    pruning: Option<JoinHandle<()>>,
    /// Tagging stored reports for topics a reload added or changed, in the background.
    retag: CancellationToken,
    shutdown: CancellationToken,
}

impl Scheduler {
    async fn run(&mut self, mut reload: mpsc::Receiver<()>) {
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

    /// SIGHUP: the new config replaces the running one whole, or is refused and changes nothing.
    async fn reload(&mut self) {
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

    /// Shutdown: fetches see the cancellation and stop; a write already running commits first.
    async fn finish(mut self) {
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

/// systemd's watchdog, fed from the scheduler loop at half its interval; without
/// `WATCHDOG_USEC` it does nothing.
struct Watchdog {
    every: Option<std::time::Duration>,
    next: tokio::time::Instant,
}

impl Watchdog {
    fn new(interval: Option<std::time::Duration>) -> Watchdog {
        Watchdog {
            every: interval.map(|i| i / 2),
            next: tokio::time::Instant::now(),
        }
    }

    fn feed(&mut self) {
        let Some(every) = self.every else { return };
        let now = tokio::time::Instant::now();
        if now >= self.next {
            notify(&[sd_notify::NotifyState::Watchdog]);
            self.next = now + every;
        }
    }

    /// How long the loop may sleep before the next ping is due.
    fn until_next(&self) -> std::time::Duration {
        match self.every {
            Some(_) => self
                .next
                .saturating_duration_since(tokio::time::Instant::now()),
            None => std::time::Duration::MAX,
        }
    }
}

/// Tells systemd (when it started us with `NOTIFY_SOCKET`); elsewhere a no-op.
fn notify(states: &[sd_notify::NotifyState]) {
    if let Err(e) = sd_notify::notify(states) {
        tracing::warn!("cannot notify systemd: {e}");
    }
}

fn notify_status(cfg: &Config) {
    let status = format!(
        "serving {} and {} from {}",
        crate::text::counted(cfg.feeds.len(), "feed", "feeds"),
        crate::text::counted(cfg.topics.len(), "topic", "topics"),
        crate::text::counted(
            cfg.sources.iter().filter(|s| s.enabled).count(),
            "source",
            "sources"
        )
    );
    notify(&[sd_notify::NotifyState::Status(&status)]);
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

/// Another process (`svodka fetch`, `svodka retag`) may write the same database: SQLite's
/// `data_version` moves when it commits, and then the render cache is invalidated.
async fn watch_other_writers(db: Db, shutdown: CancellationToken) {
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

/// When each enabled source is next due: now when its data is stale (never fetched, or not
/// within one period of its schedule), else its next tick.
async fn initial_due(
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

/// Reports are removed this many at a time, each batch its own short transaction: the fetches'
/// writes take turns with retention instead of timing out behind one long transaction.
const PRUNE_BATCH: usize = 500;

/// Hourly retention, in batches until nothing is left to remove or shutdown begins.
async fn prune(ctx: Ctx, now: DateTime<Utc>, shutdown: CancellationToken) {
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
async fn build_search_index(db: Db, shutdown: CancellationToken) {
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
