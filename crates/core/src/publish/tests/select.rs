//! `publish::view`: what a feed or topic asks of the archive, and what its view holds, against
//! an archive held in memory.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Node, config, entry, related};
use crate::archive::{self, Archive, Find, Hit, Period};
use crate::config::{DEFAULT_FEED_LIMIT, Source};
use crate::model::{EditionRow, Entry, Grouping, RelatedStory, SourceHealth};
use crate::publish::{Format, Target, View, view};

/// One `select_items` call: grouping, sources, topics, limit.
type Asked = (Grouping, Option<Vec<String>>, Vec<String>, usize);

/// A store in memory: entries newest first, each story's related stories, and what was asked.
#[derive(Default)]
struct Memory {
    entries: Vec<Entry>,
    related: HashMap<i64, Vec<RelatedStory>>,
    asked: RefCell<Vec<Asked>>,
}

impl Archive for Memory {
    /// An entry passes when any agency that carried it is among `sources` and one of its
    /// topics among `topics`, as the SQLite store selects.
    fn select_items(
        &self,
        grouping: Grouping,
        sources: Option<&[String]>,
        topics: &[String],
        limit: usize,
    ) -> archive::Result<Vec<Entry>> {
        self.asked.borrow_mut().push((
            grouping,
            sources.map(<[String]>::to_vec),
            topics.to_vec(),
            limit,
        ));
        let carried_by = |e: &Entry, names: &[String]| {
            names.contains(&e.source) || e.others.iter().any(|o| names.contains(&o.source))
        };
        Ok(self
            .entries
            .iter()
            .filter(|e| sources.is_none_or(|s| carried_by(e, s)))
            .filter(|e| topics.is_empty() || e.topics.iter().any(|t| topics.contains(t)))
            .take(limit)
            .cloned()
            .collect())
    }

    fn related_many(&self, stories: &[i64]) -> archive::Result<HashMap<i64, Vec<RelatedStory>>> {
        Ok(stories
            .iter()
            .filter_map(|s| Some((*s, self.related.get(s)?.clone())))
            .collect())
    }

    fn related(&self, story: i64) -> archive::Result<Vec<RelatedStory>> {
        Ok(self.related.get(&story).cloned().unwrap_or_default())
    }

    // The rest is not asked by `view`; an empty store answers it.
    fn story(&self, _: i64) -> archive::Result<Option<Entry>> {
        Ok(None)
    }
    fn story_entries(&self, _: &[i64]) -> archive::Result<Vec<Entry>> {
        Ok(Vec::new())
    }
    fn biggest_stories(&self, _: i64, _: usize) -> archive::Result<Vec<(Entry, u64)>> {
        Ok(Vec::new())
    }
    fn biggest_stories_in(&self, _: &Period, _: usize) -> archive::Result<Vec<(Entry, u64)>> {
        Ok(Vec::new())
    }
    fn topic_story_counts(&self, _: DateTime<Utc>) -> archive::Result<Vec<(String, u64, u64)>> {
        Ok(Vec::new())
    }
    fn topic_story_counts_between(
        &self,
        _: i64,
        _: i64,
    ) -> archive::Result<Vec<(String, u64, u64)>> {
        Ok(Vec::new())
    }
    fn headlines_since(&self, _: DateTime<Utc>) -> archive::Result<Vec<(i64, String, String)>> {
        Ok(Vec::new())
    }
    fn headlines_between(&self, _: i64, _: i64) -> archive::Result<Vec<(i64, String, String)>> {
        Ok(Vec::new())
    }
    fn source_health(&self, _: &[Source]) -> archive::Result<Vec<SourceHealth>> {
        Ok(Vec::new())
    }
    fn editions(&self, _: &str, _: usize) -> archive::Result<Vec<EditionRow>> {
        Ok(Vec::new())
    }
    fn edition(&self, _: &str, _: &str) -> archive::Result<Option<EditionRow>> {
        Ok(None)
    }
    fn find(&self, _: &Find, _: Duration) -> archive::Result<Vec<Hit>> {
        Ok(Vec::new())
    }
    fn story_matches(&self, _: &Find, _: i64) -> archive::Result<bool> {
        Ok(false)
    }
    fn report_text(&self, _: i64) -> archive::Result<Option<(String, String)>> {
        Ok(None)
    }
    fn backfill_state(&self) -> archive::Result<Option<(i64, i64)>> {
        Ok(None)
    }
}

