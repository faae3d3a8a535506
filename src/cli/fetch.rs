//! `svodka fetch` and `svodka inspect`: one fetch cycle by hand, and one feed fetched and parsed
//! with what was read from it printed, without storing anything.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, anyhow};
use chrono::Utc;
use tokio_util::sync::CancellationToken;

use super::{Result, load};
use crate::config::Config;
use crate::cycle::{self, Ctx};
use crate::fetch::{FetchOutcome, Fetcher, Validators};
use crate::store::{self, Db};

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
