//! One feed document to normalized items: decode, recover broken XML, feed-rs, normalize.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use feed_rs::model::{Entry, FeedType};
use url::Url;

use super::decode::{self, DecodedBy};
use super::normalize::{clean_title, parse_date, sanitizer};
use super::{limits, recover};
use crate::model::{Item, ParsedFeed};

mod item;

use item::to_item;

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
    /// A web page where a feed was expected, with the feeds it announces: the URL a person
    /// most often means.
    #[error("an HTML page, not a feed{}", announced(.feeds))]
    HtmlPage { feeds: Vec<String> },
}

fn announced(feeds: &[String]) -> String {
    match feeds {
        [] => "; the page announces no feed (look for an RSS link on the site)".into(),
        [one] => format!("; the page announces a feed: {one} (use it as the url)"),
        many => format!(
            "; the page announces feeds: {} (use one as the url)",
            many.join(", ")
        ),
    }
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
    let text = if is_json {
        Cow::Borrowed(decoded.text.as_str())
    } else {
        let cleaned = recover::clean(&decoded.text);
        if matches!(cleaned, Cow::Owned(_)) {
            repairs.push("repaired malformed XML (entities, bare &, unclosed tags or junk)".into());
        }
        let text = then(cleaned, super::rawhtml::wrap);
        let text = then(text, super::atom03::upgrade);
        // The text is UTF-8 now, which XML assumes without a declaration. Dropping the
        // declaration also keeps a damaged one from reaching quick-xml, which panics when it is
        // asked to switch encodings late (found by the proptest below).
        then(text, |t| {
            without_declaration(t).map_or(Cow::Borrowed(t), |rest| Cow::Owned(rest.to_string()))
        })
    };
    let text = text.as_ref();
    // What the document visibly holds: every one of these must be read or accounted for.
    let visible = if is_json {
        0
    } else {
        super::lenient::count_entries(text)
    };
    let mut reading = read_whole(base, text, is_json);
    let mut unread: Vec<String> = Vec::new();
    if visible > reading.as_ref().map_or(0, |r| r.feed.entries.len()) {
        // Fewer items than the document shows: namespaces normalised first (the feed stays
        // whole), then item by item.
        let normal = super::namespaces::normalize(text);
        if let Cow::Owned(n) = &normal
            && let Ok(r) = read_whole(base, n, false)
            && r.feed.entries.len() > reading.as_ref().map_or(0, |r| r.feed.entries.len())
        {
            repairs.push("read after normalising namespaces (a default namespace on <rss>, or Atom 0.3 declared on entries)".into());
            reading = Ok(r);
        }
        let read = reading.as_ref().map_or(0, |r| r.feed.entries.len());
        if visible > read
            && let Some((lenient, reasons)) = read_by_item(base, &normal, reading.as_ref().err())
        {
            let got = lenient.feed.entries.len();
            if got > read || reading.is_err() {
                repairs.push(format!("read item by item: {got} of {visible} items"));
                reading = Ok(lenient);
            }
            if got >= read {
                // Its reasons name each item it could not read (a cut-off one, say).
                unread = reasons;
            }
        }
    }
    let reading = match reading {
        Ok(r) => r,
        Err(_) if !is_json && super::html_page::is_html(&decoded.text) => {
            return Err(ParseError::HtmlPage {
                feeds: super::html_page::announced_feeds(&decoded.text, base),
            });
        }
        Err(reason) => {
            return Err(ParseError::NotAFeed {
                encoding: enc_name,
                reason,
            });
        }
    };
    if let Some(note) = &reading.note {
        repairs.push(note.clone());
    }
    let (feed, full_texts) = (reading.feed, reading.full_texts);
    let read = feed.entries.len() + unread.len();
    if visible > read {
        // Items the parser passed over without an error of its own.
        unread.extend(
            (0..visible - read).map(|_| "the XML parser did not see this item".to_string()),
        );
    }
    let found = visible.max(feed.entries.len());

    let format = match feed.feed_type {
        FeedType::Atom => "Atom",
        FeedType::JSON => "JSON Feed",
        FeedType::RSS0 => "RSS 0.9x",
        FeedType::RSS1 => "RSS 1.0",
        FeedType::RSS2 => "RSS 2.0",
    };
    // Relative links resolve against where the feed came from (feed-rs does the same for the
    // links it resolves itself); a feed read from a file falls back to the site it names.
    let site = feed
        .links
        .iter()
        .filter(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .find_map(|l| Url::parse(&l.href).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    let base_for_items = base.cloned().or(site);
    let mut converted = Vec::new();
    let mut skipped = unread;
    let mut shortened = 0;
    let html = sanitizer(base_for_items.as_ref());
    for entry in feed.entries {
        let full = full_text_for(&entry, &full_texts);
        match to_item(entry, full, base_for_items.as_ref(), &html, now) {
            Ok((item, cut)) => {
                shortened += usize::from(cut);
                converted.push(item);
            }
            Err(reason) => skipped.push(reason),
        }
    }
    mark_shared_links(&mut converted);
    let mut items = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for item in converted {
        // A feed that lists an item twice yields it once.
        if seen.insert(item.source_key()) {
            items.push(item);
        }
    }
    Ok(Parsed {
        encoding: enc_name,
        decoded_by: decoded.by,
        repairs,
        feed: ParsedFeed {
            format: format.to_string(),
            title: feed.title.map(|t| {
                let title = clean_title(limits::prefix(&t.content, limits::RAW_TITLE_BYTES));
                limits::cut_chars(&title, limits::TITLE_CHARS).unwrap_or(title)
            }),
            found,
            items,
            skipped,
            shortened,
        },
    })
}

/// Guid-less items of one document that share a link but not a title (a redirect script such
/// as `redir.asp?id=2736` reused for different news) are told apart by link and title.
fn mark_shared_links(items: &mut [Item]) {
    let mut first_title: HashMap<&str, &str> = HashMap::new();
    let mut shared: std::collections::HashSet<String> = std::collections::HashSet::new();
    for it in items.iter().filter(|i| i.guid.is_none()) {
        if let Some(l) = &it.link {
            match first_title.get(l.as_str()) {
                Some(t) if *t != it.title => {
                    shared.insert(l.clone());
                }
                Some(_) => {}
                None => {
                    first_title.insert(l, &it.title);
                }
            }
        }
    }
    for it in items.iter_mut() {
        it.link_shared = it.guid.is_none() && it.link.as_ref().is_some_and(|l| shared.contains(l));
    }
}

/// One whole-document reading: the feed, the full texts feed-rs drops, and a note when the
/// document had to be closed first.
struct Reading {
    feed: feed_rs::model::Feed,
    full_texts: HashMap<String, String>,
    note: Option<String>,
}

/// feed-rs over the whole text; a document cut off mid-item is closed after its last complete
/// item and read again.
fn read_whole(base: Option<&Url>, text: &str, is_json: bool) -> Result<Reading, String> {
    match parse_guarded(base, text) {
        Ok(feed) => Ok(Reading {
            full_texts: if is_json {
                HashMap::new()
            } else {
                full_texts(text)
            },
            feed,
            note: None,
        }),
        Err(first) => {
            let closed = if is_json {
                None
            } else {
                recover::close_truncated(text)
            };
            let closed = closed.ok_or_else(|| first.clone())?;
            let feed = parse_guarded(base, &closed).map_err(|_| first.clone())?;
            Ok(Reading {
                note: Some(format!(
                    "document was cut off ({first}); kept the {} complete items",
                    feed.entries.len()
                )),
                full_texts: full_texts_of(&closed),
                feed,
            })
        }
    }
}

/// The lenient reading: each item read on its own (`lenient::split`), the feed's title and
/// links from what is left. Returns the reading and why each unread item was not read.
fn read_by_item(
    base: Option<&Url>,
    text: &str,
    whole_error: Option<&String>,
) -> Option<(Reading, Vec<String>)> {
    let split = super::lenient::split(text);
    // A head that does not read still tells the format by its root.
    let mut feed = parse_guarded(base, &split.head)
        .or_else(|_| parse_guarded(None, empty_like(text)))
        .ok()?;
    let mut full = HashMap::new();
    let mut reasons = Vec::new();
    for (n, entry) in split.entries.into_iter().enumerate() {
        let doc = match entry {
            Ok(doc) => doc,
            Err(why) => {
                reasons.push(format!("item {}: {why}", n + 1));
                continue;
            }
        };
        match parse_guarded(base, &doc) {
            Ok(f) if !f.entries.is_empty() => {
                full.extend(full_texts(&doc));
                feed.entries.extend(f.entries);
            }
            Ok(_) => reasons.push(format!(
                "item {}: {}",
                n + 1,
                whole_error.map_or("nothing readable in it", |e| e.as_str())
            )),
            Err(e) => reasons.push(format!("item {}: {e}", n + 1)),
        }
    }
    Some((
        Reading {
            feed,
            full_texts: full,
            note: None,
        },
        reasons,
    ))
}

/// An empty feed of the format a document's root names, for a feed whose head could not be read.
fn empty_like(text: &str) -> &'static str {
    let head = &text[..text.floor_char_boundary(4096)];
    if head.contains("<feed") {
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"></feed>"
    } else if head.contains("<rdf:RDF") {
        "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\"><channel></channel></rdf:RDF>"
    } else if head.contains("version=\"0.9") || head.contains("version='0.9") {
        "<rss version=\"0.91\"><channel></channel></rss>"
    } else {
        "<rss version=\"2.0\"><channel></channel></rss>"
    }
}

/// Applies one text pass, keeping the borrowed input when the pass changed nothing.
fn then<'a>(text: Cow<'a, str>, pass: impl Fn(&str) -> Cow<'_, str>) -> Cow<'a, str> {
    match pass(&text) {
        Cow::Owned(changed) => Cow::Owned(changed),
        Cow::Borrowed(_) => text,
    }
}

/// The document after its XML declaration, when it starts with one.
fn without_declaration(xml: &str) -> Option<&str> {
    let rest = xml.strip_prefix("<?xml")?;
    if !rest.starts_with(|c: char| c.is_ascii_whitespace() || c == '?') {
        return None;
    }
    // A declaration cut short or garbled still ends before the first real tag.
    let end = match (rest.find("?>"), rest.find('<')) {
        (Some(q), Some(lt)) if q < lt => q + 2,
        (_, Some(lt)) => lt,
        (Some(q), None) => q + 2,
        (None, None) => rest.len(),
    };
    Some(&rest[end..])
}

/// feed-rs on `xml`. A panic inside the parser or its XML reader is turned into an error: one
/// hostile feed must not take down a fetch cycle, whatever the libraries below do with it.
fn parse_guarded(base: Option<&Url>, xml: &str) -> Result<feed_rs::model::Feed, String> {
    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        parser(base).parse(xml.as_bytes())
    }));
    match parsed {
        Ok(Ok(f)) => Ok(f),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the XML parser gave up on this document".to_string()),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default()
    }

    const SAMPLE: &str = "<?xml version=\"1.0\" encoding=\"windows-1251\"?>\n<rss version=\"2.0\" xmlns:yandex=\"http://news.yandex.ru\"><channel><title>Курьер</title><link>https://courier.test/</link>\
        <item><title>Воронеж &laquo;в лицах&raquo;</title><link>/news/1?utm_source=rss</link><guid>c1</guid><pubDate>Пт, 27 ноября 2026 10:15 MSK</pubDate><description>Первая<br>вторая & третья</description><yandex:full-text>Полный текст.\nВторой абзац.</yandex:full-text></item>\
        <item><title>Сирия: делегация</title><guid>c2</guid><description><![CDATA[<p onclick=\"x()\">Текст</p><script>alert(1)</script>]]></description><enclosure url=\"/img/2.jpg\" type=\"image/jpeg\" length=\"1\"/></item>\
        <item><title>Третья</title><guid>c3</guid><description>Обрыв";

    fn cp1251(s: &str) -> Vec<u8> {
        encoding_rs::WINDOWS_1251.encode(s).0.into_owned()
    }

    #[test]
    fn a_hostile_regional_feed_yields_every_complete_item() {
        // The server claims UTF-8; the bytes and the prolog say windows-1251.
        let base = Url::parse("https://cdn.courier.test/export/rss.xml").ok();
        let p = parse_feed(&cp1251(SAMPLE), Some("utf-8"), None, base.as_ref(), now()).unwrap();
        assert_eq!(p.encoding, "windows-1251");
        assert_eq!(p.feed.items.len(), 2, "{:?}", p.repairs);
        let a = &p.feed.items[0];
        assert_eq!(a.title, "Воронеж «в лицах»");
        assert_eq!(a.link.as_deref(), Some("https://cdn.courier.test/news/1"));
        assert_eq!(a.published.to_rfc3339(), "2026-11-27T07:15:00+00:00");
        assert_eq!(a.summary.as_deref(), Some("Первая<br>вторая &amp; третья"));
        assert_eq!(
            a.content.as_deref(),
            Some("<p>Полный текст.</p><p>Второй абзац.</p>")
        );
        let b = &p.feed.items[1];
        assert_eq!(b.summary.as_deref(), Some("<p>Текст</p>"));
        assert_eq!(
            b.image.as_deref(),
            Some("https://cdn.courier.test/img/2.jpg")
        );
        assert!(b.date_from_first_seen);
        assert!(
            p.repairs.iter().any(|r| r.contains("cut off")),
            "{:?}",
            p.repairs
        );
    }

    #[test]
    fn json_feed_is_read_as_is() {
        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"Лента","items":[{"id":"j1","url":"https://j.test/1?utm_medium=x","title":"Новость &amp; фото","content_html":"<p>Текст</p><description><b>x</b></description>","date_published":"2026-11-27T10:00:00+03:00"}]}"#;
        let p = parse_feed(json.as_bytes(), None, None, None, now()).unwrap();
        assert_eq!(p.feed.format, "JSON Feed");
        assert_eq!(p.feed.items[0].title, "Новость & фото");
        assert_eq!(p.feed.items[0].link.as_deref(), Some("https://j.test/1"));
        assert_eq!(p.feed.items[0].text, "Текст x");
    }

    fn check_format(xml: &str, format: &str, title: &str) -> Item {
        let p = parse_feed(xml.as_bytes(), None, None, None, now()).unwrap();
        assert_eq!(p.feed.format, format);
        assert_eq!(p.feed.items.len(), 1, "{xml}");
        assert_eq!(p.feed.items[0].title, title);
        p.feed.items[0].clone()
    }

    #[test]
    fn old_and_new_formats_alike() {
        check_format(
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><!DOCTYPE rss PUBLIC \"-//Netscape Communications//DTD RSS 0.91//EN\" \"http://my.netscape.com/publish/formats/rss-0.91.dtd\"><rss version=\"0.91\"><channel><title>t</title><link>https://a.test/</link><description>d</description><language>ru</language><item><title>Old news</title><link>https://a.test/1</link></item></channel></rss>",
            "RSS 0.9x",
            "Old news",
        );
        let it = check_format(
            "<rss version=\"0.92\"><channel><title>t</title><item><title>Дамба</title><description>Текст</description><enclosure url=\"https://a.test/1.mp3\" type=\"audio/mpeg\" length=\"1\"/></item></channel></rss>",
            "RSS 0.9x",
            "Дамба",
        );
        assert_eq!(it.image, None, "audio is not an image");
        let it = check_format(
            "<?xml version=\"1.0\"?><feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><title>t</title><entry><title>Атом 0.3</title><link rel=\"alternate\" type=\"text/html\" href=\"https://a.test/03\"/><id>tag:a.test,2026:03</id><issued>2026-11-27T10:00:00+03:00</issued><modified>2026-11-27T10:00:00+03:00</modified></entry></feed>",
            "Atom",
            "Атом 0.3",
        );
        assert_eq!(it.link.as_deref(), Some("https://a.test/03"));
        let it = check_format(
            "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" xmlns:media=\"http://search.yahoo.com/mrss/\"><channel><title>t</title><item><title>Полный текст</title><description>Кратко</description><content:encoded><![CDATA[<p>Полностью</p>]]></content:encoded><media:content url=\"https://a.test/photo.jpg\" medium=\"image\"/></item></channel></rss>",
            "RSS 2.0",
            "Полный текст",
        );
        assert_eq!(it.content.as_deref(), Some("<p>Полностью</p>"));
        assert_eq!(it.text, "Полностью");
        assert_eq!(it.image.as_deref(), Some("https://a.test/photo.jpg"));
        check_format(
            r#"{"version":"https://jsonfeed.org/version/1","title":"t","items":[{"id":"1","title":"JSON 1.0","content_text":"Текст"}]}"#,
            "JSON Feed",
            "JSON 1.0",
        );
    }

    #[test]
    fn mojibake_titles_are_restored() {
        let xml = "<rss version=\"2.0\"><channel><title>t</title><item><title>РЎРёСЂРёСЏ: РЅРѕРІРѕСЃС‚Рё</title><guid>1</guid></item></channel></rss>";
        let p = parse_feed(xml.as_bytes(), None, None, None, now()).unwrap();
        assert_eq!(p.feed.items[0].title, "Сирия: новости");
    }

    #[test]
    fn not_a_feed_is_an_error_with_a_reason() {
        assert!(matches!(
            parse_feed(b"  \n", None, None, None, now()),
            Err(ParseError::Empty)
        ));
        let e = parse_feed(
            "<html><body>Страница не найдена</body></html>".as_bytes(),
            None,
            None,
            None,
            now(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "an HTML page, not a feed; the page announces no feed (look for an RSS link on the site)"
        );
        let e = parse_feed(b"<data><x>1</y></data>", None, None, None, now()).unwrap_err();
        assert!(e.to_string().starts_with("not a feed"), "{e}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048), charset in proptest::option::of("[a-z0-9-]{0,12}")) {
            let _ = parse_feed(&bytes, charset.as_deref(), None, None, now());
        }

        #[test]
        fn damaged_feeds_never_panic_and_items_have_titles(cut in 0usize..2000, at in 0usize..2000, junk in proptest::collection::vec(any::<u8>(), 0..12)) {
            let mut bytes = cp1251(SAMPLE);
            let at = at.min(bytes.len());
            bytes.splice(at..at, junk);
            bytes.truncate(cut.min(bytes.len()));
            if let Ok(p) = parse_feed(&bytes, None, None, None, now()) {
                for it in p.feed.items {
                    prop_assert!(!it.title.is_empty());
                }
            }
        }
    }
}

#[cfg(test)]
mod shapes;
