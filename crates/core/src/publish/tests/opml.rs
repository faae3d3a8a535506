//! OPML 2.0 as a feed reader imports it.

use super::{Node, config};
use crate::publish::render_opml;

/// A feed as a reader subscribes to it: its title and its RSS address.
type Subscription<'a> = (&'a str, &'a str);

#[test]
fn every_feed_and_topic_feed_is_listed_with_its_title_as_written() {
    let opml = Node::parse(&render_opml(&config()));
    assert_eq!(opml.attr("version"), Some("2.0"));
    assert_eq!(opml.child("head").child("title").text(), "svodka");
    let groups: Vec<(&str, Vec<Subscription>)> = opml
        .child("body")
        .all("outline")
        .map(|g| {
            let feeds = g
                .all("outline")
                .map(|f| {
                    assert_eq!(f.attr("type"), Some("rss"));
                    assert_eq!(f.attr("htmlUrl"), Some("https://news.example.org/"));
                    assert_eq!(f.attr("title"), f.attr("text"));
                    (
                        f.attr("text").expect("text"),
                        f.attr("xmlUrl").expect("xmlUrl"),
                    )
                })
                .collect();
            (g.attr("text").expect("a group's text"), feeds)
        })
        .collect();
    assert_eq!(
        groups,
        [
            (
                "Ленты",
                vec![
                    (
                        "Липецк & область <48>",
                        "https://news.example.org/feeds/lipetsk.rss",
                    ),
                    (
                        "ТАСС: пожары",
                        "https://news.example.org/feeds/tass-fires.rss",
                    ),
                ]
            ),
            (
                "Темы",
                vec![("Пожары", "https://news.example.org/topics/fire.rss")]
            ),
        ]
    );
}
