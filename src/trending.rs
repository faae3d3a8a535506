//! Headline topics of a period: configured topics ranked by the stories that carry them, and
//! topics discovered in headlines — the names (places, people, organisations) that several
//! stories share. Pure: the store hands in rows, `now` is a parameter.

use std::collections::{HashMap, HashSet};

use crate::text::Stems;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::config::Config;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Day,
    Week,
    Month,
}

impl Period {
    pub fn parse(s: &str) -> Option<Period> {
        match s {
            "day" => Some(Period::Day),
            "week" => Some(Period::Week),
            "month" => Some(Period::Month),
            _ => None,
        }
    }

    pub fn since(self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - match self {
            Period::Day => Duration::days(1),
            Period::Week => Duration::days(7),
            Period::Month => Duration::days(30),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Configured {
    pub name: String,
    pub title: String,
    pub stories: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Discovered {
    /// The spelling most headlines used.
    pub term: String,
    pub stories: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Trending {
    pub period: Period,
    pub since: DateTime<Utc>,
    pub configured: Vec<Configured>,
    pub discovered: Vec<Discovered>,
}

/// How many discovered topics to report, and how many stories make one.
const DISCOVERED: usize = 10;
const MIN_STORIES: u64 = 2;

/// Reads what the report needs from the store and builds it.
pub fn from_store(
    cfg: &Config,
    conn: &rusqlite::Connection,
    period: Period,
    now: DateTime<Utc>,
) -> rusqlite::Result<Trending> {
    let since = period.since(now);
    let counts = crate::store::topic_story_counts(conn, since)?;
    let headlines = crate::store::headlines_since(conn, since)?;
    Ok(trending(cfg, period, now, &counts, &headlines))
}

/// Builds the report from per-topic story counts and the (story, headline) pairs of the period.
pub fn trending(
    cfg: &Config,
    period: Period,
    now: DateTime<Utc>,
    topic_counts: &[(String, u64)],
    headlines: &[(i64, String)],
) -> Trending {
    let counts: HashMap<&str, u64> = topic_counts.iter().map(|(t, n)| (t.as_str(), *n)).collect();
    let mut configured: Vec<Configured> = cfg
        .topics
        .iter()
        .map(|t| Configured {
            name: t.name.clone(),
            title: t.title.clone(),
            stories: counts.get(t.name.as_str()).copied().unwrap_or(0),
        })
        .collect();
    configured.sort_by(|a, b| b.stories.cmp(&a.stories).then_with(|| a.name.cmp(&b.name)));
    Trending {
        period,
        since: period.since(now),
        configured,
        discovered: discover(cfg, headlines),
    }
}

/// Names that several stories' headlines share. A name is a capitalised word that is not the
/// headline's first word (every headline starts with a capital), or an abbreviation in capitals
/// anywhere (МЧС, ИГИЛ). Forms of one name are counted together by their Snowball stem
/// («Липецке», «Липецка»); names a configured topic already covers are left out.
fn discover(cfg: &Config, headlines: &[(i64, String)]) -> Vec<Discovered> {
    let stems = Stems::new();
    let stem = |w: &str| stems.stem(w);
    let covered: HashSet<String> = cfg
        .topics
        .iter()
        .flat_map(|t| t.keywords.iter())
        .flat_map(|k| k.split_whitespace().map(&stem).collect::<Vec<_>>())
        .collect();
    let mut stories: HashMap<String, HashSet<i64>> = HashMap::new();
    let mut spellings: HashMap<String, HashMap<String, u64>> = HashMap::new();
    for (story, title) in headlines {
        let words = title
            .split(|c: char| !c.is_alphanumeric() && c != '-')
            .filter(|w| !w.is_empty());
        for (i, w) in words.enumerate() {
            let w = w.trim_matches('-');
            let letters = w.chars().filter(|c| c.is_alphabetic()).count();
            let upper = w.chars().filter(|c| c.is_uppercase()).count();
            let abbreviation = letters >= 2 && upper == letters;
            let name = i > 0 && w.chars().next().is_some_and(char::is_uppercase) && letters >= 3;
            if !(abbreviation || name) {
                continue;
            }
            let key = stem(w);
            if covered.contains(&key) {
                continue;
            }
            stories.entry(key.clone()).or_default().insert(*story);
            *spellings
                .entry(key)
                .or_default()
                .entry(w.to_string())
                .or_default() += 1;
        }
    }
    let mut found: Vec<Discovered> = stories
        .into_iter()
        .filter(|(_, s)| s.len() as u64 >= MIN_STORIES)
        .map(|(key, s)| {
            // The shortest spelling is most often the dictionary form («Липецк», not
            // «Липецке»); among equals, the most used.
            let term = spellings
                .get(&key)
                .and_then(|m| {
                    m.iter().min_by(|a, b| {
                        a.0.chars()
                            .count()
                            .cmp(&b.0.chars().count())
                            .then_with(|| b.1.cmp(a.1))
                            .then_with(|| a.0.cmp(b.0))
                    })
                })
                .map_or(key.clone(), |(w, _)| w.clone());
            Discovered {
                term,
                stories: s.len() as u64,
            }
        })
        .collect();
    found.sort_by(|a, b| b.stories.cmp(&a.stories).then_with(|| a.term.cmp(&b.term)));
    found.truncate(DISCOVERED);
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn cfg() -> Config {
        Config::parse(
            "[[topic]]\nname = \"syria\"\ntitle = \"Сирия\"\nkeywords = [\"Сирия\"]\n\n\
             [[topic]]\nname = \"crisis\"\ntitle = \"Кризис\"\nkeywords = [\"кризис\"]\n",
            Path::new("svodka.toml"),
        )
        .unwrap()
    }

    #[test]
    fn configured_topics_rank_by_stories_and_names_are_discovered() {
        let now = DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let counts = [("crisis".to_string(), 4), ("syria".to_string(), 2)];
        let headlines: Vec<(i64, String)> = [
            (1, "Снегопад в Липецке: коммунальщики вышли на улицы"),
            (2, "Губернатор Липецка открыл новую школу"),
            (3, "МЧС предупредило о гололёде"),
            (4, "Воронежские спасатели МЧС провели учения"),
            (5, "Студенты из Сирии приехали в Липецк"),
            (5, "Студенты из Сирии приехали в Липецк"),
            (6, "Курская АЭС-2 вышла на мощность"),
        ]
        .iter()
        .map(|(s, t)| (*s, t.to_string()))
        .collect();
        let t = trending(&cfg(), Period::Week, now, &counts, &headlines);
        assert_eq!(t.since.to_rfc3339(), "2026-11-21T12:00:00+00:00");
        assert_eq!(t.configured[0].name, "crisis");
        assert_eq!(t.configured[1].stories, 2);
        // Липецке, Липецка, Липецк: one name in three stories; МЧС in two; «Сирии» is a
        // configured topic; «Снегопад», «Студенты» and «Губернатор» only start headlines.
        assert_eq!(
            t.discovered,
            [
                Discovered {
                    term: "Липецк".into(),
                    stories: 3
                },
                Discovered {
                    term: "МЧС".into(),
                    stories: 2
                },
            ]
        );
    }

    #[test]
    fn periods() {
        assert_eq!(Period::parse("month"), Some(Period::Month));
        assert_eq!(Period::parse("year"), None);
    }
}
