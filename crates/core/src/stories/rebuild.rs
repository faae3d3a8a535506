//! The engine rebuilt from the reports a store kept of the window (at start, or after a failed
//! write dropped it): each with its copy group, story and stored fingerprint, recomputed when
//! none is stored in this version's form.

use super::Engine;
use super::fingerprint::{Fingerprint, Terms};
use crate::text::Stems;

/// A report as the store kept it.
#[derive(Debug, Clone, Copy)]
pub struct Kept<'a> {
    pub id: i64,
    pub source: &'a str,
    pub published: i64,
    /// When it was first seen or last edited.
    pub seen: i64,
    /// Its story and copy group; `None`: its own.
    pub story: Option<i64>,
    pub copy: Option<i64>,
    /// Its stored fingerprint, if any.
    pub fp: Option<&'a [u8]>,
    pub title: &'a str,
    /// Its text; the store may leave it out when `fp` is of this version.
    pub text: Option<&'a str>,
}

/// An engine being built from kept reports, oldest first.
pub struct Rebuild<'s> {
    engine: Engine,
    terms: Terms<'s>,
}

impl<'s> Rebuild<'s> {
    /// An engine of `window` seconds holding at most `budget` bytes.
    pub fn new(window: i64, budget: usize, stems: &'s Stems) -> Rebuild<'s> {
        let mut engine = Engine::new(window);
        engine.set_budget(budget);
        Rebuild {
            engine,
            terms: Terms::new(stems),
        }
    }

    /// Adds a kept report. Returns the fingerprint made for it when it had none this version
    /// reads (stored by an older version, or a hand-edited row): the store keeps it.
    pub fn add(&mut self, r: &Kept) -> Option<Fingerprint> {
        let (fp, made) = match r.fp.and_then(Fingerprint::from_bytes) {
            Some(fp) => (fp, false),
            None => (
                Fingerprint::with_terms(r.title, r.text.unwrap_or(""), &mut self.terms),
                true,
            ),
        };
        self.engine.insert(
            r.id,
            r.source,
            r.published,
            r.seen.max(r.published),
            r.story.unwrap_or(r.id),
            r.copy.unwrap_or(r.id),
            &fp,
        );
        made.then_some(fp)
    }

    pub fn finish(self) -> Engine {
        self.engine
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_without_a_fingerprint_gets_one_and_a_stored_one_is_read() {
        let stems = Stems::new();
        let mut b = Rebuild::new(3600, usize::MAX, &stems);
        let text = "Отопительный сезон в Воронеже начнётся 5 октября: постановление подписал глава \
                    города, тепло подадут в детские сады, школы и больницы.";
        let fp = Fingerprint::of("Отопление дадут 5 октября", text, &stems);
        let bytes = fp.to_bytes();
        let kept = Kept {
            id: 1,
            source: "a",
            published: 100,
            seen: 100,
            story: None,
            copy: None,
            fp: None,
            title: "Отопление дадут 5 октября",
            text: Some(text),
        };
        assert_eq!(b.add(&kept).map(|f| f.to_bytes()), Some(bytes.clone()));
        let stored = Kept {
            id: 2,
            fp: Some(&bytes),
            text: None,
            ..kept
        };
        assert!(b.add(&stored).is_none());
        let stale = Kept {
            id: 3,
            fp: Some(&[0]),
            ..kept
        };
        assert!(b.add(&stale).is_some(), "an older version's is made again");
        assert_eq!(b.finish().len(), 3);
    }
}
