//! Publishing: which stored items a feed shows (`select`), and rendering them (`rss`, `atom`,
//! `json`).

mod atom;
mod json;
mod opml;
mod rss;
mod select;

pub use self::atom::render_atom;
pub use self::json::render_json;
pub use self::opml::render_opml;
pub use self::rss::render_rss;
pub use select::{Target, View, view};

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

    pub fn render(self, view: &View) -> String {
        match self {
            Format::Rss => render_rss(view),
            Format::Atom => render_atom(view),
            Format::Json => render_json(view),
        }
    }
}
