//! The words of a report as the search index holds them: dictionary lemmas, Snowball stems for
//! words the dictionary lacks, joined by spaces (FTS5's own tokenizer only splits them).

use std::cell::RefCell;
use std::rc::Rc;

use rumorph::Dictionary;
use rustc_hash::FxHashMap;

use crate::morph;
use crate::text::{Stems, raw_words};

/// Words whose lemmas a thread keeps, in each of its two generations. A report's whole text
/// has a wider vocabulary than the titles and leads topics look at (morph's own cache holds
/// 8,192 words): a year of regional news uses hundreds of thousands of forms, the most frequent
/// of which are most of any text (Zipf). When the young generation is full it becomes the old
/// one and the old one goes: a word met in either is kept, so the frequent ones never leave.
/// ~150 bytes a word: up to ~2.5 MB a thread, as every parse thread keeps one and the fetch's
/// peak memory is bounded by its config, not by the vocabulary.
const CACHED_WORDS: usize = 8_192;

/// Words the index leaves out, by their likeliest lemma: prepositions, conjunctions, particles,
/// pronouns and «быть», a third of a Russian text's words, found in nearly every report (a
/// search for them alone finds everything, and writing them was a third of indexing). Queries
/// leave them out the same way, so «Ростов-на-Дону» is the phrase «ростов дон» on both sides.
const STOP: &[&str] = &[
    "а",
    "без",
    "бы",
    "быть",
    "в",
    "весь",
    "во",
    "вот",
    "вы",
    "да",
    "для",
    "до",
    "его",
    "если",
    "еще",
    "же",
    "за",
    "и",
    "из",
    "или",
    "к",
    "как",
    "ко",
    "который",
    "ли",
    "либо",
    "лишь",
    "мы",
    "на",
    "над",
    "не",
    "ни",
    "но",
    "о",
    "об",
    "обо",
    "он",
    "она",
    "они",
    "оно",
    "от",
    "перед",
    "по",
    "под",
    "после",
    "при",
    "про",
    "с",
    "свой",
    "себя",
    "со",
    "так",
    "также",
    "то",
    "тоже",
    "тот",
    "ты",
    "у",
    "уже",
    "через",
    "что",
    "чтобы",
    "это",
    "этот",
    "я",
];

/// Whether a word whose likeliest lemma is `lemma` is left out of the index.
pub fn is_stop(lemma: &str) -> bool {
    STOP.binary_search(&lemma).is_ok()
}

/// A word's lemmas as the index writes them: the likeliest, the others joined by spaces, and
/// whether the likeliest is a stop word.
struct Entry {
    first: Box<str>,
    more: Box<str>,
    stop: bool,
}

type Lemmas = Rc<Entry>;

/// The young and the old generation (see [`CACHED_WORDS`]).
#[derive(Default)]
struct Cache {
    young: FxHashMap<Box<str>, Lemmas>,
    old: FxHashMap<Box<str>, Lemmas>,
}

thread_local! {
    static LEMMAS: RefCell<Cache> = RefCell::new(Cache::default());
}

/// A report's terms, one string per FTS5 column. `title` and `body` hold one term per word, in
/// order (the word's likeliest lemma), so a phrase is consecutive terms; `more` holds a word's
/// other lemmas («стали»: «стать» in the body, «сталь» here), so a single word is found by any
/// of its readings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Terms {
    pub title: String,
    pub body: String,
    pub more: String,
}

/// Looks words up: the dictionary (when it loads) and the stemmers for what it lacks.
pub struct Lemmatizer {
    dict: Option<&'static Dictionary>,
    stems: Stems,
}

impl Default for Lemmatizer {
    fn default() -> Self {
        Lemmatizer::new()
    }
}

impl Lemmatizer {
    pub fn new() -> Lemmatizer {
        Lemmatizer {
            dict: morph::dictionary(),
            stems: Stems::new(),
        }
    }

    /// Every lemma of a word as written, likeliest first (the readings' estimates summed per
    /// lemma); a word the dictionary lacks is its Snowball stem alone.
    pub fn lemmas(&self, word: &str) -> Vec<String> {
        let l = self.cached(word);
        std::iter::once(l.first.to_string())
            .chain(
                l.more
                    .split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            )
            .collect()
    }

    /// [`Lemmatizer::lemmas`] as the index writes them, remembered on the calling thread:
    /// taking every word of every report to its lemmas was most of what indexing cost.
    fn cached(&self, word: &str) -> Lemmas {
        self.with_lookup(|lookup| lookup(word))
    }

