//! `[[source]]`: the agency feeds svodka fetches.

use std::collections::HashSet;

use serde::Deserialize;
use url::Url;

use super::{ConfigError, Origin, check_slug};
use crate::schedule::Schedule;

#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub title: String,
    pub url: Url,
    pub region: Option<String>,
    /// A label `parse::decode::lookup` knows; checked at load time.
    pub encoding: Option<String>,
    /// Boxed: most sources have none, and a schedule is too large to carry inline in every
    /// source (and every copy of its config).
    pub cron: Option<Box<Schedule>>,
    pub enabled: bool,
    /// Leads the stories it carries over sources with a lower one (the original agency over
    /// re-publishers).
    pub priority: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    name: String,
    title: Option<String>,
    url: String,
    region: Option<String>,
    encoding: Option<String>,
    cron: Option<String>,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    priority: i64,
}

fn yes() -> bool {
    true
}

/// Each source's name is a unique slug, its URL http(s), its encoding one svodka decodes and
/// its own cron (if any) valid.
pub(super) fn parse(raw: Vec<RawSource>, o: &Origin) -> Result<Vec<Source>, ConfigError> {
    let mut sources = Vec::new();
    let mut seen = HashSet::new();
    for (i, s) in raw.into_iter().enumerate() {
        let key = |k: &str| format!("source[{i}].{k}");
        check_slug(&s.name).map_err(|r| o.err(&key("name"), r))?;
        if !seen.insert(s.name.clone()) {
            return Err(o.err(&key("name"), format!("duplicate source name {:?}", s.name)));
        }
        let url = o.http_url(&key("url"), &s.url)?;
        if let Some(label) = &s.encoding
            && crate::parse::decode::lookup(label).is_none()
        {
            return Err(o.err(&key("encoding"), format!("unknown encoding {label:?}")));
        }
        let cron = match &s.cron {
            Some(c) => Some(Box::new(
                Schedule::parse(c).map_err(|e| o.err(&key("cron"), e))?,
            )),
            None => None,
        };
        if let Some(r) = &s.region {
            check_slug(r).map_err(|r| o.err(&key("region"), r))?;
        }
        sources.push(Source {
            title: s.title.unwrap_or_else(|| s.name.clone()),
            name: s.name,
            url,
            region: s.region,
            encoding: s.encoding,
            cron,
            enabled: s.enabled,
            priority: s.priority,
        });
    }
    Ok(sources)
}
