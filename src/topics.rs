//! Headline topics: configured keywords matched on whole words of title and text.
//!
//! Words and keywords are reduced with the Snowball stemmers (Russian for Cyrillic words,
//! English for Latin ones), so the keyword «Сирия» finds «в Сирии» and «Сирию». A stem alone is
//! not a safe match (Snowball stems «сирена» like «Сирия», and «рост» like «Ростов»), so a
//! Russian word must also keep the keyword whole up to its nominative ending, followed only by
//! an inflectional ending. Adjectives are separate keywords: «сирийский» matches only when asked.

use crate::config::Topic;
use crate::text::{Stems, is_cyrillic, words};

/// One keyword (or phrase) ready to match: per word, its stem and its guard prefix.
#[derive(Debug, Clone)]
struct Pattern {
    words: Vec<KeyWord>,
}

#[derive(Debug, Clone)]
struct KeyWord {
    stem: String,
    /// The keyword without its nominative ending: every form of it starts with this.
    prefix: String,
    /// The endings its declension allows after `prefix`.
    endings: &'static [&'static str],
}

#[derive(Debug, Clone)]
struct TopicPatterns {
    name: String,
    include: Vec<Pattern>,
    exclude: Vec<Pattern>,
}

/// The configured topics, compiled once per config.
pub struct Matcher {
    topics: Vec<TopicPatterns>,
    stems: Stems,
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

impl Matcher {
    pub fn new(topics: &[Topic]) -> Matcher {
        let stems = Stems::new();
        let compile = |phrases: &[String]| -> Vec<Pattern> {
            phrases
                .iter()
                .map(|p| Pattern {
                    words: crate::text::words(p)
                        .map(|w| {
                            let stem = stems.stem_folded(&w);
                            let (prefix, endings) = if is_cyrillic(&w) {
                                DECLENSIONS
                                    .iter()
                                    .find_map(|(e, endings)| {
                                        w.strip_suffix(e)
                                            .filter(|p| p.chars().count() >= 2)
                                            .map(|p| (p.to_string(), *endings))
                                    })
                                    .unwrap_or_else(|| (w.clone(), MASCULINE))
                            } else {
                                (w.clone(), FALLBACK)
                            };
                            KeyWord {
                                stem,
                                prefix,
                                endings,
                            }
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
                include: compile(&t.keywords),
                exclude: compile(&t.exclude),
            })
            .collect();
        Matcher { topics, stems }
    }

    /// The names of the topics whose keywords occur in the text (and none of its exclusions).
    pub fn tag(&self, title: &str, text: &str) -> Vec<String> {
        let words: Vec<(String, String)> = words(title)
            .chain(words(text))
            .map(|w| {
                let s = self.stems.stem_folded(&w);
                (w, s)
            })
            .collect();
        self.topics
            .iter()
            .filter(|t| {
                t.include.iter().any(|p| occurs(p, &words))
                    && !t.exclude.iter().any(|p| occurs(p, &words))
            })
            .map(|t| t.name.clone())
            .collect()
    }
}

fn occurs(p: &Pattern, words: &[(String, String)]) -> bool {
    let n = p.words.len();
    words.len() >= n
        && words.windows(n).any(|win| {
            win.iter()
                .zip(&p.words)
                .all(|((w, s), k)| word_matches(w, s, k))
        })
}

fn word_matches(word: &str, stem: &str, k: &KeyWord) -> bool {
    if !is_cyrillic(word) {
        return stem == k.stem;
    }
    // Snowball is not consistent across one word's forms (it stems «Ростов» to «рост» but
    // «Ростова» to «ростов»), so the word's stem need only begin with the keyword's; the
    // guard then asks for the keyword's own letters plus an inflectional ending.
    stem.starts_with(k.stem.as_str())
        && word
            .strip_prefix(k.prefix.as_str())
            .is_some_and(|ending| k.endings.contains(&ending))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(name: &str, keywords: &[&str], exclude: &[&str]) -> Topic {
        Topic {
            name: name.into(),
            title: name.into(),
            keywords: keywords.iter().map(|s| s.to_string()).collect(),
            exclude: exclude.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn check(topics: &[Topic], text: &str, expected: &[&str]) {
        let m = Matcher::new(topics);
        assert_eq!(m.tag("", text), expected, "{text}");
    }

    #[test]
    fn inflected_forms_match() {
        let t = [topic("syria", &["Сирия"], &[])];
        for text in [
            "Делегация из Сирии прибыла",
            "поставки зерна в Сирию",
            "Новости. Сирия.",
            "над СИРИЕЙ",
        ] {
            check(&t, text, &["syria"]);
        }
    }

    #[test]
    fn stem_collisions_do_not_match() {
        let t = [
            topic("syria", &["Сирия"], &[]),
            topic("rostov", &["Ростов"], &[]),
        ];
        check(&t, "В Липецке прозвучала сирена гражданской обороны", &[]);
        check(&t, "Рост цен на продукты замедлился", &[]);
        check(&t, "Поезд из Ростова задержался", &["rostov"]);
        let lipetsk = [
            topic("lipetsk", &["Липецк"], &[]),
            topic("moscow", &["Москва"], &[]),
        ];
        check(&lipetsk, "Губернатор Липецкой области", &[]);
        check(&lipetsk, "снегопад в Липецке", &["lipetsk"]);
        check(&lipetsk, "встреча с Москвой", &["moscow"]);
        check(&lipetsk, "московские новости", &[]);
        let forms = [
            topic("syria", &["сирийский"], &[]),
            topic("peskov", &["Дмитрий"], &[]),
            topic("khimki", &["Химки"], &[]),
            topic("cheb", &["Чебоксары"], &[]),
        ];
        check(&forms, "о сирийском конфликте", &["syria"]);
        check(&forms, "с сирийскими студентами", &["syria"]);
        check(&forms, "слова Дмитрия Пескова", &["peskov"]);
        check(&forms, "пробки в Химках", &["khimki"]);
        check(&forms, "поезд из Чебоксар", &["cheb"]);
    }

    #[test]
    fn adjectives_only_when_asked() {
        check(
            &[topic("syria", &["Сирия"], &[])],
            "сирийская делегация",
            &[],
        );
        check(
            &[topic("syria", &["Сирия", "сирийский"], &[])],
            "встреча сирийской делегации",
            &["syria"],
        );
    }

    #[test]
    fn phrases_exclusions_and_english() {
        let t = [
            topic("energy", &["энергетический кризис"], &["учения"]),
            topic("isis", &["ИГИЛ", "Islamic State"], &[]),
        ];
        check(
            &t,
            "Энергетического кризиса в регионе не будет",
            &["energy"],
        );
        check(&t, "кризис энергетический", &[]);
        check(&t, "учения: энергетический кризис", &[]);
        check(&t, "вербовка в ИГИЛ (запрещена в РФ)", &["isis"]);
        check(&t, "fighters of the Islamic State", &["isis"]);
        check(&t, "the islamic states", &["isis"]);
    }

    #[test]
    fn yo_is_folded() {
        check(
            &[topic("tree", &["ёлка"], &[])],
            "на площади поставили елку",
            &["tree"],
        );
    }
}
