//! An HTML page where a feed was expected: telling one apart, and the feeds it announces
//! (`<link rel="alternate" type="application/rss+xml" href="…">`, as browsers and readers find
//! them). Pure.

use url::Url;

/// Whether the document is an HTML page: `<!DOCTYPE html>` or `<html` near its start.
pub fn is_html(text: &str) -> bool {
    let head: String = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .take(1024)
        .flat_map(char::to_lowercase)
        .collect();
    head.starts_with("<!doctype html") || head.contains("<html")
}

/// The feeds a page announces in its `<link rel="alternate">` tags, made absolute against
/// `base` (or the page's `<base href>`-less links kept as written when there is none), in
/// page order, each once.
pub fn announced_feeds(text: &str, base: Option<&Url>) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let mut feeds: Vec<String> = Vec::new();
    let mut from = 0;
    while let Some(at) = lower[from..].find("<link") {
        let start = from + at + "<link".len();
        let Some(len) = lower[start..].find('>') else {
            break;
        };
        let tag = &text[start..start + len];
        from = start + len;
        let attr = |name: &str| attribute(tag, name);
        let is_alternate = attr("rel").is_some_and(|r| {
            r.split_ascii_whitespace()
                .any(|w| w.eq_ignore_ascii_case("alternate"))
        });
        let is_feed = attr("type").is_some_and(|t| {
            let t = t.trim().to_ascii_lowercase();
            matches!(
                t.as_str(),
                "application/rss+xml"
                    | "application/atom+xml"
                    | "application/feed+json"
                    | "application/rdf+xml"
            )
        });
        let Some(href) = attr("href").filter(|h| !h.trim().is_empty()) else {
            continue;
        };
        if !(is_alternate && is_feed) {
            continue;
        }
        let href = html_escape::decode_html_entities(href.trim()).into_owned();
        let url = match base {
            Some(b) => match b.join(&href) {
                Ok(u) => u.to_string(),
                Err(_) => continue,
            },
            None => href,
        };
        if !feeds.contains(&url) {
            feeds.push(url);
        }
    }
    feeds
}

/// The value of attribute `name` in the inside of a tag (`rel="alternate" href=/rss`).
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let bytes = tag.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // An attribute name: letters, digits, '-', ':'.
        while i < bytes.len() && !(bytes[i].is_ascii_alphanumeric()) {
            i += 1;
        }
        let name_start = i;
        while i < bytes.len()
            && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'-' || bytes[i] == b':')
        {
            i += 1;
        }
        let this = &tag[name_start..i];
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= bytes.len() || bytes[i] != b'=' {
            continue;
        }
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let value = match bytes.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let end = tag[i + 1..]
                    .find(q as char)
                    .map_or(tag.len(), |e| i + 1 + e);
                let v = &tag[i + 1..end];
                i = end + 1;
                v
            }
            _ => {
                let end = tag[i..]
                    .find(|c: char| c.is_ascii_whitespace() || c == '/')
                    .map_or(tag.len(), |e| i + e);
                let v = &tag[i..end];
                i = end;
                v
            }
        };
        if this.eq_ignore_ascii_case(name) {
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_and_the_feeds_it_announces() {
        let page = r#"<!DOCTYPE html>
<html lang="ru"><head><meta charset="utf-8"><title>Липецкий телеграф</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="Новости" href="/rss.xml">
<LINK REL=alternate TYPE="application/atom+xml" HREF='https://cdn.example/atom?a=1&amp;b=2'>
<link rel="alternate" hreflang="en" href="/en/">
<link rel="alternate" type="application/rss+xml" href="/rss.xml">
</head><body>…</body></html>"#;
        assert!(is_html(page));
        let base = Url::parse("https://lipetsk.example/news/").unwrap();
        assert_eq!(
            announced_feeds(page, Some(&base)),
            [
                "https://lipetsk.example/rss.xml",
                "https://cdn.example/atom?a=1&b=2"
            ]
        );
        assert_eq!(announced_feeds(page, None)[0], "/rss.xml");
        assert!(!is_html("<?xml version=\"1.0\"?><rss><channel/></rss>"));
        assert!(is_html("\u{feff}  <html><body>nginx</body></html>"));
        assert!(announced_feeds("<link rel=alternate type=", None).is_empty());
    }
}
