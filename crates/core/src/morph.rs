//! Russian morphology: the dictionary readings (lemma, proper name or not) of a word form, from
//! OpenCorpora's dictionary as the `rumorph` crate ships it.
//!
//! The dictionary (~20 MB) is compiled into the binary by `rumorph-dict-ru` and read in place,
//! so a binary copied to another machine needs no files beside it. It is checked once, on first
//! use ([`dictionary`]), by a process that parses feeds (search lemmas, storyline names, topics)
//! or matches topics.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::OnceLock;

use rumorph::{Dictionary, Source};

use crate::text::fold;

static DICTIONARY: OnceLock<Option<Dictionary>> = OnceLock::new();

/// The dictionary, loaded on first use. `None` (after one logged error) when it cannot be read,
/// which would be a broken build: matching then falls back to Snowball stems.
pub fn dictionary() -> Option<&'static Dictionary> {
    DICTIONARY
        .get_or_init(|| match load() {
            Ok(d) => Some(d),
            Err(e) => {
                tracing::error!("cannot read the built-in Russian dictionary: {e}");
                None
            }
        })
        .as_ref()
}

/// Reads and checks the built-in dictionary (what [`dictionary`] does once; benches time it).
pub fn load() -> Result<Dictionary, rumorph::Error> {
    Dictionary::bundled()
}

/// One dictionary reading of a word form.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// The dictionary form, lowercased with `ё` folded («липецке» → «липецк»).
    pub lemma: String,
    /// The dictionary form as the dictionary spells it, lowercase («королёв»).
    pub spelling: String,
    /// The dictionary's estimate of how likely this reading is (all readings sum to 1).
    pub prob: f64,
    /// A proper name: place, person, organisation.
    pub proper: bool,
    /// A first name, surname or patronymic.
    pub person: bool,
    /// A first name or patronymic: what comes before a surname.
    pub given_name: bool,
    /// A place name.
    pub place: bool,
    /// An organisation's name (OpenCorpora's `Orgn`).
    pub org: bool,
    /// An adjective (full form): in «Южной Кореи» the name's kind is the noun's.
    pub adjective: bool,
    /// A form that states what happened: a verb, an infinitive, a short participle or a
    /// gerund («задержали», «задержан», «задержав»). Its lemma is the verb's infinitive.
    pub predicate: bool,
}

/// The dictionary readings of a word as written (its capital letter shifts the estimates toward
/// proper names), or `None` when the dictionary does not know the word (a new name, a typo):
/// then only Snowball can say anything about it.
pub fn readings(dict: &Dictionary, word: &str) -> Option<Vec<Reading>> {
    // The dictionary is Cyrillic; Latin words, numbers and mixtures are never in it.
    if !word
        .chars()
        .all(|c| c.is_alphabetic() && ('\u{400}'..='\u{4ff}').contains(&c))
    {
        return None;
    }
    let analyses = dict.analyze(word);
    if analyses.is_empty() || analyses.iter().any(|a| a.source != Source::Dictionary) {
        return None;
    }
    let readings = analyses
        .into_iter()
        .map(|a| {
            let tag = a.tag.and_then(|t| dict.tag(t)).unwrap_or("");
            let grammemes = |names: &[&str]| tag.split([',', ' ']).any(|g| names.contains(&g));
            let proper = dict.ud_tag(a.ud).is_some_and(|u| u.pos() == "PROPN");
            Reading {
                lemma: fold(&a.lemma),
                spelling: a.lemma.to_lowercase(),
                prob: a.prob,
                proper,
                person: grammemes(&["Surn", "Name", "Patr"]),
                given_name: grammemes(&["Name", "Patr"]),
                place: grammemes(&["Geox"]),
                org: grammemes(&["Orgn"]),
                adjective: grammemes(&["ADJF"]),
                predicate: grammemes(&["VERB", "INFN", "PRTS", "GRND"]),
            }
        })
        .collect();
    Some(readings)
}

/// Words whose readings a thread keeps (see [`readings_cached`]): the words of news repeat
/// (Zipf), and a few thousand of them are most of any text.
const CACHED_WORDS: usize = 8_192;

