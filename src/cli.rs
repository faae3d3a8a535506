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
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

pub fn check(path: &Path) -> Result<()> {
    let cfg = Config::load(path)?;
    println!("{}", cfg.summary());
    Ok(())
}

fn open_db(cfg: &Config) -> Result<rusqlite::Connection> {
    let conn = store::open(&cfg.storage.path)?;
    store::sync_sources(&conn, &cfg.sources).context("cannot record the configured sources")?;
    Ok(conn)
}

pub async fn fetch(path: &Path, only: Option<&str>) -> Result<()> {
    let cfg = Config::load(path)?;
    let sources = cycle::pick_sources(&cfg, only).map_err(|e| anyhow!(e))?;
    let db = Db::open(&cfg.storage.path)?;
    db.call({
        let sources = cfg.sources.clone();
        move |c| store::sync_sources(c, &sources)
    })
    .await?
    .context("cannot record the configured sources")?;
    let ctx = Ctx::new(Arc::new(cfg), db, Arc::default())?;
    for r in cycle::run(&ctx, sources, true, &CancellationToken::new()).await {
        println!("{r}");
    }
    Ok(())
}

pub async fn run(path: &Path) -> Result<()> {
    let cfg = Config::load(path)?;
    let listener = daemon::bind(&cfg).await?;
    let shutdown = CancellationToken::new();
    let reload =
        daemon::wire_signals(shutdown.clone()).context("cannot install signal handlers")?;
    daemon::run(path.to_path_buf(), cfg, listener, shutdown, reload).await?;
    Ok(())
}

pub async fn export(path: &Path, feed: &str, format: &str) -> Result<()> {
    let cfg = Config::load(path)?;
    if cfg.feed(feed).is_none() {
        let known: Vec<&str> = cfg.feeds.iter().map(|f| f.name.as_str()).collect();
        return Err(anyhow!("no feed named {feed:?} (configured: {})", known.join(", ")).into());
    }
    let format =
        publish::Format::from_ext(format).ok_or_else(|| anyhow!("unknown format {format:?}"))?;
    let conn = open_db(&cfg)?;
    let view = publish::view(&cfg, &conn, &Target::Feed(feed.to_string()), format.ext())
        .context("cannot read the items")?
        .ok_or_else(|| anyhow!("no feed named {feed:?}"))?;
    print!("{}", format.render(&view));
    Ok(())
}

fn when(ts: Option<i64>) -> String {
    ts.and_then(|t| DateTime::<Utc>::from_timestamp(t, 0))
        .map_or_else(
            || "never".to_string(),
            |d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        )
}

