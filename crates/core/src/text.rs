//! Words of Russian (and Latin) news text, shared by the story engine, topics and trending:
//! splitting, case and `ё` folding, the Cyrillic check, Snowball stems.

use rust_stemmers::{Algorithm, Stemmer};

/// A word lowercased with `ё` folded to `е` («Королёв» and «Королев» are one spelling in
/// practice; agencies write both). ASCII and the Russian alphabet take a fast path before
/// the general Unicode lowering, which is slow and runs on every word of every report.
pub fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    fold_into(word, &mut out);
    out
}

/// [`fold`] appended to `out` (a buffer reused word after word). Most of a word is already
/// folded (all of it but a capital first letter, as a rule): such runs are copied whole rather
/// than decoded and pushed a character at a time.
pub fn fold_into(word: &str, out: &mut String) {
    let mut rest = word;
    while !rest.is_empty() {
        let folded = folded_prefix(rest.as_bytes());
        out.push_str(&rest[..folded]);
        rest = &rest[folded..];
        let mut chars = rest.chars();
        let Some(c) = chars.next() else { break };
        match c {
            'A'..='Z' => out.push(c.to_ascii_lowercase()),
            'А'..='Я' => out.push(char::from_u32(c as u32 + 0x20).unwrap_or(c)),
            'Ё' | 'ё' => out.push('е'),
            _ => out.extend(c.to_lowercase().map(|l| if l == 'ё' { 'е' } else { l })),
        }
        rest = chars.as_str();
    }
}

/// How many bytes at the start of `b` are characters [`fold`] keeps as they are: ASCII lowercase
/// letters and digits, and «а» to «я» (UTF-8 `D0 B0`–`D0 BF`, `D1 80`–`D1 8F`). The count always
/// ends on a character boundary.
fn folded_prefix(b: &[u8]) -> usize {
    let mut i = 0;
    while i < b.len() {
        match (b[i], b.get(i + 1)) {
            (b'a'..=b'z' | b'0'..=b'9', _) => i += 1,
            (0xD0, Some(0xB0..=0xBF)) | (0xD1, Some(0x80..=0x8F)) => i += 2,
            _ => break,
        }
    }
    i
}

/// Whether a character belongs to a word: a letter or a digit. ASCII and the Russian alphabet
/// take a fast path before the general Unicode table lookup, which is slow and runs on every
/// character of Russian text.
pub fn is_word_char(c: char) -> bool {
    matches!(c, 'a'..='z' | 'A'..='Z' | '0'..='9' | 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё')
        || (!c.is_ascii() && c.is_alphanumeric())
}

/// Whether a word is written in Cyrillic (any letter of the Cyrillic block).
pub fn is_cyrillic(word: &str) -> bool {
    word.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c))
}

/// The raw words of a text: runs of letters and digits, as written.
pub fn raw_words(text: &str) -> impl Iterator<Item = &str> + '_ {
    text.split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
}

/// Folded words of letters and digits: what two copies of one text share after each agency's
/// typography (quotes, dashes, non-breaking spaces) is removed.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    raw_words(text).map(fold)
}

/// How a word is written: what says whether it can be a proper name in the middle of a
/// sentence («королева» cannot be «Королёв»).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// «королева»
    Lower,
    /// «Королева», «Ростов»
    Title,
    /// «МЧС», «СИРИЕЙ», or anything else that says nothing about being a name.
    Other,
}

/// One word of a text as written, with what its surroundings say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token<'a> {
    /// As written.
    pub raw: &'a str,
    /// Lowercased, `ё` folded (see [`fold`]).
    pub folded: String,
    pub case: Case,
    /// The first word of the text or of a sentence (after `.`, `!`, `?`, `…`): its capital
    /// letter says nothing.
    pub sentence_start: bool,
    /// Joined to the next word by a hyphen («Ростов-на-Дону», «АЭС-2»).
    pub hyphen_after: bool,
}

/// The words of a text in order, as [`raw_words`] splits them, with their case and whether
/// each starts a sentence.
pub fn tokens(text: &str) -> Vec<Token<'_>> {
    let mut out: Vec<Token<'_>> = Vec::new();
    let mut gap_start = 0;
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (is_word_char(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                push_token(&mut out, text, s, i, &text[gap_start..s]);
                gap_start = i;
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        push_token(&mut out, text, s, text.len(), &text[gap_start..s]);
    }
    out
}

/// Abbreviations whose full stop ends no sentence: «г. Орёл», «ул. Кирова», «им. Пушкина».
const ABBREVIATIONS: &[&str] = &[
    "г",
    "гг",
    "ул",
    "им",
    "пос",
    "пгт",
    "пр",
    "просп",
    "пл",
    "пер",
    "наб",
    "д",
    "с",
    "р",
    "обл",
    "ст",
    "св",
    "мкр",
];

