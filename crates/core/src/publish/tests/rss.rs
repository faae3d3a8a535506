//! RSS 2.0 as a reader sees it.

use chrono::DateTime;

use super::{Node, SITE, T, entry, story_with_others, view};
use crate::publish::{View, render_rss};

/// The feed rendered and parsed: its `<channel>`.
fn channel(view: &View, hub: Option<&str>) -> Node {
    let rss = Node::parse(&render_rss(view, hub));
    assert_eq!(rss.name, "rss");
    assert_eq!(rss.attr("version"), Some("2.0"));
    let mut root = rss;
    root.children.retain(|c| c.name == "channel");
    root.children.pop().expect("a <channel>")
}

fn date(text: &str) -> i64 {
    DateTime::parse_from_rfc2822(text)
        .unwrap_or_else(|e| panic!("{text:?} is not an RFC 2822 date: {e}"))
        .timestamp()
}

#[test]
fn one_item_per_story_lists_the_other_agencies_in_its_description() {
    let ch = channel(&view(vec![story_with_others()]), None);
    assert_eq!(ch.child("title").text(), "Все новости");
    assert_eq!(ch.child("link").text(), SITE);
    let items: Vec<&Node> = ch.all("item").collect();
    assert_eq!(items.len(), 1, "one item for a story of three agencies");
    let it = items[0];
    assert_eq!(it.child("title").text(), "Пожар на складе в Липецке");
    assert_eq!(
        it.child("link").text(),
        "https://vesti.example/news/1",
        "the lead report is the item's page"
    );
    let guid = it.child("guid");
    assert_eq!(guid.text(), "tag:news.example.org,2026:story-1");
    assert_eq!(guid.attr("isPermaLink"), Some("false"));
    let body = it.child("description").text();
    assert!(
        body.starts_with("<p>Пожар на складе в Липецке: подробности</p>"),
        "{body}"
    );
    assert!(
        body.contains(
            "<em>Также сообщили:</em> <a href=\"https://tass.example/news/9\">ТАСС — В Липецке горит склад</a>; \
             РИА Новости — Склад загорелся в Липецке</p>"
        ),
        "the other agencies by title, linked where they have a link: {body}"
    );
    let source = it.child("source");
    assert_eq!(source.text(), "Липецкие вести");
    assert_eq!(source.attr("url"), Some("https://vesti.example/rss"));
    let category = it.child("category");
    assert_eq!(category.text(), "Пожары");
    assert_eq!(
        category.attr("domain"),
        Some("https://news.example.org/topics/fire.rss")
    );
}

#[test]
fn related_stories_are_not_in_rss() {
    let xml = render_rss(&view(vec![story_with_others()]), None);
    assert!(!xml.contains("stories/7"), "{xml}");
    assert!(!xml.contains("Проверка складов"), "{xml}");
}

#[test]
fn characters_xml_forbids_are_dropped_and_markup_is_escaped() {
    let mut e = entry(2, "tass", "Цены на «хлеб» & <молоко>\u{1}\u{b} выросли");
    e.summary = Some("Рост\u{c} цен".to_string());
    let ch = channel(&view(vec![e]), None);
    let it = ch.child("item");
    assert_eq!(
        it.child("title").text(),
        "Цены на «хлеб» & <молоко> выросли"
    );
    assert_eq!(it.child("description").text(), "Рост цен");
}

#[test]
fn an_edited_item_keeps_its_publication_date_and_the_channel_its_last_change() {
    let mut e = entry(3, "ria", "Мост откроют в мае");
    e.edited = Some(T + 3_600);
    e.updated = T + 3_700;
    let ch = channel(&view(vec![e, entry(4, "tass", "Другое")]), None);
    let it = ch.child("item");
    assert_eq!(date(it.child("pubDate").text()), T);
    assert_eq!(date(ch.child("lastBuildDate").text()), T + 3_700);
}

#[test]
fn the_feed_names_itself_and_its_hub() {
    let ch = channel(&view(Vec::new()), Some("https://hub.example/"));
    let links: Vec<(Option<&str>, Option<&str>)> = ch
        .all("atom:link")
        .map(|l| (l.attr("rel"), l.attr("href")))
        .collect();
    assert_eq!(
        links,
        [
            (Some("self"), Some("https://news.example.org/feeds/all.rss")),
            (Some("hub"), Some("https://hub.example/")),
        ]
    );
    assert_eq!(ch.all("item").count(), 0);
}
