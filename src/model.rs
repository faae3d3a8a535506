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
    /// True when this item has no guid and the same document lists its link for other items
    /// with other titles (a redirect script): then link and title together identify it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub link_shared: bool,
}

impl Item {
    /// The key that identifies this item within its source: the guid, else the link (with the
    /// title when the feed lists that link for several items), else a hash of its content.
    /// feed-rs would invent an id from link+title, which changes when an editor fixes a
    /// headline, so we build our own: a link alone keeps an edited item (a live blog) one item.
    pub fn source_key(&self) -> String {
        if let Some(g) = &self.guid {
            return g.clone();
        }
        if let Some(l) = &self.link {
            if self.link_shared {
                // A canonical link has no fragment, so `#` cannot meet a real link's key.
                return format!("{l}#{}", self.title);
            }
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
    /// How many items the document visibly holds (`<item>`/`<entry>` elements, JSON items).
    pub found: usize,
    pub items: Vec<Item>,
    /// Entries that could not be used, one reason each (partial success is data).
    pub skipped: Vec<String>,
    /// Items with a field cut to its bound (`parse::limits`).
    pub shortened: usize,
}

impl ParsedFeed {
    /// What went missing, for the person reading `fetch`, `sources` or `inspect`: `parsed 0 of 12
    /// items: …` when none could be read, `2 skipped: …` when some could not; None when all were.
    pub fn shortfall(&self) -> Option<String> {
        let first = self.skipped.first()?;
        if self.items.is_empty() {
            Some(format!(
                "parsed 0 of {}: {first}",
                crate::text::counted(self.found.max(self.skipped.len()), "item", "items")
            ))
        } else {
            Some(format!("{} skipped: {first}", self.skipped.len()))
        }
    }
}
