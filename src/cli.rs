//! What each command does. `main.rs` parses arguments and maps `Failure` to exit codes.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, anyhow};
use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::config::{Config, ConfigError};
use crate::cycle::{self, Ctx};
use crate::fetch::{FetchOutcome, Fetcher, Validators};
use crate::publish::{self, Target};
use crate::store::{self, Db};
use crate::topics::Matcher;
use crate::{daemon, demo};

/// `print!` that ends the process quietly when the reader went away (`svodka export | head`):
/// a closed pipe is the reader's choice, not an error, and `print!` would panic on it.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(&format!($($arg)*))
    };
}

macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(&format!("{}\n", format!($($arg)*)))
    };
}

#[doc(hidden)]
pub fn write_stdout(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("svodka: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}

/// Why a command failed: a refused config (exit 2) or anything else (exit 1).
#[derive(Debug)]
pub enum Failure {
    Config(ConfigError),
    Other(anyhow::Error),
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure::Config(e)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

pub type Result<T> = std::result::Result<T, Failure>;

/// Logs to stderr (the journal, under systemd); `RUST_LOG` overrides `default`.
pub fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colours only for a person at a terminal: the journal and log files get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .try_init();
}

pub fn check(path: &Path) -> Result<()> {
    let cfg = load(path)?;
    // An existing database is read as `run` would read it (a missing one is created by `run`):
    // a damaged file or one from a newer svodka fails here, before systemd starts the service
    // into a restart loop. A large one is checked for at most a few seconds.
    let mut note = String::new();
    if cfg.storage.path.exists()
        && store::check_file(&cfg.storage.path, CHECK_BUDGET)? == store::FileCheck::Unfinished
    {
        note = format!(
            " (database readable; its full check stopped after {} s)",
            CHECK_BUDGET.as_secs()
        );
    }
    outln!("{}{note}", cfg.summary());
    for w in cfg.warnings() {
        eprintln!("svodka: warning: {}: {w}", cfg.file.display());
    }
    Ok(())
}

/// The config, refused as `check` refuses it, with the database folder checked too: a folder
/// this user cannot write in is named with its reason before SQLite says only "unable to open
/// database file".
fn load(path: &Path) -> Result<Config> {
    let cfg = Config::load(path)?;
    check_storage_folder(&cfg)?;
    Ok(cfg)
}

/// How long `svodka check` spends on an existing database's `quick_check`.
const CHECK_BUDGET: std::time::Duration = std::time::Duration::from_secs(10);

/// The database's folder exists, or can be created: its nearest existing ancestor is a folder
/// this user can write in (tried with a file created and removed at once, since mode bits do
/// not say what this user may do). Checked by `check` (systemd's ExecStartPre), so a bad path
/// fails before the service starts rather than after.
fn check_storage_folder(cfg: &Config) -> std::result::Result<(), ConfigError> {
    let folder = match cfg.storage.path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // Under systemd (`StateDirectory=`), the one folder the sandbox lets the service write:
    // a path outside it is the usual cause, and the fix is to name it.
    let state_hint = std::env::var_os("STATE_DIRECTORY")
        .and_then(|dirs| {
            std::env::split_paths(&dirs)
                .next()
                .filter(|d| !cfg.storage.path.starts_with(d))
        })
        .map(|d| {
            format!(
                "; the service's state folder is {0}: set [storage] path = \"{0}/svodka.db\"",
                d.display()
            )
        })
        .unwrap_or_default();
    let refuse = |reason: String| ConfigError {
        file: cfg.file.clone(),
        key: "storage.path".into(),
        reason: format!("{reason}{state_hint}"),
    };
    let mut probe = folder;
    loop {
        match std::fs::metadata(probe) {
            Ok(m) if !m.is_dir() => {
                return Err(refuse(format!("{} is not a folder", probe.display())));
            }
            Ok(_) => {
                let trial = probe.join(format!(".svodka-check-{}", std::process::id()));
                return match std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&trial)
                {
                    Ok(_) => {
                        let _ = std::fs::remove_file(&trial);
                        Ok(())
                    }
                    Err(e) => Err(refuse(format!(
                        "cannot create the database in {}: {} is not writable ({e})",
                        folder.display(),
                        probe.display()
                    ))),
                };
            }
            Err(_) => match probe.parent() {
                Some(p) if !p.as_os_str().is_empty() => probe = p,
                _ => return Ok(()),
            },
        }
    }
}

fn open_db(cfg: &Config) -> Result<store::Sqlite> {
    let conn = store::open(&cfg.storage.path)?;
    store::sync_sources(&conn, &cfg.sources).context("cannot record the configured sources")?;
    Ok(conn)
}

pub async fn fetch(path: &Path, only: Option<&str>) -> Result<()> {
    let cfg = load(path)?;
    let sources = cycle::pick_sources(&cfg, only).map_err(|e| anyhow!(e))?;
    let db = Db::open(&cfg.storage.path)?;
    db.call({
        let sources = cfg.sources.clone();
        move |c| store::sync_sources(c, &sources)
    })
    .await?
    .context("cannot record the configured sources")?;
    let ctx = Ctx::new(Arc::new(cfg), db, Arc::default())?;
    for r in crate::ingest::run(&ctx, sources, true, &CancellationToken::new()).await {
        outln!("{r}");
    }
    if let Some(w) = ctx.db.engine_work() {
        tracing::debug!(?w, "what the story engine's decisions looked at");
    }
    Ok(())
}

pub async fn run(path: &Path) -> Result<()> {
    let cfg = load(path)?;
    let listener = daemon::bind(&cfg).await?;
    let shutdown = CancellationToken::new();
    let reload =
        daemon::wire_signals(shutdown.clone()).context("cannot install signal handlers")?;
    daemon::run(path.to_path_buf(), cfg, listener, shutdown, reload).await?;
    Ok(())
}

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

/// A time as the CLI prints it: in the configured zone (`server.timezone`), as the pages do.
fn when(ts: Option<i64>, tz: chrono_tz::Tz) -> String {
    ts.and_then(|t| DateTime::<Utc>::from_timestamp(t, 0))
        .map_or_else(
            || "never".to_string(),
            |d| {
                d.with_timezone(&tz)
                    .format("%Y-%m-%d %H:%M:%S %Z")
                    .to_string()
            },
        )
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

pub async fn inspect(target: &str, encoding: Option<&str>) -> Result<()> {
    if let Some(label) = encoding
        && crate::parse::decode::lookup(label).is_none()
    {
        return Err(anyhow!("unknown encoding {label:?}").into());
    }
    let now = Utc::now();
    // What is printed names a URL without the password it may carry.
    let shown = url::Url::parse(target)
        .map(|u| crate::redirects::without_credentials(&u).to_string())
        .unwrap_or_else(|_| target.to_string());
    let (bytes, content_type, base) =
        if target.starts_with("http://") || target.starts_with("https://") {
            let url = url::Url::parse(target).with_context(|| format!("not a URL: {target}"))?;
            let cfg = Config::parse("", Path::new("(defaults)"))?;
            let fetcher = Fetcher::new(&cfg.fetch)?;
            match fetcher.fetch(&url, &Validators::default()).await {
                Ok(FetchOutcome::Fetched(f)) => {
                    let f = *f;
                    outln!("# url: {}", f.final_url);
                    outln!("# status: {}", f.status);
                    if let Some(p) = &f.permanent_redirect {
                        outln!("# moved permanently to: {p}");
                    }
                    outln!(
                        "# content-type: {}",
                        f.content_type.as_deref().unwrap_or("-")
                    );
                    (f.body, f.content_type, Some(f.final_url))
                }
                Ok(FetchOutcome::NotModified { .. }) => {
                    return Err(
                        anyhow!("{shown}: 304 Not Modified to an unconditional request").into(),
                    );
                }
                Err(e) => return Err(anyhow!("cannot fetch {shown}: {e}").into()),
            }
        } else {
            let bytes = std::fs::read(target).with_context(|| format!("cannot read {target}"))?;
            outln!("# file: {target}");
            (bytes, None, None)
        };
    let charset = content_type
        .as_deref()
        .and_then(crate::parse::decode::charset_param);
    let parsed = match crate::parse::parse_feed(&bytes, charset, encoding, base.as_ref(), now) {
        Ok(p) => p,
        Err(e) => {
            // A web page: the feeds it announces are what the person was looking for.
            if let crate::parse::ParseError::HtmlPage { feeds } = &e {
                for f in feeds {
                    outln!("# announced feed: {f}");
                }
            }
            return Err(anyhow!("{shown}: {e}").into());
        }
    };
    outln!("# http charset: {}", charset.unwrap_or("-"));
    let how = match parsed.decoded_by {
        crate::parse::decode::DecodedBy::Override => "the --encoding override",
        crate::parse::decode::DecodedBy::Bom => "the byte order mark",
        crate::parse::decode::DecodedBy::HttpCharset => "the HTTP charset",
        crate::parse::decode::DecodedBy::Prolog => "the XML prolog",
        crate::parse::decode::DecodedBy::Detected => {
            "detection (nothing declared could be believed)"
        }
        crate::parse::decode::DecodedBy::Default => "default (nothing declared; ASCII or UTF-8)",
    };
    outln!("# encoding: {} (from {how})", parsed.encoding);
    // A forced encoding is used whatever the bytes say; say so when they read otherwise.
    if let Some(label) = encoding
        && let Some(likely) = crate::parse::decode::doubt(&bytes, label)
    {
        outln!(
            "# warning: the bytes do not read as {} (--encoding {label}); without it they decode as {}",
            parsed.encoding,
            likely.name()
        );
    }
    outln!("# format: {}", parsed.feed.format);
    outln!("# title: {}", parsed.feed.title.as_deref().unwrap_or("-"));
    outln!(
        "# items: {} (of {} in the document)",
        parsed.feed.items.len(),
        parsed.feed.found
    );
    for r in &parsed.repairs {
        outln!("# repaired: {r}");
    }
    for s in &parsed.feed.skipped {
        outln!("# skipped: {s}");
    }
    if parsed.feed.shortened > 0 {
        outln!(
            "# shortened: {} items had a field cut to its size limit",
            parsed.feed.shortened
        );
    }
    let shortfall = parsed.feed.shortfall();
    if let Some(s) = &shortfall {
        outln!("# warning: {s}");
    }
    for item in &parsed.feed.items {
        outln!(
            "{}",
            serde_json::to_string(item).context("cannot print an item")?
        );
    }
    // Items in plain sight and none read is a feed that could not be parsed, whatever the
    // XML parser thought of the rest.
    if parsed.feed.items.is_empty()
        && let Some(s) = shortfall
    {
        return Err(anyhow!("{shown}: {s}").into());
    }
    Ok(())
}

pub async fn demo(listen: Option<SocketAddr>) -> Result<()> {
    let workdir = demo::workdir()?;
    let dir = workdir.path().to_path_buf();
    let origin = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot bind the sample agencies' server")?;
    let origin_addr = origin.local_addr().context("no local address")?;
    // The demo should start even when 8080 is taken: then any free port will do. An address
    // the user asked for is theirs: if it is busy, say so and stop.
    let listener = match listen {
        Some(addr) => tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?,
        None => match tokio::net::TcpListener::bind(crate::config::DEFAULT_LISTEN).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(
                    "cannot listen on {} ({e}); using a free port",
                    crate::config::DEFAULT_LISTEN
                );
                tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .context("cannot bind")?
            }
        },
    };
    let addr = listener.local_addr().context("no local address")?;
    let config_path = demo::write_config(&dir, origin_addr, addr)?;
    let cfg = Config::load(&config_path)?;
    let shutdown = CancellationToken::new();
    let reload =
        daemon::wire_signals(shutdown.clone()).context("cannot install signal handlers")?;
    tokio::spawn(demo::serve_samples(origin, shutdown.clone()));
    outln!(
        "svodka demo: sample agencies on http://{origin_addr}/, config and database in {}",
        dir.display()
    );
    outln!("merged feed:  http://{addr}/feeds/all.rss");
    outln!("headlines:    http://{addr}/feeds/headlines.rss");
    outln!("bulletin:     http://{addr}/");
    outln!("stop with Ctrl-C");
    let result = daemon::run(config_path, cfg, listener, shutdown, reload).await;
    // The demo's database is sample data: a clean exit leaves nothing behind.
    if result.is_ok() && workdir.close().is_ok() {
        outln!("removed {}", dir.display());
    }
    result?;
    Ok(())
}

