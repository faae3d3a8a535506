//! One feed-rs entry to an `Item`: link, guid, title, texts and image normalized, and every
//! field bounded to its limit before anything else reads it.

use chrono::{DateTime, Utc};
use feed_rs::model::Entry;
use url::Url;

use crate::model::Item;
use crate::parse::limits;
use crate::parse::normalize::{
    canonical_link, clean_title, html_to_text, sanitize_html, settle_date,
};

/// The item, and whether any field was cut to its size limit; an entry with neither title nor
/// text is refused with the reason.
pub(super) fn to_item(
    entry: Entry,
    full_text: Option<String>,
    base: Option<&Url>,
    html: &ammonia::Builder,
    now: DateTime<Utc>,
) -> Result<(Item, bool), String> {
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
        .and_then(|c| {
            let body = c.body.as_ref()?;
            // feed-rs writes Atom XHTML back out with `<br></br>`, which an HTML reader takes
            // for two line breaks.
            Some(if c.content_type.subty().as_str().starts_with("xhtml") {
                body.replace("</br>", "")
            } else {
                body.clone()
            })
        })
        .filter(|c| !c.trim().is_empty())
        .or(full_text)
        .unwrap_or_default();
    let content_raw = content_raw.as_str();
    // Every field is bounded here, before anything else reads it (see `limits`).
    let mut shortened = false;
    let clean = |raw: &str| sanitize_html(html, raw);
    let (summary, cut) = limits::bounded_html(clean, summary_raw);
    shortened |= cut;
    let (content, cut) = limits::bounded_html(clean, content_raw);
    shortened |= cut;
    let mut budget = limits::Budget::default();
    let [summary, content] = [summary, content].map(|h| {
        let capped = limits::cap_markup(&h, &mut budget);
        shortened |= capped.is_some();
        Some(capped.unwrap_or(h)).filter(|s| !s.is_empty())
    });
    let text = html_to_text(limits::prefix(
        if content_raw.trim().is_empty() {
            summary_raw
        } else {
            content_raw
        },
        limits::HTML_BYTES,
    ));
    let text = match limits::cut_bytes(&text, limits::TEXT_BYTES) {
        Some(cut) => {
            shortened = true;
            cut
        }
        None => text,
    };
    let mut title = entry
        .title
        .as_ref()
        .map(|t| {
            let raw = limits::prefix(&t.content, limits::RAW_TITLE_BYTES);
            let title = clean_title(raw);
            match limits::cut_chars(&title, limits::TITLE_CHARS) {
                Some(cut) => {
                    shortened = true;
                    cut
                }
                // A title cut raw is cut however it cleaned up.
                None if raw.len() < t.content.len() => {
                    shortened = true;
                    title
                }
                None => title,
            }
        })
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
        .map(|a| clean_title(limits::prefix(a, limits::RAW_TITLE_BYTES)))
        .filter(|a| !a.is_empty())
        .map(|a| match limits::cut_chars(&a, limits::AUTHOR_CHARS) {
            Some(cut) => {
                shortened = true;
                cut
            }
            None => a,
        });
    let (link, cut) = limits::bounded_url(link);
    shortened |= cut;
    let (image, cut) = limits::bounded_url(image);
    shortened |= cut;
    let guid = match guid.as_deref().and_then(limits::bounded_guid) {
        Some(hashed) => {
            shortened = true;
            Some(hashed)
        }
        None => guid,
    };
    let item = Item {
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
        link_shared: false,
    };
    Ok((item, shortened))
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
