//! Atom 1.0 as a reader sees it.

use chrono::DateTime;

use super::{Node, T, entry, story_with_others, view};
use crate::publish::{View, render_atom};

/// The feed rendered and parsed: its `<feed>`.
fn feed(view: &View, hub: Option<&str>) -> Node {
    let feed = Node::parse(&render_atom(view, hub));
    assert_eq!(feed.name, "feed");
    assert_eq!(feed.attr("xmlns"), Some("http://www.w3.org/2005/Atom"));
    feed
}

/// An Atom date (RFC 3339) as a timestamp.
fn date(node: &Node) -> i64 {
    DateTime::parse_from_rfc3339(node.text())
        .unwrap_or_else(|e| panic!("{:?} is not an RFC 3339 date: {e}", node.text()))
        .timestamp()
}

/// An entry's links as (rel, href, title).
fn links(entry: &Node) -> Vec<(&str, &str, Option<&str>)> {
    entry
        .all("link")
        .map(|l| {
            (
                l.attr("rel").unwrap_or("alternate"),
                l.attr("href").expect("a link has an href"),
                l.attr("title"),
            )
        })
        .collect()
}

#[test]
fn one_entry_per_story_links_the_other_agencies_and_the_related_stories() {
    let f = feed(&view(vec![story_with_others()]), None);
    let entries: Vec<&Node> = f.all("entry").collect();
    assert_eq!(entries.len(), 1, "one entry for a story of three agencies");
    let e = entries[0];
    assert_eq!(e.child("id").text(), "tag:news.example.org,2026:story-1");
    assert_eq!(e.child("title").text(), "Пожар на складе в Липецке");
    assert_eq!(
        links(e),
        [
            ("alternate", "https://vesti.example/news/1", None),
            (
                "related",
                "https://tass.example/news/9",
                Some("ТАСС — В Липецке горит склад")
            ),
            (
                "related",
                "https://news.example.org/stories/7",
                Some("Развитие сюжета: Проверка складов в Липецке")
            ),
        ],
        "РИА's report has no link, so it is named in the summary only"
    );
    assert_eq!(e.child("author").child("name").text(), "Липецкие вести");
    let summary = e.child("summary");
    assert_eq!(summary.attr("type"), Some("html"));
    assert!(
        summary
            .text()
            .contains("РИА Новости — Склад загорелся в Липецке</p>"),
        "{}",
        summary.text()
    );
    let category = e.child("category");
    assert_eq!(category.attr("term"), Some("fire"));
    assert_eq!(category.attr("label"), Some("Пожары"));
}

#[test]
fn characters_xml_forbids_are_dropped_and_markup_is_escaped() {
    let e = entry(2, "tass", "Цены на «хлеб» & <молоко>\u{1}\u{b} выросли");
    let f = feed(&view(vec![e]), None);
    assert_eq!(
        f.child("entry").child("title").text(),
        "Цены на «хлеб» & <молоко> выросли"
    );
}

#[test]
fn an_edited_entry_is_updated_when_its_source_edited_it_and_published_when_it_appeared() {
    let mut edited = entry(3, "ria", "Мост откроют в мае");
    edited.edited = Some(T + 3_600);
    edited.updated = T + 3_700;
    let f = feed(&view(vec![edited, entry(4, "tass", "Другое")]), None);
    let entries: Vec<&Node> = f.all("entry").collect();
    assert_eq!(date(entries[0].child("published")), T);
    assert_eq!(date(entries[0].child("updated")), T + 3_600);
    assert_eq!(
        date(entries[1].child("updated")),
        T,
        "never edited: updated is its publication"
    );
    assert_eq!(
        date(f.child("updated")),
        T + 3_700,
        "the feed changed when svodka last stored a change"
    );
}

#[test]
fn the_feed_names_itself_its_page_and_its_hub() {
    let f = feed(&view(Vec::new()), Some("https://hub.example/"));
    assert_eq!(
        f.child("id").text(),
        "https://news.example.org/feeds/all.rss"
    );
    let links: Vec<(&str, &str)> = links(&f).into_iter().map(|(r, h, _)| (r, h)).collect();
    assert_eq!(
        links,
        [
            ("self", "https://news.example.org/feeds/all.rss"),
            ("alternate", "https://news.example.org/"),
            ("hub", "https://hub.example/"),
        ]
    );
}
