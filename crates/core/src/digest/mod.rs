//! The сводка: scheduled digests. An edition is the period's biggest stories (most agencies,
//! then most reports, then the newest) and its trending topics and names, made once per cron
//! tick, stored, published at `/digests/NAME…` and mailed.
//!
//! `plan` says which tick is due and what period it covers; `gather` reads an archive into an
//! [`Edition`]; `render` turns one into HTML, text or Markdown. Making them on time and mailing
//! them is the binary's (`svodka::digest`).

/// A digest's and an alert's config, parsed with the rest of the config.
pub use crate::config::digest as config;
pub mod render;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::archive::{self, Archive, StoreError};
use crate::config::Config;
use config::Digest;

/// How long after its tick an edition still counts as on time.
const LATE_AFTER_SECS: i64 = 60;
/// An edition made after a long stop covers at most this many periods.
const MAX_PERIODS: i64 = 7;
/// Missed ticks are counted up to this many (a per-second cron stopped for a week).
const MAX_COUNTED: u64 = 10_000;

/// Which edition is due now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub tick: DateTime<Utc>,
    /// The period covered: reports published in `[since, until)`.
    pub since: i64,
    pub until: i64,
    /// Ticks before `tick` that passed without an edition (the daemon was down); this edition
    /// stands for them too.
    pub missed: u64,
    /// Made well after its tick, or for missed ticks: the edition says so.
    pub late: bool,
}

/// The edition due at `now`: that of the last tick at or before `now`, unless one at or after
/// that tick is stored already (`last`: the newest stored edition's tick and end) or the tick
/// came before the digest was first scheduled (`watched`). `None`: nothing is due.
pub fn plan(
    d: &Digest,
    last: Option<(i64, i64)>,
    watched: i64,
    now: DateTime<Utc>,
) -> Option<Plan> {
    let after = last.map_or(watched, |(tick, _)| tick);
    let tick = d.cron.last_at_or_before(now)?;
    if tick.timestamp() <= after {
        return None;
    }
    let from = DateTime::<Utc>::from_timestamp(after, 0)?;
    let mut first_missed = None;
    let mut missed = 0u64;
    let mut t = d.cron.next_after(from);
    while let Some(at) = t {
        if at >= tick || missed >= MAX_COUNTED {
            break;
        }
        first_missed.get_or_insert(at.timestamp());
        missed += 1;
        t = d.cron.next_after(at);
    }
    let p = d.period.seconds();
    let until = tick.timestamp();
    let mut since = until - p;
    if let Some(first) = first_missed {
        since = since.min(first - p);
        if let Some((_, last_until)) = last {
            since = since.min(last_until);
        }
        since = since.max(until - MAX_PERIODS * p);
    }
    Some(Plan {
        tick,
        since,
        until,
        missed,
        late: missed > 0 || (now - tick).num_seconds() > LATE_AFTER_SECS,
    })
}

/// An edition's key, its address under `/digests/NAME/`: the date in `server.timezone`, with the
/// time when the digest is made more than once a day.
pub fn edition_key(tz: chrono_tz::Tz, d: &Digest, tick: DateTime<Utc>) -> String {
    let local = tick.with_timezone(&tz);
    if d.cron.period_near(tick) < chrono::Duration::days(1) {
        local.format("%Y-%m-%d-%H%M%S").to_string()
    } else {
        local.format("%Y-%m-%d").to_string()
    }
}

