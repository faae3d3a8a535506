//! Storylines: stories of one affair — an arrest, then the verdict; a match, then the reactions —
//! linked as related, never merged. Two stories are related when their reports name the same
//! people, places and organisations, weighted by each name's inverse document frequency in the
//! store. Pure: the store hands in how many reports name each entity.
//!
//! Entities are the names of a report's title and lead (`trending::name_phrases`: a
//! capitalised word past a sentence's start, an abbreviation), in their dictionary form, of the
//! kind the dictionary's grammemes say (Surn, Geox, Orgn). First names and patronymics are left
//! out: «Владимир» tells no affair from another.

use rumorph::Dictionary;

use crate::text::Stems;
use crate::trending::{Key, name_phrases, reading_of};

/// What kind of name an entity is. Stored as its [`Kind::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A surname.
    Person,
    Place,
    /// An organisation, or an abbreviation that is not a place (МЧС, ФСБ).
    Org,
    /// Any other capitalised word: a name the dictionary does not know, a title in quotes.
    Name,
    /// Not a name: a word of the title (its stem), what the report is about («арест»,
    /// «приговор», «строительство»). Two stories of one affair share one beside their names.
    Word,
}

impl Kind {
    pub fn code(self) -> i64 {
        match self {
            Kind::Person => 1,
            Kind::Place => 2,
            Kind::Org => 3,
            Kind::Name => 4,
            Kind::Word => 5,
        }
    }

    pub fn from_code(code: i64) -> Kind {
        match code {
            1 => Kind::Person,
            2 => Kind::Place,
            3 => Kind::Org,
            5 => Kind::Word,
            _ => Kind::Name,
        }
    }
}

/// A name in a report: its dictionary form (folded, lowercase; a name of several words, such as
/// «южный корея» or «кубок россия», is one), or its Snowball stem when the dictionary does not
/// know the word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    pub name: String,
    pub kind: Kind,
    /// Named in the title, not only in the lead: what the report is about.
    pub title: bool,
}

/// The entities of a report's title and lead, each once, in the order they first appear. The
/// dictionary is loaded on first use (`None` when it cannot be: then every name is a stem).
pub fn entities(title: &str, lead: &str) -> Vec<Entity> {
    entities_with(crate::morph::dictionary(), title, lead)
}

/// One word of a name: its key and what the dictionary says of it.
struct Part {
    key: String,
    kind: Kind,
    adjective: bool,
}

/// [`entities`] with the dictionary given.
pub fn entities_with(dict: Option<&Dictionary>, title: &str, lead: &str) -> Vec<Entity> {
    let stems = Stems::new();
    let mut out: Vec<Entity> = Vec::new();
    for (text, in_title) in [(title, true), (lead, false)] {
        let mut phrase: Vec<Part> = Vec::new();
        for (word, abbreviation, follows) in name_phrases(text) {
            if !follows {
                flush(&mut phrase, in_title, &mut out);
            }
            let (key, reading) = reading_of(&stems, dict, word);
            let kind = match &reading {
                Some(r) if r.place => Kind::Place,
                _ if abbreviation => Kind::Org,
                // A first name or patronymic: not the person by itself.
                Some(r) if r.person && r.given_name => continue,
                Some(r) if r.person => Kind::Person,
                Some(r) if r.org => Kind::Org,
                _ => Kind::Name,
            };
            let key = match key {
                Key::Lemma(l) => l,
                Key::Stem(s) => s,
            };
            let adjective = reading.is_some_and(|r| r.adjective);
            phrase.push(Part {
                key,
                kind,
                adjective,
            });
        }
        flush(&mut phrase, in_title, &mut out);
    }
    // The title's other words: lowercase, long enough to carry a meaning. Their stems are kept
    // apart from names by a leading «=».
    for w in crate::text::raw_words(title) {
        if w.chars().next().is_some_and(char::is_lowercase)
            && w.chars().count() >= MIN_WORD
            && crate::text::is_cyrillic(w)
        {
            let name = format!("={}", stems.stem(w));
            if !out.iter().any(|e| e.name == name) {
                out.push(Entity {
                    name,
                    kind: Kind::Word,
                    title: true,
                });
            }
        }
    }
    out
}

