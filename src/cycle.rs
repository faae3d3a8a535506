//! One source's fetch: fetch → parse → tag → store, its outcome recorded on the source's row.
//! Each source runs on its own task (`ingest`), so one slow or broken source never delays or
//! breaks the others.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use tokio_util::sync::CancellationToken;

use crate::config::{Config, Source};
use crate::fetch::{FetchError, FetchOutcome, Fetched, Fetcher, Validators};
use crate::metrics::Metrics;
use crate::model::{Counts, FetchState};
pub use crate::model::{Outcome, Skips};
use crate::parse::{ParseError, Parsed};
use crate::schedule::backoff;
use crate::store::{self, Db};
use crate::stories::Boilerplate;
use crate::topics::Matcher;

/// What a fetch needs: the config it runs under and the shared resources.
#[derive(Clone)]
pub struct Ctx {
    pub cfg: Arc<Config>,
    pub db: Db,
    pub fetcher: Arc<Fetcher>,
    pub matcher: Arc<Matcher>,
    pub metrics: Arc<Metrics>,
    /// Source names to their index in `cfg.sources`: the scheduler looks a source up each time
    /// one finishes, and a linear search would cost sources² per cycle.
    by_name: Arc<HashMap<String, usize>>,
}

impl Ctx {
    pub fn new(cfg: Arc<Config>, db: Db, metrics: Arc<Metrics>) -> anyhow::Result<Ctx> {
        db.set_story_limits(cfg.stories.window_secs(), cfg.stories.memory_bytes());
        Ok(Ctx {
            metrics,
            fetcher: Arc::new(Fetcher::new(&cfg.fetch)?),
            matcher: Arc::new(Matcher::new(&cfg.topics)),
            by_name: index_names(&cfg),
            cfg,
            db,
        })
    }

    /// The configured source of that name.
    pub fn source(&self, name: &str) -> Option<&Source> {
        self.position(name).map(|i| &self.cfg.sources[i])
    }

    /// The index in `cfg.sources` of the source of that name.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.by_name
            .get(name)
            .copied()
            .filter(|&i| i < self.cfg.sources.len())
    }

    /// The context for a reloaded config. The HTTP client and its semaphores stay when
    /// `[fetch]` did not change, so fetches from before and after the reload share the limits.
    pub fn reconfigure(&self, cfg: Arc<Config>) -> anyhow::Result<Ctx> {
        let fetcher = if cfg.fetch == self.cfg.fetch {
            self.fetcher.clone()
        } else {
            Arc::new(Fetcher::new(&cfg.fetch)?)
        };
        let matcher = Arc::new(Matcher::new(&cfg.topics));
        self.db
            .set_story_limits(cfg.stories.window_secs(), cfg.stories.memory_bytes());
        Ok(Ctx {
            matcher,
            by_name: index_names(&cfg),
            fetcher,
            metrics: self.metrics.clone(),
            db: self.db.clone(),
            cfg,
        })
    }
}

fn index_names(cfg: &Config) -> Arc<HashMap<String, usize>> {
    Arc::new(
        cfg.sources
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), i))
            .collect(),
    )
}

/// One source's fetch as `svodka fetch` prints it and the daemon logs it.
#[derive(Debug, Clone)]
pub struct SourceResult {
    pub source: String,
    pub outcome: Outcome,
}

impl std::fmt::Display for SourceResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.outcome {
            Outcome::Saved(c, skips) => {
                write!(
                    f,
                    "{}: {} new, {} updated, {} unchanged, {} merged",
                    self.source, c.new, c.updated, c.unchanged, c.merged
                )?;
                if skips.shortened > 0 {
                    write!(f, ", {} shortened", skips.shortened)?;
                }
                if skips.count > 0 {
                    write!(f, ", {} skipped", skips.count)?;
                    if let Some(first) = &skips.first {
                        write!(f, ": {first}")?;
                    }
                }
                Ok(())
            }
            Outcome::NotModified => write!(f, "{}: unchanged (304 Not Modified)", self.source),
            Outcome::Skipped(why) => write!(f, "{}: skipped: {why}", self.source),
            Outcome::Failed(why) => write!(f, "{}: error: {why}", self.source),
        }
    }
}