pub fn sources(path: &Path) -> Result<()> {
    let cfg = Config::load(path)?;
    let conn = open_db(&cfg)?;
    let health = store::source_health(&conn, &cfg.sources).context("cannot read source health")?;
    for h in health {
        let s = &h.state;
        let status = s.last_status.map_or("-".to_string(), |c| c.to_string());
        let enabled = cfg.source(&h.name).is_some_and(|s| s.enabled);
        println!(
            "{}{}\n  url: {}\n  last fetch: {}  status: {}  error streak: {}  items: {}",
            h.name,
            if enabled { "" } else { " (disabled)" },
            h.url,
            when(s.last_fetch),
            status,
            s.error_streak,
            h.items
        );
        println!(
            "  last success: {}  next due: {}",
            when(h.last_success),
            when(s.next_due).replace("never", "on schedule")
        );
        if let Some(e) = &s.last_error {
            println!("  error: {e}");
        }
        if let Some(m) = &s.moved_to {
            println!("  moved permanently to: {m}");
        }
        if s.gone {
            println!("  gone (410): not polled until its url changes in the config");
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
    let (bytes, content_type, base) =
        if target.starts_with("http://") || target.starts_with("https://") {
            let url = url::Url::parse(target).with_context(|| format!("not a URL: {target}"))?;
            let cfg = Config::parse("", Path::new("(defaults)"))?;
            let fetcher = Fetcher::new(&cfg.fetch)?;
            match fetcher.fetch(&url, &Validators::default()).await {
                Ok(FetchOutcome::Fetched(f)) => {
                    println!("# url: {}", f.final_url);
                    println!("# status: {}", f.status);
                    if let Some(p) = &f.permanent_redirect {
                        println!("# moved permanently to: {p}");
                    }
                    println!(
                        "# content-type: {}",
                        f.content_type.as_deref().unwrap_or("-")
                    );
                    (f.body, f.content_type, Some(f.final_url))
                }
                Ok(FetchOutcome::NotModified { .. }) => {
                    return Err(
                        anyhow!("{target}: 304 Not Modified to an unconditional request").into(),
                    );
                }
                Err(e) => return Err(anyhow!("cannot fetch {target}: {e}").into()),
            }
        } else {
            let bytes = std::fs::read(target).with_context(|| format!("cannot read {target}"))?;
            println!("# file: {target}");
            (bytes, None, None)
        };
    let charset = content_type
        .as_deref()
        .and_then(crate::parse::decode::charset_param);
    let parsed = crate::parse::parse_feed(&bytes, charset, encoding, base.as_ref(), now)
        .map_err(|e| anyhow!("{target}: {e}"))?;
    println!("# declared charset: {}", charset.unwrap_or("-"));
    println!(
        "# encoding: {} (by {:?})",
        parsed.encoding, parsed.decoded_by
    );
    println!("# format: {}", parsed.feed.format);
    println!("# title: {}", parsed.feed.title.as_deref().unwrap_or("-"));
    println!("# items: {}", parsed.feed.items.len());
    for r in &parsed.repairs {
        println!("# repaired: {r}");
    }
    for s in &parsed.feed.skipped {
        println!("# skipped: {s}");
    }
    for item in &parsed.feed.items {
        println!(
            "{}",
            serde_json::to_string(item).context("cannot print an item")?
        );
    }
    Ok(())
}

pub async fn demo(listen: SocketAddr) -> Result<()> {
    let dir = demo::workdir()?;
    let origin = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot bind the sample agencies' server")?;
    let origin_addr = origin.local_addr().context("no local address")?;
    // The demo should start even when 8080 is taken: then any free port will do.
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!("cannot listen on {listen} ({e}); using a free port");
            tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .context("cannot bind")?
        }
    };
    let addr = listener.local_addr().context("no local address")?;
    let config_path = demo::write_config(&dir, origin_addr, addr)?;
    let cfg = Config::load(&config_path)?;
    let shutdown = CancellationToken::new();
    let reload =
        daemon::wire_signals(shutdown.clone()).context("cannot install signal handlers")?;
    tokio::spawn(demo::serve_samples(origin, shutdown.clone()));
    println!(
        "svodka demo: sample agencies on http://{origin_addr}/, config and database in {}",
        dir.display()
    );
    println!("merged feed:  http://{addr}/feeds/all.rss");
    println!("headlines:    http://{addr}/feeds/headlines.rss");
    println!("index:        http://{addr}/");
    println!("stop with Ctrl-C");
    daemon::run(config_path, cfg, listener, shutdown, reload).await?;
    Ok(())
}

pub fn retag(path: &Path) -> Result<()> {
    let cfg = Config::load(path)?;
    let mut conn = open_db(&cfg)?;
    let matcher = Matcher::new(&cfg.topics);
    let items = store::items_for_retag(&conn).context("cannot read the items")?;
    let tx = conn.transaction().context("cannot start a transaction")?;
    let mut tagged = 0;
    for (id, title, text) in &items {
        let topics = matcher.tag(title, text);
        tagged += usize::from(!topics.is_empty());
        store::set_topics(&tx, *id, &topics).context("cannot save topics")?;
    }
    tx.commit().context("cannot save topics")?;
    println!("retagged {} items; {} have topics", items.len(), tagged);
    Ok(())
}

pub fn trending(path: &Path, period: &str) -> Result<()> {
    let cfg = Config::load(path)?;
    let period = crate::trending::Period::parse(period)
        .ok_or_else(|| anyhow!("unknown period {period:?}"))?;
    let conn = open_db(&cfg)?;
    let t = crate::trending::from_store(&cfg, &conn, period, Utc::now())
        .context("cannot read the items")?;
    println!("since {}", t.since.format("%Y-%m-%d %H:%M UTC"));
    println!("configured topics (stories):");
    for c in &t.configured {
        println!("  {:>5}  {} ({})", c.stories, c.title, c.name);
    }
    println!("discovered in headlines (stories):");
    if t.discovered.is_empty() {
        println!("  none shared by two stories yet");
    }
    for d in &t.discovered {
        println!("  {:>5}  {}", d.stories, d.term);
    }
    Ok(())
}
