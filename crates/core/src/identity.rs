//! Which stored report an incoming one is, as a pure decision over what the store's lookups
//! returned: the same report unchanged, the same report edited, another agency's report carried
//! under the same link (a copy), or a new report whose story the story engine decides. And for
//! an edited report, whether its story is decided again and where it goes.
//!
//! The store asks in order and stops once the answer is settled ([`Lookup`] says what to ask
//! next), so an unchanged report, the common case, costs one lookup.

use crate::model::Item;
use crate::stories::Decision;

/// An incoming report as its identity sees it.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    /// Its key within its source (see [`Item::source_key`]).
    pub key: &'a str,
    pub link: Option<&'a str>,
    /// The feed lists its link for several items (see [`Item::link_shared`]).
    pub link_shared: bool,
    pub title: &'a str,
    /// The content hash of its title and text (see [`crate::dedup::content_hash`]).
    pub hash: &'a str,
}

impl<'a> Seen<'a> {
    pub fn new(item: &'a Item, key: &'a str, hash: &'a str) -> Seen<'a> {
        Seen {
            key,
            link: item.link.as_deref(),
            link_shared: item.link_shared,
            title: &item.title,
            hash,
        }
    }
}

/// A report of the same source as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub id: i64,
    pub hash: String,
    pub title: String,
    pub story: i64,
}

/// What the store found, filled in the order [`Lookup::next`] asks; a lookup not made is
/// nothing found.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    /// The source's report under the incoming one's key.
    pub by_key: Option<Stored>,
    /// The source's report under the incoming one's link, taken as its key.
    pub by_link: Option<Stored>,
    /// Another agency's report under the same link.
    pub elsewhere: Option<i64>,
}

/// What to look up next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask<'a> {
    /// This source's report under this key: fills [`Lookup::by_key`].
    Key(&'a str),
    /// This source's report under this link taken as its key: fills [`Lookup::by_link`].
    SharedLink(&'a str),
    /// Another agency's report under this link: fills [`Lookup::elsewhere`].
    Elsewhere(&'a str),
}

/// The lookups made so far, by [`Lookup::next`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Asked(u8);

impl Lookup {
    /// The lookup [`decide`] needs next, `None` when it has what it needs. `asked` keeps count
    /// of the lookups made; the caller stores each answer in its field before asking again.
    pub fn next<'a>(&self, seen: &Seen<'a>, asked: &mut Asked) -> Option<Ask<'a>> {
        if asked.0 == 0 {
            asked.0 = 1;
            return Some(Ask::Key(seen.key));
        }
        if asked.0 == 1 {
            asked.0 = 2;
            // A link this feed now lists for several items was one item's own key before (a
            // live blog that keeps its link).
            if self.by_key.is_none()
                && seen.link_shared
                && let Some(link) = seen.link
            {
                return Some(Ask::SharedLink(link));
            }
        }
        if asked.0 == 2 {
            asked.0 = 3;
            if own(seen, self).is_none()
                && let Some(link) = seen.link
            {
                return Some(Ask::Elsewhere(link));
            }
        }
        None
    }
}

/// Which report an incoming one is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// The stored report `id`, the same title and text: nothing to write.
    Unchanged { id: i64 },
    /// The stored report `id` of `story`, edited (a corrected headline, a longer text).
    Edited { id: i64, story: i64 },
    /// A new report: another agency's report `of` under the same canonical link, so the same
    /// report carried twice; it joins that report's copy group and story.
    CopyOf { of: i64 },
    /// A new report: the story engine decides its story.
    New,
}

/// The source's own stored report: the one under its key, else the one under its shared link
/// with the same title (the others under that link are other items of the live blog).
fn own<'l>(seen: &Seen, lookup: &'l Lookup) -> Option<&'l Stored> {
    lookup.by_key.as_ref().or_else(|| {
        lookup
            .by_link
            .as_ref()
            .filter(|s| seen.link_shared && s.title == seen.title)
    })
}

/// Which report `seen` is, given what the store found.
pub fn decide(seen: &Seen, lookup: &Lookup) -> Identity {
    if let Some(s) = own(seen, lookup) {
        return if s.hash == seen.hash && s.title == seen.title {
            Identity::Unchanged { id: s.id }
        } else {
            Identity::Edited {
                id: s.id,
                story: s.story,
            }
        };
    }
    match (seen.link, lookup.elsewhere) {
        (Some(_), Some(of)) => Identity::CopyOf { of },
        _ => Identity::New,
    }
}

/// Whether an edited report's story is decided again: only when it is alone in its story (a
/// one-line «молния» expanded later). Once others joined it, the story is theirs too.
pub fn decide_again(alone: bool) -> bool {
    alone
}

/// Where an edited report decided again goes: `Some((story, copy group))` when the decision
/// names another story than `story`, the one it is in; `None`: it stays.
pub fn regroup(id: i64, story: i64, decision: Decision) -> Option<(i64, i64)> {
    let to = decision.story().filter(|s| *s != story)?;
    let copy = match decision {
        Decision::Copy { copy, .. } => copy,
        _ => id,
    };
    Some((to, copy))
}