/// Fetches one source now and records the outcome on its row. `state` is its fetch state when
/// already read (`None`: read it now); it may have been read a while before, since only this
/// source's own fetch writes it and the write is guarded by the URL it was read for.
pub async fn fetch_source(
    ctx: &Ctx,
    source: &Source,
    state: Option<FetchState>,
    force: bool,
    cancel: &CancellationToken,
) -> Outcome {
    let outcome = match fetch_source_inner(ctx, source, state, force, cancel).await {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(source = %source.name, "{e:#}");
            Outcome::Failed(format!("{e:#}"))
        }
    };
    ctx.metrics.fetched(&outcome);
    outcome
}

async fn fetch_source_inner(
    ctx: &Ctx,
    source: &Source,
    state: Option<FetchState>,
    force: bool,
    cancel: &CancellationToken,
) -> anyhow::Result<Outcome> {
    if cancel.is_cancelled() {
        return Ok(shutting_down());
    }
    let state = match state {
        Some(s) => s,
        None => {
            let name = source.name.clone();
            ctx.db
                .call(move |c| store::load_fetch_state(c, &name))
                .await??
        }
    };
    let now = Utc::now();
    if let Some(why) = not_due(&state, force, now) {
        return Ok(Outcome::Skipped(why));
    }
    let url = state
        .moved_to
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .unwrap_or_else(|| source.url.clone());
    let validators = Validators {
        etag: state.etag.clone(),
        last_modified: state.last_modified.clone(),
    };
    let fetched = tokio::select! {
        r = ctx.fetcher.fetch(&url, &validators) => r,
        () = cancel.cancelled() => return Ok(shutting_down()),
    };
    let next = FetchState {
        last_fetch: Some(now.timestamp()),
        ..state
    };
    match fetched {
        Ok(FetchOutcome::NotModified { permanent_redirect }) => {
            not_modified(ctx, &source.name, next, permanent_redirect).await
        }
        Ok(FetchOutcome::Fetched(f)) => ingest_feed(ctx, source, *f, next, now).await,
        Err(e) => fail(ctx, &source.name, next, e.status(), e.to_string(), Some(&e)).await,
    }
}

fn shutting_down() -> Outcome {
    Outcome::Skipped("shutting down".into())
}

/// Why a source is not fetched now: the server said it is gone, or it is backing off and
/// nobody forced the fetch.
fn not_due(state: &FetchState, force: bool, now: DateTime<Utc>) -> Option<String> {
    if state.gone {
        return Some(
            "the server answered 410 Gone; change its url in the config to poll it again".into(),
        );
    }
    let due = state.next_due.filter(|d| !force && *d > now.timestamp())?;
    let when = DateTime::from_timestamp(due, 0).unwrap_or(now);
    Some(format!("backing off until {}", when.to_rfc3339()))
}

/// A 304: only the source's state changes (a permanent redirect on the way is recorded).
async fn not_modified(
    ctx: &Ctx,
    name: &str,
    mut next: FetchState,
    permanent_redirect: Option<url::Url>,
) -> anyhow::Result<Outcome> {
    next.last_status = Some(304);
    next.last_error = None;
    next.error_streak = 0;
    next.next_due = None;
    if let Some(u) = permanent_redirect {
        next.moved_to = Some(u.to_string());
    }
    save_state(ctx, name, next, true).await?;
    Ok(Outcome::NotModified)
}

/// A fetched feed parsed, tagged and saved with the source's new state.
async fn ingest_feed(
    ctx: &Ctx,
    source: &Source,
    f: Fetched,
    mut next: FetchState,
    now: DateTime<Utc>,
) -> anyhow::Result<Outcome> {
    // The feed's concurrency permit, held until it is saved (or has failed).
    let _permit = f.permit;
    next.last_status = Some(f.status);
    if let Some(u) = &f.permanent_redirect {
        next.moved_to = Some(u.to_string());
    }
    let prepared = match parse(ctx, source, f.body, f.content_type, f.final_url, now).await? {
        Ok(p) => p,
        Err(e) => {
            // A web page is not a feed svodka failed to parse: say only what it is.
            let msg = match e {
                ParseError::HtmlPage { .. } => e.to_string(),
                _ => format!("cannot parse the feed: {e}"),
            };
            return fail(ctx, &source.name, next, Some(f.status), msg, None).await;
        }
    };
    prepared.log(&source.name);
    if prepared.items.is_empty()
        && let Some(why) = prepared.shortfall
    {
        // The document visibly holds items and none could be read: a source that would
        // otherwise vanish without a word is a failing source.
        return fail(ctx, &source.name, next, Some(f.status), why, None).await;
    }
    next.etag = f.validators.etag;
    next.last_modified = f.validators.last_modified;
    next.last_error = None;
    next.error_streak = 0;
    next.next_due = None;
    let skips = Skips {
        count: prepared.skipped.len(),
        first: prepared.skipped.first().cloned(),
        shortened: prepared.shortened,
    };
    let counts = save(
        ctx,
        &source.name,
        prepared.items,
        prepared.boilerplate,
        next,
        now,
    )
    .await?;
    Ok(Outcome::Saved(counts, skips))
}

