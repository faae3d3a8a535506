//! Headline topics: configured keywords matched on the words of an item's title and lead (or,
//! with `scope = "text"`, its whole text).
//!
//! A keyword is a dictionary form (a lemma), and a word matches it when one of the word's
//! readings in the Russian dictionary ([`crate::morph`]) has that lemma: «Химки» finds «Химок»,
//! «Сирия» finds «в Сирии» but not «сирена», «Ростов» not «рост», and «Липецк» not the
//! adjective «Липецкой» (adjectives are keywords of their own). Which readings count depends on
//! how the word is written: mid-sentence, «королева» is no proper name and «Королева» no
//! common noun. A place keyword is not found in a person's name: «улица Пушкина» is no
//! «Пушкино», unless a place word («в», «из», «г.») stands before it. Words the dictionary does
//! not know (new names) fall back to Snowball stems with a guard (`guard`).

mod guard;
#[cfg(test)]
mod labelled;
mod lead;
#[cfg(test)]
mod tests;

use std::collections::HashSet;

use rumorph::Dictionary;

use crate::config::{Topic, TopicScope};
use crate::morph::{self, Reading};
use crate::text::{Case, Stems, Token, fold, raw_words, tokens};
use guard::Guard;

pub use lead::lead;

/// One word of a keyword or phrase.
#[derive(Debug, Clone)]
struct KeyWord {
    /// The lemmas a text word needs one reading of, folded; `None` when the dictionary does not
    /// know the keyword (then only `guard` decides).
    lemmas: Option<Vec<String>>,
    /// The keyword names a place: a person's name in its forms is not it.
    place: bool,
    /// Written with a capital and a proper name in the dictionary: a lone keyword then matches
    /// only names (the town «Орёл», not «орёл»); written in lowercase, only common words.
    proper: Option<bool>,
    /// Written with a capital: in a phrase, a lowercase word mid-sentence is not it («великие
    /// луки истории» is no «Великие Луки»).
    capital: bool,
    guard: Guard,
}

#[derive(Debug, Clone)]
struct Pattern {
    words: Vec<KeyWord>,
}

#[derive(Debug, Clone)]
struct TopicPatterns {
    name: String,
    scope: TopicScope,
    include: Vec<Pattern>,
    exclude: Vec<Pattern>,
}

/// The configured topics, compiled once per config.
pub struct Matcher {
    topics: Vec<TopicPatterns>,
    stems: Stems,
    dict: Option<&'static Dictionary>,
    /// First letters of every keyword word and lemma: a text word starting with another letter
    /// cannot match, so it is never looked up (most words of a text are not).
    initials: HashSet<char>,
}

/// Words after which a name that could be a place or a person is a place («в Иванове», «из
/// Ростова», «г. Пушкино»).
#[rustfmt::skip]
const PLACE_WORDS: &[&str] = &[
    "в", "во", "из", "изо", "под", "подо", "до", "около", "возле", "близ", "вблизи", "г", "город",
    "города", "городе", "городу", "городом", "пос", "поселок", "поселке", "поселка", "село",
    "селе", "села", "деревня", "деревне", "деревни", "станция", "станции", "жители", "жителей",
    "жителям", "жителями", "мэр", "мэра", "мэрия", "мэрии", "окрестности", "окрестностях",
];

/// Words before a river's name: «реку Воронеж» is not the town.
const RIVER_WORDS: &[&str] = &["река", "реки", "реке", "реку", "рекой", "р"];

/// Words before a surname in a street's or a monument's name («улица Кирова», «им. Пушкина»).
#[rustfmt::skip]
const STREET_WORDS: &[&str] = &[
    "улица", "улице", "улицу", "улицы", "улицей", "ул", "проспект", "проспекте", "проспекта",
    "проспекту", "пр", "площадь", "площади", "пл", "переулок", "переулке", "переулка", "пер",
    "бульвар", "бульваре", "бульвара", "имени", "им", "памятник", "памятника", "памятнику",
    "честь", "памяти",
];

/// A text word with its dictionary readings (when it was looked up and known).
struct Word<'a> {
    token: Token<'a>,
    readings: Option<std::rc::Rc<[Reading]>>,
    after_place_word: bool,
    /// The word before, kept for the rare question whether it is a street word, an initial or a
    /// first name (then this is a surname, not a place): asked only when a place keyword meets
    /// a person's reading, since asking means another dictionary lookup.
    prev: Option<Token<'a>>,
    after_river_word: bool,
}