/// The readings of words looked up on a thread (`None`: not in the dictionary).
type Remembered = HashMap<Box<str>, Option<Rc<[Reading]>>>;

thread_local! {
    /// The dictionary the cache is of (its address), and the readings looked up on this thread.
    static CACHE: RefCell<(usize, Remembered)> = RefCell::new((0, HashMap::new()));
}

/// [`readings`], memoized per thread: topics look up most words of every title and lead, and
/// the same few thousand words recur. The cache is emptied whole when full, which keeps it
/// within a couple of megabytes a thread.
pub fn readings_cached(dict: &Dictionary, word: &str) -> Option<Rc<[Reading]>> {
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let id = dict as *const Dictionary as usize;
        if cache.0 != id {
            *cache = (id, HashMap::new());
        }
        if let Some(r) = cache.1.get(word) {
            return r.clone();
        }
        let r: Option<Rc<[Reading]>> = readings(dict, word).map(Rc::from);
        if cache.1.len() >= CACHED_WORDS {
            cache.1.clear();
        }
        cache.1.insert(word.into(), r.clone());
        r
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lemmas(word: &str) -> Vec<String> {
        let d = dictionary().expect("the built-in dictionary loads");
        let mut l: Vec<String> = readings(d, word)
            .unwrap_or_default()
            .into_iter()
            .map(|r| r.lemma)
            .collect();
        l.dedup();
        l
    }

    #[test]
    fn remembered_readings_are_the_dictionarys() {
        let d = dictionary().expect("the built-in dictionary loads");
        // More words than the cache holds: it empties and fills again on the way.
        let words: Vec<String> = ["Липецке", "Пушкина", "Пушкино", "елку", "qwerty", "Химок"]
            .iter()
            .map(|w| w.to_string())
            .chain((0..CACHED_WORDS + 10).map(|i| format!("слово{i}")))
            .collect();
        for round in 0..2 {
            for w in &words {
                let cached = readings_cached(d, w).map(|r| r.to_vec());
                assert_eq!(cached, readings(d, w), "{w} (round {round})");
            }
        }
    }

    #[test]
    fn place_names_and_their_forms() {
        assert_eq!(lemmas("Липецке"), ["липецк"]);
        assert_eq!(lemmas("Химок")[0], "химки");
        assert_eq!(lemmas("Челнах")[0], "челны");
        assert!(lemmas("Ельца").contains(&"елец".to_string()));
        // «елку» is «ёлка» in the dictionary: lemmas are folded like every other word.
        assert_eq!(lemmas("елку"), ["елка"]);
    }

    #[test]
    fn readings_say_what_kind_of_name() {
        let d = dictionary().expect("the built-in dictionary loads");
        let r = readings(d, "Иванова").expect("known");
        assert!(
            r.iter()
                .any(|r| r.lemma == "иваново" && r.place && !r.person)
        );
        assert!(r.iter().any(|r| r.lemma == "иванов" && r.person));
        let q = readings(d, "королева").expect("known");
        assert!(q.iter().any(|r| r.lemma == "королева" && !r.proper));
    }

    #[test]
    fn verbs_and_short_participles_are_predicates_of_their_verb() {
        let d = dictionary().expect("the built-in dictionary loads");
        for (word, lemma) in [("задержали", "задержать"), ("потушен", "потушить")]
        {
            let r = readings(d, word).expect("known");
            assert!(r.iter().any(|r| r.predicate && r.lemma == lemma), "{word}");
        }
        let r = readings(d, "пожар").expect("known");
        assert!(r.iter().all(|r| !r.predicate));
    }

    #[test]
    fn unknown_words_are_none() {
        let d = dictionary().expect("the built-in dictionary loads");
        assert_eq!(readings(d, "Universal"), None);
        assert_eq!(readings(d, "АЭС2"), None);
        assert_eq!(readings(d, "Кшыщзвбург"), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn any_word_is_read_without_panic(w in "[а-яёА-ЯЁa-z\\-0-9́]{0,24}") {
            let d = dictionary().expect("the built-in dictionary loads");
            let _ = readings(d, &w);
        }
    }
}
