//! Plain data that flows through the pipeline: what a feed yielded, after normalization.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One normalized item, as parse+normalize produce it and before it meets the database.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    /// The feed's own id (`<guid>`, Atom `<id>`), when the feed gives one.
    pub guid: Option<String>,
    /// Absolute, canonical link: tracking parameters and fragment removed.
    pub link: Option<String>,
    /// Plain text, entities decoded, whitespace collapsed.
    pub title: String,
    /// Sanitised HTML.
    pub summary: Option<String>,
    /// Sanitised HTML of the full text (`content:encoded`, `yandex:full-text`, Atom content).
    pub content: Option<String>,
    /// Plain text of the body, for topics and dedup.
    pub text: String,
    pub author: Option<String>,
    pub image: Option<String>,
    pub published: DateTime<Utc>,
    /// True when the feed gave no usable date and `published` is the time first seen.
    pub date_from_first_seen: bool,
}

impl Item {
    /// The key that identifies this item within its source: the guid, else the link, else a
    /// hash of its content. feed-rs would invent an id from link+title, which changes when an
    /// editor fixes a headline, so we build our own.
    pub fn source_key(&self) -> String {
        if let Some(g) = &self.guid {
            return g.clone();
        }
        if let Some(l) = &self.link {
            return l.clone();
        }
        format!(
            "hash:{}",
            crate::dedup::content_hash(&self.title, &self.text)
        )
    }
}

/// How a feed groups reports into entries (`[[feed]] group`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Grouping {
    /// One entry per story: the same event from every agency, once.
    #[default]
    Story,
    /// One entry per copy group: only the same text is merged.
    Copy,
    /// Every report.
    None,
}

/// What a feed document yielded.
#[derive(Debug, Clone, Serialize)]
pub struct ParsedFeed {
    /// "RSS 2.0", "Atom", "RSS 1.0", "JSON Feed" …
    pub format: String,
    pub title: Option<String>,
    pub items: Vec<Item>,
    /// Entries that could not be used, with the reason (partial success is data).
    pub skipped: Vec<String>,
}
