//! Which words of a headline or text are names (places, people, organisations, abbreviations),
//! and what one name is counted under: its dictionary form, the place for a place's adjective.

use std::collections::HashSet;

use rumorph::Dictionary;

use crate::morph::{self, Reading};
use crate::text::Stems;

/// What one name is counted under: its dictionary form when the dictionary knows the word,
/// else its Snowball stem (a new name, «АЭС-2»).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    Lemma(String),
    Stem(String),
}

/// The key of a word and, when the dictionary knows it, its dictionary form (see
/// [`reading_of`]).
pub(super) fn key_of(
    stems: &Stems,
    dict: Option<&Dictionary>,
    word: &str,
) -> (Key, Option<String>) {
    let (key, reading) = reading_of(stems, dict, word);
    (key, reading.map(|r| r.spelling))
}

/// The key of a word and, when the dictionary knows it, its reading. A name's reading is
/// preferred («Липецке» is the town; «Королева» mid-headline is Королёв, not the queen), and a
/// place's adjective reads as the place («Липецкой» → Липецк). The storyline takes the kind of
/// name (person, place, organisation) from it.
pub(crate) fn reading_of(
    stems: &Stems,
    dict: Option<&Dictionary>,
    word: &str,
) -> (Key, Option<Reading>) {
    // Cached: the storyline reads the names of every report on the parse threads.
    let best = dict
        .and_then(|d| morph::readings_cached(d, word))
        .and_then(|rs| {
            let any_proper = rs.iter().any(|r| r.proper);
            // The likeliest lemma over all its readings («Королева»: Королёв's genitive and
            // accusative together outweigh the surname Королёва).
            let mut by_lemma: Vec<(f64, &Reading)> = Vec::new();
            for r in rs.iter().filter(|r| r.proper || !any_proper) {
                match by_lemma.iter_mut().find(|(_, b)| b.lemma == r.lemma) {
                    Some((p, _)) => *p += r.prob,
                    None => by_lemma.push((r.prob, r)),
                }
            }
            by_lemma
                .into_iter()
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, r)| r.clone())
        });
    match best {
        // «Липецкий», «Воронежские»: the adjective of a place is a mention of the place.
        Some(r)
            if let Some(place) =
                dict.and_then(|d| places_of_adjective(d, &r.lemma).into_iter().next()) =>
        {
            let place = Reading {
                lemma: place.0.clone(),
                spelling: place.1,
                proper: true,
                place: true,
                adjective: false,
                ..r
            };
            (Key::Lemma(place.lemma.clone()), Some(place))
        }
        Some(r) => (Key::Lemma(r.lemma.clone()), Some(r)),
        None => (Key::Stem(stems.stem(word)), None),
    }
}

/// The places a relative adjective may be made from («липецкий» → Липецк, «воронежский» →
/// Воронеж, «рязанский» → Рязань, «елецкий» → Елец (or the village Елецк), «сирийский» →
/// Сирия), as (lemma, spelling): the usual ways Russian makes such adjectives, each tried
/// against the dictionary, which must know the result as a place. Empty for any other word.
fn places_of_adjective(dict: &Dictionary, lemma: &str) -> Vec<(String, String)> {
    let Some(stem) = ["ский", "цкий", "ской", "цкой"]
        .iter()
        .find(|e| lemma.ends_with(*e))
        .map(|_| &lemma[..lemma.len() - "ий".len()])
    else {
        return Vec::new();
    };
    let before = |suffix: &str| stem.strip_suffix(suffix);
    let candidates = [
        Some(stem.to_string()),                   // липецк-ий, курск-ий
        before("ск").map(str::to_string),         // воронеж-ский
        before("ск").map(|b| format!("{b}ь")),    // рязан-ский
        before("ск").map(|b| format!("{b}о")),    // иванов-ский
        before("цк").map(|b| format!("{b}ц")),    // елец-кий
        before("ьск").map(|b| format!("{b}а")),   // туль-ский
        before("ийск").map(|b| format!("{b}ия")), // сир-ийский
        before("овск").map(|b| format!("{b}ва")), // моск-овский
    ];
    let mut places: Vec<(String, String)> = Vec::new();
    for c in candidates.into_iter().flatten() {
        let Some(readings) = morph::readings_cached(dict, &capitalised(&c)) else {
            continue;
        };
        if let Some(r) = readings
            .iter()
            .find(|r| r.place && r.lemma == crate::text::fold(&c))
            && !places.iter().any(|p| p.0 == r.lemma)
        {
            places.push((r.lemma.clone(), r.spelling.clone()));
        }
    }
    places
}

