//! The commands that read the database and print it: export, sources, trending, stories, search.

use std::path::Path;

use anyhow::{Context, anyhow};
use chrono::{DateTime, Utc};

use super::{Result, load, open_db, when};
use crate::archive::Archive;
use crate::publish::{self, Target};
use crate::store;

pub async fn export(
    path: &Path,
    feed: Option<String>,
    topic: Option<String>,
    format: &str,
) -> Result<()> {
    let cfg = load(path)?;
    let target = match (feed, topic) {
        (Some(f), _) => {
            if cfg.feed(&f).is_none() {
                let known: Vec<&str> = cfg.feeds.iter().map(|f| f.name.as_str()).collect();
                let hint = if cfg.topic(&f).is_some() {
                    format!("; \"{f}\" is a topic: --topic {f}")
                } else {
                    String::new()
                };
                return Err(anyhow!(
                    "no feed named {f:?} (configured: {}){hint}",
                    known.join(", ")
                )
                .into());
            }
            Target::Feed(f)
        }
        (None, Some(t)) => {
            if cfg.topic(&t).is_none() {
                let known: Vec<&str> = cfg.topics.iter().map(|t| t.name.as_str()).collect();
                return Err(
                    anyhow!("no topic named {t:?} (configured: {})", known.join(", ")).into(),
                );
            }
            Target::Topic(t)
        }
        (None, None) => return Err(anyhow!("name a --feed or a --topic").into()),
    };
    let format =
        publish::Format::from_ext(format).ok_or_else(|| anyhow!("unknown format {format:?}"))?;
    let conn = open_db(&cfg)?;
    let view = publish::view(&cfg, &conn, &target, format.ext())
        .context("cannot read the items")?
        .ok_or_else(|| anyhow!("nothing to export"))?;
    let hub = cfg.server.websub_hub.as_ref().map(|u| u.as_str());
    out!("{}", format.render(&view, hub));
    Ok(())
}

/// `svodka export --all DIR`: the whole site as static files.
pub fn export_all(path: &Path, dir: &Path) -> Result<()> {
    let cfg = load(path)?;
    let conn = open_db(&cfg)?;
    let files = crate::export::site_files(&cfg, &conn, Utc::now())?;
    let w = crate::export::write_dir(dir, &files)?;
    outln!(
        "{}: {} written, {} unchanged",
        dir.display(),
        crate::text::counted(w.written, "file", "files"),
        w.unchanged
    );
    Ok(())
}

pub fn sources(path: &Path) -> Result<()> {
    let cfg = load(path)?;
    let conn = open_db(&cfg)?;
    let health = store::source_health(&conn, &cfg.sources).context("cannot read source health")?;
    let tz = cfg.server.timezone;
    let now = Utc::now();
    // `source_health` answers in config order: the n-th row is the n-th source.
    for (h, source) in health.into_iter().zip(&cfg.sources) {
        let s = &h.state;
        let status = s.last_status.map_or("-".to_string(), |c| c.to_string());
        let enabled = source.enabled;
        outln!(
            "{}{}\n  url: {}\n  last fetch: {}  status: {}  error streak: {}  items: {}",
            h.name,
            if enabled { "" } else { " (disabled)" },
            h.url,
            when(s.last_fetch, tz),
            status,
            s.error_streak,
            h.items
        );
        let next_due = if s.gone {
            "never (gone)".to_string()
        } else if !enabled {
            "never (disabled)".to_string()
        } else {
            // The daemon fetches at the first tick of the schedule that is not within a
            // failing source's backoff.
            let schedule = source.cron.as_deref().unwrap_or(&cfg.schedule);
            let backoff = s
                .next_due
                .and_then(|t| DateTime::<Utc>::from_timestamp(t, 0))
                .filter(|t| *t > now);
            let from = backoff.map_or(now, |t| t - chrono::Duration::seconds(1));
            match schedule.next_after(from) {
                Some(t) => {
                    let t = t + crate::schedule::jitter(&source.name, schedule.period_near(t));
                    let at = when(Some(t.timestamp()), tz);
                    match backoff {
                        Some(b) => {
                            format!("{at} (backing off until {})", when(Some(b.timestamp()), tz))
                        }
                        None => at,
                    }
                }
                None => "never (the schedule does not fire again)".to_string(),
            }
        };
        outln!(
            "  last success: {}  next due: {next_due}",
            when(h.last_success, tz)
        );
        if let Some(e) = &s.last_error {
            outln!("  error: {e}");
        }
        if let Some(m) = &s.moved_to {
            outln!("  moved permanently to: {m}");
        }
        if s.gone {
            outln!("  gone (410): not polled until its url changes in the config");
        }
    }
    Ok(())
}

pub fn trending(path: &Path, period: &str) -> Result<()> {
    let cfg = load(path)?;
    let period = crate::trending::Period::parse(period)
        .ok_or_else(|| anyhow!("unknown period {period:?}"))?;
    let conn = open_db(&cfg)?;
    let t = crate::trending::from_store(&cfg, &conn, period, Utc::now())
        .context("cannot read the items")?;
    outln!(
        "since {}",
        t.since
            .with_timezone(&cfg.server.timezone)
            .format("%Y-%m-%d %H:%M %Z")
    );
    outln!("configured topics (stories, agencies):");
    for c in &t.configured {
        outln!(
            "  {:>5} {:>4}  {} ({})",
            c.stories,
            c.agencies,
            c.title,
            c.name
        );
    }
    outln!("discovered in headlines (stories, agencies):");
    if t.discovered.is_empty() {
        outln!("  none shared by two stories yet");
    }
    for d in &t.discovered {
        outln!("  {:>5} {:>4}  {}", d.stories, d.agencies, d.term);
    }
    Ok(())
}

