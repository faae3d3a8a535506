//! Words of Russian (and Latin) news text, shared by the story engine, topics and trending:
//! splitting, case and `ё` folding, the Cyrillic check, Snowball stems.

use rust_stemmers::{Algorithm, Stemmer};

/// A word lowercased with `ё` folded to `е` («Королёв» and «Королев» are one spelling in
/// practice; agencies write both).
pub fn fold(word: &str) -> String {
    let lower = word.to_lowercase();
    if lower.contains('ё') {
        lower.replace('ё', "е")
    } else {
        lower
    }
}

/// Whether a word is written in Cyrillic (any letter of the Cyrillic block).
pub fn is_cyrillic(word: &str) -> bool {
    word.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c))
}

/// The raw words of a text: runs of letters and digits, as written.
pub fn raw_words(text: &str) -> impl Iterator<Item = &str> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// Folded words of letters and digits: what two copies of one text share after each agency's
/// typography (quotes, dashes, non-breaking spaces) is removed.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    raw_words(text).map(fold)
}

/// Snowball stemmers: Russian for Cyrillic words, English for Latin ones. Creating them is
/// cheap but not free; keep one per long-lived matcher.
pub struct Stems {
    ru: Stemmer,
    en: Stemmer,
}

impl Default for Stems {
    fn default() -> Self {
        Stems::new()
    }
}

impl Stems {
    pub fn new() -> Stems {
        Stems {
            ru: Stemmer::create(Algorithm::Russian),
            en: Stemmer::create(Algorithm::English),
        }
    }

    /// The stem of a word, folded first.
    pub fn stem(&self, word: &str) -> String {
        let w = fold(word);
        self.stem_folded(&w)
    }

    /// The stem of a word that is already folded (see [`fold`]).
    pub fn stem_folded(&self, w: &str) -> String {
        if is_cyrillic(w) {
            self.ru.stem(w).into_owned()
        } else {
            self.en.stem(w).into_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_fold_case_and_yo_and_drop_typography() {
        let ws: Vec<String> = words("«Ёлка» — в Липецке,\u{a0}2027-й год").collect();
        assert_eq!(ws, ["елка", "в", "липецке", "2027", "й", "год"]);
    }

    #[test]
    fn stems_pick_the_language_by_script() {
        let s = Stems::new();
        assert_eq!(s.stem("Сирии"), s.stem("Сирию"));
        assert_eq!(s.stem("Ёлки"), s.stem("елки"));
        assert_eq!(s.stem("elections"), "elect");
        assert!(is_cyrillic("Липецк") && !is_cyrillic("Lipetsk"));
    }
}
