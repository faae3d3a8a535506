//! Namespaces normalised, for a document whose items the first reading did not see.
//!
//! feed-rs reads RSS elements only outside any namespace, so a default namespace on `<rss>`
//! hides every item: the Yandex.News export of many regional CMSs declares the old UserLand one
//! (`xmlns="http://backend.userland.com/rss2"`), others the Harvard copy of the spec. Atom 0.3
//! namespaces are renamed wherever they are declared, not only on the root.

use std::borrow::Cow;

use super::{atom03, recover};

/// Default namespaces that make RSS unreadable are dropped from `rss`, `channel` and `item`;
/// RSS 1.0's and Atom's are kept (they are what those formats are read by). Atom 0.3 is upgraded
/// wherever its namespace appears. Borrowed when nothing changed.
pub fn normalize(xml: &str) -> Cow<'_, str> {
    let upgraded = atom03::upgrade_anywhere(xml);
    match drop_default(&upgraded) {
        Cow::Owned(s) => Cow::Owned(s),
        Cow::Borrowed(_) => upgraded,
    }
}

const KEEP: [&str; 2] = ["http://purl.org/rss/1.0/", "http://www.w3.org/2005/Atom"];

fn drop_default(xml: &str) -> Cow<'_, str> {
    let mut out: Option<String> = None;
    let mut copied = 0;
    for tag in recover::tags(xml) {
        let name = &xml[tag.name.clone()];
        if tag.closing || !matches!(name, "rss" | "channel" | "item") {
            continue;
        }
        let attrs = &xml[tag.name.end..tag.end];
        let Some(a) = attributes(attrs)
            .into_iter()
            .find(|a| a.name == "xmlns" && !KEEP.contains(&a.value))
        else {
            continue;
        };
        let o = out.get_or_insert_with(|| String::with_capacity(xml.len()));
        let at = tag.name.end;
        o.push_str(&xml[copied..at + a.span.start]);
        copied = at + a.span.end;
    }
    match out {
        None => Cow::Borrowed(xml),
        Some(mut o) => {
            o.push_str(&xml[copied..]);
            Cow::Owned(o)
        }
    }
}

/// One `name="value"` of a tag, with the span (in the attribute text) of the whole attribute
/// and the whitespace before it.
#[derive(Debug, PartialEq)]
pub(super) struct Attr<'a> {
    pub name: &'a str,
    pub value: &'a str,
    pub span: std::ops::Range<usize>,
}

/// The attributes of a tag, read from the text between its name and its `>`, in either quote
/// style; reading stops at the first thing that is not an attribute.
pub(super) fn attributes(text: &str) -> Vec<Attr<'_>> {
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        let rest = &text[at..];
        let trimmed = rest.trim_start();
        let name_at = at + rest.len() - trimmed.len();
        let Some(eq) = trimmed.find('=') else {
            return out;
        };
        let name = trimmed[..eq].trim();
        if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == '/') {
            return out;
        }
        let after = &trimmed[eq + 1..];
        let value_rest = after.trim_start();
        let Some(quote) = value_rest
            .chars()
            .next()
            .filter(|c| *c == '"' || *c == '\'')
        else {
            return out;
        };
        let Some(close) = value_rest[1..].find(quote) else {
            return out;
        };
        let value_at = name_at + eq + 1 + (after.len() - value_rest.len()) + 1;
        let end = value_at + close + 1;
        out.push(Attr {
            name,
            value: &text[value_at..value_at + close],
            span: at..end,
        });
        at = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_in_a_default_namespace_is_read_without_it() {
        let xml = "<rss version=\"2.0\" xmlns=\"http://backend.userland.com/rss2\" xmlns:yandex=\"http://news.yandex.ru\"><channel><title>Лента</title>\
            <item><title>Первая</title><yandex:genre>message</yandex:genre></item></channel></rss>";
        assert!(
            feed_rs::parser::parse(xml.as_bytes())
                .unwrap()
                .entries
                .is_empty()
        );
        let n = normalize(xml);
        assert_eq!(
            n,
            "<rss version=\"2.0\" xmlns:yandex=\"http://news.yandex.ru\"><channel><title>Лента</title>\
            <item><title>Первая</title><yandex:genre>message</yandex:genre></item></channel></rss>"
        );
        let f = feed_rs::parser::parse(n.as_bytes()).unwrap();
        assert_eq!(f.entries[0].title.as_ref().unwrap().content, "Первая");
    }

    #[test]
    fn single_quotes_and_items_that_declare_it_again() {
        let xml = "<rss xmlns='https://cyber.harvard.edu/rss/rss.html' version='2.0'><channel xmlns=\"https://cyber.harvard.edu/rss/rss.html\">\
            <item xmlns = 'https://cyber.harvard.edu/rss/rss.html'><title>Т</title></item></channel></rss>";
        assert_eq!(
            normalize(xml),
            "<rss version='2.0'><channel><item><title>Т</title></item></channel></rss>"
        );
    }

    #[test]
    fn rss_1_0_and_atom_keep_theirs() {
        for xml in [
            "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\"><channel/><item xmlns=\"http://purl.org/rss/1.0/\"/></rdf:RDF>",
            "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry/></feed>",
        ] {
            assert!(matches!(normalize(xml), Cow::Borrowed(_)), "{xml}");
        }
    }

    #[test]
    fn attributes_in_both_quote_styles() {
        let a = attributes(" a=\"1\" b = '2>' c/");
        assert_eq!(a.len(), 2);
        assert_eq!((a[0].name, a[0].value), ("a", "1"));
        assert_eq!((a[1].name, a[1].value), ("b", "2>"));
        assert_eq!(&" a=\"1\" b = '2>' c/"[a[1].span.clone()], " b = '2>'");
        assert!(attributes(" broken=\"x").is_empty());
    }
}
