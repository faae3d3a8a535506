//! JSON Feed 1.1 as a reader sees it.

use serde_json::{Value, json};

use super::{T, entry, rfc3339, story_with_others, view};
use crate::publish::{View, render_json};

/// The feed rendered and parsed.
fn feed(view: &View, hub: Option<&str>) -> Value {
    let text = render_json(view, hub);
    let feed: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
    feed
}

#[test]
fn one_item_per_story_carries_the_other_agencies_and_the_related_stories() {
    let f = feed(&view(vec![story_with_others()]), None);
    let items = f["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "one item for a story of three agencies");
    let it = &items[0];
    assert_eq!(it["id"], "tag:news.example.org,2026:story-1");
    assert_eq!(it["url"], "https://vesti.example/news/1");
    assert_eq!(it["title"], "Пожар на складе в Липецке");
    assert_eq!(it["authors"], json!([{ "name": "Липецкие вести" }]));
    assert_eq!(it["tags"], json!(["Пожары"]));
    assert_eq!(
        it["_svodka"],
        json!({
            "story_url": "https://news.example.org/stories/1",
            "reports": [
                {
                    "agency": "ТАСС",
                    "title": "В Липецке горит склад",
                    "url": "https://tass.example/news/9",
                    "date_published": rfc3339(T + 600),
                },
                {
                    "agency": "РИА Новости",
                    "title": "Склад загорелся в Липецке",
                    "date_published": rfc3339(T + 600),
                },
            ],
            "related": [{
                "id": "tag:news.example.org,2026:story-7",
                "url": "https://news.example.org/stories/7",
                "title": "Проверка складов в Липецке",
                "date_published": rfc3339(T - 86_400),
                "agencies": ["Липецкие вести", "ТАСС"],
            }],
        })
    );
    let html = it["content_html"].as_str().expect("content_html");
    assert!(html.contains("Также сообщили:"), "{html}");
}

#[test]
fn a_report_nobody_else_carried_has_no_extension() {
    let f = feed(&view(vec![entry(2, "tass", "Одна новость")]), None);
    assert!(f["items"][0].get("_svodka").is_none(), "{f:#}");
}

#[test]
fn markup_in_a_title_comes_back_as_written() {
    let title = "Цены на «хлеб» & <молоко> \"выросли\"";
    let f = feed(&view(vec![entry(2, "tass", title)]), None);
    assert_eq!(f["items"][0]["title"], title);
}

#[test]
fn an_edited_item_is_modified_when_its_source_edited_it_and_published_when_it_appeared() {
    let mut edited = entry(3, "ria", "Мост откроют в мае");
    edited.edited = Some(T + 3_600);
    edited.updated = T + 3_700;
    let f = feed(&view(vec![edited, entry(4, "tass", "Другое")]), None);
    assert_eq!(f["items"][0]["date_published"], rfc3339(T));
    assert_eq!(f["items"][0]["date_modified"], rfc3339(T + 3_600));
    assert_eq!(f["items"][1]["date_modified"], rfc3339(T));
}

#[test]
fn the_feed_names_itself_and_its_hub() {
    let f = feed(&view(Vec::new()), Some("https://hub.example/"));
    assert_eq!(f["feed_url"], "https://news.example.org/feeds/all.rss");
    assert_eq!(f["home_page_url"], "https://news.example.org/");
    assert_eq!(
        f["hubs"],
        json!([{ "type": "WebSub", "url": "https://hub.example/" }])
    );
    let f = feed(&view(Vec::new()), None);
    assert!(f.get("hubs").is_none(), "no hub, no hubs: {f:#}");
}
