//! The words of a report as the search index holds them: dictionary lemmas, Snowball stems for
//! words the dictionary lacks, joined by spaces (FTS5's own tokenizer only splits them).

use rumorph::Dictionary;

use crate::morph;
use crate::text::{Stems, raw_words};

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
        if let Some(readings) = self.dict.and_then(|d| morph::readings_cached(d, word)) {
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
        if morph::readings_cached(d, word).is_none() {
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
        let mut t = Terms::default();
        self.push(title, &mut t.title, &mut t.more);
        self.push(text, &mut t.body, &mut t.more);
        t
    }

    fn push(&self, text: &str, main: &mut String, more: &mut String) {
        for w in raw_words(text) {
            let mut lemmas = self.lemmas(w).into_iter();
            if let Some(first) = lemmas.next() {
                if !main.is_empty() {
                    main.push(' ');
                }
                main.push_str(&first);
            }
            for l in lemmas {
                if !more.is_empty() {
                    more.push(' ');
                }
                more.push_str(&l);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_share_their_lemma_and_unknown_words_their_stem() {
        let l = Lemmatizer::new();
        let t = l.terms("В Химках открыли школу", "Губернатора Ёлкина встретили.");
        assert_eq!(t.title.split(' ').count(), 4);
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