/// Title words shorter than this say little about the matter («дело» does, and is kept).
const MIN_WORD: usize = 4;

/// Ends a name of one or more words: a person is named by the surname; another name by all its
/// words, of the kind of its first noun («Южной Кореи» a place, «Кубка России» not).
fn flush(phrase: &mut Vec<Part>, in_title: bool, out: &mut Vec<Entity>) {
    if phrase.is_empty() {
        return;
    }
    let person = phrase.iter().any(|p| p.kind == Kind::Person);
    let parts: Vec<&Part> = phrase
        .iter()
        .filter(|p| !person || p.kind == Kind::Person)
        .collect();
    let kind = if person {
        Kind::Person
    } else if parts.iter().all(|p| p.adjective) {
        // «Воронежской (области)», «Приморский (край)»: the capital is a place's.
        Kind::Place
    } else {
        parts
            .iter()
            .find(|p| !p.adjective)
            .or(parts.last())
            .map_or(Kind::Name, |p| p.kind)
    };
    let name = parts
        .iter()
        .map(|p| p.key.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    phrase.clear();
    if name.chars().count() < 2 {
        return;
    }
    match out.iter_mut().find(|e| e.name == name) {
        Some(e) => e.title |= in_title,
        None => out.push(Entity {
            name,
            kind,
            title: in_title,
        }),
    }
}

/// Below this many reports in the store, rarity is judged as if it held this many: in a young
/// database every name is rare, and the kinds of what is shared decide alone.
pub const FLOOR: u64 = 2_000;
/// A name in more than this share of the reports is common («Россия», «Москва», «МВД»): it never
/// relates two stories, and never brings a candidate.
pub const COMMON: f64 = 0.01;
/// A person or organisation in at most this share of the reports is rare: shared alone, it
/// relates two stories.
pub const RARE: f64 = 0.002;

/// A name two stories share: its kind, how many stored reports name it, and in how many of the
/// two stories' titles it stands (0, 1 or 2). Names that begin with the same word («мид рф»,
/// «мид россия») are passed as one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shared {
    pub kind: Kind,
    pub reports: u64,
    pub titles: u8,
}

/// Whether a name named by `reports` of `total` stored reports is specific enough to relate
/// stories (and to look for candidates by).
pub fn specific(reports: u64, total: u64) -> bool {
    (reports as f64) <= COMMON * total.max(FLOOR) as f64
}

/// How strongly two stories that share these names and title words are related, or `None`
/// when they are not. Related: a specific name in both titles — a rare person or name, or with
/// a second specific name, one of the two not a place — and a specific word in both
/// titles (the matter: «арест», «строительство»); or one place in both titles and two such
/// words, one of them rare. A shared place alone never relates two stories (two fires in one
/// town are two affairs), nor do names their leads alone mention, nor one actor's unrelated
/// doings. The strength is the sum of the names' inverse document frequencies.
pub fn related(shared: &[Shared], total: u64) -> Option<f64> {
    let n = total.max(FLOOR) as f64;
    let words: Vec<&Shared> = shared
        .iter()
        .filter(|s| s.kind == Kind::Word && s.titles == 2 && specific(s.reports, total))
        .collect();
    // One place in both titles and the same rare matter («жёсткая посадка на Камчатке»,
    // «магазин пиротехники в Орле»).
    let place_and_matter = place_anchor(shared, total)
        && words.len() >= 2
        && words.iter().any(|w| (w.reports as f64) <= RARE * n);
    if words.is_empty() || !(names_relate(shared, total) || place_and_matter) {
        return None;
    }
    Some(
        shared
            .iter()
            .filter(|s| s.kind != Kind::Word && specific(s.reports, total))
            .map(|s| (n / s.reports.max(1) as f64).ln())
            .sum(),
    )
}

