//! Which items a published feed shows: a configured feed's filters, or one topic.

use std::collections::HashMap;

use crate::archive::{self, Archive};
use crate::config::Config;
use crate::model::Entry;
use crate::model::Grouping;

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
    pub items: Vec<Entry>,
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
    archive: &dyn Archive,
    target: &Target,
    ext: &str,
) -> archive::Result<Option<View>> {
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
                crate::config::DEFAULT_FEED_LIMIT,
                Grouping::Story,
            )
        }
    };
    let query = match target {
        Target::Feed(name) => cfg.feed(name).and_then(|f| f.query.as_deref()),
        Target::Topic(_) => None,
    };
    let mut items = match query {
        Some(q) => query_items(cfg, archive, q, sources, &topics, limit)?,
        None => archive.select_items(group, sources.as_deref(), &topics, limit)?,
    };
    add_related(archive, ext, &mut items)?;
    let base = &cfg.server.base_url;
    Ok(Some(view_of(
        cfg,
        title,
        description,
        format!("{base}{}", target.path(ext)),
        items,
    )))
}

/// Atom and JSON Feed link each entry to the stories of its affair; RSS has no place for them
/// (its entries already link the story's own reports).
fn add_related(archive: &dyn Archive, ext: &str, items: &mut [Entry]) -> archive::Result<()> {
    if matches!(ext, "atom" | "json") {
        let stories: Vec<i64> = items.iter().map(|it| it.story).collect();
        let mut related = archive.related_many(&stories)?;
        for it in items.iter_mut() {
            it.related = related.remove(&it.story).unwrap_or_default();
        }
    }
    Ok(())
}

/// A `[[feed]]` that is a search: its stories newest first, narrowed by the feed's sources,
/// regions and topics as well. The query was checked when the config was.
fn query_items(
    cfg: &Config,
    archive: &dyn Archive,
    q: &str,
    sources: Option<Vec<String>>,
    topics: &[String],
    limit: usize,
) -> archive::Result<Vec<Entry>> {
    let lem = crate::search::Lemmatizer::new();
    let mut query = match crate::search::Query::parse(q, cfg, &lem) {
        Ok(query) => query,
        // A reload checks the query before it is served; this is a config that went stale
        // (a source renamed), and an empty feed says so less than an error would.
        Err(e) => {
            tracing::warn!("the feed's query {q:?} no longer parses: {e}");
            return Ok(Vec::new());
        }
    };
    query.by_date = true;
    if let Some(s) = sources {
        query.sources = Some(match query.sources {
            Some(own) => own.into_iter().filter(|o| s.contains(o)).collect(),
            None => s,
        });
    }
    if !topics.is_empty() {
        query.topics = if query.topics.is_empty() {
            topics.to_vec()
        } else {
            query
                .topics
                .into_iter()
                .filter(|t| topics.contains(t))
                .collect()
        };
        if query.topics.is_empty() {
            return Ok(Vec::new());
        }
    }
    let now = chrono::Utc::now().timestamp();
    match crate::search::run_parsed(archive, query, limit, now, &lem) {
        Ok(r) => Ok(r.stories.into_iter().map(|f| f.entry).collect()),
        Err(crate::search::SearchError::Store(e)) => Err(e),
        Err(crate::search::SearchError::TooSlow) => Err(archive::StoreError::TooSlow),
        // The query parsed above; a parse error cannot come back from running it.
        Err(crate::search::SearchError::Query(_)) => Ok(Vec::new()),
    }
}

/// The feed of a search typed by a reader (`/search.rss?q=…`): its stories newest first.
pub fn search_view(
    cfg: &Config,
    archive: &dyn Archive,
    q: &str,
    ext: &str,
    now: i64,
) -> Result<View, crate::search::SearchError> {
    let results = crate::search::run(cfg, archive, q, SEARCH_FEED_ITEMS, true, now)?;
    let mut items: Vec<Entry> = results.stories.into_iter().map(|f| f.entry).collect();
    add_related(archive, ext, &mut items)?;
    let base = &cfg.server.base_url;
    let encoded: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    Ok(view_of(
        cfg,
        format!("Поиск: {q}"),
        format!("Поиск «{q}» — сводка svodka, каждая история один раз"),
        format!("{base}/search.{ext}?q={encoded}"),
        items,
    ))
}

/// The stories a search feed holds, as a configured feed's default.
pub const SEARCH_FEED_ITEMS: usize = crate::config::DEFAULT_FEED_LIMIT;

fn view_of(
    cfg: &Config,
    title: String,
    description: String,
    self_url: String,
    items: Vec<Entry>,
) -> View {
    let base = &cfg.server.base_url;
    View {
        title,
        description,
        self_url,
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
    }
}
