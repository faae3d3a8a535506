//! One feed document to normalized items: decode, recover broken XML, feed-rs, normalize.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use feed_rs::model::{Entry, FeedType};
use url::Url;

use super::decode::{self, DecodedBy};
use super::normalize::{
    canonical_link, clean_title, html_to_text, parse_date, sanitize_html, sanitizer, settle_date,
};
use super::recover;
use crate::model::{Item, ParsedFeed};

/// What `parse_feed` saw, besides the items: for `svodka inspect` and logs.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub encoding: &'static str,
    pub decoded_by: DecodedBy,
    /// Notes on what had to be repaired ("document was cut off …").
    pub repairs: Vec<String>,
    pub feed: ParsedFeed,
}

#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("empty document")]
    Empty,
    #[error("not a feed (decoded as {encoding}): {reason}")]
    NotAFeed {
        encoding: &'static str,
        reason: String,
    },
}

/// Parses feed bytes. `http_charset` is the Content-Type charset, `encoding` a per-source
/// override, `base` the URL the feed was fetched from (relative links resolve against it),
/// `now` the time first seen.
pub fn parse_feed(
    bytes: &[u8],
    http_charset: Option<&str>,
    encoding: Option<&str>,
    base: Option<&Url>,
    now: DateTime<Utc>,
) -> Result<Parsed, ParseError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ParseError::Empty);
    }
    let decoded = decode::decode(bytes, http_charset, encoding);
    let enc_name = decoded.encoding.name();
    let mut repairs = Vec::new();
    // JSON Feed is not XML: the XML repairs would mangle it.
    let is_json = decoded.text.trim_start().starts_with('{');
    let cleaned = if is_json {
        std::borrow::Cow::Borrowed(decoded.text.as_str())
    } else {
        recover::clean(&decoded.text)
    };
    if matches!(cleaned, std::borrow::Cow::Owned(_)) {
        repairs.push("repaired malformed XML (entities, bare &, unclosed tags or junk)".into());
    }
    let mut full_texts = if is_json {
        HashMap::new()
    } else {
        full_texts(&cleaned)
    };
    let feed = match parser(base).parse(cleaned.as_bytes()) {
        Ok(f) => f,
        Err(first) => {
            let closed = if is_json {
                None
            } else {
                recover::close_truncated(&cleaned)
            };
            let Some(closed) = closed else {
                return Err(ParseError::NotAFeed {
                    encoding: enc_name,
                    reason: first.to_string(),
                });
            };
            let f = parser(base)
                .parse(closed.as_bytes())
                .map_err(|_| ParseError::NotAFeed {
                    encoding: enc_name,
                    reason: first.to_string(),
                })?;
            repairs.push(format!(
                "document was cut off ({first}); kept the {} complete items",
                f.entries.len()
            ));
            full_texts = full_texts_of(&closed);
            f
        }
    };

    let format = match feed.feed_type {
        FeedType::Atom => "Atom",
        FeedType::JSON => "JSON Feed",
        FeedType::RSS0 => "RSS 0.9x",
        FeedType::RSS1 => "RSS 1.0",
        FeedType::RSS2 => "RSS 2.0",
    };
    // Relative links in items resolve against the site's own link when the feed names one
    // (a feed may be served from a mirror or a CDN), else against where the feed came from.
    let site = feed
        .links
        .iter()
        .filter(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .find_map(|l| match base {
            Some(b) => b.join(&l.href).ok(),
            None => Url::parse(&l.href).ok(),
        })
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    let base_for_items = site.or_else(|| base.cloned());
    let mut items = Vec::new();
    let mut skipped = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let html = sanitizer(base_for_items.as_ref());
    for entry in feed.entries {
        let full = full_text_for(&entry, &full_texts);
        match to_item(entry, full, base_for_items.as_ref(), &html, now) {
            Ok(item) => {
                // A feed that lists an item twice yields it once.
                if seen.insert(item.source_key()) {
                    items.push(item);
                }
            }
            Err(reason) => skipped.push(reason),
        }
    }
    Ok(Parsed {
        encoding: enc_name,
        decoded_by: decoded.by,
        repairs,
        feed: ParsedFeed {
            format: format.to_string(),
            title: feed.title.map(|t| clean_title(&t.content)),
            items,
            skipped,
        },
    })
}

fn parser(base: Option<&Url>) -> feed_rs::parser::Parser {
    feed_rs::parser::Builder::new()
        .base_uri(base.map(Url::as_str))
        // An empty id means "the feed gave none"; Item::source_key builds a stable one.
        .id_generator(|_, _, _| String::new())
        .sanitize_content(false)
        .timestamp_parser(parse_date)
        .build()
}

