//! Publishing: which stored items a feed shows (`select`), and rendering them (`rss`).

mod rss;
mod select;

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
