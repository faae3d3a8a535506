//! Building the pages' structs from an `Archive` and the config. The archive answers the
//! queries; this only arranges what it returns.

use chrono::{DateTime, Utc};

use super::{
    FeedLinks, FoundRow, Front, HealthRow, ReportRow, SearchPage, Site, SourcesPage, StoryPage,
    StoryRow, TopicPage, TopicTag, TrendName, TrendTopic, classify,
};
use crate::archive::{self, Archive};
use crate::config::Config;
use crate::model::Entry;
use crate::model::Grouping;
use crate::publish::{Format, Target};
use crate::trending::{self, Period};

/// Every feed and topic feed of the config, with its URLs.
pub fn site(cfg: &Config) -> Site {
    let base = &cfg.server.base_url;
    let feeds = cfg
        .feeds
        .iter()
        .map(|f| FeedLinks::new(base, &Target::Feed(f.name.clone()), &f.title))
        .chain(
            cfg.topics
                .iter()
                .map(|t| FeedLinks::new(base, &Target::Topic(t.name.clone()), &t.title)),
        )
        .collect();
    Site {
        base: base.clone(),
        tz: cfg.server.timezone,
        feeds,
        search: cfg.search.index,
    }
}

fn agency(cfg: &Config, name: &str) -> String {
    cfg.source(name)
        .map_or_else(|| name.to_string(), |s| s.title.clone())
}

fn tags(cfg: &Config, topics: &[String]) -> Vec<TopicTag> {
    topics
        .iter()
        .filter_map(|t| cfg.topic(t))
        .map(|t| TopicTag {
            name: t.name.clone(),
            title: t.title.clone(),
        })
        .collect()
}

fn story_row(cfg: &Config, it: &Entry) -> StoryRow {
    StoryRow {
        id: it.story,
        title: it.title.clone(),
        agencies: std::iter::once(it.source.as_str())
            .chain(it.also())
            .map(|s| agency(cfg, s))
            .collect(),
        published: it.published,
        topics: tags(cfg, &it.topics),
    }
}

/// The sources' health rows, in config order.
pub fn health(cfg: &Config, archive: &dyn Archive, now: i64) -> archive::Result<Vec<HealthRow>> {
    let rows = archive.source_health(&cfg.sources)?;
    let at = DateTime::<Utc>::from_timestamp(now, 0).unwrap_or_default();
    // One map per page: a linear search of the config's list per source would be quadratic,
    // at ten thousand sources.
    let by_name: std::collections::HashMap<&str, &crate::config::Source> =
        cfg.sources.iter().map(|s| (s.name.as_str(), s)).collect();
    Ok(rows
        .into_iter()
        .map(|h| {
            let source = by_name.get(h.name.as_str()).copied();
            let schedule = source
                .and_then(|s| s.cron.as_deref())
                .unwrap_or(&cfg.schedule);
            let period = schedule.period_near(at).num_seconds();
            let s = h.state;
            HealthRow {
                title: source.map_or_else(|| h.name.clone(), |s| s.title.clone()),
                health: classify(
                    source.is_some_and(|s| s.enabled),
                    s.gone,
                    s.error_streak,
                    s.last_fetch,
                    h.last_success,
                    period,
                    now,
                ),
                name: h.name,
                url: h.url,
                reason: s.last_error.as_deref().map(super::short_reason),
                error: s.last_error,
                status: s.last_status,
                error_streak: s.error_streak,
                last_fetch: s.last_fetch,
                last_success: h.last_success,
                items: h.items,
                moved_to: s.moved_to,
            }
        })
        .collect())
}

/// `/`: the week's topics, the latest stories, the sources' health.
pub fn front(cfg: &Config, archive: &dyn Archive, now: DateTime<Utc>) -> archive::Result<Front> {
    // More than the page lists: the week's most carried stories may be older than the latest.
    let items = archive.select_items(Grouping::Story, None, &[], super::FRONT_SCAN)?;
    let mut stories: Vec<StoryRow> = items.iter().map(|it| story_row(cfg, it)).collect();
    // The week ends now, or at the newest story when the sources went quiet: an old database
    // (or the demo's fixed sample dates) still shows what its last week was about.
    let newest = items.iter().map(|i| i.published).max();
    let week_ends = newest.map_or(now.timestamp(), |n| n.min(now.timestamp()));
    let anchor = DateTime::<Utc>::from_timestamp(week_ends, 0).unwrap_or(now);
    let report = trending::from_store(cfg, archive, Period::Week, anchor)?;
    let week_starts = Period::Week.since(anchor).timestamp();
    let mut top: Vec<StoryRow> = stories
        .iter()
        .filter(|s| s.agencies.len() >= 2 && s.published >= week_starts)
        .cloned()
        .collect();
    // Most agencies first; among equals, the newest (the list is newest first, the sort stable).
    top.sort_by_key(|s| std::cmp::Reverse(s.agencies.len()));
    top.truncate(super::FRONT_TOP);
    // Each story once: those in «Главное» are not listed again below it.
    stories.retain(|s| !top.iter().any(|t| t.id == s.id));
    stories.truncate(super::FRONT_STORIES);
    // A name links to a story on the page whose headline names it.
    let dict = if report.discovered.is_empty() {
        None
    } else {
        crate::morph::dictionary()
    };
    let mentions = trending::Mentions::new(
        dict,
        top.iter().chain(&stories).map(|s| (s.id, s.title.as_str())),
    );
    let names = report
        .discovered
        .iter()
        .map(|d| TrendName {
            term: d.term.clone(),
            stories: d.stories,
            story: mentions.first(dict, &d.term),
        })
        .collect();
    Ok(Front {
        site: site(cfg),
        top,
        week_ends,
        quiet: now.timestamp() - week_ends > 86_400,
        topics: report
            .configured
            .iter()
            .filter(|c| c.stories > 0)
            .map(|c| TrendTopic {
                name: c.name.clone(),
                title: c.title.clone(),
                stories: c.stories,
            })
            .collect(),
        names,
        stories,
        health: health(cfg, archive, now.timestamp())?,
    })
}

