//! Bounds on an item's fields, applied when it is normalised: one source serving megabyte
//! titles or texts cannot make every page and feed that shows its items megabytes too.
//!
//! Each field has its own cap, so an item is bounded as a whole ([`ITEM_BYTES`]); what was cut
//! keeps a «…» at its end, and the parser counts the items it shortened.

/// A headline longer than any real one (agencies stay under ~300 characters).
pub const TITLE_CHARS: usize = 1_000;
/// An author's name.
pub const AUTHOR_CHARS: usize = 200;
/// Sanitised HTML of the summary and of the full text, each: a long read of ~30,000 Cyrillic
/// characters fits.
pub const HTML_BYTES: usize = 64 * 1024;
/// The plain text kept beside the HTML (for topics, stories and search).
pub const TEXT_BYTES: usize = 64 * 1024;
/// A link or an image URL longer than this is dropped: no real article lives at one.
pub const URL_BYTES: usize = 2_048;
/// A guid longer than this is replaced by a hash of it (it is only ever compared).
pub const GUID_BYTES: usize = 512;
/// Links (`<a>`) kept in an item's summary and full text together; past it, their text stays.
pub const LINKS: usize = 200;
/// Images (`<img>`) kept in an item's summary and full text together; past it, they go.
pub const IMAGES: usize = 50;
/// The most an item's fields can hold together, by the caps above (a title's 1,000 characters
/// are at most 4,000 bytes): what a stored report, a feed entry or a page line costs at most.
pub const ITEM_BYTES: usize =
    4 * TITLE_CHARS + 4 * AUTHOR_CHARS + 2 * HTML_BYTES + TEXT_BYTES + 2 * URL_BYTES + GUID_BYTES;

/// Raw input read before cleaning: markup and entities shrink when a title is cleaned, so a
/// title's raw form may be several times its cap, but never megabytes.
pub const RAW_TITLE_BYTES: usize = 16 * 4 * TITLE_CHARS;

const ELLIPSIS: char = '…';

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub fn prefix(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `s` cut to at most `max` characters, at a word when one ends in the second half, with «…»
/// as its last character; `None` when it fits.
pub fn cut_chars(s: &str, max: usize) -> Option<String> {
    let (end, _) = s.char_indices().nth(max)?;
    // Room for the ellipsis: the cut text has at most `max - 1` characters.
    let keep_end = s[..end]
        .char_indices()
        .nth(max.saturating_sub(1))
        .map_or(end, |(i, _)| i);
    Some(cut_at_word(&s[..keep_end], max / 2))
}

/// `s` cut to at most `max` bytes (the «…» included), at a word when one ends in the second
/// half; `None` when it fits.
pub fn cut_bytes(s: &str, max: usize) -> Option<String> {
    if s.len() <= max {
        return None;
    }
    let head = prefix(s, max.saturating_sub(ELLIPSIS.len_utf8()));
    Some(cut_at_word(head, head.chars().count() / 2))
}

/// `head` ends mid-word: back to the last space if that keeps at least `min_chars`
/// characters, then the ellipsis.
fn cut_at_word(head: &str, min_chars: usize) -> String {
    let at_word = head
        .rfind(char::is_whitespace)
        .filter(|&i| head[..i].chars().count() >= min_chars)
        .map_or(head, |i| &head[..i]);
    let mut out = at_word
        .trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '-'))
        .to_string();
    out.push(ELLIPSIS);
    out
}

/// Sanitised HTML of `raw`, at most [`HTML_BYTES`]: the raw text is cut first (the sanitiser
/// closes whatever the cut left open), and again, shorter, should sanitising have made it grow
/// past the cap (escaped characters, the `rel` added to links). Returns the HTML and whether
/// anything was cut.
pub fn bounded_html(sanitize: impl Fn(&str) -> String, raw: &str) -> (String, bool) {
    let mut keep = raw.len().min(HTML_BYTES);
    for _ in 0..4 {
        let cut = prefix(raw, keep);
        let mut html = sanitize(cut);
        if cut.len() == raw.len() && html.len() <= HTML_BYTES {
            return (html, false);
        }
        if html.len() + ' '.len_utf8() + ELLIPSIS.len_utf8() <= HTML_BYTES {
            // After the last element: text there is valid wherever the cut fell.
            html.push(' ');
            html.push(ELLIPSIS);
            return (html, true);
        }
        // Shrink in proportion to how much sanitising grew it, with a margin.
        keep = (cut.len() as u64 * HTML_BYTES as u64 / html.len() as u64 * 9 / 10) as usize;
    }
    // Markup that keeps growing: its text alone, as a paragraph.
    let text = super::normalize::html_to_text(prefix(raw, HTML_BYTES));
    let text = cut_bytes(&text, HTML_BYTES / 6).unwrap_or(text);
    (format!("<p>{}</p>", html_escape::encode_text(&text)), true)
}

/// How many more links and images an item may keep.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub links: usize,
    pub images: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            links: LINKS,
            images: IMAGES,
        }
    }
}