/// `svodka stories`: the biggest stories of the period, most agencies first.
pub fn stories(path: &Path, period: &str, limit: usize) -> Result<()> {
    let cfg = load(path)?;
    let period = crate::trending::Period::parse(period)
        .ok_or_else(|| anyhow!("unknown period {period:?}"))?;
    let conn = open_db(&cfg)?;
    let since = period.since(Utc::now()).timestamp();
    let stories = conn
        .biggest_stories(since, limit)
        .context("cannot read the stories")?;
    if stories.is_empty() {
        outln!(
            "no story carried by two reports since {}",
            when(Some(since), cfg.server.timezone)
        );
    }
    let agency = |name: &str| {
        cfg.source(name)
            .map_or(name, |s| s.title.as_str())
            .to_string()
    };
    for (s, agencies) in &stories {
        outln!(
            "{}  ({} {}, {} {})  {}/stories/{}",
            s.title,
            agencies,
            crate::text::plural(*agencies, ["агентство", "агентства", "агентств"]),
            s.others.len() + 1,
            crate::text::plural(
                (s.others.len() + 1) as u64,
                ["сообщение", "сообщения", "сообщений"]
            ),
            cfg.server.base_url,
            s.story
        );
        let lead = std::iter::once((&s.source, s.published, &s.title, &s.link));
        let others = s
            .others
            .iter()
            .map(|o| (&o.source, o.published, &o.title, &o.link));
        for (source, published, title, link) in lead.chain(others) {
            outln!(
                "  {}  {}: {}{}",
                when(Some(published), cfg.server.timezone),
                agency(source),
                title,
                link.as_deref()
                    .map(|l| format!("  <{l}>"))
                    .unwrap_or_default()
            );
        }
    }
    Ok(())
}

/// `svodka search`: the stories a query finds, best first, as text or JSON.
pub fn search(path: &Path, q: &str, period: &str, limit: usize, format: &str) -> Result<()> {
    let cfg = load(path)?;
    if !cfg.search.index {
        return Err(anyhow!(
            "search is off in this config (`[search] index = false` in {}): reports are not \
             indexed, so none can be found",
            cfg.file.display()
        )
        .into());
    }
    let since = match period {
        "all" => None,
        p => Some(
            crate::trending::Period::parse(p)
                .ok_or_else(|| anyhow!("unknown period {p:?}"))?
                .since(Utc::now())
                .timestamp(),
        ),
    };
    let conn = store::open(&cfg.storage.path)?;
    store::search::searching(&conn).context("cannot set up the database to search")?;
    let lem = crate::search::Lemmatizer::new();
    let mut query = crate::search::Query::parse(q, &cfg, &lem).map_err(|e| anyhow!("{e}"))?;
    query.since = query.since.max(since);
    let now = Utc::now().timestamp();
    let limit = limit.clamp(1, crate::search::MAX_LIMIT);
    let results =
        crate::search::run_parsed(&conn, query, limit, now, &lem).map_err(|e| match e {
            crate::search::SearchError::Store(e) => anyhow!("cannot search: {e}"),
            e => anyhow!("{e}"),
        })?;
    if let Some(left) = results.building {
        tracing::warn!(
            "the search index is still being built for older reports ({left} ids to go): \
             the running daemon builds it; until then some are not found"
        );
    }
    let agency = |name: &str| {
        cfg.source(name)
            .map_or(name, |s| s.title.as_str())
            .to_string()
    };
    let base = &cfg.server.base_url;
    if format == "json" {
        let stories: Vec<serde_json::Value> = results
            .stories
            .iter()
            .map(|f| {
                let e = &f.entry;
                let agencies: Vec<String> = std::iter::once(e.source.as_str())
                    .chain(e.also())
                    .map(agency)
                    .collect();
                serde_json::json!({
                    "story": e.story,
                    "url": format!("{base}/stories/{}", e.story),
                    "title": e.title,
                    "link": e.link,
                    "published": chrono::DateTime::<Utc>::from_timestamp(e.published, 0)
                        .map(|t| t.to_rfc3339()),
                    "agencies": agencies,
                    "matched": f.matched,
                    "headline": crate::search::plain(&f.title),
                    "snippet": crate::search::plain(&f.snippet),
                })
            })
            .collect();
        let out = serde_json::json!({ "query": q, "stories": stories });
        outln!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        return Ok(());
    }
    if results.stories.is_empty() {
        outln!("nothing found");
    }
    for f in &results.stories {
        let e = &f.entry;
        let agencies: Vec<String> = std::iter::once(e.source.as_str())
            .chain(e.also())
            .map(agency)
            .collect();
        outln!(
            "{}  {}  ({})  {base}/stories/{}",
            when(Some(e.published), cfg.server.timezone),
            crate::search::plain(&f.title),
            agencies.join(", "),
            e.story
        );
        if !f.snippet.is_empty() {
            outln!("    {}", crate::search::plain(&f.snippet));
        }
    }
    Ok(())
}
