//! Plain data that flows through the pipeline: what a feed yielded, after normalization.

use chrono::{DateTime, Duration, Utc};
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

/// Another agency's report behind an entry: its own title, link and date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherReport {
    pub source: String,
    pub title: String,
    pub link: Option<String>,
    pub published: i64,
}

/// An entry as published: its lead report's fields, the topics of all its reports, and the
/// other reports.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: i64,
    /// The story it belongs to (`/stories/ID`).
    pub story: i64,
    /// The entry's public id (RSS guid, Atom id, JSON id): the story's GUID, minted once, or
    /// the report's own for ungrouped feeds.
    pub guid: String,
    pub source: String,
    pub link: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub content: Option<String>,
    pub author: Option<String>,
    pub image: Option<String>,
    pub published: i64,
    /// When svodka last stored a change to it (first seen, or the source's last edit).
    pub updated: i64,
    /// When the source last edited it, if it ever did.
    pub edited: Option<i64>,
    pub topics: Vec<String>,
    /// The other reports this entry stands for, earliest first.
    pub others: Vec<OtherReport>,
    /// Stories of the same affair («Развитие сюжета»), newest first: filled by the callers that
    /// show them (story pages, Atom and JSON Feed), empty otherwise.
    pub related: Vec<RelatedStory>,
}

impl Entry {
    /// The date readers see as "updated": the source's last edit, else its publication.
    pub fn modified(&self) -> i64 {
        self.edited.unwrap_or(self.published).max(self.published)
    }

    /// The other agencies, each once, in the order they reported.
    pub fn also(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for o in &self.others {
            if o.source != self.source && !names.contains(&o.source.as_str()) {
                names.push(&o.source);
            }
        }
        names
    }
}

/// A story of the same affair: its page, its lead headline and date, its agencies.
#[derive(Debug, Clone, PartialEq)]
pub struct RelatedStory {
    pub story: i64,
    /// The story's GUID (its entry's id in every feed).
    pub guid: String,
    pub title: String,
    pub published: i64,
    /// The sources that carried it, the lead's first.
    pub sources: Vec<String>,
    /// How strongly it is related (the sum of the shared names' inverse document frequencies).
    pub strength: f64,
    /// The specific names the two stories share, in their dictionary form, the rarest first.
    pub names: Vec<String>,
}

/// What one saved fetch did, for `svodka fetch`'s summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub new: u32,
    pub updated: u32,
    pub unchanged: u32,
    /// Reports that joined a story another report had started (a copy, or the same event).
    pub merged: u32,
}

/// What the next fetch of a source needs to know, and what the last one left behind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchState {
    /// The configured URL this state belongs to.
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_fetch: Option<i64>,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub error_streak: u32,
    /// Unix seconds before which the source is not fetched (backoff, Retry-After).
    pub next_due: Option<i64>,
    /// Where a 301/308 said the feed now lives.
    pub moved_to: Option<String>,
    /// 410 Gone: not polled again until its URL in the config changes.
    pub gone: bool,
}

#[derive(Debug, Clone)]
pub struct SourceHealth {
    pub name: String,
    /// The configured title (the name when the config gives none).
    pub title: String,
    pub url: String,
    pub state: FetchState,
    pub last_success: Option<i64>,
    pub items: u64,
}

/// One stored edition: `body` is the edition as made (JSON, see `digest::Edition`).
#[derive(Debug, Clone)]
pub struct EditionRow {
    pub digest: String,
    pub tick: i64,
    pub key: String,
    pub since: i64,
    pub until: i64,
    pub made: i64,
    pub body: String,
    /// The addresses it is mailed to (one a line), `None` when it is not mailed.
    pub mail_to: Option<String>,
    pub sent: Option<i64>,
    pub attempts: u32,
    pub error: Option<String>,
}

/// What the database says at scrape time.
#[derive(Debug, Default, Clone, Copy)]
pub struct Gauges {
    pub sources_ok: u64,
    pub sources_failing: u64,
    pub sources_gone: u64,
    pub sources_never: u64,
    pub items: u64,
    pub stories: u64,
    /// Renderings held in memory (feed × format); bounded by the configured feeds.
    pub rendered: u64,
}

/// What fetching one source came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Fetched and stored; the entries it could not use are reported beside the counts.
    Saved(Counts, Skips),
    NotModified,
    /// Not fetched this time: backing off, gone, or shutting down.
    Skipped(String),
    Failed(String),
}

/// Entries of a stored fetch that could not be used: how many, and the first one's reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Skips {
    pub count: usize,
    pub first: Option<String>,
    /// Items stored with a field cut to its bound (`parse::limits`).
    pub shortened: usize,
}

/// A span of time that trending, pages and digests look back over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Day,
    Week,
    Month,
}

impl Period {
    pub fn parse(s: &str) -> Option<Period> {
        match s {
            "day" => Some(Period::Day),
            "week" => Some(Period::Week),
            "month" => Some(Period::Month),
            _ => None,
        }
    }

    pub fn since(self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - match self {
            Period::Day => Duration::days(1),
            Period::Week => Duration::days(7),
            Period::Month => Duration::days(30),
        }
    }
}

/// What `svodka retag` matches topics and names on, per stored report.
#[derive(Debug, Clone)]
pub struct RetagRow {
    pub id: i64,
    pub source: String,
    pub title: String,
    pub summary: Option<String>,
    pub content: Option<String>,
    pub text: String,
}

/// An edition waiting to be mailed.
#[derive(Debug, Clone)]
pub struct Unsent {
    pub digest: String,
    pub tick: i64,
    pub attempts: u32,
    pub next_try: Option<i64>,
}
