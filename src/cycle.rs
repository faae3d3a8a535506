//! One source's fetch: fetch → parse → tag → store, its outcome recorded on the source's row.
//! Each source runs on its own task (`ingest`), so one slow or broken source never delays or
//! breaks the others.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Duration, Utc};
use tokio_util::sync::CancellationToken;

use crate::config::{Config, Source};
use crate::fetch::{FetchError, FetchOutcome, Fetcher, Validators};
use crate::metrics::Metrics;
use crate::model::FetchState;
pub use crate::model::{Outcome, Skips};
use crate::schedule::backoff;
use crate::store::{self, Db};
use crate::topics::Matcher;

/// What a cycle needs: the config it runs under and the shared resources.
#[derive(Clone)]
pub struct Ctx {
    pub cfg: Arc<Config>,
    pub db: Db,
    pub fetcher: Arc<Fetcher>,
    pub matcher: Arc<Matcher>,
    pub metrics: Arc<Metrics>,
    /// Source names to their place in `cfg.sources`: the scheduler looks a source up each time
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

    /// The place in `cfg.sources` of the source of that name.
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

#[derive(Debug, Clone)]
pub struct Report {
    pub source: String,
    pub outcome: Outcome,
}

impl std::fmt::Display for Report {
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

/// Fetches one source now and records the outcome on its row.
pub async fn fetch_source(
    ctx: &Ctx,
    source: &Source,
    force: bool,
    cancel: &CancellationToken,
) -> Outcome {
    fetch_source_with(ctx, source, None, force, cancel).await
}

/// `fetch_source` with the source's fetch state already read (`None`: read it now). The state
/// may have been read a while before: only this source's own fetch writes it, and the write is
/// guarded by the URL it was read for.
pub async fn fetch_source_with(
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
        return Ok(Outcome::Skipped("shutting down".into()));
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
    if state.gone {
        return Ok(Outcome::Skipped(
            "the server answered 410 Gone; change its url in the config to poll it again".into(),
        ));
    }
    if !force && let Some(due) = state.next_due.filter(|d| *d > now.timestamp()) {
        let when = chrono::DateTime::from_timestamp(due, 0).unwrap_or(now);
        return Ok(Outcome::Skipped(format!(
            "backing off until {}",
            when.to_rfc3339()
        )));
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
        () = cancel.cancelled() => return Ok(Outcome::Skipped("shutting down".into())),
    };
    let mut next = FetchState {
        last_fetch: Some(now.timestamp()),
        ..state.clone()
    };
    let f = match fetched {
        Ok(FetchOutcome::NotModified { permanent_redirect }) => {
            next.last_status = Some(304);
            next.last_error = None;
            next.error_streak = 0;
            next.next_due = None;
            if let Some(u) = permanent_redirect {
                next.moved_to = Some(u.to_string());
            }
            save_state(ctx, &source.name, next, true).await?;
            return Ok(Outcome::NotModified);
        }
        Ok(FetchOutcome::Fetched(f)) => *f,
        Err(e) => return fail(ctx, &source.name, next, e.status(), e.to_string(), Some(&e)).await,
    };
    // This feed's place among `fetch.concurrency`, kept until it is stored (or has failed).
    let _slot = f.slot;

    let base = f.final_url.clone();
    let charset = f
        .content_type
        .as_deref()
        .and_then(crate::parse::decode::charset_param)
        .map(str::to_string);
    let encoding = source.encoding.clone();
    let matcher = ctx.matcher.clone();
    let name = source.name.clone();
    let index = ctx.cfg.search.index;
    // Through the read connection: the writer's lock is held by other sources' writes, and
    // parsing this feed must not wait for them.
    let learned = ctx
        .db
        .read(move |c| store::load_boilerplate(c, &name))
        .await??;
    let parsed = crate::background::spawn(crate::background::Pool::Parse, move || {
        crate::parse::parse_feed(
            &f.body,
            charset.as_deref(),
            encoding.as_deref(),
            Some(&base),
            now,
        )
        .map(|p| {
            let shortfall = p.feed.shortfall();
            // The source's boilerplate is learned from this fetch and removed before the
            // story engine fingerprints a text and before topics are matched: a footer that
            // names the region must not tag every item of the agency.
            let (boilerplate, prepared) = crate::stories::prepare(
                &learned,
                p.feed
                    .items
                    .iter()
                    .map(|it| (it.title.as_str(), it.text.as_str())),
            );
            let lemmatizer = index.then(crate::search::Lemmatizer::new);
            let incoming: Vec<store::Incoming> = p
                .feed
                .items
                .into_iter()
                .zip(prepared)
                .map(|(item, (body, fp))| {
                    // The lead is the first paragraph of the agency's own words: a dateline or
                    // a photo credit that opens every item is boilerplate too.
                    let first = crate::topics::lead(
                        item.summary.as_deref(),
                        item.content.as_deref(),
                        &body,
                    );
                    let mut lead = boilerplate.strip(&first);
                    if lead.trim().is_empty() {
                        lead = crate::topics::lead(None, None, &body);
                    }
                    let topics = matcher.tag(&item.title, &lead, &body);
                    let terms = lemmatizer.as_ref().map(|l| l.terms(&item.title, &body));
                    let entities = crate::storyline::entities(&item.title, &lead);
                    let mut incoming = store::Incoming::with_fingerprint(item, topics, fp);
                    incoming.terms = terms;
                    incoming.index = index;
                    incoming.entities = entities;
                    incoming
                })
                .collect();
            let boilerplate = (boilerplate != learned).then_some(boilerplate);
            let shortened = p.feed.shortened;
            (
                incoming,
                boilerplate,
                p.repairs,
                p.feed.skipped,
                shortfall,
                shortened,
            )
        })
    })
    .await?;
    next.last_status = Some(f.status);
    if let Some(u) = &f.permanent_redirect {
        next.moved_to = Some(u.to_string());
    }
    let (items, boilerplate, repairs, skipped, shortfall, shortened) = match parsed {
        Ok(p) => p,
        Err(e) => {
            // A web page is not a feed svodka failed to parse: say only what it is.
            let msg = match e {
                crate::parse::ParseError::HtmlPage { .. } => e.to_string(),
                _ => format!("cannot parse the feed: {e}"),
            };
            return fail(ctx, &source.name, next, Some(f.status), msg, None).await;
        }
    };
    for r in repairs {
        tracing::warn!(source = %source.name, "{r}");
    }
    for s in &skipped {
        tracing::warn!(source = %source.name, "skipped an entry: {s}");
    }
    if shortened > 0 {
        tracing::warn!(source = %source.name, "{shortened} items had a field cut to its size limit");
    }
    if items.is_empty()
        && let Some(why) = shortfall
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
    let name = source.name.clone();
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
    // Freed here, not on the writer's thread: the reports were allocated on the parse
    // threads, and freeing them on the writer's made it wait on their allocator's locks (~5%
    // of a cold cycle's samples, under 1% since). Not on the parse pool either: queued behind
    // parsing at its lower priority, they were held longer (10 MiB more at 2,000 feeds).
    drop(items);
    if counts.new + counts.updated + counts.merged > 0 {
        // Only the feeds of the sources this fetch touched (its own, and those of the stories
        // its reports joined) are rendered again.
        ctx.db.bump_touched(&touched);
    }
    Ok(Outcome::Saved(
        counts,
        Skips {
            count: skipped.len(),
            first: skipped.into_iter().next(),
            shortened,
        },
    ))
}

/// An item's topics, matched on its title and lead (its first paragraph) or, for a topic with
/// `scope = "text"`, its whole text, with its source's boilerplate removed (`body` already
/// is): a footer that names the region must not tag every item of the agency, and a dateline
/// or a photo credit that opens every item is boilerplate too.
pub fn tag(
    matcher: &crate::topics::Matcher,
    boilerplate: &crate::stories::Boilerplate,
    title: &str,
    summary: Option<&str>,
    content: Option<&str>,
    body: &str,
) -> Vec<String> {
    let first = crate::topics::lead(summary, content, body);
    let mut lead = boilerplate.strip(&first);
    if lead.trim().is_empty() {
        lead = crate::topics::lead(None, None, body);
    }
    matcher.tag(title, &lead, body)
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

/// The places in `cfg.sources` of the enabled sources, or of the one named; an unknown name is
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
