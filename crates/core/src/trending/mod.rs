//! Headline topics of a period: configured topics ranked by the stories that carry them, and
//! topics discovered in headlines — the names (places, people, organisations) that several
//! stories share. Pure: the store hands in rows, `now` is a parameter.

use std::collections::{HashMap, HashSet};

use crate::morph;
use crate::text::Stems;
use chrono::{DateTime, Utc};
use rumorph::Dictionary;
use serde::Serialize;

use crate::archive::{self, Archive};
use crate::config::Config;

pub use crate::model::Period;

mod names;

pub use names::Mentions;
pub(crate) use names::{Key, name_phrases, reading_of};
use names::{adjective_places, capital, capitalised, key_of, letter, looks_relative};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Configured {
    pub name: String,
    pub title: String,
    pub stories: u64,
    /// The agencies that carried those stories.
    pub agencies: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Discovered {
    /// The name in its dictionary form («Липецк», whatever forms the headlines used).
    pub term: String,
    pub stories: u64,
    /// The agencies whose headlines named it.
    pub agencies: u64,
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

/// Reads what the report needs from the store and builds it. The Russian dictionary is loaded
/// (once per process) only when there are headlines to find names in.
pub fn from_store(
    cfg: &Config,
    archive: &dyn Archive,
    period: Period,
    now: DateTime<Utc>,
) -> archive::Result<Trending> {
    let since = period.since(now);
    let counts = archive.topic_story_counts(since)?;
    let headlines = archive.headlines_since(since)?;
    let dict = if headlines.is_empty() {
        None
    } else {
        morph::dictionary()
    };
    Ok(trending(cfg, period, now, &counts, &headlines, dict))
}

/// The report of the reports published in `[since, until)` (a digest's period, which may lie
/// in the past), labelled `period`.
pub fn between(
    cfg: &Config,
    archive: &dyn Archive,
    period: Period,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> archive::Result<Trending> {
    let (s, u) = (since.timestamp(), until.timestamp());
    let counts = archive.topic_story_counts_between(s, u)?;
    let headlines = archive.headlines_between(s, u)?;
    let dict = if headlines.is_empty() {
        None
    } else {
        morph::dictionary()
    };
    let mut t = trending(cfg, period, until, &counts, &headlines, dict);
    t.since = since;
    Ok(t)
}

/// Builds the report from per-topic (stories, agencies) counts and the (story, source,
/// headline) rows of the period.
pub fn trending(
    cfg: &Config,
    period: Period,
    now: DateTime<Utc>,
    topic_counts: &[(String, u64, u64)],
    headlines: &[(i64, String, String)],
    dict: Option<&Dictionary>,
) -> Trending {
    let counts: HashMap<&str, (u64, u64)> = topic_counts
        .iter()
        .map(|(t, s, a)| (t.as_str(), (*s, *a)))
        .collect();
    let mut configured: Vec<Configured> = cfg
        .topics
        .iter()
        .map(|t| {
            let (stories, agencies) = counts.get(t.name.as_str()).copied().unwrap_or((0, 0));
            Configured {
                name: t.name.clone(),
                title: t.title.clone(),
                stories,
                agencies,
            }
        })
        .collect();
    configured.sort_by(|a, b| b.stories.cmp(&a.stories).then_with(|| a.name.cmp(&b.name)));
    Trending {
        period,
        since: period.since(now),
        configured,
        discovered: discover(cfg, headlines, dict),
    }
}

/// Names that several stories' headlines share. A name is a capitalised word that is not the
/// headline's first word (every headline starts with a capital), or an abbreviation in capitals
/// anywhere (МЧС, ИГИЛ). Forms of one name are counted together under its dictionary form
/// («Липецке», «Липецка» → «Липецк»); names a configured topic already covers are left out.
fn discover(
    cfg: &Config,
    headlines: &[(i64, String, String)],
    dict: Option<&Dictionary>,
) -> Vec<Discovered> {
    let stems = Stems::new();
    let covered: HashSet<Key> = cfg
        .topics
        .iter()
        .flat_map(|t| t.keywords.iter())
        .flat_map(|k| crate::text::raw_words(k).map(|w| key_of(&stems, dict, w).0))
        .collect();
    #[derive(Default)]
    struct Seen<'a> {
        stories: HashSet<i64>,
        agencies: HashSet<&'a str>,
        spellings: HashMap<&'a str, u64>,
        dictionary_form: Option<String>,
        /// Some headline names it other than by an adjective.
        named: bool,
    }
    // A week of ten thousand agencies is half a million headlines, and the same names come
    // back in most of them: each spelling is looked up in the dictionary once (memoized), and
    // each key counted under one number.
    let mut keys: HashMap<Key, usize> = HashMap::new();
    // Per spelling: its entry, its dictionary form, and whether it is a place's adjective
    // (`None`: a configured topic covers it).
    type Spelled = Option<(usize, Option<String>, bool)>;
    let mut spelled: HashMap<&str, Spelled> = HashMap::new();
    // The entries of places' adjectives, with every place the adjective may be made from.
    let mut adjectives: Vec<(usize, Vec<Key>)> = Vec::new();
    let mut first_words: HashMap<&str, bool> = HashMap::new();
    let mut seen: Vec<Seen> = Vec::new();
    for (story, source, title) in headlines {
        let words = title
            .split(|c: char| !letter(c) && !c.is_numeric() && c != '-')
            .filter(|w| !w.is_empty());
        for (i, w) in words.enumerate() {
            let w = w.trim_matches('-');
            // Neither a name nor an abbreviation without a capital: most words go here.
            if !w.chars().any(capital) {
                continue;
            }
            let letters = w.chars().filter(|&c| letter(c)).count();
            let upper = w.chars().filter(|&c| capital(c)).count();
            let abbreviation = letters >= 2 && upper == letters;
            let name = i > 0 && w.chars().next().is_some_and(capital) && letters >= 3;
            // Opening a headline, where the capital says nothing, a place's adjective
            // («Липецкий завод…») still names the place.
            // Each spelling is judged once: a week's headlines repeat their first words.
            let place_adjective = i == 0
                && !abbreviation
                && looks_relative(w)
                && *first_words
                    .entry(w)
                    .or_insert_with(|| dict.is_some_and(|d| !adjective_places(d, w).is_empty()));
            if !(abbreviation || name || place_adjective) {
                continue;
            }
            let known = spelled.entry(w).or_insert_with(|| {
                let (key, form) = key_of(&stems, dict, w);
                if covered.contains(&key) {
                    return None;
                }
                let next = keys.len();
                let at = *keys.entry(key).or_insert(next);
                if at == seen.len() {
                    seen.push(Seen::default());
                }
                let places = match dict {
                    Some(d) if looks_relative(w) => adjective_places(d, w),
                    _ => Vec::new(),
                };
                let adjective = !places.is_empty();
                if adjective {
                    adjectives.push((at, places));
                }
                Some((at, form, adjective))
            });
            let Some((at, form, adjective)) = known else {
                continue;
            };
            let s = &mut seen[*at];
            s.named |= !*adjective;
            s.stories.insert(*story);
            s.agencies.insert(source);
            *s.spellings.entry(w).or_default() += 1;
            if !abbreviation && s.dictionary_form.is_none() {
                s.dictionary_form = form.clone();
            }
        }
    }
    // An adjective that may come from several places («Елецкий»: Елец or Елецк) joins the
    // one the headlines name, when its first guess is named by nothing but adjectives.
    for (i, places) in adjectives {
        if seen[i].named {
            continue;
        }
        let Some(j) = places
            .iter()
            .filter_map(|k| keys.get(k).copied())
            .find(|&j| j != i && seen[j].named)
        else {
            continue;
        };
        let from = std::mem::take(&mut seen[i]);
        let to = &mut seen[j];
        to.stories.extend(from.stories);
        to.agencies.extend(from.agencies);
        for (w, n) in from.spellings {
            *to.spellings.entry(w).or_default() += n;
        }
    }
    let mut found: Vec<Discovered> = seen
        .into_iter()
        .filter(|s| s.stories.len() as u64 >= MIN_STORIES)
        .filter_map(|s| {
            let term = match &s.dictionary_form {
                Some(form) => capitalised(form),
                // An abbreviation or a word the dictionary lacks: the shortest spelling is most
                // often the dictionary form; among equals, the most used.
                None => s
                    .spellings
                    .iter()
                    .min_by(|a, b| {
                        a.0.chars()
                            .count()
                            .cmp(&b.0.chars().count())
                            .then_with(|| b.1.cmp(a.1))
                            .then_with(|| a.0.cmp(b.0))
                    })?
                    .0
                    .to_string(),
            };
            Some(Discovered {
                term,
                stories: s.stories.len() as u64,
                agencies: s.agencies.len() as u64,
            })
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

    fn rows(rows: &[(i64, &str, &str)]) -> Vec<(i64, String, String)> {
        rows.iter()
            .map(|(s, a, t)| (*s, a.to_string(), t.to_string()))
            .collect()
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn configured_topics_rank_by_stories_and_names_are_discovered() {
        let counts = [("crisis".to_string(), 4, 3), ("syria".to_string(), 2, 5)];
        let headlines = rows(&[
            (
                1,
                "lipetsk-news",
                "Снегопад в Липецке: коммунальщики вышли на улицы",
            ),
            (2, "gorod48", "Губернатор Липецка открыл новую школу"),
            (3, "lipetsk-news", "МЧС предупредило о гололёде"),
            (4, "vrn-vesti", "Воронежские спасатели МЧС провели учения"),
            (5, "gorod48", "Студенты из Сирии приехали в Липецк"),
            (5, "lipetsk-news", "Студенты из Сирии приехали в Липецк"),
            (6, "kursk-info", "Курская АЭС-2 вышла на мощность"),
        ]);
        let t = trending(
            &cfg(),
            Period::Week,
            now(),
            &counts,
            &headlines,
            crate::morph::dictionary(),
        );
        assert_eq!(t.since.to_rfc3339(), "2026-11-21T12:00:00+00:00");
        assert_eq!(t.configured[0].name, "crisis");
        assert_eq!((t.configured[1].stories, t.configured[1].agencies), (2, 5));
        // Липецке, Липецка, Липецк: one name in three stories from two agencies; МЧС in two
        // stories; «Сирии» is a configured topic; «Снегопад», «Студенты» and «Губернатор» only
        // start headlines.
        assert_eq!(
            t.discovered,
            [
                Discovered {
                    term: "Липецк".into(),
                    stories: 3,
                    agencies: 2,
                },
                Discovered {
                    term: "МЧС".into(),
                    stories: 2,
                    agencies: 2,
                },
            ]
        );
    }

    #[test]
    fn names_in_their_dictionary_form_even_when_no_headline_used_it() {
        let headlines = rows(&[
            (1, "bel-pravda", "Ракетная опасность в Белгороде"),
            (
                2,
                "kursk-info",
                "Дети из Белгорода отдохнут в Курской области",
            ),
            (
                2,
                "bel-pravda",
                "Дети из Белгорода отдохнут в Курской области",
            ),
            (3, "mosreg", "Новая больница в Королёве"),
            (4, "mosreg", "Жители Королева получат ключи"),
            (5, "mosreg", "Трамваи вернутся в Орле и Ельце"),
            (6, "orel-news", "Фестиваль в Ельце собрал тысячи гостей"),
        ]);
        let t = trending(
            &cfg(),
            Period::Day,
            now(),
            &[],
            &headlines,
            crate::morph::dictionary(),
        );
        let terms: Vec<(&str, u64, u64)> = t
            .discovered
            .iter()
            .map(|d| (d.term.as_str(), d.stories, d.agencies))
            .collect();
        assert_eq!(
            terms,
            [("Белгород", 2, 2), ("Елец", 2, 2), ("Королёв", 2, 1),]
        );
    }

    #[test]
    fn an_adjective_of_a_place_counts_as_the_place() {
        let headlines = rows(&[
            (1, "lipetsk-news", "Сирена прозвучит в Липецке в полдень"),
            (2, "gorod48", "Липецкий завод выпустил новый трактор"),
            (3, "gorod48", "Жители Липецкой области получат выплаты"),
            (4, "vrn-vesti", "Воронежские спасатели провели учения"),
            (5, "vrn-vesti", "Мост в Воронеже откроют в мае"),
            (6, "ryazan", "Рязанский кремль закроют на реставрацию"),
            (7, "ryazan", "Автобусы в Рязани подорожают"),
            (8, "elets", "Елецкий фестиваль собрал гостей"),
            (9, "elets", "В Ельце открыли музей"),
        ]);
        let dict = crate::morph::dictionary();
        let t = trending(&cfg(), Period::Day, now(), &[], &headlines, dict);
        let terms: Vec<(&str, u64)> = t
            .discovered
            .iter()
            .map(|d| (d.term.as_str(), d.stories))
            .collect();
        assert_eq!(
            terms,
            [("Липецк", 3), ("Воронеж", 2), ("Елец", 2), ("Рязань", 2)]
        );
        // A name links to a headline that names it, in any form; not to one that shares a stem.
        let m = Mentions::new(dict, [(1, "Липа зацвела в сквере"), (2, "Завод в Липецке")]);
        assert_eq!(m.first(dict, "Липецк"), Some(2));
        let m = Mentions::new(dict, [(3, "Липецкий трактор"), (4, "Новый мост")]);
        assert_eq!(m.first(dict, "Липецк"), Some(3));
        assert_eq!(m.first(dict, "Воронеж"), None);
    }

    #[test]
    fn periods() {
        assert_eq!(Period::parse("month"), Some(Period::Month));
        assert_eq!(Period::parse("year"), None);
    }
}