/// One edition as made: everything it shows, so that it reads the same however the config or
/// the store change later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edition {
    pub digest: String,
    pub title: String,
    pub key: String,
    pub since: i64,
    pub until: i64,
    pub made: i64,
    pub late: Option<Late>,
    pub stories: Vec<Story>,
    /// Configured topics with stories in the period, most first.
    pub topics: Vec<Count>,
    /// Names the period's headlines share (places, people, organisations).
    pub names: Vec<Count>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Late {
    /// The tick it was due at.
    pub tick: i64,
    /// Earlier ticks it stands for.
    pub missed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Story {
    pub id: i64,
    pub title: String,
    /// The lead report's own link.
    pub link: Option<String>,
    /// Agencies' titles, the lead's first.
    pub agencies: Vec<String>,
    pub reports: u64,
    /// (name, title) of its configured topics.
    pub topics: Vec<(String, String)>,
    pub published: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    /// A configured topic's name (its page is `/topics/NAME`); `None` for a discovered name.
    pub name: Option<String>,
    pub title: String,
    pub stories: u64,
    pub agencies: u64,
}

impl Edition {
    pub fn is_empty(&self) -> bool {
        self.stories.is_empty()
    }
}

/// Reads the store into the edition `plan` calls for (made at `now`).
pub fn gather(
    cfg: &Config,
    archive: &dyn Archive,
    d: &Digest,
    plan: &Plan,
    now: DateTime<Utc>,
) -> archive::Result<Edition> {
    let sources = d.filter.source_names(&cfg.sources);
    let found = match &d.filter.query {
        Some(q) => Some(found_by(cfg, archive, q, plan, now)?),
        None => None,
    };
    let period = archive::Period {
        since: plan.since,
        until: plan.until,
        sources: sources.as_deref(),
        topics: &d.filter.topics,
        min_reports: 1,
        stories: found.as_deref(),
    };
    let biggest = archive.biggest_stories_in(&period, d.stories)?;
    let agency = |name: &str| {
        cfg.source(name)
            .map_or(name, |s| s.title.as_str())
            .to_string()
    };
    let stories = biggest
        .into_iter()
        .map(|(s, _)| {
            let mut agencies = vec![agency(&s.source)];
            for o in &s.others {
                let a = agency(&o.source);
                if !agencies.contains(&a) {
                    agencies.push(a);
                }
            }
            Story {
                id: s.story,
                topics: s
                    .topics
                    .iter()
                    .map(|t| {
                        let title = cfg.topic(t).map_or(t.as_str(), |t| t.title.as_str());
                        (t.clone(), title.to_string())
                    })
                    .collect(),
                reports: s.others.len() as u64 + 1,
                title: s.title,
                link: s.link,
                agencies,
                published: s.published,
            }
        })
        .collect();
    let at = |ts| DateTime::<Utc>::from_timestamp(ts, 0).unwrap_or_default();
    let trending = crate::trending::between(
        cfg,
        archive,
        d.period.trending(),
        at(plan.since),
        at(plan.until),
    )?;
    Ok(Edition {
        digest: d.name.clone(),
        title: d.title.clone(),
        key: edition_key(cfg.server.timezone, d, plan.tick),
        since: plan.since,
        until: plan.until,
        made: now.timestamp(),
        late: plan.late.then_some(Late {
            tick: plan.tick.timestamp(),
            missed: plan.missed,
        }),
        stories,
        topics: trending
            .configured
            .into_iter()
            .filter(|c| c.stories > 0)
            .map(|c| Count {
                name: Some(c.name),
                title: c.title,
                stories: c.stories,
                agencies: c.agencies,
            })
            .collect(),
        names: trending
            .discovered
            .into_iter()
            .map(|c| Count {
                name: None,
                title: c.term,
                stories: c.stories,
                agencies: c.agencies,
            })
            .collect(),
    })
}

/// The stories of the period a digest's `query` finds. The query was checked with the config;
/// one that fails now (too slow, or a config gone stale) makes no edition rather than a wrong
/// one, and the error says why.
fn found_by(
    cfg: &Config,
    archive: &dyn Archive,
    q: &str,
    plan: &Plan,
    now: DateTime<Utc>,
) -> archive::Result<Vec<i64>> {
    let failed = |reason: String| StoreError::Query {
        query: q.to_string(),
        reason,
    };
    let lem = crate::search::Lemmatizer::new();
    let query = crate::search::Query::parse(q, cfg, &lem).map_err(|e| failed(e.to_string()))?;
    match crate::search::stories_found(archive, &query, plan.since, plan.until, now.timestamp()) {
        Ok(found) => Ok(found),
        Err(crate::search::SearchError::Store(e)) => Err(e),
        Err(e) => Err(failed(e.to_string())),
    }
}

/// The stored row of an edition.
pub fn to_row(d: &Digest, e: &Edition, tick: i64) -> crate::model::EditionRow {
    crate::model::EditionRow {
        digest: d.name.clone(),
        tick,
        key: e.key.clone(),
        since: e.since,
        until: e.until,
        made: e.made,
        body: serde_json::to_string(e).unwrap_or_default(),
        mail_to: (!d.to.is_empty()).then(|| d.to.join("\n")),
        sent: None,
        attempts: 0,
        error: None,
    }
}

/// The edition a stored row holds; `None` when its JSON cannot be read (written by a newer
/// version, or damaged).
pub fn from_row(row: &crate::model::EditionRow) -> Option<Edition> {
    serde_json::from_str(&row.body).ok()
}

/// How many editions a digest's feed and archive list.
pub const LISTED: usize = 60;

/// A digest's stored editions, newest first, with their rows (unreadable ones left out).
pub fn stored(
    archive: &dyn Archive,
    name: &str,
    limit: usize,
) -> archive::Result<Vec<(crate::model::EditionRow, Edition)>> {
    Ok(archive
        .editions(name, limit)?
        .into_iter()
        .filter_map(|r| from_row(&r).map(|e| (r, e)))
        .collect())
}

/// The archive page of a digest.
pub fn archive_page(cfg: &Config, archive: &dyn Archive, d: &Digest) -> archive::Result<String> {
    let rows: Vec<render::ArchiveRow> = stored(archive, &d.name, LISTED)?
        .into_iter()
        .map(|(_, e)| render::ArchiveRow {
            headline: render::headline(cfg.server.timezone, &e),
            stories: e.stories.len(),
            late: e.late.is_some(),
            key: e.key,
        })
        .collect();
    Ok(render::archive(
        &d.title,
        &d.name,
        &rows,
        &crate::pages::site(cfg),
    ))
}

/// One edition's page, by key or date; `None` when there is none.
pub fn edition_page(
    cfg: &Config,
    archive: &dyn Archive,
    d: &Digest,
    key: &str,
) -> archive::Result<Option<String>> {
    let row = archive.edition(&d.name, key)?;
    Ok(row
        .as_ref()
        .and_then(from_row)
        .map(|e| render::page(&e, &crate::pages::site(cfg))))
}

/// A digest's feed in `format` and the time its newest edition was made.
pub fn feed(
    cfg: &Config,
    archive: &dyn Archive,
    d: &Digest,
    format: crate::publish::Format,
) -> archive::Result<(String, Option<i64>)> {
    let editions: Vec<Edition> = stored(archive, &d.name, LISTED)?
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    let newest = editions.iter().map(|e| e.made).max();
    let view = render::feed_view(cfg, d, &editions, format.ext());
    let hub = cfg.server.websub_hub.as_ref().map(|u| u.as_str());
    Ok((format.render(&view, hub), newest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Schedule;

    fn digest(cron: &str, period: config::Period) -> Digest {
        Digest {
            name: "morning".into(),
            title: "Утренняя сводка".into(),
            cron: Schedule::parse(cron).unwrap(),
            period,
            filter: config::Filter {
                all: true,
                ..config::Filter::default()
            },
            stories: 15,
            to: Vec::new(),
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn nothing_is_due_before_the_first_tick_after_the_digest_was_first_scheduled() {
        let d = digest("*/10 * * * * *", config::Period::Day);
        let w = at("2026-12-07T08:00:05Z");
        assert_eq!(plan(&d, None, w.timestamp(), w), None);
        assert_eq!(
            plan(&d, None, w.timestamp(), at("2026-12-07T08:00:09Z")),
            None
        );
        let p = plan(&d, None, w.timestamp(), at("2026-12-07T08:00:10Z")).unwrap();
        assert_eq!(p.tick, at("2026-12-07T08:00:10Z"));
        assert_eq!((p.missed, p.late), (0, false));
        assert_eq!(p.until - p.since, 86_400);
    }

    #[test]
    fn a_tick_already_made_is_not_made_again() {
        let d = digest("*/10 * * * * *", config::Period::Day);
        let t = at("2026-12-07T08:00:10Z").timestamp();
        assert_eq!(plan(&d, Some((t, t)), 0, at("2026-12-07T08:00:15Z")), None);
    }

    #[test]
    fn missed_ticks_make_one_late_edition_covering_them() {
        let d = digest("*/10 * * * * *", config::Period::Day);
        let last = at("2026-12-07T08:00:10Z").timestamp();
        let p = plan(&d, Some((last, last)), 0, at("2026-12-07T08:00:45Z")).unwrap();
        assert_eq!(p.tick, at("2026-12-07T08:00:40Z"));
        assert_eq!(p.missed, 2, "08:00:20 and 08:00:30");
        assert!(p.late);
        assert_eq!(p.until, p.tick.timestamp());
        assert!(p.since <= last, "the missed time is covered");
    }

    #[test]
    fn a_daily_digest_missed_for_three_days_covers_them_all_once() {
        let d = digest("0 8 * * *", config::Period::Day);
        let last = chrono::Local
            .with_ymd_and_hms(2026, 12, 4, 8, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        let now = last + chrono::Duration::days(3) + chrono::Duration::hours(2);
        let p = plan(&d, Some((last.timestamp(), last.timestamp())), 0, now).unwrap();
        assert_eq!(p.missed, 2);
        assert!(p.late);
        assert_eq!(p.since, last.timestamp());
        assert_eq!(p.until, (last + chrono::Duration::days(3)).timestamp());
    }

    use chrono::TimeZone;

    #[test]
    fn keys_are_dates_unless_made_more_than_daily() {
        let t = at("2026-12-07T05:00:00Z");
        assert_eq!(
            edition_key(
                chrono_tz::Tz::Europe__Moscow,
                &digest("0 8 * * *", config::Period::Day),
                t
            ),
            "2026-12-07"
        );
        assert_eq!(
            edition_key(
                chrono_tz::Tz::Europe__Moscow,
                &digest("*/2 * * * * *", config::Period::Day),
                t
            ),
            "2026-12-07-080000"
        );
    }
}
