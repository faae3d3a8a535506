//! The Snowball fallback for words the dictionary does not know (new names, typos): a stem
//! alone is not a safe match (Snowball stems «сирена» like «Сирия», and «рост» like «Ростов»),
//! so a Russian word must also keep the keyword whole up to its nominative ending, followed
//! only by an ending of the keyword's own declension. Latin words match the keyword itself or
//! its plural («Islamic State» finds «states», «Universal» not «university»). Written by hand:
//! no crate declines unknown Russian names, and this guard only has to be safe, not complete.

use crate::text::{Stems, is_cyrillic};

/// One keyword word ready for the fallback: its stem and its guard prefix.
#[derive(Debug, Clone)]
pub(super) struct Guard {
    stem: String,
    /// The keyword without its nominative ending: every form of it starts with this.
    prefix: String,
    /// The endings its declension allows after `prefix`.
    endings: &'static [&'static str],
    latin: bool,
}

/// English endings a name or noun takes in running text.
const LATIN: &[&str] = &["", "s", "es"];

impl Guard {
    /// `w` is folded (see [`crate::text::fold`]).
    pub(super) fn new(stems: &Stems, w: &str) -> Guard {
        let stem = stems.stem_folded(w);
        if !is_cyrillic(w) {
            return Guard {
                stem,
                prefix: w.to_string(),
                endings: LATIN,
                latin: true,
            };
        }
        let (prefix, endings) = DECLENSIONS
            .iter()
            .find_map(|(e, endings)| {
                w.strip_suffix(e)
                    .filter(|p| p.chars().count() >= 2)
                    .map(|p| (p.to_string(), *endings))
            })
            .unwrap_or_else(|| (w.to_string(), MASCULINE));
        Guard {
            stem,
            prefix,
            endings,
            latin: false,
        }
    }

    /// Whether a folded text word is a form of the keyword.
    pub(super) fn matches(&self, stems: &Stems, word: &str) -> bool {
        let Some(ending) = word.strip_prefix(self.prefix.as_str()) else {
            return false;
        };
        if self.latin || !is_cyrillic(word) {
            return self.latin && !is_cyrillic(word) && LATIN.contains(&ending);
        }
        // Snowball is not consistent across one word's forms (it stems «Ростов» to «рост» but
        // «Ростова» to «ростов»), so the word's stem need only begin with the keyword's; the
        // guard asks for the keyword's own letters plus an inflectional ending.
        self.endings.contains(&ending) && stems.stem_folded(word).starts_with(self.stem.as_str())
    }
}

/// Russian nominative endings, longest first, stripped from a keyword to get the part that every
/// inflected form keeps («Сирия» → «сир», «Москва» → «москв», «сирийский» → «сирийск»), each
/// with the endings its declension allows after that part. Keeping the declension apart is
/// what stops the noun «Липецк» from matching the adjective «Липецкой (области)».
const DECLENSIONS: [(&str, &[&str]); 19] = [
    ("ия", &["ия", "ии", "ию", "ией", "ий", "иям", "иями", "иях"]),
    (
        "ие",
        &["ие", "ия", "ию", "ием", "ии", "ий", "иям", "иями", "иях"],
    ),
    ("ий", ADJECTIVE_OR_IJ_NOUN),
    ("ый", ADJECTIVE),
    ("ой", ADJECTIVE),
    ("ая", ADJECTIVE),
    ("яя", ADJECTIVE),
    ("ое", ADJECTIVE),
    ("ее", ADJECTIVE),
    ("ья", FALLBACK),
    ("ье", FALLBACK),
    ("а", FEMININE),
    ("я", FEMININE),
    ("о", NEUTER),
    ("е", NEUTER),
    (
        "ь",
        &["ь", "я", "ю", "ем", "е", "и", "ей", "ью", "ям", "ями", "ях"],
    ),
    (
        "й",
        &["й", "я", "ю", "ем", "е", "и", "ев", "ям", "ями", "ях"],
    ),
    ("ы", &["ы", "", "ов", "ам", "ами", "ах"]),
    (
        "и",
        &[
            "и", "", "ов", "ок", "ек", "ей", "ам", "ям", "ами", "ями", "ах", "ях",
        ],
    ),
];

/// A keyword that ends in a consonant: a masculine noun (Липецк, Дамаск, кризис, ИГИЛ).
const MASCULINE: &[&str] = &["", "а", "у", "ом", "е", "ы", "и", "ов", "ам", "ами", "ах"];
const FEMININE: &[&str] = &[
    "", "а", "я", "ы", "и", "е", "у", "ю", "ой", "ей", "ою", "ею", "ам", "ям", "ами", "ями", "ах",
    "ях",
];
const NEUTER: &[&str] = &[
    "", "о", "е", "а", "я", "у", "ю", "ом", "ем", "ам", "ям", "ами", "ями", "ах", "ях",
];
const ADJECTIVE: &[&str] = &[
    "ий", "ый", "ой", "ая", "яя", "ое", "ее", "ые", "ие", "ого", "его", "ому", "ему", "ым", "им",
    "ом", "ем", "ых", "их", "ыми", "ими", "ую", "юю", "ою", "ею", "ей",
];
/// `-ий` ends adjectives (сирийский) and nouns (Дмитрий, санаторий) alike.
const ADJECTIVE_OR_IJ_NOUN: &[&str] = &[
    "ий", "ый", "ой", "ая", "яя", "ое", "ее", "ые", "ие", "ого", "его", "ому", "ему", "ым", "им",
    "ом", "ем", "ых", "их", "ыми", "ими", "ую", "юю", "ою", "ею", "ей", "ия", "ию", "ием", "ии",
    "иев", "иям", "иями", "иях",
];
/// Every nominal ending, for the few keyword shapes too rare to classify.
const FALLBACK: &[&str] = &[
    "", "а", "я", "о", "е", "ь", "й", "ы", "и", "у", "ю", "ой", "ей", "ою", "ею", "ом", "ем", "ам",
    "ям", "ами", "ями", "ах", "ях", "ов", "ев", "ия", "ии", "ию", "ией", "ие", "ий", "ый", "ая",
    "ое", "ые", "ого", "его", "ому", "ему", "ым", "им", "ых", "их", "ую",
];