/// The places a word may name as a relative adjective, over all its readings.
pub(super) fn adjective_places(dict: &Dictionary, word: &str) -> Vec<Key> {
    let mut keys: Vec<Key> = Vec::new();
    for r in morph::readings(dict, word).unwrap_or_default() {
        for (lemma, _) in places_of_adjective(dict, &r.lemma) {
            let k = Key::Lemma(lemma);
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    keys
}

/// Whether a word may be a relative adjective («Липецкий», «Воронежские», «Елецкой»): «ск» or
/// «цк» before a short ending. A quick test, so that most first words of headlines are never
/// looked up.
pub(super) fn looks_relative(word: &str) -> bool {
    let lower = word.to_lowercase();
    let tail: String = lower
        .chars()
        .rev()
        .take(6)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    tail.contains("ск") || tail.contains("цк")
}

/// Which stories' headlines mention which names, for linking a discovered name to a story that
/// carries it (by its key: «в Липецке» mentions Липецк; «Липецкий» does too, «липа» does not).
pub struct Mentions {
    stories: Vec<(i64, HashSet<Key>)>,
}

impl Mentions {
    pub fn new<'a>(
        dict: Option<&Dictionary>,
        stories: impl IntoIterator<Item = (i64, &'a str)>,
    ) -> Mentions {
        let stems = Stems::new();
        Mentions {
            stories: stories
                .into_iter()
                .map(|(id, title)| {
                    let keys = title
                        .split(|c: char| !letter(c) && !c.is_numeric() && c != '-')
                        .map(|w| w.trim_matches('-'))
                        .filter(|w| w.chars().any(capital))
                        .flat_map(|w| {
                            let mut ks = vec![key_of(&stems, dict, w).0];
                            if let Some(d) = dict.filter(|_| looks_relative(w)) {
                                ks.extend(adjective_places(d, w));
                            }
                            ks
                        })
                        .collect();
                    (id, keys)
                })
                .collect(),
        }
    }

    /// The first story (in the order given) whose headline mentions `term`.
    pub fn first(&self, dict: Option<&Dictionary>, term: &str) -> Option<i64> {
        let key = key_of(&Stems::new(), dict, term).0;
        self.stories
            .iter()
            .find(|(_, keys)| keys.contains(&key))
            .map(|(id, _)| *id)
    }
}

/// `char::is_alphabetic` with a fast path for ASCII and Russian letters: the standard
/// library's table search is slow, and this runs on every letter of a week's headlines.
pub(super) fn letter(c: char) -> bool {
    matches!(c, 'a'..='z' | 'A'..='Z' | 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё')
        || (!c.is_ascii() && c.is_alphabetic())
}

/// `char::is_uppercase`, likewise.
pub(super) fn capital(c: char) -> bool {
    match c {
        'A'..='Z' | 'А'..='Я' | 'Ё' => true,
        'a'..='z' | 'а'..='я' | 'ё' => false,
        _ => !c.is_ascii() && c.is_uppercase(),
    }
}

/// Abbreviations written with a point before a name: «г. Липецк», «ул. Ленина», «им. Пушкина».
const ABBREVIATIONS: &[&str] = &[
    "г",
    "гг",
    "ул",
    "им",
    "пр",
    "пл",
    "обл",
    "ст",
    "св",
    "пос",
    "дер",
    "просп",
];

/// The words of a text that may be names, each with whether it is an abbreviation and whether
/// it continues the name before it (only spaces between them: «Южной Кореи»): a capitalised
/// word that does not open a sentence (every sentence starts with a capital), or a word in
/// capitals anywhere (МЧС, ИГИЛ). A point after an initial («В. Путин», «Дж.») or a short
/// abbreviation («г. Липецк») ends no sentence; a quotation after a colon opens one.
pub(crate) fn name_phrases(text: &str) -> impl Iterator<Item = (&str, bool, bool)> + '_ {
    let is_part = |c: char| letter(c) || c.is_numeric() || c == '-';
    let mut rest = text;
    let mut opens = true;
    let mut short = false;
    let mut was_name = false;
    std::iter::from_fn(move || {
        loop {
            let start = rest.find(is_part)?;
            let gap = &rest[..start];
            let follows = std::mem::replace(&mut was_name, false) && gap.trim().is_empty();
            let after = &rest[start..];
            let len = after.find(|c: char| !is_part(c)).unwrap_or(after.len());
            let word = &after[..len];
            rest = &after[len..];
            if (gap.contains(['.', '!', '?', '…']) && !short)
                || gap.contains('\n')
                || (gap.contains(':') && gap.contains(['«', '"', '“']))
            {
                opens = true;
            }
            let first = std::mem::replace(&mut opens, false);
            let w = word.trim_matches('-');
            let letters = w.chars().filter(|&c| letter(c)).count();
            let upper = w.chars().filter(|&c| capital(c)).count();
            short = (letters <= 2 && w.chars().next().is_some_and(capital) && letters > upper)
                || letters == 1
                || ABBREVIATIONS.contains(&w);
            // Neither a name nor an abbreviation without a capital: most words go here.
            if upper == 0 {
                continue;
            }
            let abbreviation = letters >= 2 && upper == letters;
            let name = !first && w.chars().next().is_some_and(capital) && letters >= 3;
            if abbreviation || name {
                was_name = true;
                return Some((w, abbreviation, follows));
            }
        }
    })
}

/// «липецк» → «Липецк».
pub(super) fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quick_letter_checks_answer_as_the_standard_library() {
        for c in (0..0x3_0000).filter_map(char::from_u32) {
            assert_eq!(letter(c), c.is_alphabetic(), "{c:?}");
            assert_eq!(capital(c), c.is_uppercase(), "{c:?}");
        }
    }
}