impl Matcher {
    /// Compiles the topics. The dictionary is loaded (once per process) only when there are
    /// topics.
    pub fn new(topics: &[Topic]) -> Matcher {
        let dict = if topics.is_empty() {
            None
        } else {
            morph::dictionary()
        };
        Matcher::with_dictionary(topics, dict)
    }

    /// The matcher without the dictionary: Snowball stems and their guard alone. The baseline
    /// the labelled set and the bench compare against.
    pub fn snowball_only(topics: &[Topic]) -> Matcher {
        Matcher::with_dictionary(topics, None)
    }

    fn with_dictionary(topics: &[Topic], dict: Option<&'static Dictionary>) -> Matcher {
        let stems = Stems::new();
        let mut initials = HashSet::new();
        let mut compile = |phrases: &[String]| -> Vec<Pattern> {
            phrases
                .iter()
                .map(|p| Pattern {
                    words: raw_words(p)
                        .map(|raw| {
                            let kw = keyword(&stems, dict, raw);
                            initials.extend(fold(raw).chars().next());
                            for l in kw.lemmas.iter().flatten() {
                                initials.extend(l.chars().next());
                            }
                            kw
                        })
                        .collect(),
                })
                .filter(|p| !p.words.is_empty())
                .collect()
        };
        let topics = topics
            .iter()
            .map(|t| TopicPatterns {
                name: t.name.clone(),
                scope: t.scope,
                include: compile(&t.keywords),
                exclude: compile(&t.exclude),
            })
            .collect();
        Matcher {
            topics,
            stems,
            dict,
            initials,
        }
    }

    /// The names of the topics found in an item: in its title and lead, or for a topic with
    /// `scope = "text"` in its title and whole text, and none of the topic's exclusions there.
    /// The caller chooses the strings: the lead from [`lead`], and either with each source's
    /// boilerplate already removed.
    pub fn tag(&self, title: &str, lead: &str, text: &str) -> Vec<String> {
        if self.topics.is_empty() {
            return Vec::new();
        }
        let title = self.words(title);
        let lead = self.words(lead);
        let text = if self.topics.iter().any(|t| t.scope == TopicScope::Text) {
            self.words(text)
        } else {
            Vec::new()
        };
        self.topics
            .iter()
            .filter(|t| {
                let segments: [&[Word]; 2] = match t.scope {
                    TopicScope::Headline => [&title, &lead],
                    TopicScope::Text => [&title, &text],
                };
                let found = |ps: &[Pattern]| {
                    ps.iter()
                        .any(|p| segments.iter().any(|ws| self.occurs(p, ws)))
                };
                found(&t.include) && !found(&t.exclude)
            })
            .map(|t| t.name.clone())
            .collect()
    }

    fn words<'a>(&self, text: &'a str) -> Vec<Word<'a>> {
        let mut out: Vec<Word<'a>> = Vec::new();
        for token in tokens(text) {
            let wanted = token
                .folded
                .chars()
                .next()
                .is_some_and(|c| self.initials.contains(&c));
            let readings = match self.dict {
                Some(d) if wanted => morph::readings_cached(d, token.raw),
                _ => None,
            };
            let prev = out.last();
            let after_place_word =
                prev.is_some_and(|w| PLACE_WORDS.contains(&w.token.folded.as_str()));
            let after_river_word =
                prev.is_some_and(|w| RIVER_WORDS.contains(&w.token.folded.as_str()));
            let prev = match readings {
                Some(_) => prev.map(|w| w.token.clone()),
                None => None,
            };
            out.push(Word {
                token,
                readings,
                after_place_word,
                prev,
                after_river_word,
            });
        }
        out
    }

    /// A street word, an initial («С.»), or a capitalised first name or patronymic.
    fn is_person_word(&self, t: &Token) -> bool {
        // «посвящённая Королёву», «посвящённый памяти …»
        if STREET_WORDS.contains(&t.folded.as_str()) || t.folded.starts_with("посвящ") {
            return true;
        }
        if t.raw.chars().count() == 1 {
            return t.raw.chars().all(char::is_uppercase) && !t.sentence_start;
        }
        t.case == Case::Title
            && self
                .dict
                .and_then(|d| morph::readings_cached(d, t.raw))
                .is_some_and(|rs| {
                    let given: f64 = rs.iter().filter(|r| r.given_name).map(|r| r.prob).sum();
                    given >= 0.5
                })
    }

    fn occurs(&self, p: &Pattern, words: &[Word]) -> bool {
        let n = p.words.len();
        let single = n == 1;
        words.len() >= n
            && words.windows(n).any(|win| {
                win.iter()
                    .zip(&p.words)
                    .all(|(w, k)| self.word_matches(k, w, single))
            })
    }

    fn word_matches(&self, k: &KeyWord, w: &Word, single: bool) -> bool {
        match (&k.lemmas, &w.readings) {
            (Some(lemmas), Some(readings)) => {
                let person_before = || w.prev.as_ref().is_some_and(|t| self.is_person_word(t));
                lemma_matches(k, lemmas, w, readings, single, person_before)
            }
            _ => k.guard.matches(&self.stems, &w.token.folded),
        }
    }
}

