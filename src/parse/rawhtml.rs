//! Raw (unescaped) HTML inside RSS text elements, wrapped in CDATA.
//!
//! Many regional feeds put markup straight into `<description>`: `<description>Первая<br/>
//! вторая <b>строка</b></description>`. That is well-formed XML once `recover::clean` has closed
//! the void tags, but feed-rs keeps only the first text node of such an element, so the reader
//! would see «Первая». Wrapping the element's content in CDATA hands feed-rs the HTML as one
//! text. Written by hand: no XML crate rewrites a subtree to CDATA, and a whole DOM round trip
//! would cost far more than this single scan.

use std::borrow::Cow;

/// The RSS elements whose content is HTML text.
const HTML_ELEMENTS: [&str; 4] = [
    "description",
    "content:encoded",
    "yandex:full-text",
    "turbo:content",
];

/// Wraps the content of HTML-carrying elements in CDATA when it holds raw markup. Returns the
/// input borrowed when nothing needed wrapping.
pub fn wrap(xml: &str) -> Cow<'_, str> {
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    // An element whose closing tag is missing after one opening is missing after every later
    // one too: remembering that keeps a document of unclosed elements linear, not quadratic.
    let mut unclosed = [false; HTML_ELEMENTS.len()];
    while let Some(off) = xml[i..].find('<') {
        let lt = i + off;
        let rest = &xml[lt..];
        // CDATA sections and comments are opaque.
        if rest.starts_with("<![CDATA[") {
            i = xml[lt..].find("]]>").map_or(xml.len(), |e| lt + e + 3);
            continue;
        }
        if rest.starts_with("<!--") {
            i = xml[lt..].find("-->").map_or(xml.len(), |e| lt + e + 3);
            continue;
        }
        let Some(which) = HTML_ELEMENTS.iter().position(|n| opens(rest, n)) else {
            i = lt + 1;
            continue;
        };
        let name = HTML_ELEMENTS[which];
        if unclosed[which] {
            i = lt + 1;
            continue;
        }
        let Some(gt) = xml[lt..].find('>').map(|g| lt + g) else {
            break;
        };
        if xml[..gt].ends_with('/') {
            i = gt + 1;
            continue;
        }
        let inner_start = gt + 1;
        let close = format!("</{name}>");
        let Some(inner_end) = xml[inner_start..].find(&close).map(|e| inner_start + e) else {
            unclosed[which] = true;
            i = inner_start;
            continue;
        };
        let inner = &xml[inner_start..inner_end];
        // Only raw markup needs it; content that is already CDATA (or mixes it) stays as is.
        if inner.contains('<') && !inner.contains("<![CDATA[") {
            let o = out.get_or_insert_with(|| String::with_capacity(xml.len() + 256));
            o.push_str(&xml[copied..inner_start]);
            o.push_str("<![CDATA[");
            // Inside CDATA the parser no longer resolves references; the HTML reader later will,
            // so `&amp;` stays meaningful. Only a literal `]]>` must be split.
            o.push_str(&inner.replace("]]>", "]]]]><![CDATA[>"));
            o.push_str("]]>");
            copied = inner_end;
        }
        i = inner_end + close.len();
    }
    match out {
        None => Cow::Borrowed(xml),
        Some(mut o) => {
            o.push_str(&xml[copied..]);
            Cow::Owned(o)
        }
    }
}

fn opens(rest: &str, name: &str) -> bool {
    rest.len() > name.len() + 1
        && rest[1..].starts_with(name)
        && matches!(
            rest.as_bytes()[name.len() + 1],
            b'>' | b' ' | b'\t' | b'\n' | b'\r' | b'/'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(xml: &str) -> String {
        let f = feed_rs::parser::parse(xml.as_bytes()).unwrap();
        f.entries[0].summary.as_ref().unwrap().content.clone()
    }

    const RAW: &str = "<rss version=\"2.0\"><channel><title>t</title><item><title>Снег</title>\
        <description>Первая строка<br/>вторая <b>жирная</b> &amp; «третья»</description></item></channel></rss>";

    #[test]
    fn raw_markup_reaches_the_reader_whole() {
        assert_eq!(
            summary(RAW),
            "Первая строка",
            "feed-rs alone cuts it (the reason for this pass)"
        );
        let wrapped = wrap(RAW);
        let s = summary(&wrapped);
        assert!(s.contains("вторая <b>жирная</b>"), "{s}");
        assert!(s.contains("&amp; «третья»"), "{s}");
    }

    #[test]
    fn escaped_or_cdata_content_is_left_alone() {
        for xml in [
            "<rss><channel><item><description>Текст &lt;b&gt;жирный&lt;/b&gt;</description></item></channel></rss>",
            "<rss><channel><item><description><![CDATA[<p>Текст</p>]]></description></item></channel></rss>",
            "<rss><channel><item><description/><!-- <description><b>x</b></description> --></item></channel></rss>",
        ] {
            assert!(matches!(wrap(xml), Cow::Borrowed(_)), "{xml}");
        }
    }

    #[test]
    fn content_encoded_and_a_literal_cdata_end() {
        let xml = "<item><content:encoded><p>a ]]> b</p></content:encoded><descriptionx><b>x</b></descriptionx></item>";
        assert_eq!(
            wrap(xml),
            "<item><content:encoded><![CDATA[<p>a ]]]]><![CDATA[> b</p>]]></content:encoded><descriptionx><b>x</b></descriptionx></item>"
        );
    }

    #[test]
    fn many_unclosed_elements_stay_linear() {
        // Quadratic scanning would take minutes here; linear takes milliseconds.
        let xml = "<item><description>x<b>y".repeat(200_000);
        assert!(matches!(wrap(&xml), Cow::Borrowed(_)));
    }

    #[test]
    fn truncated_input_does_not_panic() {
        for xml in [
            "<description",
            "<description>",
            "<description><b>",
            "<description/",
            "<![CDATA[",
            "<!--",
        ] {
            let _ = wrap(xml);
        }
    }
}
