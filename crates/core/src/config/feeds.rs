//! `[[feed]]`: the feeds svodka publishes at `/feeds/NAME.*`, and the check of the source,
//! region and topic names a feed, a digest or an alert filters by.

use std::collections::HashSet;

use serde::Deserialize;

use super::{ConfigError, Origin, Source, Topic, check_slug};
use crate::model::Grouping;

/// The entries a feed holds unless `limit` says otherwise; topic feeds and search feeds hold
/// as many.
pub const DEFAULT_FEED_LIMIT: usize = 100;

#[derive(Debug, Clone)]
pub struct Feed {
    pub name: String,
    pub title: String,
    pub sources: Vec<String>,
    pub regions: Vec<String>,
    pub topics: Vec<String>,
    pub limit: usize,
    pub group: Grouping,
    /// A search (`query = "…"`): the feed is the stories it finds, newest first.
    pub query: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFeed {
    name: String,
    title: Option<String>,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    regions: Vec<String>,
    #[serde(default)]
    topics: Vec<String>,
    #[serde(default = "default_limit")]
    limit: usize,
    group: Option<String>,
    query: Option<String>,
}

fn default_limit() -> usize {
    DEFAULT_FEED_LIMIT
}

/// Feeds refer to sources, regions and topics by name, so those are checked first. A feed's
/// query is checked later, with the whole config (see `search::check_queries`).
pub(super) fn parse(
    raw: Vec<RawFeed>,
    sources: &[Source],
    topics: &[Topic],
    o: &Origin,
) -> Result<Vec<Feed>, ConfigError> {
    let mut feeds = Vec::new();
    let mut seen = HashSet::new();
    for (i, f) in raw.into_iter().enumerate() {
        let key = |k: &str| format!("feed[{i}].{k}");
        check_slug(&f.name).map_err(|r| o.err(&key("name"), r))?;
        if !seen.insert(f.name.clone()) {
            return Err(o.err(&key("name"), format!("duplicate feed name {:?}", f.name)));
        }
        check_names(o, &key, sources, topics, &f.sources, &f.regions, &f.topics)?;
        if f.limit == 0 || f.limit > 10_000 {
            return Err(o.err(&key("limit"), "must be between 1 and 10000"));
        }
        let group = match f.group.as_deref() {
            None | Some("story") => Grouping::Story,
            Some("copy") => Grouping::Copy,
            Some("none") => Grouping::None,
            Some(other) => {
                return Err(o.err(
                    &key("group"),
                    format!("must be \"story\", \"copy\" or \"none\", not {other:?}"),
                ));
            }
        };
        feeds.push(Feed {
            title: f.title.unwrap_or_else(|| f.name.clone()),
            name: f.name,
            sources: f.sources,
            regions: f.regions,
            topics: f.topics,
            limit: f.limit,
            group,
            query: f.query,
        });
    }
    Ok(feeds)
}

/// A filter's `sources`, `regions` and `topics` (a feed's, a digest's, an alert's) name only
/// what the config has: a misspelt name would otherwise match nothing, silently.
pub(crate) fn check_names(
    o: &Origin,
    key: &dyn Fn(&str) -> String,
    known_sources: &[Source],
    known_topics: &[Topic],
    sources: &[String],
    regions: &[String],
    topics: &[String],
) -> Result<(), ConfigError> {
    for s in sources {
        if !known_sources.iter().any(|src| &src.name == s) {
            return Err(o.err(&key("sources"), format!("unknown source {s:?}")));
        }
    }
    for r in regions {
        if !known_sources
            .iter()
            .any(|s| s.region.as_deref() == Some(r.as_str()))
        {
            return Err(o.err(&key("regions"), format!("no source has region {r:?}")));
        }
    }
    for t in topics {
        if !known_topics.iter().any(|tp| &tp.name == t) {
            return Err(o.err(&key("topics"), format!("unknown topic {t:?}")));
        }
    }
    Ok(())
}