/// Sanitised HTML with the links past the budget unwrapped (their text stays) and the images
/// past it dropped; `None` when nothing had to go. It reads the sanitiser's own serialisation:
/// text has its `<` escaped, and attribute values are double-quoted, so a `>` inside quotes
/// does not end a tag.
pub fn cap_markup(html: &str, budget: &mut Budget) -> Option<String> {
    let mut out = String::new();
    let mut changed = false;
    // For each open `<a>`: whether it was kept (its `</a>` is kept with it).
    let mut open_links: Vec<bool> = Vec::new();
    let mut copied = 0;
    let mut at = 0;
    while let Some(lt) = html[at..].find('<').map(|i| at + i) {
        let end = tag_end(html, lt);
        let tag = &html[lt + 1..end.saturating_sub(1).max(lt + 1)];
        let closing = tag.starts_with('/');
        let name = tag.trim_start_matches('/');
        let name = &name[..name
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(name.len())];
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        let keep = if is("img") && !closing {
            take(&mut budget.images)
        } else if is("a") && !closing {
            let kept = take(&mut budget.links);
            open_links.push(kept);
            kept
        } else if is("a") {
            open_links.pop().unwrap_or(true)
        } else {
            true
        };
        if !keep {
            out.push_str(&html[copied..lt]);
            copied = end;
            changed = true;
        }
        at = end;
    }
    if !changed {
        return None;
    }
    out.push_str(&html[copied..]);
    Some(out)
}

/// One from the budget, if any is left.
fn take(left: &mut usize) -> bool {
    let some = *left > 0;
    *left = left.saturating_sub(1);
    some
}

/// Where the tag opening at `lt` ends (just past its `>`, outside quoted values), or the end.
fn tag_end(html: &str, lt: usize) -> usize {
    let mut quoted = false;
    for (i, b) in html.as_bytes()[lt..].iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'>' if !quoted => return lt + i + 1,
            _ => {}
        }
    }
    html.len()
}

/// A guid too long to keep, replaced by a stable hash of it; `None` when it fits.
pub fn bounded_guid(guid: &str) -> Option<String> {
    (guid.len() > GUID_BYTES).then(|| format!("hash:{}", crate::dedup::content_hash(guid, guid)))
}

/// `Some(url)` when it fits, `None` when it is too long to be a link.
pub fn bounded_url(url: Option<String>) -> (Option<String>, bool) {
    match url {
        Some(u) if u.len() > URL_BYTES => (None, true),
        u => (u, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_title_is_cut_at_a_word_with_an_ellipsis() {
        let title = "Губернатор Липецкой области провёл совещание ".repeat(100);
        let cut = cut_chars(&title, TITLE_CHARS).unwrap();
        assert!(cut.chars().count() <= TITLE_CHARS);
        assert!(cut.chars().count() > TITLE_CHARS - 50);
        assert!(cut.ends_with("…"), "{cut}");
        // At a word: the text before the ellipsis is whole words of the original.
        let words = cut.trim_end_matches('…');
        assert!(title.starts_with(words));
        assert!(title[words.len()..].starts_with(' '));
        // A title that fits is left alone; one long word is cut inside it.
        assert_eq!(cut_chars("Короткий заголовок", TITLE_CHARS), None);
        let word = "я".repeat(3000);
        let cut = cut_chars(&word, TITLE_CHARS).unwrap();
        assert_eq!(cut.chars().count(), TITLE_CHARS);
        let cut = cut_bytes(&word, 1001).unwrap();
        assert!(cut.len() <= 1001 && cut.ends_with('…'));
    }

    #[test]
    fn html_stays_under_its_cap_and_well_formed() {
        let policy = crate::parse::normalize::sanitizer(None);
        let clean = |s: &str| crate::parse::normalize::sanitize_html(&policy, s);
        let (html, cut) = bounded_html(clean, "<p>Коротко</p>");
        assert_eq!((html.as_str(), cut), ("<p>Коротко</p>", false));
        // A cut inside a tag, and text that grows when escaped: both end under the cap, every
        // element closed.
        let raw = format!(
            "<p><b>{}</b> &amp;&amp;&amp;{}</p>",
            "слово ".repeat(20_000),
            "&".repeat(200_000)
        );
        let (html, cut) = bounded_html(clean, &raw);
        assert!(cut);
        assert!(html.len() <= HTML_BYTES, "{}", html.len());
        assert!(html.starts_with("<p><b>слово"));
        assert!(html.ends_with('…'));
        assert_eq!(html.matches("<b>").count(), html.matches("</b>").count());
        assert_eq!(html.matches("<p>").count(), html.matches("</p>").count());
    }

    #[test]
    fn links_and_images_past_the_budget_go_and_their_text_stays() {
        let mut budget = Budget {
            links: 2,
            images: 1,
        };
        let html = r#"<p><a href="/1" title="a > b">один</a> <img src="/1.jpg"> <a href="/2">два</a> <a href="/3">три</a><img src="/2.jpg"></p>"#;
        let capped = cap_markup(html, &mut budget).unwrap();
        assert_eq!(
            capped,
            r#"<p><a href="/1" title="a > b">один</a> <img src="/1.jpg"> <a href="/2">два</a> три</p>"#
        );
        // The budget is the item's: what the summary used, the full text cannot.
        assert_eq!(
            cap_markup(r#"<a href="/4">четыре</a>"#, &mut budget).unwrap(),
            "четыре"
        );
        assert_eq!(cap_markup("<p>без ссылок</p>", &mut budget), None);
    }

    #[test]
    fn an_item_at_every_cap_stays_under_the_item_bound() {
        let title = cut_chars(&"щ".repeat(5_000), TITLE_CHARS).unwrap();
        let author = cut_chars(&"щ".repeat(5_000), AUTHOR_CHARS).unwrap();
        let total = title.len()
            + author.len()
            + 2 * HTML_BYTES
            + cut_bytes(&"щ".repeat(100_000), TEXT_BYTES).unwrap().len()
            + 2 * URL_BYTES
            + bounded_guid(&"g".repeat(10_000)).unwrap().len();
        assert!(total <= ITEM_BYTES, "{total}");
        const { assert!(ITEM_BYTES < 256 * 1024) };
    }
}