fn to_item(
    entry: Entry,
    full_text: Option<String>,
    base: Option<&Url>,
    html: &ammonia::Builder,
    now: DateTime<Utc>,
) -> Result<Item, String> {
    let link = entry
        .links
        .iter()
        .filter(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .chain(entry.links.iter())
        .find_map(|l| canonical_link(&l.href, base));
    let guid = Some(entry.id.trim().to_string()).filter(|g| !g.is_empty());
    let summary_raw = entry
        .summary
        .as_ref()
        .map(|t| t.content.as_str())
        .unwrap_or("");
    let content_raw = entry
        .content
        .as_ref()
        .and_then(|c| c.body.clone())
        .filter(|c| !c.trim().is_empty())
        .or(full_text)
        .unwrap_or_default();
    let content_raw = content_raw.as_str();
    let summary = Some(sanitize_html(html, summary_raw)).filter(|s| !s.is_empty());
    let content = Some(sanitize_html(html, content_raw)).filter(|s| !s.is_empty());
    let text = html_to_text(if content_raw.trim().is_empty() {
        summary_raw
    } else {
        content_raw
    });
    let mut title = entry
        .title
        .as_ref()
        .map(|t| clean_title(&t.content))
        .unwrap_or_default();
    if title.is_empty() {
        // RSS allows an item with only a description; a reader still needs a headline.
        title = text.chars().take(90).collect::<String>();
        if title.is_empty() {
            return Err(format!(
                "entry {} has neither title nor text",
                guid.as_deref().or(link.as_deref()).unwrap_or("without id")
            ));
        }
    }
    let (published, date_from_first_seen) = settle_date(entry.published.or(entry.updated), now);
    let image = entry
        .media
        .iter()
        .flat_map(|m| {
            m.content
                .iter()
                .filter(|c| is_image(c))
                .filter_map(|c| c.url.as_ref().map(|u| u.as_str()))
                .chain(m.thumbnails.iter().map(|t| t.image.uri.as_str()))
        })
        .find_map(|u| canonical_link(u, base));
    let author = entry
        .authors
        .first()
        .and_then(|p| p.name.as_deref())
        .map(clean_title)
        .filter(|a| !a.is_empty());
    Ok(Item {
        guid,
        link,
        title,
        summary,
        content,
        text,
        author,
        image,
        published,
        date_from_first_seen,
    })
}

/// Full texts that feed-rs drops: Yandex.News `yandex:full-text` and Yandex Turbo
/// `turbo:content`, read with the `rss` crate (which keeps unknown elements as extensions),
/// keyed by guid and by link. Only RSS 2.0 carries them; anything else yields nothing.
fn full_texts(xml: &str) -> HashMap<String, String> {
    if !xml.contains("yandex:full-text") && !xml.contains("turbo:content") {
        return HashMap::new();
    }
    full_texts_of(xml)
}

fn full_texts_of(xml: &str) -> HashMap<String, String> {
    let Ok(channel) = rss::Channel::read_from(xml.as_bytes()) else {
        return HashMap::new();
    };
    let mut out = HashMap::new();
    for item in channel.items() {
        let ext = item.extensions();
        let text = ext
            .get("yandex")
            .and_then(|m| m.get("full-text"))
            .or_else(|| ext.get("turbo").and_then(|m| m.get("content")))
            .and_then(|v| v.first())
            .and_then(|e| e.value())
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let Some(text) = text else { continue };
        let html = if text.contains('<') {
            text.to_string()
        } else {
            // Yandex full text is plain text with line breaks: paragraphs for readers.
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| format!("<p>{}</p>", html_escape::encode_text(l)))
                .collect()
        };
        for key in [item.guid().map(|g| g.value()), item.link()]
            .into_iter()
            .flatten()
        {
            out.insert(key.trim().to_string(), html.clone());
        }
    }
    out
}

fn full_text_for(entry: &Entry, texts: &HashMap<String, String>) -> Option<String> {
    if texts.is_empty() {
        return None;
    }
    std::iter::once(entry.id.as_str())
        .chain(entry.links.iter().map(|l| l.href.as_str()))
        .find_map(|k| texts.get(k.trim()).cloned())
}

/// An enclosure or `media:content` that is a picture: by its declared type, else by the
/// extension of its URL (agencies often leave the type out).
fn is_image(c: &feed_rs::model::MediaContent) -> bool {
    if let Some(t) = &c.content_type {
        return t.to_string().starts_with("image/");
    }
    c.url.as_ref().is_some_and(|u| {
        let path = u.path().to_ascii_lowercase();
        [".jpg", ".jpeg", ".png", ".gif", ".webp"]
            .iter()
            .any(|e| path.ends_with(e))
    })
}
