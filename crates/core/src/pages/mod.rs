//! The pages a person opens in a browser: the bulletin at `/`, a topic's stories, one story
//! with every report, and the sources' health.
//!
//! Each page is a plain struct (`Front`, `TopicPage`, `StoryPage`, `SourcesPage`) built by
//! `gather` from an `Archive`, and rendered to HTML by `html` (maud templates, checked at compile
//! time, escaped by construction). Building and rendering are pure: `now` is a parameter.

mod gather;
mod html;

pub use gather::{front, search, search_failed, site, sources, story, topic};
pub use html::{
    render_framed, render_front, render_not_found, render_search, render_sources, render_story,
    render_topic,
};

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;

use crate::publish::{Format, Target};

/// How many stories the bulletin lists, and how many a topic's page lists.
pub const FRONT_STORIES: usize = 30;
/// How many stories the bulletin reads to find the week's most carried ones, and shows of them.
pub const FRONT_SCAN: usize = 200;
pub const FRONT_TOP: usize = 5;
pub const TOPIC_STORIES: usize = 50;

/// One published feed with its URL in every format, for subscribe links and autodiscovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedLinks {
    pub topic: bool,
    pub title: String,
    /// (format, absolute URL), in the order RSS, Atom, JSON Feed.
    pub urls: Vec<(Format, String)>,
}

impl FeedLinks {
    pub fn new(base: &str, target: &Target, title: &str) -> FeedLinks {
        FeedLinks {
            topic: matches!(target, Target::Topic(_)),
            title: title.to_string(),
            urls: [Format::Rss, Format::Atom, Format::Json]
                .into_iter()
                .map(|f| (f, format!("{base}{}", target.path(f.ext()))))
                .collect(),
        }
    }
}

/// What every page shares: the site's feeds (for `<link rel="alternate">`) and the OPML URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub base: String,
    /// The zone the pages' times are in (`server.timezone`).
    pub tz: chrono_tz::Tz,
    pub feeds: Vec<FeedLinks>,
    /// Search is on (`[search] index`): the header holds the search box.
    pub search: bool,
}

/// A configured topic as a tag on a story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicTag {
    pub name: String,
    pub title: String,
}

/// A story in a list: its lead headline, the agencies that carried it (the lead's first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryRow {
    pub id: i64,
    pub title: String,
    pub agencies: Vec<String>,
    pub published: i64,
    pub topics: Vec<TopicTag>,
}

/// A configured topic of the period, with the stories that carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrendTopic {
    pub name: String,
    pub title: String,
    pub stories: u64,
}

/// A name discovered in headlines, linked to its newest story on the page when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrendName {
    pub term: String,
    pub stories: u64,
    pub story: Option<i64>,
}

/// `/`: the bulletin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Front {
    pub site: Site,
    /// The week of «Главные темы» ends here: now, or the newest story when nothing newer came
    /// (a bulletin whose sources went quiet still shows its last week, and says which).
    pub week_ends: i64,
    /// Whether `week_ends` is well before now, so the page names the day.
    pub quiet: bool,
    pub topics: Vec<TrendTopic>,
    pub names: Vec<TrendName>,
    /// «Главное»: the week's stories most agencies carried (at least two).
    pub top: Vec<StoryRow>,
    pub stories: Vec<StoryRow>,
    pub health: Vec<HealthRow>,
}

/// `/topics/NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicPage {
    pub site: Site,
    pub name: String,
    pub title: String,
    pub keywords: Vec<String>,
    pub feed: FeedLinks,
    pub stories: Vec<StoryRow>,
    /// A reload added or changed the topic and the stored reports are still being tagged.
    pub pending: bool,
}

/// One story a search found: as in a list, with its best report's headline and snippet marked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundRow {
    pub story: StoryRow,
    /// The best matching report's headline, the words found marked.
    pub title: Vec<(String, bool)>,
    pub snippet: Vec<(String, bool)>,
    /// How many of the story's reports matched.
    pub matched: usize,
}

/// `/search?q=…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPage {
    pub site: Site,
    pub q: String,
    /// What is wrong with the query, in the reader's words.
    pub error: Option<String>,
    pub found: Vec<FoundRow>,
    /// The search's own feed, in every format (none for an empty or bad query).
    pub feed: Option<FeedLinks>,
    /// Reports stored before the index whose indexing is still to come (ids to go).
    pub building: Option<i64>,
    /// More matched than were read: the list is the best of them.
    pub capped: bool,
    pub by_date: bool,
}

/// One agency's report on a story's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    pub agency: String,
    /// The agency's own headline; `None` for a word-for-word copy (its headline is not kept).
    pub title: Option<String>,
    pub link: Option<String>,
    pub published: i64,
}

/// `/stories/ID`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryPage {
    pub site: Site,
    pub id: i64,
    pub title: String,
    pub topics: Vec<TopicTag>,
    pub reports: Vec<ReportRow>,
    /// «Развитие сюжета»: earlier and later stories of the same affair, newest first (their
    /// topics are not shown).
    pub related: Vec<StoryRow>,
}