/// A feed's reports ready to save, with what parsing noted on the way.
struct Prepared {
    items: Vec<store::Incoming>,
    /// The source's boilerplate as this fetch learned it, when that changed it.
    boilerplate: Option<Boilerplate>,
    repairs: Vec<String>,
    skipped: Vec<String>,
    shortfall: Option<String>,
    shortened: usize,
}

impl Prepared {
    fn log(&self, source: &str) {
        for r in &self.repairs {
            tracing::warn!(source = %source, "{r}");
        }
        for s in &self.skipped {
            tracing::warn!(source = %source, "skipped an entry: {s}");
        }
        if self.shortened > 0 {
            tracing::warn!(
                source = %source,
                "{} items had a field cut to its size limit",
                self.shortened
            );
        }
    }
}

/// Parses a fetched body on the parse pool and prepares its reports there.
async fn parse(
    ctx: &Ctx,
    source: &Source,
    body: Vec<u8>,
    content_type: Option<String>,
    base: url::Url,
    now: DateTime<Utc>,
) -> anyhow::Result<Result<Prepared, ParseError>> {
    let charset = content_type
        .as_deref()
        .and_then(crate::parse::decode::charset_param)
        .map(str::to_string);
    let encoding = source.encoding.clone();
    let matcher = ctx.matcher.clone();
    let index = ctx.cfg.search.index;
    let name = source.name.clone();
    // Through the read connection: the writer's lock is held by other sources' writes, and
    // parsing this feed must not wait for them.
    let learned = ctx
        .db
        .read(move |c| store::load_boilerplate(c, &name))
        .await??;
    let parsed = crate::background::spawn(crate::background::Pool::Parse, move || {
        crate::parse::parse_feed(
            &body,
            charset.as_deref(),
            encoding.as_deref(),
            Some(&base),
            now,
        )
        .map(|p| prepare(p, &learned, &matcher, index))
    })
    .await?;
    Ok(parsed)
}

/// A parsed feed's reports with their fingerprints, topics, names and search terms. The
/// source's boilerplate is learned from this fetch and removed before the story engine
/// fingerprints a text and before topics are matched.
fn prepare(p: Parsed, learned: &Boilerplate, matcher: &Matcher, index: bool) -> Prepared {
    let shortfall = p.feed.shortfall();
    let (boilerplate, prepared) = crate::stories::prepare(
        learned,
        p.feed
            .items
            .iter()
            .map(|it| (it.title.as_str(), it.text.as_str())),
    );
    let lemmatizer = index.then(crate::search::Lemmatizer::new);
    let items = p
        .feed
        .items
        .into_iter()
        .zip(prepared)
        .map(|(item, (body, fp))| {
            let tagged = tag(
                matcher,
                &boilerplate,
                &item.title,
                item.summary.as_deref(),
                item.content.as_deref(),
                &body,
            );
            let terms = lemmatizer.as_ref().map(|l| l.terms(&item.title, &body));
            let entities = crate::storyline::entities(&item.title, &tagged.lead);
            let mut incoming = store::Incoming::with_fingerprint(item, tagged.topics, fp);
            incoming.terms = terms;
            incoming.index = index;
            incoming.entities = entities;
            incoming
        })
        .collect();
    Prepared {
        items,
        boilerplate: (boilerplate != *learned).then_some(boilerplate),
        repairs: p.repairs,
        skipped: p.feed.skipped,
        shortfall,
        shortened: p.feed.shortened,
    }
}

