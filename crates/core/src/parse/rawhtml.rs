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
const CLOSES: [&str; 4] = [
    "</description>",
    "</content:encoded>",
    "</yandex:full-text>",
    "</turbo:content>",
];

/// Where an item ends: an element left open runs to here at most (the current item's end tag, or
/// the next one's start; `<item` also stops a channel's description before RSS 1.0's `<items>`).
const ITEM_BOUNDS: [&str; 4] = ["</item>", "</entry>", "<item", "<entry"];

/// The next place a fixed needle occurs at or after a position, memoized, so that asking again
/// from a later position before that place costs nothing. Asked from ever later positions (as
/// one forward scan does), each needle's searches cover the document once in all: linear.
struct Next {
    needle: &'static str,
    /// The last answer, and the position it was asked from; `None` means "nowhere after".
    known: Option<(usize, Option<usize>)>,
}

impl Next {
    fn new(needle: &'static str) -> Next {
        Next {
            needle,
            known: None,
        }
    }

    fn from(&mut self, xml: &str, at: usize) -> Option<usize> {
        if let Some((asked, found)) = self.known
            && asked <= at
            && found.is_none_or(|f| f >= at)
        {
            return found;
        }
        let found = xml
            .get(at..)
            .and_then(|rest| rest.find(self.needle))
            .map(|p| at + p);
        self.known = Some((at, found));
        found
    }
}

/// Wraps the content of HTML-carrying elements in CDATA when it holds raw markup, and closes
/// one left open before its item ends (`<description>Текст</item>`, which an old CMS writes).
/// Returns the input borrowed when nothing needed doing.
pub fn wrap(xml: &str) -> Cow<'_, str> {
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    let mut closes = CLOSES.map(Next::new);
    let mut bounds = ITEM_BOUNDS.map(Next::new);
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
        let Some(gt) = xml[lt..].find('>').map(|g| lt + g) else {
            break;
        };
        if xml[..gt].ends_with('/') {
            i = gt + 1;
            continue;
        }
        let inner_start = gt + 1;
        let close = closes[which].from(xml, inner_start);
        let bound = bounds
            .iter_mut()
            .filter_map(|b| b.from(xml, inner_start))
            .min();
        // A bound inside CDATA is text (an HTML page quoted whole), not the item's end.
        let in_cdata = |b: usize| xml[inner_start..b].contains("<![CDATA[");
        let (inner_end, closed) = match (close, bound) {
            (Some(c), Some(b)) if b < c && !in_cdata(b) => (b, false),
            (Some(c), _) => (c, true),
            (None, Some(b)) if !in_cdata(b) => (b, false),
            // Open to the end of the document: a cut-off feed, for close_truncated.
            (None, _) => {
                i = inner_start;
                continue;
            }
        };
        let inner = &xml[inner_start..inner_end];
        // Only raw markup needs CDATA; content that is already CDATA (or mixes it) stays as is.
        let markup = inner.contains('<') && !inner.contains("<![CDATA[");
        if markup || !closed {
            let o = out.get_or_insert_with(|| String::with_capacity(xml.len() + 256));
            o.push_str(&xml[copied..inner_start]);
            if markup {
                o.push_str("<![CDATA[");
                // Inside CDATA the parser no longer resolves references; the HTML reader later
                // will, so `&amp;` stays meaningful. Only a literal `]]>` must be split.
                o.push_str(&inner.replace("]]>", "]]]]><![CDATA[>"));
                o.push_str("]]>");
            } else {
                o.push_str(inner);
            }
            if !closed {
                o.push_str(CLOSES[which]);
            }
            copied = inner_end;
        }
        i = if closed {
            inner_end + CLOSES[which].len()
        } else {
            inner_end
        };
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
    fn a_description_left_open_ends_with_its_item() {
        let xml = "<rss version=\"0.91\"><channel><title>t</title>\
            <item><title>Мост</title><description>Движение открыто. <b>Подрядчик</b> уложился в срок.\n</item>\
            <item><title>Рыба</title><description>Изъято 200 кг.</description></item></channel></rss>";
        let f = feed_rs::parser::parse(wrap(xml).as_bytes()).unwrap();
        assert_eq!(f.entries.len(), 2);
        let s = f.entries[0].summary.as_ref().unwrap().content.as_str();
        assert!(s.contains("<b>Подрядчик</b> уложился"), "{s}");
        assert_eq!(
            f.entries[1].summary.as_ref().unwrap().content,
            "Изъято 200 кг."
        );
        // Plain text left open is closed too, and a quoted `<item>` inside CDATA is text.
        let plain = "<item><description>Без тега\n</item><item><description><![CDATA[<item>]]></description></item>";
        assert_eq!(
            wrap(plain),
            "<item><description>Без тега\n</description></item><item><description><![CDATA[<item>]]></description></item>"
        );
    }

    #[test]
    fn many_unclosed_elements_stay_linear() {
        // Quadratic scanning would take minutes here; linear takes milliseconds.
        let xml = "<item><description>x<b>y".repeat(200_000);
        let _ = wrap(&xml);
        let xml = "<item><description>x<b>y</item>".repeat(200_000) + "</description>";
        let _ = wrap(&xml);
        let xml = "<description>x<b>y".repeat(200_000) + "</item>";
        let _ = wrap(&xml);
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
