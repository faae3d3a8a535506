//! Storylines: stories of one affair — an arrest, then the verdict; a match, then the reactions —
//! linked as related, never merged. Two stories are related when their reports name the same
//! people, places and organisations, weighed by how rare each name is in the store. Pure: the
//! store hands in how many reports name each entity.
//!
//! Entities are the names of a report's title and lead ([`crate::trending::name_words`]: a
//! capitalised word past a sentence's start, an abbreviation), in their dictionary form, of the
//! kind the dictionary's grammemes say (Surn, Geox, Orgn). First names and patronymics are left
//! out: «Владимир» tells no affair from another.

use rumorph::Dictionary;

use crate::text::Stems;
use crate::trending::{Key, key_of, name_words};

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
}

impl Kind {
    pub fn code(self) -> i64 {
        match self {
            Kind::Person => 1,
            Kind::Place => 2,
            Kind::Org => 3,
            Kind::Name => 4,
        }
    }

    pub fn from_code(code: i64) -> Kind {
        match code {
            1 => Kind::Person,
            2 => Kind::Place,
            3 => Kind::Org,
            _ => Kind::Name,
        }
    }
}

/// A name in a report: its dictionary form (folded, lowercase), or its Snowball stem when the
/// dictionary does not know the word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    pub name: String,
    pub kind: Kind,
}

/// The entities of a report's title and lead, each once, in the order they first appear. The
/// dictionary is loaded on first use (`None` when it cannot be: then every name is a stem).
pub fn entities(title: &str, lead: &str) -> Vec<Entity> {
    entities_with(crate::morph::dictionary(), title, lead)
}

/// [`entities`] with the dictionary given.
pub fn entities_with(dict: Option<&Dictionary>, title: &str, lead: &str) -> Vec<Entity> {
    let stems = Stems::new();
    let mut out: Vec<Entity> = Vec::new();
    for text in [title, lead] {
        for (word, abbreviation) in name_words(text) {
            let (key, reading) = key_of(&stems, dict, word);
            let kind = match &reading {
                Some(r) if r.place => Kind::Place,
                _ if abbreviation => Kind::Org,
                // A first name or patronymic only: not the person.
                Some(r) if r.person && r.given_name => continue,
                Some(r) if r.person => Kind::Person,
                Some(r) if r.org => Kind::Org,
                _ => Kind::Name,
            };
            let name = match key {
                Key::Lemma(l) => l,
                Key::Stem(s) => s,
            };
            if name.chars().count() < 2 || out.iter().any(|e| e.name == name) {
                continue;
            }
            out.push(Entity { name, kind });
        }
    }
    out
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

/// A name two stories share: its kind and how many stored reports name it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shared {
    pub kind: Kind,
    pub reports: u64,
}

/// Whether a name named by `reports` of `total` stored reports is specific enough to relate
/// stories (and to look for candidates by).
pub fn specific(reports: u64, total: u64) -> bool {
    (reports as f64) <= COMMON * total.max(FLOOR) as f64
}

/// How strongly two stories that share these names are related, or `None` when they are not:
/// at least two specific names of which one is not a place, or one rare person or organisation.
/// Places alone never relate two stories (two fires in one town are two affairs). The strength
/// is the sum of the names' inverse document frequencies.
pub fn related(shared: &[Shared], total: u64) -> Option<f64> {
    let n = total.max(FLOOR) as f64;
    let specific: Vec<&Shared> = shared.iter().filter(|s| specific(s.reports, total)).collect();
    let not_place = specific.iter().filter(|s| s.kind != Kind::Place).count();
    let rare_actor = specific.iter().any(|s| {
        matches!(s.kind, Kind::Person | Kind::Org) && (s.reports as f64) <= RARE * n
    });
    if !(rare_actor || (specific.len() >= 2 && not_place >= 1)) {
        return None;
    }
    Some(
        specific
            .iter()
            .map(|s| (n / s.reports.max(1) as f64).ln())
            .sum(),
    )
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
        assert!(!got.iter().any(|(n, _)| n == "сергей" || n == "сотрудник"), "{got:?}");
        assert_eq!(got.iter().filter(|(n, _)| n == "воронеж").count(), 1);
    }

    #[test]
    fn initials_and_abbreviations_do_not_open_a_sentence() {
        let got = names("", "Приговор огласил судья А. Бирюков в г. Лиски.");
        assert!(got.iter().any(|(n, _)| n == "бирюков"), "{got:?}");
        assert!(got.iter().any(|(n, _)| n == "лиски"), "{got:?}");
    }

    fn s(kind: Kind, reports: u64) -> Shared {
        Shared { kind, reports }
    }

    #[test]
    fn a_common_place_relates_nothing_and_a_rare_person_does() {
        let total = 100_000;
        // «Москва» in 3% of reports.
        assert_eq!(related(&[s(Kind::Place, 3_000)], total), None);
        assert_eq!(related(&[s(Kind::Place, 3_000), s(Kind::Place, 4_000)], total), None);
        // Two towns, however rare, are not an affair.
        assert_eq!(related(&[s(Kind::Place, 30), s(Kind::Place, 12)], total), None);
        assert!(related(&[s(Kind::Person, 12)], total).is_some());
        assert!(related(&[s(Kind::Place, 30), s(Kind::Name, 50)], total).is_some());
        // A rare town and a common agency.
        assert_eq!(related(&[s(Kind::Place, 30), s(Kind::Org, 5_000)], total), None);
    }
}
