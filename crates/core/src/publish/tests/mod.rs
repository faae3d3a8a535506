//! Unit tests of the renderers and of `select` on plain `Entry` values, no database: each feed
//! is read back with a real parser (quick-xml, serde_json) and checked for what a reader sees.

mod atom;
mod json;
mod opml;
mod rss;
mod select;

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use quick_xml::events::Event;

use super::View;
use crate::config::Config;
use crate::model::{Entry, OtherReport, RelatedStory};

/// The site every hand-built view belongs to.
const SITE: &str = "https://news.example.org/";
/// 2026-01-01 00:00:00 UTC: every entry is published then unless a test says otherwise.
const T: i64 = 1_767_225_600;

/// `source`'s report `title`, the lead of story `story`, published at `T` and never edited.
fn entry(story: i64, source: &str, title: &str) -> Entry {
    Entry {
        id: story * 10,
        story,
        guid: format!("tag:news.example.org,2026:story-{story}"),
        source: source.to_string(),
        link: Some(format!("https://{source}.example/news/{story}")),
        title: title.to_string(),
        summary: Some(format!("<p>{title}: подробности</p>")),
        content: None,
        author: None,
        image: None,
        published: T,
        updated: T,
        edited: None,
        topics: Vec::new(),
        others: Vec::new(),
        related: Vec::new(),
    }
}

/// Another agency's report of the same story, ten minutes after the lead.
fn other(source: &str, title: &str, link: Option<&str>) -> OtherReport {
    OtherReport {
        source: source.to_string(),
        title: title.to_string(),
        link: link.map(str::to_string),
        published: T + 600,
    }
}

/// A story of the same affair, a day earlier.
fn related(story: i64, title: &str, sources: &[&str]) -> RelatedStory {
    RelatedStory {
        story,
        guid: format!("tag:news.example.org,2026:story-{story}"),
        title: title.to_string(),
        published: T - 86_400,
        sources: sources.iter().map(|s| s.to_string()).collect(),
        strength: 3.5,
        names: vec!["Липецк".to_string()],
    }
}

/// A view of `items` as `select` would build it: three agencies and one topic.
fn view(items: Vec<Entry>) -> View {
    let sources = [
        ("vesti", "Липецкие вести"),
        ("tass", "ТАСС"),
        ("ria", "РИА Новости"),
    ];
    View {
        title: "Все новости".to_string(),
        description: "Все новости — сводка svodka".to_string(),
        self_url: format!("{SITE}feeds/all.rss"),
        site_url: SITE.to_string(),
        items,
        sources: sources
            .iter()
            .map(|(name, title)| {
                let url = format!("https://{name}.example/rss");
                (name.to_string(), (title.to_string(), url))
            })
            .collect::<HashMap<_, _>>(),
        topics: HashMap::from([("fire".to_string(), "Пожары".to_string())]),
    }
}

/// The story of most tests: Липецкие вести lead, ТАСС and РИА also reported it (РИА without a
/// link), and one earlier story of the same affair.
fn story_with_others() -> Entry {
    let mut e = entry(1, "vesti", "Пожар на складе в Липецке");
    e.topics = vec!["fire".to_string()];
    e.others = vec![
        other(
            "tass",
            "В Липецке горит склад",
            Some("https://tass.example/news/9"),
        ),
        other("ria", "Склад загорелся в Липецке", None),
    ];
    e.related = vec![related(7, "Проверка складов в Липецке", &["vesti", "tass"])];
    e
}

/// Two agencies in the Lipetsk region (one fetched with a password in its URL), one without a
/// region, a topic, and two feeds: one by region, one by source and topic.
fn config() -> Config {
    let text = r#"
[server]
base_url = "https://news.example.org/"

[[source]]
name = "vesti"
title = "Липецкие вести"
url = "https://vesti.example/rss"
region = "lipetsk"

[[source]]
name = "gorod"
title = "Город 48"
url = "https://editor:hunter2@gorod.example/rss"
region = "lipetsk"

[[source]]
name = "tass"
title = "ТАСС"
url = "https://tass.example/rss"

[[topic]]
name = "fire"
title = "Пожары"
keywords = ["пожар"]

[[feed]]
name = "lipetsk"
title = "Липецк & область <48>"
regions = ["lipetsk"]

[[feed]]
name = "tass-fires"
title = "ТАСС: пожары"
sources = ["tass"]
topics = ["fire"]
group = "copy"
limit = 5
"#;
    Config::parse(text, Path::new("/etc/svodka/svodka.toml")).expect("the test config is valid")
}

/// A timestamp as RFC 3339 in UTC, the way Atom and JSON Feed write dates.
fn rfc3339(ts: i64) -> String {
    DateTime::<Utc>::from_timestamp(ts, 0)
        .expect("a test date")
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// An XML element as a reader's parser sees it: its qualified name, its attributes and its
/// text with entities resolved and CDATA included.
#[derive(Debug, Default)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<Node>,
}

impl Node {
    /// The document's root element; malformed XML fails the test, as it fails a reader.
    fn parse(xml: &str) -> Node {
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut stack: Vec<Node> = Vec::new();
        let mut root = None;
        loop {
            match reader.read_event().expect("well-formed XML") {
                Event::Start(e) => stack.push(Node::open(&e)),
                Event::Empty(e) => {
                    let node = Node::open(&e);
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(node),
                        None => root = Some(node),
                    }
                }
                Event::End(_) => {
                    let node = stack.pop().expect("an open element");
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(node),
                        None => root = Some(node),
                    }
                }
                Event::Text(t) => {
                    if let Some(n) = stack.last_mut() {
                        n.text.push_str(&t.xml10_content());
                    }
                }
                Event::CData(t) => {
                    if let Some(n) = stack.last_mut() {
                        n.text.push_str(&t.xml10_content());
                    }
                }
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref().expect("a character reference") {
                        Some(c) => c.to_string(),
                        None => quick_xml::escape::resolve_predefined_entity(&r.xml10_content())
                            .expect("one of XML's five entities")
                            .to_string(),
                    };
                    if let Some(n) = stack.last_mut() {
                        n.text.push_str(&resolved);
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        assert!(stack.is_empty(), "unclosed elements: {stack:?}");
        root.expect("a root element")
    }

    fn open(e: &quick_xml::events::BytesStart) -> Node {
        let attrs = e
            .attributes()
            .map(|a| {
                let a = a.expect("a well-formed attribute");
                let value = a
                    .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .expect("an attribute value");
                let key = a.key.as_ref().to_string();
                (key, value.into_owned())
            })
            .collect();
        Node {
            name: e.name().as_ref().to_string(),
            attrs,
            ..Node::default()
        }
    }

    /// The first child called `name`; its absence fails the test.
    fn child(&self, name: &str) -> &Node {
        self.children
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("<{}> has no <{name}>: {self:#?}", self.name))
    }

    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> {
        self.children.iter().filter(move |c| c.name == name)
    }

    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The text, as a reader shows it (without the indentation around it).
    fn text(&self) -> &str {
        self.text.trim()
    }
}
