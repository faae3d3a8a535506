//! Which items a published feed shows: a configured feed's filters, or one topic.

use std::collections::HashMap;

use rusqlite::Connection;

use crate::config::Config;
use crate::model::Grouping;
use crate::store::{self, StoredItem};

/// What is being published.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// A `[[feed]]`, at `/feeds/NAME.*`.
    Feed(String),
    /// The implicit feed of a `[[topic]]`, at `/topics/NAME.*`.
    Topic(String),
}

impl Target {
    /// The path of the RSS form, under the server's base URL.
    pub fn path(&self, ext: &str) -> String {
        match self {
            Target::Feed(n) => format!("/feeds/{n}.{ext}"),
            Target::Topic(n) => format!("/topics/{n}.{ext}"),
        }
    }
}

/// Everything a renderer needs, with no further lookups.
#[derive(Debug, Clone)]
pub struct View {
    pub title: String,
    pub description: String,
    /// Absolute URL of this feed (atom:link rel="self").
    pub self_url: String,
    /// Absolute URL of the human page (the index).
    pub site_url: String,
    pub items: Vec<StoredItem>,
    /// Source name → (title, feed URL).
    pub sources: HashMap<String, (String, String)>,
    /// Topic name → title.
    pub topics: HashMap<String, String>,
}

/// The sources a feed lists (`None`: every source). `sources` and `regions` widen each other:
/// an item passes when any source that carried it is named, or lies in a named region.
pub fn feed_sources(cfg: &Config, f: &crate::config::Feed) -> Option<Vec<String>> {
    if f.sources.is_empty() && f.regions.is_empty() {
        return None;
    }
    Some(
        cfg.sources
            .iter()
            .filter(|s| {
                f.sources.contains(&s.name)
                    || s.region.as_ref().is_some_and(|r| f.regions.contains(r))
            })
            .map(|s| s.name.clone())
            .collect(),
    )
}

/// The view of `target`, or `None` when the config has no such feed or topic.
pub fn view(
    cfg: &Config,
    conn: &Connection,
    target: &Target,
    ext: &str,
) -> rusqlite::Result<Option<View>> {
    let (title, description, sources, topics, limit, group) = match target {
        Target::Feed(name) => {
            let Some(f) = cfg.feed(name) else {
                return Ok(None);
            };
            let sources = feed_sources(cfg, f);
            let description = format!("{} — сводка svodka", f.title);
            (
                f.title.clone(),
                description,
                sources,
                f.topics.clone(),
                f.limit,
                f.group,
            )
        }
        Target::Topic(name) => {
            let Some(t) = cfg.topic(name) else {
                return Ok(None);
            };
            let description = format!(
                "Главная тема: {} — все агентства, каждая новость один раз",
                t.title
            );
            (
                t.title.clone(),
                description,
                None,
                vec![t.name.clone()],
                100,
                Grouping::Story,
            )
        }
    };
    let mut items = store::select_items(conn, group, sources.as_deref(), &topics, limit)?;
    // Atom and JSON Feed link each entry to the stories of its affair; RSS has no place for
    // them (its entries already link the story's own reports).
    if matches!(ext, "atom" | "json") {
        let stories: Vec<i64> = items.iter().map(|it| it.story).collect();
        let mut related = store::related_many(conn, &stories)?;
        for it in &mut items {
            it.related = related.remove(&it.story).unwrap_or_default();
        }
    }
    let base = &cfg.server.base_url;
    Ok(Some(View {
        title,
        description,
        self_url: format!("{base}{}", target.path(ext)),
        site_url: format!("{base}/"),
        items,
        sources: cfg
            .sources
            .iter()
            .map(|s| {
                let url = crate::redirects::without_credentials(&s.url).to_string();
                (s.name.clone(), (s.title.clone(), url))
            })
            .collect(),
        topics: cfg
            .topics
            .iter()
            .map(|t| (t.name.clone(), t.title.clone()))
            .collect(),
    }))
}