/// A new report's copy group and story, after the (checked) decision: `None` for the story when
/// it starts one of its own, led by itself.
pub fn membership(id: i64, decision: Decision) -> (i64, Option<i64>) {
    match decision {
        Decision::Copy { copy, story, .. } => (copy, Some(story)),
        Decision::Story { story, .. } => (id, Some(story)),
        Decision::New => (id, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen<'a>(key: &'a str, link: Option<&'a str>, title: &'a str, hash: &'a str) -> Seen<'a> {
        Seen {
            key,
            link,
            link_shared: false,
            title,
            hash,
        }
    }

    fn stored(id: i64, title: &str, hash: &str, story: i64) -> Stored {
        Stored {
            id,
            hash: hash.into(),
            title: title.into(),
            story,
        }
    }

    /// Runs the lookups `decide` asks for against `own` (this source's reports by key) and
    /// `elsewhere` (other agencies' reports by link); returns the identity and what was asked.
    fn run(s: &Seen, own: &[(&str, Stored)], elsewhere: &[(&str, i64)]) -> (Identity, Vec<String>) {
        let (mut lookup, mut asked, mut log) = (Lookup::default(), Asked::default(), Vec::new());
        while let Some(ask) = lookup.next(s, &mut asked) {
            match ask {
                Ask::Key(k) => {
                    log.push(format!("own {k}"));
                    lookup.by_key = own.iter().find(|p| p.0 == k).map(|p| p.1.clone());
                }
                Ask::SharedLink(l) => {
                    log.push(format!("own {l}"));
                    lookup.by_link = own.iter().find(|p| p.0 == l).map(|p| p.1.clone());
                }
                Ask::Elsewhere(l) => {
                    log.push(format!("elsewhere {l}"));
                    lookup.elsewhere = elsewhere.iter().find(|(link, _)| *link == l).map(|p| p.1);
                }
            }
        }
        (decide(s, &lookup), log)
    }

    #[test]
    fn the_same_report_unchanged_costs_one_lookup() {
        let s = seen("g1", Some("https://a.test/1"), "Заголовок", "h");
        let (id, asked) = run(&s, &[("g1", stored(7, "Заголовок", "h", 7))], &[]);
        assert_eq!(id, Identity::Unchanged { id: 7 });
        assert_eq!(asked, ["own g1"]);
    }

    #[test]
    fn a_new_title_or_text_is_an_edit_of_the_same_report() {
        let s = seen("g1", None, "Заголовок, исправленный", "h");
        let (id, _) = run(&s, &[("g1", stored(7, "Заголовок", "h", 3))], &[]);
        assert_eq!(id, Identity::Edited { id: 7, story: 3 });
        let s = seen("g1", None, "Заголовок", "h2");
        let (id, _) = run(&s, &[("g1", stored(7, "Заголовок", "h", 3))], &[]);
        assert_eq!(id, Identity::Edited { id: 7, story: 3 });
    }

    #[test]
    fn the_same_link_from_another_agency_is_a_copy() {
        let s = seen("b-1", Some("https://a.test/1"), "Заголовок", "h");
        let (id, asked) = run(&s, &[], &[("https://a.test/1", 4)]);
        assert_eq!(id, Identity::CopyOf { of: 4 });
        assert_eq!(asked, ["own b-1", "elsewhere https://a.test/1"]);
        // No link, nothing to carry twice: the engine decides.
        let s = seen("b-1", None, "Заголовок", "h");
        assert_eq!(run(&s, &[], &[]), (Identity::New, vec!["own b-1".into()]));
    }

    #[test]
    fn a_link_now_shared_finds_the_report_of_the_same_title() {
        let link = "https://a.test/live";
        let mut s = seen("https://a.test/live#Итоги", Some(link), "Итоги", "h");
        s.link_shared = true;
        let (id, asked) = run(&s, &[(link, stored(5, "Итоги", "h0", 5))], &[]);
        assert_eq!(id, Identity::Edited { id: 5, story: 5 });
        assert_eq!(asked, [format!("own {}", s.key), format!("own {link}")]);
        // Another title under that link is another item of the live blog: a new report.
        let (id, _) = run(&s, &[(link, stored(5, "Начало", "h0", 5))], &[]);
        assert_eq!(id, Identity::New);
    }

    #[test]
    fn an_edited_report_alone_in_its_story_is_decided_again() {
        assert!(decide_again(true));
        assert!(!decide_again(false), "a story others joined stays");
        let joins = Decision::Story {
            story: 9,
            score: 0.5,
        };
        assert_eq!(regroup(7, 7, joins), Some((9, 7)));
        let copies = Decision::Copy {
            of: 8,
            copy: 8,
            story: 9,
        };
        assert_eq!(regroup(7, 7, copies), Some((9, 8)));
        assert_eq!(regroup(7, 9, joins), None, "already there");
        assert_eq!(regroup(7, 7, Decision::New), None);
    }

    #[test]
    fn a_new_report_takes_the_group_and_story_decided() {
        let copy = Decision::Copy {
            of: 8,
            copy: 2,
            story: 3,
        };
        assert_eq!(membership(10, copy), (2, Some(3)));
        let story = Decision::Story {
            story: 3,
            score: 0.4,
        };
        assert_eq!(membership(10, story), (10, Some(3)));
        assert_eq!(membership(10, Decision::New), (10, None));
    }
}