/// `/sources`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcesPage {
    pub site: Site,
    pub rows: Vec<HealthRow>,
    /// Digests' mail and alerts' targets: where svodka delivers, and how that goes.
    pub deliveries: Vec<DeliveryRow>,
}

/// A digest's mailing or an alert's target on the sources page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRow {
    pub name: String,
    /// «доставлено: 3», «не отправлено выпусков: 2».
    pub state: String,
    pub error: Option<String>,
    pub failing: bool,
}

/// How a source is doing, as a reader of the page should see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Ok,
    /// The last fetches failed (`error_streak > 0`).
    Failing,
    /// Nothing fetched successfully for several schedule periods.
    Stale,
    /// 410 Gone: no longer polled.
    Gone,
    Never,
    Disabled,
}

impl Health {
    /// The CSS class, and the word a reader sees.
    pub fn class(self) -> &'static str {
        match self {
            Health::Ok => "ok",
            Health::Failing => "failing",
            Health::Stale => "stale",
            Health::Gone => "gone",
            Health::Never => "never",
            Health::Disabled => "disabled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Health::Ok => "работает",
            Health::Failing => "ошибка",
            Health::Stale => "нет данных",
            Health::Gone => "удалена (410)",
            Health::Never => "ещё не загружался",
            Health::Disabled => "отключён",
        }
    }

    /// Whether the bulletin's strip should make this source stand out.
    pub fn is_trouble(self) -> bool {
        matches!(self, Health::Failing | Health::Stale | Health::Gone)
    }
}

/// One row of `svodka sources`, as a page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthRow {
    pub name: String,
    pub title: String,
    pub url: String,
    pub health: Health,
    /// The last error in full (for `/sources` and the CLI).
    pub error: Option<String>,
    /// The last error as a few Russian words a reader of the bulletin understands.
    pub reason: Option<String>,
    pub status: Option<u16>,
    pub error_streak: u32,
    pub last_fetch: Option<i64>,
    pub last_success: Option<i64>,
    pub items: u64,
    pub moved_to: Option<String>,
}

/// What the state of a source means to a reader. `period` is the source's schedule period:
/// a source that has not answered well for three of them (at least an hour) is stale.
pub fn classify(
    enabled: bool,
    gone: bool,
    error_streak: u32,
    last_fetch: Option<i64>,
    last_success: Option<i64>,
    period_secs: i64,
    now: i64,
) -> Health {
    let stale_after = (3 * period_secs).max(3600);
    if gone {
        Health::Gone
    } else if !enabled {
        Health::Disabled
    } else if last_fetch.is_none() {
        Health::Never
    } else if error_streak > 0 {
        Health::Failing
    } else if last_success.is_none_or(|t| now - t > stale_after) {
        Health::Stale
    } else {
        Health::Ok
    }
}

/// A fetch error (as `svodka sources` shows it) in a few Russian words: what went wrong, not
/// the error chain. The full text stays on `/sources` and in the CLI.
pub fn short_reason(error: &str) -> String {
    let e = error.to_ascii_lowercase();
    let status = e
        .split("http ")
        .nth(1)
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse::<u16>().ok());
    match status {
        Some(404) => return "страница не найдена (404)".into(),
        Some(410) => return "лента удалена (410)".into(),
        Some(s @ (401 | 403)) => return format!("доступ закрыт ({s})"),
        Some(429) => return "сервер просит подождать (429)".into(),
        Some(s @ 500..=599) => return format!("ошибка на сервере ({s})"),
        Some(s @ 400..=499) => return format!("сервер отказал ({s})"),
        _ => {}
    }
    if e.contains("html page") {
        "не лента: HTML-страница".into()
    } else if e.contains("timed out") {
        "сервер не отвечает (тайм-аут)".into()
    } else if e.contains("not a feed") {
        "не лента: документ не читается".into()
    } else if e.contains("empty document") {
        "пустой ответ".into()
    } else if e.contains("parsed 0 of") {
        "новости в ленте не читаются".into()
    } else if e.contains("larger than") {
        "лента слишком большая".into()
    } else if e.contains("redirect") {
        "ошибка перенаправления".into()
    } else if e.contains("dns") || e.contains("resolve") || e.contains("lookup") {
        "адрес не найден (DNS)".into()
    } else if e.contains("certificate") || e.contains("tls") {
        "ошибка защищённого соединения (TLS)".into()
    } else if e.contains("connect") || e.contains("sending request") || e.contains("connection") {
        "сервер не отвечает".into()
    } else {
        "ошибка загрузки".into()
    }
}

const MONTHS: [&str; 12] = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
];