/// Three stories: Липецкие вести's fire (which ТАСС also carried), Город 48's road works and
/// ТАСС's own fire elsewhere; the first has an earlier story of its affair.
fn memory() -> Memory {
    let mut fire = entry(1, "vesti", "Пожар на складе в Липецке");
    fire.topics = vec!["fire".to_string()];
    fire.others = vec![super::other(
        "tass",
        "В Липецке горит склад",
        Some("https://tass.example/news/9"),
    )];
    let roads = entry(2, "gorod", "Ремонт дорог в Липецке");
    let mut far = entry(3, "tass", "Лесной пожар в Сибири");
    far.topics = vec!["fire".to_string()];
    Memory {
        entries: vec![fire, roads, far],
        related: HashMap::from([(1, vec![related(7, "Проверка складов", &["vesti"])])]),
        ..Memory::default()
    }
}

fn feed_view(archive: &Memory, target: Target, ext: &str) -> View {
    view(&config(), archive, &target, ext)
        .expect("an archive in memory answers")
        .expect("the config has the target")
}

fn stories(v: &View) -> Vec<i64> {
    v.items.iter().map(|e| e.story).collect()
}

fn names(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_feed_with_regions_asks_for_every_source_in_them() {
    let archive = memory();
    let v = feed_view(&archive, Target::Feed("lipetsk".into()), "rss");
    assert_eq!(
        archive.asked.borrow()[..],
        [(
            Grouping::Story,
            Some(names(&["vesti", "gorod"])),
            Vec::new(),
            DEFAULT_FEED_LIMIT
        )]
    );
    assert_eq!(
        stories(&v),
        [1, 2],
        "ТАСС's fire in Siberia is not Lipetsk's"
    );
    assert_eq!(v.title, "Липецк & область <48>");
    assert_eq!(v.self_url, "https://news.example.org/feeds/lipetsk.rss");
    assert_eq!(v.site_url, "https://news.example.org/");
}

#[test]
fn a_feed_passes_its_sources_topics_grouping_and_limit() {
    let archive = memory();
    let v = feed_view(&archive, Target::Feed("tass-fires".into()), "atom");
    assert_eq!(
        archive.asked.borrow()[..],
        [(Grouping::Copy, Some(names(&["tass"])), names(&["fire"]), 5)]
    );
    assert_eq!(stories(&v), [1, 3], "ТАСС also carried the Lipetsk fire");
    assert_eq!(v.self_url, "https://news.example.org/feeds/tass-fires.atom");
}

#[test]
fn a_topic_feed_is_every_agency_one_entry_per_story() {
    let archive = memory();
    let v = feed_view(&archive, Target::Topic("fire".into()), "json");
    assert_eq!(
        archive.asked.borrow()[..],
        [(Grouping::Story, None, names(&["fire"]), DEFAULT_FEED_LIMIT)]
    );
    assert_eq!(stories(&v), [1, 3]);
    assert_eq!(v.title, "Пожары");
    assert_eq!(v.self_url, "https://news.example.org/topics/fire.json");
}

#[test]
fn an_unknown_feed_or_topic_has_no_view() {
    let archive = memory();
    let cfg = config();
    for target in [Target::Feed("fire".into()), Target::Topic("lipetsk".into())] {
        assert!(matches!(view(&cfg, &archive, &target, "rss"), Ok(None)));
    }
    assert!(archive.asked.borrow().is_empty());
}

#[test]
fn atom_and_json_feed_get_related_stories_and_rss_does_not() {
    let archive = memory();
    for (format, has_related) in [
        (Format::Atom, true),
        (Format::Json, true),
        (Format::Rss, false),
    ] {
        let v = feed_view(&archive, Target::Feed("lipetsk".into()), format.ext());
        assert_eq!(
            v.items[0].related.len(),
            usize::from(has_related),
            "{format:?}"
        );
        let text = format.render(&v, None);
        assert_eq!(
            text.contains("https://news.example.org/stories/7"),
            has_related,
            "{format:?}: {text}"
        );
    }
}

#[test]
fn a_source_url_with_a_password_is_published_without_it() {
    let archive = memory();
    for format in [Format::Rss, Format::Atom, Format::Json] {
        let v = feed_view(&archive, Target::Feed("lipetsk".into()), format.ext());
        assert_eq!(
            v.sources["gorod"],
            (
                "Город 48".to_string(),
                "https://gorod.example/rss".to_string()
            )
        );
        let text = format.render(&v, None);
        assert!(
            !text.contains("hunter2") && !text.contains("editor@"),
            "{format:?}: {text}"
        );
    }
    let rss = Format::Rss.render(
        &feed_view(&archive, Target::Feed("lipetsk".into()), "rss"),
        None,
    );
    let channel = Node::parse(&rss);
    let source = channel
        .child("channel")
        .all("item")
        .map(|it| it.child("source"))
        .find(|s| s.text() == "Город 48")
        .expect("Город 48's item names its source");
    assert_eq!(source.attr("url"), Some("https://gorod.example/rss"));
}
