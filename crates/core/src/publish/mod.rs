//! Publishing: which entries a feed shows, asked of an `Archive` (`select`), and rendering
//! plain `Entry` values as RSS 2.0, Atom 1.0, JSON Feed 1.1 and OPML.

mod atom;
mod json;
mod opml;
mod rss;
mod select;

pub use self::atom::render_atom;
pub use self::json::render_json;
pub use self::opml::render_opml;
pub use self::rss::render_rss;
pub use select::{SEARCH_FEED_ITEMS, Target, View, feed_sources, search_view, view};

use crate::model::Entry;

/// The HTML a reader sees for an entry: its summary (or, with `full_first`, its full text),
/// then a line linking the other agencies' reports of the same story, each with its own
/// headline, and the story's page.
pub(crate) fn body_html(view: &View, it: &Entry, full_first: bool) -> String {
    let (first, second) = if full_first {
        (&it.content, &it.summary)
    } else {
        (&it.summary, &it.content)
    };
    let mut body = first.clone().or_else(|| second.clone()).unwrap_or_default();
    if !it.others.is_empty() {
        let reports: Vec<String> = it
            .others
            .iter()
            .map(|o| {
                let text = format!("{} — {}", agency(view, &o.source), o.title);
                let text = html_escape::encode_text(&text);
                match &o.link {
                    Some(l) => format!(
                        "<a href=\"{}\">{text}</a>",
                        html_escape::encode_double_quoted_attribute(l)
                    ),
                    None => text.into_owned(),
                }
            })
            .collect();
        body.push_str(&format!(
            "<p><em>Также сообщили:</em> {}</p>",
            reports.join("; ")
        ));
    }
    body
}

/// An agency's title, or its name when the config no longer has it.
pub(crate) fn agency<'a>(view: &'a View, source: &'a str) -> &'a str {
    view.sources.get(source).map_or(source, |(t, _)| t.as_str())
}

/// Removes the characters XML 1.0 forbids (C0 controls other than tab, CR, LF; U+FFFE/FFFF).
/// Feeds deliver them, sanitising keeps them, and one of them makes a reader reject the
/// whole feed, so they never reach the output.
pub fn xml_safe(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}');
    if s.chars().any(bad) {
        std::borrow::Cow::Owned(s.chars().filter(|c| !bad(*c)).collect())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// The output formats, by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    pub fn from_ext(ext: &str) -> Option<Format> {
        match ext {
            "rss" => Some(Format::Rss),
            "atom" => Some(Format::Atom),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    pub fn ext(self) -> &'static str {
        match self {
            Format::Rss => "rss",
            Format::Atom => "atom",
            Format::Json => "json",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }

    /// The feed in this format; `hub` is the WebSub hub every format announces.
    pub fn render(self, view: &View, hub: Option<&str>) -> String {
        match self {
            Format::Rss => render_rss(view, hub),
            Format::Atom => render_atom(view, hub),
            Format::Json => render_json(view, hub),
        }
    }
}

#[cfg(test)]
mod tests;