/// «28 ноября, 14:30» in the pages' zone; the year when it is not `this_year`.
pub fn human_time(tz: Tz, ts: i64, this_year: i32) -> String {
    let Some(t) = DateTime::<Utc>::from_timestamp(ts, 0) else {
        return String::new();
    };
    let t = t.with_timezone(&tz);
    let month = MONTHS[t.month0() as usize % 12];
    if t.year() == this_year {
        format!("{} {month}, {}", t.day(), t.format("%H:%M"))
    } else {
        format!("{} {month} {}, {}", t.day(), t.year(), t.format("%H:%M"))
    }
}

/// «28 ноября» in the pages' zone.
pub fn human_day(tz: Tz, ts: i64) -> String {
    let Some(t) = DateTime::<Utc>::from_timestamp(ts, 0) else {
        return String::new();
    };
    let t = t.with_timezone(&tz);
    format!("{} {}", t.day(), MONTHS[t.month0() as usize % 12])
}

/// The `datetime` attribute of `<time>`.
pub fn iso_time(tz: Tz, ts: i64) -> String {
    DateTime::<Utc>::from_timestamp(ts, 0)
        .unwrap_or_default()
        .with_timezone(&tz)
        .to_rfc3339()
}

/// The year of `ts` in the pages' zone.
pub fn year_of(tz: Tz, ts: i64) -> i32 {
    DateTime::<Utc>::from_timestamp(ts, 0)
        .unwrap_or_default()
        .with_timezone(&tz)
        .year()
}

/// «1 сюжет», «3 сюжета», «5 сюжетов», «21 сюжет», «11 сюжетов».
pub fn stories_word(n: u64) -> &'static str {
    match (n % 10, n % 100) {
        (_, 11..=14) => "сюжетов",
        (1, _) => "сюжет",
        (2..=4, _) => "сюжета",
        _ => "сюжетов",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_as_a_reader_sees_it() {
        let now = 1_800_000_000;
        let period = 900;
        let c = |enabled, gone, streak, fetched: Option<i64>, ok: Option<i64>| {
            classify(enabled, gone, streak, fetched, ok, period, now)
        };
        assert_eq!(
            c(true, false, 0, Some(now - 60), Some(now - 60)),
            Health::Ok
        );
        assert_eq!(
            c(true, false, 2, Some(now - 60), Some(now - 900)),
            Health::Failing
        );
        // Fetched (and failing) for a day: failing says more than stale.
        assert_eq!(c(true, false, 9, Some(now - 60), None), Health::Failing);
        // Last good answer two hours ago with a 15-minute schedule: stale.
        assert_eq!(
            c(true, false, 0, Some(now - 7200), Some(now - 7200)),
            Health::Stale
        );
        assert_eq!(
            c(true, true, 0, Some(now - 60), Some(now - 60)),
            Health::Gone
        );
        assert_eq!(c(false, false, 0, None, None), Health::Disabled);
        assert_eq!(c(true, false, 0, None, None), Health::Never);
        assert!(Health::Stale.is_trouble() && !Health::Never.is_trouble());
    }

    #[test]
    fn errors_in_a_few_russian_words() {
        let cases = [
            ("HTTP 404", "страница не найдена (404)"),
            ("HTTP 503 (retry after 60 s)", "ошибка на сервере (503)"),
            ("timed out after 30s", "сервер не отвечает (тайм-аут)"),
            (
                "error sending request for url (http://127.0.0.1:9/): client error (Connect): tcp connect error: Connection refused (os error 111)",
                "сервер не отвечает",
            ),
            (
                "an HTML page, not a feed (decoded as UTF-8); it announces a feed: http://a.example/rss",
                "не лента: HTML-страница",
            ),
            (
                "parsed 0 of 12 items: missing title",
                "новости в ленте не читаются",
            ),
            ("cannot save the items", "ошибка загрузки"),
        ];
        for (error, short) in cases {
            assert_eq!(short_reason(error), short, "{error}");
        }
    }

    #[test]
    fn times_are_moscow_time_in_russian() {
        // 2026-11-26 09:30 UTC is 12:30 in Moscow.
        let ts = 1_795_685_400;
        let msk = Tz::Europe__Moscow;
        assert_eq!(human_time(msk, ts, 2026), "26 ноября, 12:30");
        assert_eq!(human_time(msk, ts, 2027), "26 ноября 2026, 12:30");
        assert_eq!(human_day(msk, ts), "26 ноября");
        assert_eq!(iso_time(msk, ts), "2026-11-26T12:30:00+03:00");
        // Another configured zone: Yekaterinburg is two hours ahead of Moscow.
        assert_eq!(
            human_time(Tz::Asia__Yekaterinburg, ts, 2026),
            "26 ноября, 14:30"
        );
        let words: Vec<&str> = [1, 3, 5, 11, 21, 102].map(stories_word).to_vec();
        assert_eq!(
            words,
            ["сюжет", "сюжета", "сюжетов", "сюжетов", "сюжет", "сюжета"]
        );
    }
}