    /// Runs `f` with a lookup of words' lemmas that remembers them on the calling thread; the
    /// cache is borrowed once for all the words `f` looks up (a text's hundreds).
    fn with_lookup<R>(&self, f: impl FnOnce(&mut dyn FnMut(&str) -> Lemmas) -> R) -> R {
        let entry = |l: Vec<String>| {
            Rc::new(Entry {
                stop: is_stop(&l[0]),
                first: l[0].as_str().into(),
                more: l[1..].join(" ").into(),
            })
        };
        if self.dict.is_none() {
            return f(&mut |w| entry(self.look_up(w)));
        }
        LEMMAS.with(|cache| {
            let mut cache = cache.borrow_mut();
            f(&mut |w| {
                if let Some(l) = cache.young.get(w) {
                    return l.clone();
                }
                let l = match cache.old.remove(w) {
                    Some(l) => l,
                    None => entry(self.look_up(w)),
                };
                if cache.young.len() >= CACHED_WORDS {
                    cache.old = std::mem::take(&mut cache.young);
                }
                cache.young.insert(w.into(), l.clone());
                l
            })
        })
    }

    fn look_up(&self, word: &str) -> Vec<String> {
        // A word the dictionary lacks is not analysed at all (its guessed readings would be
        // thrown away below): a third of a text's distinct words are names and rarer forms.
        let known = self.dict.filter(|d| d.is_known(word));
        if let Some(readings) = known.and_then(|d| morph::readings(d, word)) {
            let mut by_lemma: Vec<(&str, f64)> = Vec::new();
            for r in readings.iter() {
                match by_lemma.iter_mut().find(|(l, _)| *l == r.lemma) {
                    Some((_, p)) => *p += r.prob,
                    None => by_lemma.push((&r.lemma, r.prob)),
                }
            }
            // Stable: equal estimates keep the dictionary's order, so a form always gets the
            // same first lemma.
            by_lemma.sort_by(|a, b| b.1.total_cmp(&a.1));
            if !by_lemma.is_empty() {
                return by_lemma.into_iter().map(|(l, _)| l.to_string()).collect();
            }
        }
        vec![self.stems.stem(word)]
    }

    /// The lemmas a word of a phrase may be indexed under: its own, and the likeliest lemma of
    /// each form of its lexemes. The index holds one lemma per word of a text, the likeliest of
    /// that form, which is not always one of the query's form: «Шахтинском» is «шахтинск»
    /// first, «Шахтинский» only «шахтинский».
    pub fn phrase_lemmas(&self, word: &str) -> Vec<String> {
        let mut out = self.lemmas(word);
        let Some(d) = self.dict else { return out };
        if morph::readings(d, word).is_none() {
            return out;
        }
        for a in d.analyze(word) {
            for form in d.forms(&a) {
                // A capital shifts the estimates toward names: the text may have either.
                let mut chars = form.word.chars();
                let capital: String = chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect())
                    .unwrap_or_default();
                for spelling in [form.word.as_str(), capital.as_str()] {
                    if let Some(first) = self.lemmas(spelling).into_iter().next()
                        && !out.contains(&first)
                    {
                        out.push(first);
                    }
                }
            }
        }
        out
    }

    /// The terms of a report's title and text (the text with its source's boilerplate removed).
    pub fn terms(&self, title: &str, text: &str) -> Terms {
        let mut t = Terms {
            title: String::with_capacity(title.len()),
            body: String::with_capacity(text.len()),
            more: String::new(),
        };
        self.with_lookup(|lookup| {
            push(lookup, title, &mut t.title, &mut t.more);
            push(lookup, text, &mut t.body, &mut t.more);
        });
        t
    }
}

/// Appends the terms of `text`'s words to `main` (one per word) and `more` (their other
/// readings).
fn push(lookup: &mut dyn FnMut(&str) -> Lemmas, text: &str, main: &mut String, more: &mut String) {
    for w in raw_words(text) {
        let l = lookup(w);
        if l.stop {
            continue;
        }
        if !main.is_empty() {
            main.push(' ');
        }
        main.push_str(&l.first);
        if !l.more.is_empty() {
            if !more.is_empty() {
                more.push(' ');
            }
            more.push_str(&l.more);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stop_list_is_sorted_and_folded() {
        assert!(STOP.windows(2).all(|w| w[0] < w[1]));
        assert!(STOP.iter().all(|w| crate::text::fold(w) == *w));
        let l = Lemmatizer::new();
        let t = l.terms("Делегация из Ростова-на-Дону", "Она была в Липецке.");
        assert_eq!(t.title, "делегация ростов дон");
        assert_eq!(t.body, "липецк");
    }

    #[test]
    fn forms_share_their_lemma_and_unknown_words_their_stem() {
        let l = Lemmatizer::new();
        let t = l.terms("В Химках открыли школу", "Губернатора Ёлкина встретили.");
        assert_eq!(t.title.split(' ').count(), 3);
        assert!(t.title.split(' ').any(|w| w == "химки"), "{t:?}");
        assert!(t.body.split(' ').any(|w| w == "губернатор"), "{t:?}");
        assert!(l.lemmas("Химки").contains(&"химки".to_string()));
        assert!(l.lemmas("химки").contains(&"химки".to_string()));
        // ё and е are one letter.
        assert_eq!(l.lemmas("Ёлкина"), l.lemmas("Елкина"));
        // An unknown name: its stem, the same for its forms.
        assert_eq!(l.lemmas("Кшыщзвбурге"), l.lemmas("Кшыщзвбурга"));
    }
}