/// Compiles one keyword word: the lemmas of its own readings (the keyword is a dictionary form:
/// «Иваново» means the town, not a form of «Иванов»), else of all its readings (a keyword
/// written in another form, «Челны» of «Набережные Челны»).
fn keyword(stems: &Stems, dict: Option<&Dictionary>, raw: &str) -> KeyWord {
    let folded = fold(raw);
    let guard = Guard::new(stems, &folded);
    let Some(readings) = dict.and_then(|d| morph::readings(d, raw)) else {
        return KeyWord {
            lemmas: None,
            place: false,
            proper: None,
            capital: false,
            guard,
        };
    };
    let own: Vec<&Reading> = readings.iter().filter(|r| r.lemma == folded).collect();
    let chosen: Vec<&Reading> = if own.is_empty() {
        readings.iter().collect()
    } else {
        own
    };
    let mut lemmas: Vec<String> = chosen.iter().map(|r| r.lemma.clone()).collect();
    lemmas.sort();
    lemmas.dedup();
    let case = crate::text::tokens(raw).first().map(|t| t.case);
    let proper = match case {
        Some(Case::Title) if chosen.iter().any(|r| r.proper) => Some(true),
        Some(Case::Lower) if chosen.iter().any(|r| !r.proper) => Some(false),
        _ => None,
    };
    KeyWord {
        lemmas: Some(lemmas),
        place: chosen.iter().any(|r| r.place),
        proper,
        capital: case == Some(Case::Title),
        guard,
    }
}

/// Whether a known text word is a form of a known keyword word. `single`: the keyword stands
/// alone, so nothing around it confirms the reading (a phrase is its own context).
fn lemma_matches(
    k: &KeyWord,
    lemmas: &[String],
    w: &Word,
    readings: &[Reading],
    single: bool,
    person_before: impl FnOnce() -> bool,
) -> bool {
    let mid_sentence = !w.token.sentence_start;
    if k.capital && mid_sentence && w.token.case == Case::Lower {
        return false;
    }
    let mut rs: Vec<&Reading> = readings.iter().collect();
    match w.token.case {
        // Mid-sentence, a lowercase word is no name and a capitalised one is a name when it
        // can be one.
        Case::Lower if mid_sentence => rs.retain(|r| !r.proper),
        Case::Title if mid_sentence && rs.iter().any(|r| r.proper) => rs.retain(|r| r.proper),
        _ => {}
    }
    let sense = |r: &Reading| !single || k.proper.is_none_or(|p| p == r.proper);
    let (m, o): (Vec<&Reading>, Vec<&Reading>) = rs
        .into_iter()
        .partition(|r| lemmas.contains(&r.lemma) && sense(r));
    if m.is_empty() {
        return false;
    }
    if !single {
        return true;
    }
    if k.place && w.after_river_word {
        return false;
    }
    let any_person = m.iter().chain(&o).any(|r| r.person);
    if k.place && any_person && person_before() {
        // «улица Кирова», «Сергея Королёва»: a person, even of the town's own name.
        return false;
    }
    if o.is_empty() {
        return true;
    }
    let p = |rs: &[&Reading]| rs.iter().map(|r| r.prob).sum::<f64>();
    if k.place && o.iter().any(|r| r.person) && m.iter().all(|r| !r.person) {
        // A town or another name's person («Иванова» of «Иванов», «Пушкина»): a place word
        // before it says town; otherwise the dictionary's estimate must favour the town.
        return w.after_place_word || p(&m) > p(&o);
    }
    let unknown_case = !mid_sentence || w.token.case == Case::Other;
    let all_proper = m.iter().all(|r| r.proper);
    let all_common = m.iter().all(|r| !r.proper);
    let conflict =
        (all_proper && o.iter().any(|r| !r.proper)) || (all_common && o.iter().any(|r| r.proper));
    if unknown_case && conflict {
        // «Королева …», «Орёл …» opening a headline: a name or a common noun. Only a confident
        // estimate (3 to 1) takes it: a missed «Орёл принял …» costs less than every «Орёл или
        // решка» tagged.
        return p(&m) >= 3.0 * p(&o);
    }
    true
}