/// Whether a specific place stands in both titles: with the same rare matter, that relates.
pub fn place_anchor(shared: &[Shared], total: u64) -> bool {
    shared
        .iter()
        .any(|s| s.kind == Kind::Place && s.titles == 2 && specific(s.reports, total))
}

/// The names' half of [`related`] (words are not looked at).
pub fn names_relate(shared: &[Shared], total: u64) -> bool {
    let n = total.max(FLOOR) as f64;
    let specific: Vec<&Shared> = shared
        .iter()
        .filter(|s| s.kind != Kind::Word && specific(s.reports, total))
        .collect();
    let anchors = specific.iter().filter(|s| s.titles == 2);
    // An organisation alone is not enough: a ministry or a court has many affairs.
    let rare_actor = anchors
        .clone()
        .any(|s| matches!(s.kind, Kind::Person | Kind::Name) && (s.reports as f64) <= RARE * n);
    let several = anchors.count() >= 1
        && specific.len() >= 2
        && specific.iter().any(|s| s.kind != Kind::Place);
    rare_actor || several
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(title: &str, lead: &str) -> Vec<(String, Kind)> {
        entities(title, lead)
            .into_iter()
            .map(|e| (e.name, e.kind))
            .collect()
    }

    #[test]
    fn people_places_and_organisations_in_their_dictionary_form() {
        let got = names(
            "В Воронеже задержали главу управы Сергея Кротова",
            "Сотрудники ФСБ задержали в Воронеже руководителя управы Левобережного района \
             Сергея Кротова. По данным УФСБ, чиновник получил взятку.",
        );
        assert!(got.contains(&("воронеж".into(), Kind::Place)), "{got:?}");
        assert!(got.contains(&("кротов".into(), Kind::Person)), "{got:?}");
        assert!(got.contains(&("фсб".into(), Kind::Org)), "{got:?}");
        // «Сергея» is a first name, «В», «Сотрудники», «По» open sentences.
        assert!(
            !got.iter().any(|(n, _)| n == "сергей" || n == "сотрудник"),
            "{got:?}"
        );
        assert_eq!(got.iter().filter(|(n, _)| n == "воронеж").count(), 1);
    }

    #[test]
    fn initials_and_abbreviations_do_not_open_a_sentence() {
        let got = names("", "Приговор огласил судья А. Бирюков в г. Лиски.");
        assert!(got.iter().any(|(n, _)| n == "бирюков"), "{got:?}");
        assert!(got.iter().any(|(n, _)| n == "лиски"), "{got:?}");
    }

    fn s(kind: Kind, reports: u64) -> Shared {
        Shared {
            kind,
            reports,
            titles: 2,
        }
    }

    #[test]
    fn a_common_place_relates_nothing_and_a_rare_person_does() {
        let total = 100_000;
        let word = s(Kind::Word, 200);
        // «Москва» in 3% of reports.
        assert_eq!(related(&[s(Kind::Place, 3_000), word], total), None);
        assert_eq!(
            related(&[s(Kind::Place, 3_000), s(Kind::Place, 4_000), word], total),
            None
        );
        // Two towns, however rare, are not an affair.
        assert_eq!(
            related(&[s(Kind::Place, 30), s(Kind::Place, 12), word], total),
            None
        );
        assert!(related(&[s(Kind::Person, 12), word], total).is_some());
        // One ministry has many affairs.
        assert_eq!(related(&[s(Kind::Org, 12), word], total), None);
        // Not without a matter both titles name.
        assert_eq!(related(&[s(Kind::Person, 12)], total), None);
        assert!(related(&[s(Kind::Place, 30), s(Kind::Name, 500), word], total).is_some());
        // A rare town and a common agency.
        assert_eq!(
            related(&[s(Kind::Place, 30), s(Kind::Org, 5_000), word], total),
            None
        );
        // Names only the leads mention.
        let lead_only = |k, r| Shared {
            kind: k,
            reports: r,
            titles: 0,
        };
        assert_eq!(
            related(
                &[lead_only(Kind::Person, 12), lead_only(Kind::Org, 20), word],
                total
            ),
            None
        );
    }
}