/// `/topics/NAME`, or `None` for a topic the config does not have.
pub fn topic(
    cfg: &Config,
    archive: &dyn Archive,
    name: &str,
) -> archive::Result<Option<TopicPage>> {
    let Some(t) = cfg.topic(name) else {
        return Ok(None);
    };
    let items = archive.select_items(
        Grouping::Story,
        None,
        std::slice::from_ref(&t.name),
        super::TOPIC_STORIES,
    )?;
    Ok(Some(TopicPage {
        site: site(cfg),
        name: t.name.clone(),
        title: t.title.clone(),
        keywords: t.keywords.clone(),
        feed: FeedLinks::new(
            &cfg.server.base_url,
            &Target::Topic(t.name.clone()),
            &t.title,
        ),
        stories: items.iter().map(|it| story_row(cfg, it)).collect(),
        pending: false,
    }))
}

/// `/stories/ID`, or `None` when there is no such story: the lead report, then every other
/// report in the order they appeared (an agency that carried two reports shows both), then the
/// stories of the same affair.
pub fn story(cfg: &Config, archive: &dyn Archive, id: i64) -> archive::Result<Option<StoryPage>> {
    let Some(s) = archive.story(id)? else {
        return Ok(None);
    };
    let lead = ReportRow {
        agency: agency(cfg, &s.source),
        title: Some(s.title.clone()),
        link: s.link.clone(),
        published: s.published,
    };
    let reports = std::iter::once(lead)
        .chain(s.others.iter().map(|r| ReportRow {
            agency: agency(cfg, &r.source),
            title: Some(r.title.clone()),
            link: r.link.clone(),
            published: r.published,
        }))
        .collect();
    let related = archive
        .related(id)?
        .into_iter()
        .map(|r| StoryRow {
            id: r.story,
            title: r.title,
            agencies: r.sources.iter().map(|s| agency(cfg, s)).collect(),
            published: r.published,
            topics: Vec::new(),
        })
        .collect();
    Ok(Some(StoryPage {
        site: site(cfg),
        id: s.story,
        title: s.title,
        topics: tags(cfg, &s.topics),
        reports,
        related,
    }))
}

/// `/sources`.
pub fn sources(cfg: &Config, archive: &dyn Archive, now: i64) -> archive::Result<SourcesPage> {
    let mut deliveries = Vec::new();
    for d in cfg.delivery.digests.iter().filter(|d| !d.to.is_empty()) {
        let rows = archive.editions(&d.name, 100)?;
        let unsent: Vec<_> = rows.iter().filter(|r| r.sent.is_none()).collect();
        deliveries.push(super::DeliveryRow {
            name: format!("сводка {} (почта)", d.name),
            state: if unsent.is_empty() {
                "все выпуски отправлены".to_string()
            } else {
                format!("не отправлено выпусков: {}", unsent.len())
            },
            error: unsent.iter().find_map(|r| r.error.clone()),
            failing: unsent.iter().any(|r| r.attempts > 0),
        });
    }
    Ok(SourcesPage {
        site: site(cfg),
        rows: health(cfg, archive, now)?,
        deliveries,
    })
}

/// How many stories the search page lists.
pub const SEARCH_STORIES: usize = 50;

/// `/search?q=…`: the stories found, best first (newest first with `sort:date`).
pub fn search(
    cfg: &Config,
    archive: &dyn Archive,
    q: &str,
    now: i64,
) -> Result<SearchPage, crate::search::SearchError> {
    let results = crate::search::run(cfg, archive, q, SEARCH_STORIES, false, now)?;
    let base = &cfg.server.base_url;
    let encoded: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    Ok(SearchPage {
        site: site(cfg),
        q: q.to_string(),
        error: None,
        found: results
            .stories
            .iter()
            .map(|f| FoundRow {
                story: story_row(cfg, &f.entry),
                title: f.title.clone(),
                snippet: f.snippet.clone(),
                matched: f.matched,
            })
            .collect(),
        feed: Some(FeedLinks {
            topic: false,
            title: format!("Поиск: {q}"),
            urls: [Format::Rss, Format::Atom, Format::Json]
                .into_iter()
                .map(|f| (f, format!("{base}/search.{}?q={encoded}", f.ext())))
                .collect(),
        }),
        building: results.building,
        capped: results.capped,
        by_date: results.query.by_date,
    })
}

/// The search page for a query that found nothing to show: empty (`error` `None`) or wrong.
pub fn search_failed(cfg: &Config, q: &str, error: Option<String>) -> SearchPage {
    SearchPage {
        site: site(cfg),
        q: q.to_string(),
        error,
        found: Vec::new(),
        feed: None,
        building: None,
        capped: false,
        by_date: false,
    }
}