pub fn retag(path: &Path) -> Result<()> {
    let cfg = load(path)?;
    let mut conn = open_db(&cfg)?;
    let mut retag = crate::retag::Retagger::new(std::sync::Arc::new(Matcher::new(&cfg.topics)));
    retag.names = true;
    while retag.page(&mut conn)? {}
    let (seen, tagged) = (retag.seen, retag.tagged);
    outln!(
        "retagged {}; {tagged} {} topics",
        crate::text::counted(seen, "item", "items"),
        if tagged == 1 { "has" } else { "have" }
    );
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
    let stories = store::biggest_stories(&conn, since, limit).context("cannot read the stories")?;
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

/// `svodka digest NAME`: an edition (the newest, or that of `--date`) in html, text or md.
/// Before the first edition is made, a preview of the period up to now (not stored).
pub fn digest(path: &Path, name: &str, date: Option<&str>, format: &str) -> Result<()> {
    let cfg = load(path)?;
    let Some(d) = cfg.digest(name) else {
        let known: Vec<&str> = cfg
            .delivery
            .digests
            .iter()
            .map(|d| d.name.as_str())
            .collect();
        return Err(anyhow!(
            "no digest named {name:?} (configured: {})",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        )
        .into());
    };
    let conn = open_db(&cfg)?;
    let stored = match date {
        Some(day) => store::edition(&conn, name, day).context("cannot read the editions")?,
        None => store::editions(&conn, name, 1)
            .context("cannot read the editions")?
            .into_iter()
            .next(),
    };
    let edition = match (stored, date) {
        (Some(row), _) => crate::digest::from_row(&row)
            .ok_or_else(|| anyhow!("edition {} cannot be read", row.key))?,
        (None, Some(day)) => {
            let known: Vec<String> = store::editions(&conn, name, 10)
                .context("cannot read the editions")?
                .into_iter()
                .map(|r| r.key)
                .collect();
            return Err(anyhow!(
                "digest {name:?} has no edition of {day:?} (latest: {})",
                if known.is_empty() {
                    "none yet".to_string()
                } else {
                    known.join(", ")
                }
            )
            .into());
        }
        (None, None) => {
            eprintln!("svodka: no edition of {name:?} made yet; a preview of the period up to now");
            let now = Utc::now();
            let plan = crate::digest::Plan {
                tick: now,
                since: now.timestamp() - d.period.seconds(),
                until: now.timestamp(),
                missed: 0,
                late: false,
            };
            crate::digest::gather(&cfg, &conn, d, &plan, now).context("cannot read the stories")?
        }
    };
    let (base, tz) = (&cfg.server.base_url, cfg.server.timezone);
    let text = match format {
        "html" => crate::digest::render::document(tz, &edition, base),
        "md" => crate::digest::render::markdown(tz, &edition, base),
        _ => crate::digest::render::text(tz, &edition, base),
    };
    out!("{text}");
    Ok(())
}

/// `svodka digests`: each digest with its editions and what is waiting to be mailed.
pub fn digests(path: &Path) -> Result<()> {
    let cfg = load(path)?;
    let conn = open_db(&cfg)?;
    if cfg.delivery.digests.is_empty() {
        outln!("no [[digest]] configured");
    }
    for d in &cfg.delivery.digests {
        let rows =
            store::editions(&conn, &d.name, usize::MAX).context("cannot read the editions")?;
        let next = d.cron.next_after(Utc::now()).map(|t| t.timestamp());
        outln!(
            "{}  {:?}  editions {}  last {}  next {}",
            d.name,
            d.cron.as_str(),
            rows.len(),
            rows.first().map_or("-".to_string(), |r| r.key.clone()),
            when(next, cfg.server.timezone)
        );
        for r in rows
            .iter()
            .filter(|r| r.mail_to.is_some() && r.sent.is_none())
        {
            outln!(
                "  unsent {}: {} attempts{}",
                r.key,
                r.attempts,
                r.error
                    .as_deref()
                    .map(|e| format!(", last error: {e}"))
                    .unwrap_or_default()
            );
        }
        if let Some(r) = rows.iter().find(|r| r.sent.is_some()) {
            outln!(
                "  last mailed {} at {}",
                r.key,
                when(r.sent, cfg.server.timezone)
            );
        }
    }
    Ok(())
}