fn push_token<'a>(out: &mut Vec<Token<'a>>, text: &'a str, from: usize, to: usize, gap: &str) {
    let raw = &text[from..to];
    let after_abbreviation = gap.trim_start().starts_with('.')
        && out
            .last()
            .is_some_and(|t| ABBREVIATIONS.contains(&t.folded.as_str()));
    let sentence_start =
        out.is_empty() || (gap.contains(['.', '!', '?', '…', '\n']) && !after_abbreviation);
    if let Some(prev) = out.last_mut() {
        prev.hyphen_after = gap == "-" || gap == "\u{2011}";
    }
    out.push(Token {
        raw,
        folded: fold(raw),
        case: case_of(raw),
        sentence_start,
        hyphen_after: false,
    });
}

/// Whether a character is a letter, with the Russian alphabet and ASCII ahead of the general
/// Unicode table, which is slow and runs on every character of every report.
fn is_letter(c: char) -> bool {
    matches!(c, 'a'..='z' | 'A'..='Z' | 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё')
        || (!c.is_ascii() && c.is_alphabetic())
}

fn case_of(word: &str) -> Case {
    let mut letters = word.chars().filter(|&c| is_letter(c));
    let Some(first) = letters.next() else {
        return Case::Other;
    };
    let (mut upper, mut lower) = (0, 0);
    for c in letters {
        if c.is_uppercase() {
            upper += 1;
        } else if c.is_lowercase() {
            lower += 1;
        }
    }
    match (first.is_uppercase(), upper, lower) {
        (false, 0, _) => Case::Lower,
        (true, 0, 1..) => Case::Title,
        _ => Case::Other,
    }
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

/// The Russian form of a noun after a number: `plural(3, ["агентство", "агентства",
/// "агентств"])` is «агентства».
/// «1 source», «2 sources»: a count with its English noun.
pub fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub fn plural(n: u64, forms: [&'static str; 3]) -> &'static str {
    match (n % 10, n % 100) {
        (_, 11..=14) => forms[2],
        (1, _) => forms[0],
        (2..=4, _) => forms[1],
        _ => forms[2],
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

    #[test]
    fn folding_by_hand_agrees_with_unicode() {
        for w in [
            "ЁЛКА",
            "Щёлково",
            "ЯБЛОКО",
            "Ärger",
            "İstanbul",
            "ΣΟΦΙΑ",
            "МЧС-2027",
        ] {
            assert_eq!(fold(w), w.to_lowercase().replace('ё', "е"), "{w}");
        }
        for c in ['а', 'я', 'Ё', 'z', '7', 'ä', 'Ω', 'ї'] {
            assert_eq!(is_word_char(c), c.is_alphanumeric(), "{c}");
        }
        for c in [' ', '\u{a0}', '«', '—', '.', '-'] {
            assert_eq!(is_word_char(c), c.is_alphanumeric(), "{c:?}");
        }
    }

    #[test]
    fn the_fast_paths_agree_with_unicode_on_every_cyrillic_and_latin_character() {
        let chars = ('\u{20}'..='\u{24f}').chain('\u{400}'..='\u{52f}');
        for c in chars {
            assert_eq!(is_letter(c), c.is_alphabetic(), "{c:?}");
            // Alone, and inside runs the fast path copies whole.
            for w in [
                c.to_string(),
                format!("аб{c}вя"),
                format!("{c}ш1"),
                format!("юz{c}"),
            ] {
                let want: String = w
                    .chars()
                    .flat_map(char::to_lowercase)
                    .map(|l| if l == 'ё' { 'е' } else { l })
                    .collect();
                assert_eq!(fold(&w), want, "{w:?}");
            }
        }
    }

    #[test]
    fn plurals() {
        let f = ["агентство", "агентства", "агентств"];
        let got: Vec<&str> = [1, 3, 5, 11, 21, 112]
            .iter()
            .map(|n| plural(*n, f))
            .collect();
        assert_eq!(
            got,
            [
                "агентство",
                "агентства",
                "агентств",
                "агентств",
                "агентство",
                "агентств"
            ]
        );
    }

    #[test]
    fn tokens_know_case_and_sentence_starts() {
        let ts = tokens("Королева приехала. В Ростов-на-Дону — «королева» и МЧС");
        let view: Vec<(&str, Case, bool, bool)> = ts
            .iter()
            .map(|t| (t.raw, t.case, t.sentence_start, t.hyphen_after))
            .collect();
        assert_eq!(
            view,
            [
                ("Королева", Case::Title, true, false),
                ("приехала", Case::Lower, false, false),
                ("В", Case::Other, true, false),
                ("Ростов", Case::Title, false, true),
                ("на", Case::Lower, false, true),
                ("Дону", Case::Title, false, false),
                ("королева", Case::Lower, false, false),
                ("и", Case::Lower, false, false),
                ("МЧС", Case::Other, false, false),
            ]
        );
        assert_eq!(ts[0].folded, "королева");
        let ts = tokens("Прибыли в г. Орел. Орёл");
        assert!(!ts[3].sentence_start && ts[4].sentence_start);
        assert!(tokens("").is_empty());
    }
}