/// Saves a fetch's reports and the source's new state in one transaction on the writer, then
/// invalidates the cached renderings of the feeds it touched.
async fn save(
    ctx: &Ctx,
    name: &str,
    items: Vec<store::Incoming>,
    boilerplate: Option<Boilerplate>,
    next: FetchState,
    now: DateTime<Utc>,
) -> anyhow::Result<Counts> {
    let name = name.to_string();
    // The write runs to its end even if shutdown begins meanwhile: a transaction either
    // commits whole or rolls back whole.
    let (counts, touched, items) = ctx
        .db
        .call_engine(move |c, engine| {
            let counts =
                store::save_fetch(c, engine, &name, &items, boilerplate.as_ref(), &next, now)?;
            Ok((counts, engine.take_touched(), items))
        })
        .await??;
    // Freed here, not on the writer's thread: the reports were allocated on the parse threads,
    // and freeing them there makes the writer contend for their allocator's locks. Not on the
    // parse pool either, where they would wait behind parsing at its lower priority.
    drop(items);
    if counts.new + counts.updated + counts.merged > 0 {
        // Only the feeds of the sources this fetch touched (its own, and those of the stories
        // its reports joined) are invalidated.
        ctx.db.bump_touched(&touched);
    }
    Ok(counts)
}

/// What topics and the storyline read of an item, at ingest and in `retag` alike: its lead
/// (the first paragraph of the agency's own words) and the topics matched on it.
pub struct Tagged {
    pub topics: Vec<String>,
    pub lead: String,
}

/// An item's topics, matched on its title and lead or, for a topic with `scope = "text"`, its
/// whole text, with its source's boilerplate removed (`body` already is): a footer that names
/// the region must not tag every item of the agency, and a dateline or a photo credit that
/// opens every item is boilerplate too.
pub fn tag(
    matcher: &Matcher,
    boilerplate: &Boilerplate,
    title: &str,
    summary: Option<&str>,
    content: Option<&str>,
    body: &str,
) -> Tagged {
    let first = crate::topics::lead(summary, content, body);
    let mut lead = boilerplate.strip(&first);
    if lead.trim().is_empty() {
        lead = crate::topics::lead(None, None, body);
    }
    Tagged {
        topics: matcher.tag(title, &lead, body),
        lead,
    }
}

async fn save_state(ctx: &Ctx, name: &str, state: FetchState, success: bool) -> anyhow::Result<()> {
    let name = name.to_string();
    ctx.db
        .call(move |c| store::save_state(c, &name, &state, success))
        .await??;
    Ok(())
}

async fn fail(
    ctx: &Ctx,
    name: &str,
    mut next: FetchState,
    status: Option<u16>,
    message: String,
    err: Option<&FetchError>,
) -> anyhow::Result<Outcome> {
    next.last_status = status;
    next.last_error = Some(message.clone());
    next.error_streak = next.error_streak.saturating_add(1);
    let mut wait = backoff(name, next.error_streak);
    if let Some(FetchError::Status {
        retry_after: Some(s),
        ..
    }) = err
    {
        // Honour Retry-After, but not beyond a day: a typo there must not silence a source.
        wait = wait.max(Duration::seconds((*s).min(86_400) as i64));
    }
    if matches!(err, Some(FetchError::Gone)) {
        next.gone = true;
        tracing::warn!(source = %name, "410 Gone: no longer polled until its url changes in the config");
    }
    let last = next.last_fetch.unwrap_or_else(|| Utc::now().timestamp());
    next.next_due = Some(last + wait.num_seconds());
    save_state(ctx, name, next, false).await?;
    Ok(Outcome::Failed(message))
}

/// The indexes in `cfg.sources` of the enabled sources, or of the one named; an unknown name is
/// an error for the caller to show.
pub fn pick_sources(cfg: &Config, only: Option<&str>) -> Result<Vec<usize>, String> {
    let at = |keep: &dyn Fn(&Source) -> bool| -> Vec<usize> {
        (0..cfg.sources.len())
            .filter(|&i| keep(&cfg.sources[i]))
            .collect()
    };
    match only {
        Some(n) => Some(at(&|s| s.name == n))
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("no source named {n:?} in {}", cfg.file.display())),
        None => Ok(at(&|s| s.enabled)),
    }
}
