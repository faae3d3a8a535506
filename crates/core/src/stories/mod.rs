//! The story engine (pure: no SQL, no I/O, `now` and dates as parameters). It groups the reports
//! of different agencies at two levels:
//!
//! - **copies**: the same text, edited or not. Containment of sampled word shingles after each
//!   source's learned [`boilerplate`] is removed: a lead paragraph is a copy of its full text, a
//!   retitled release of its original. Texts too short for a fingerprint are copies only when
//!   title and text are equal and the dates are hours apart, never days.
//! - **stories**: the same event told in other words. Stemmed terms weighted by IDF learned from
//!   the reports the engine holds (with a written-in prior for a cold start), title words, the
//!   lead, names and numbers weighted up; a new report joins the story whose members it
//!   resembles most on average, and each of them enough (not a single-linkage chain), or
//!   starts its own. One story is one event: the next stage of an affair (the verdict after the
//!   arrest) is a story of its own. Tuned for precision on real news (tests/data/real/): a false
//!   merge hides an event, a missed one only shows it twice.
//!
//! The engine holds the reports of the last `window` seconds in memory with their candidate
//! indexes (copy samples, exact hashes, story terms), so the cost of a report does not grow
//! with the store. The store persists reports, memberships, fingerprints and boilerplate, and
//! rebuilds the engine from the window at start.

pub mod boilerplate;
mod cost;
mod decide;
mod evict;
pub mod fingerprint;
mod held;
mod params;
mod rebuild;

use std::collections::{BTreeSet, HashMap};

// The indexes are keyed by hashes and ids the engine made itself, never by text an outsider
// chooses: the Fx hash is safe here and several times cheaper than SipHash on these keys.
use rustc_hash::{FxHashMap, FxHashSet};

pub use boilerplate::Boilerplate;
pub use cost::Work;
pub use fingerprint::{Fingerprint, containment};

use crate::text::Stems;
use cost::cost;
use decide::Hit;
use held::{Held, Index, LIST, Seat};
use params::*;
pub use params::{COPY_CONTAINMENT, STORY_SIMILARITY, Tune};
pub use rebuild::{Kept, Rebuild};

/// A fetch's reports made ready for the engine: the source's boilerplate learned from the fetch
/// (on top of `learned`), and per report its text without boilerplate and its fingerprint.
pub fn prepare<'a>(
    learned: &Boilerplate,
    reports: impl Iterator<Item = (&'a str, &'a str)> + Clone,
) -> (Boilerplate, Vec<(String, Fingerprint)>) {
    let texts: Vec<&str> = reports.clone().map(|(_, text)| text).collect();
    let boilerplate = learned.learn(&texts);
    let stems = Stems::new();
    let mut terms = fingerprint::Terms::new(&stems);
    let prepared = reports
        .map(|(title, text)| {
            let body = boilerplate.strip(text);
            let fp = Fingerprint::with_terms(title, &body, &mut terms);
            (body, fp)
        })
        .collect();
    (boilerplate, prepared)
}

/// What the engine decided for a new report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Decision {
    /// A copy of `of`: it joins that report's copy group and story.
    Copy { of: i64, copy: i64, story: i64 },
    /// Another telling of `story`.
    Story { story: i64, score: f32 },
    /// A story of its own.
    New,
}

impl Decision {
    pub fn story(&self) -> Option<i64> {
        match *self {
            Decision::Copy { story, .. } | Decision::Story { story, .. } => Some(story),
            Decision::New => None,
        }
    }
}

struct Entry {
    /// The store's id of the report.
    id: i64,
    source: u32,
    published: i64,
    seen: i64,
    story: i64,
    copy: i64,
    exact: u64,
    title: u64,
    /// Sorted (containment does not care for their order in the text).
    samples: Box<[u32]>,
    /// IDF-weighted, L2-normalised, sorted by term.
    vector: Box<[(u32, f32)]>,
    names: Box<[u32]>,
    /// Sorted.
    acts: Box<[u32]>,
}

/// The in-memory candidate indexes over the reports of the window.
pub struct Engine {
    window: i64,
    sources: HashMap<String, u32>,
    /// The reports held, by their seat.
    entries: Held,
    /// The store's ids of the reports held, and their seats.
    seats: FxHashMap<i64, Seat>,
    /// The seat the next report takes.
    next_seat: Seat,
    /// Past this seat, the held reports are numbered again from 0 (a test lowers it).
    seat_limit: Seat,
    /// (first seen, seat), oldest first: the order of eviction.
    by_time: BTreeSet<(i64, Seat)>,
    /// Sample → reports, one per copy group in a row: the copies of a wire text carried by
    /// hundreds of agencies do not make each new copy compare itself with all of them.
    by_sample: Index<u32>,
    by_exact: Index<u64>,
    by_term: Index<u32>,
    /// Story → its members held, first seen first.
    stories: FxHashMap<i64, Vec<Seat>>,
    df: FxHashMap<u32, u32>,
    prior: FxHashMap<u32, f32>,
    dead_keys: usize,
    /// When the newest report held was first seen: the engine's clock. Reports are held for a
    /// window after they were first seen (not after their date), so a first fetch of several
    /// agencies' backlogs from last week still groups its stories, and memory is bounded by
    /// the reports that arrive in one window.
    newest: i64,
    story_similarity: f32,
    tune: Tune,
    /// Reports counted in `df` but not held.
    observed: usize,
    /// Source names by their number in `sources`.
    names: Vec<String>,
    /// The sources whose published reports changed since [`Engine::take_touched`]: a report's
    /// own source, and the sources of the story it joined (their entries now list it).
    touched: FxHashSet<u32>,
    touched_all: bool,
    /// The most bytes the reports may hold (by [`cost()`]); past it the first seen are forgotten
    /// before their window ends.
    budget: usize,
    /// Bytes the reports held cost now, by [`cost()`].
    held: usize,
    /// How long the oldest report forgotten for the budget had been held, since
    /// [`Engine::take_budget_cut`].
    budget_cut: Option<i64>,
    /// What the decisions looked at (see [`Work`]).
    work: std::cell::Cell<Work>,
    /// The map a decision counts its hits in, kept with its room between decisions.
    hits: std::cell::Cell<FxHashMap<Seat, Hit>>,
}

/// Which sources' feeds a batch of changes touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Touched {
    /// Too many to name: every feed is stale.
    All,
    Sources(Vec<String>),
}

/// Past this many sources touched, or a story this big joined, every feed counts as touched.
const TOUCHED_MAX: usize = 256;

/// A report the engine is asked about.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
    pub source: &'a str,
    pub published: i64,
    pub fp: &'a Fingerprint,
}

impl Engine {
    /// An empty engine whose stories span `window` seconds.
    pub fn new(window: i64) -> Engine {
        let stems = Stems::new();
        let prior = COMMON
            .iter()
            .map(|w| {
                (
                    fingerprint::term_hash(&stems.stem_folded(w)),
                    0.3 * PRIOR_DOCS,
                )
            })
            .chain(
                COMMON
                    .iter()
                    .map(|w| (fingerprint::term_hash(w), 0.3 * PRIOR_DOCS)),
            )
            .collect();
        Engine {
            window,
            sources: HashMap::new(),
            entries: Held::default(),
            seats: FxHashMap::default(),
            next_seat: 0,
            seat_limit: LIST,
            by_time: BTreeSet::new(),
            by_sample: Index::default(),
            by_exact: Index::default(),
            by_term: Index::default(),
            stories: FxHashMap::default(),
            df: FxHashMap::default(),
            prior,
            dead_keys: 0,
            newest: i64::MIN,
            story_similarity: STORY_SIMILARITY,
            tune: Tune::default(),
            observed: 0,
            names: Vec::new(),
            touched: FxHashSet::default(),
            touched_all: false,
            budget: usize::MAX,
            held: 0,
            budget_cut: None,
            work: Default::default(),
            hits: Default::default(),
        }
    }

    /// The same engine with another story threshold (for tuning on a labelled set).
    pub fn with_story_similarity(mut self, t: f32) -> Engine {
        self.story_similarity = t;
        self
    }

    /// The same engine with other rules (for measuring them on a labelled set).
    pub fn with_tune(mut self, tune: Tune) -> Engine {
        self.tune = tune;
        self
    }

    /// Counts a report's terms for IDF without holding it (history read at start, or a
    /// labelled set's background).
    pub fn observe(&mut self, fp: &Fingerprint) {
        for (t, _) in &fp.terms {
            *self.df.entry(*t).or_default() += 1;
        }
        self.observed += 1;
    }

    pub fn window(&self) -> i64 {
        self.window
    }

    /// Reports held (those of the window).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn idf(&self, term: u32) -> f32 {
        let n = (self.entries.len() + self.observed) as f32 + PRIOR_DOCS;
        let df = self.df.get(&term).copied().unwrap_or(0) as f32
            + self.prior.get(&term).copied().unwrap_or(0.0);
        (n / (df + 1.0)).ln().max(0.0)
    }

    fn vector(&self, fp: &Fingerprint) -> Box<[(u32, f32)]> {
        let mut v: Vec<(u32, f32)> = fp
            .terms
            .iter()
            // Every term stays, a weight of zero included: `remove` takes back from the IDF
            // counts exactly the terms `insert` added.
            .map(|&(t, w)| (t, w * self.idf(t)))
            .collect();
        let norm = v.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        if norm > 0.0 {
            for (_, w) in &mut v {
                *w /= norm;
            }
        }
        v.sort_unstable_by_key(|(t, _)| *t);
        v.into_boxed_slice()
    }

    /// Adds a report (new, or read back at start), first seen at `seen`, with the copy group
    /// and story it belongs to. Reports first seen more than a window before the newest are
    /// dropped.
    #[allow(clippy::too_many_arguments)]
    pub fn insert(
        &mut self,
        id: i64,
        source: &str,
        published: i64,
        seen: i64,
        story: i64,
        copy: i64,
        fp: &Fingerprint,
    ) {
        self.remove(id);
        if seen > self.newest {
            self.newest = seen;
            self.evict_before(seen.saturating_sub(self.window));
        }
        if seen < self.newest.saturating_sub(self.window) {
            return;
        }
        let next = self.sources.len() as u32;
        let source = *self.sources.entry(source.to_string()).or_insert_with(|| {
            self.names.push(source.to_string());
            next
        });
        self.touched.insert(source);
        // Seats run out after two billion reports; a long run of them forgotten out of turn
        // (a transaction rolled back, a story's reports deleted) leaves holes in `entries`.
        if self.next_seat >= self.seat_limit || self.entries.span() > 2 * self.entries.len() + 1024
        {
            self.renumber();
        }
        let seat = self.next_seat;
        self.next_seat += 1;
        if let Some(members) = self.stories.get(&story) {
            if members.len() > TOUCHED_MAX {
                self.touched_all = true;
            } else {
                let entries = &self.entries;
                self.touched.extend(
                    members
                        .iter()
                        .filter_map(|m| entries.get(m))
                        .map(|e| e.source),
                );
            }
        }
        self.touched_all |= self.touched.len() > TOUCHED_MAX;
        let vector = self.vector(fp);
        for (t, _) in &fp.terms {
            *self.df.entry(*t).or_default() += 1;
        }
        for (t, _) in self.index_terms(&vector) {
            self.by_term.push(t, seat);
        }
        for s in fp.samples.iter().take(fingerprint::INDEX_SAMPLES) {
            // A copy whose group already stands last under this sample adds nothing a later
            // copy could find (it would only lengthen the list every later copy walks).
            let same_group = self
                .by_sample
                .get(s)
                .last()
                .and_then(|last| self.entries.get(last))
                .is_some_and(|e| e.copy == copy);
            if !same_group {
                self.by_sample.push(*s, seat);
            }
        }
        self.by_exact.push(fp.exact, seat);
        self.stories.entry(story).or_default().push(seat);
        self.by_time.insert((seen, seat));
        let entry = Entry {
            id,
            source,
            published,
            seen,
            story,
            copy,
            exact: fp.exact,
            title: fp.title,
            samples: {
                let mut s = fp.samples.clone();
                s.sort_unstable();
                s.into_boxed_slice()
            },
            vector,
            names: fp.names.clone().into_boxed_slice(),
            acts: {
                let mut a = fp.acts.clone();
                a.sort_unstable();
                a.into_boxed_slice()
            },
        };
        self.held += cost(&entry);
        self.entries.insert(seat, entry);
        self.seats.insert(id, seat);
        self.keep_to_budget();
    }

    /// The sources touched since the last call (see [`Touched`]), and a fresh start.
    pub fn take_touched(&mut self) -> Touched {
        let all = std::mem::take(&mut self.touched_all);
        let ids = std::mem::take(&mut self.touched);
        if all {
            return Touched::All;
        }
        let mut names: Vec<String> = ids
            .into_iter()
            .filter_map(|i| self.names.get(i as usize).cloned())
            .collect();
        names.sort_unstable();
        Touched::Sources(names)
    }

    /// Moves every report of story `from` into story `to` (an edited report that now joins
    /// another story, or retention handing a story on).
    pub fn merge_story(&mut self, from: i64, to: i64) {
        if from == to {
            return;
        }
        let Some(members) = self.stories.remove(&from) else {
            return;
        };
        for seat in &members {
            if let Some(e) = self.entries.get_mut(seat) {
                e.story = to;
            }
        }
        self.stories.entry(to).or_default().extend(members);
    }

    /// Panics when an index key leads to a held report that does not have that key, or a held
    /// report cannot be found under its exact hash and story terms.
    #[cfg(test)]
    fn assert_consistent(&self) {
        for (key, v) in &self.by_sample.map {
            for seat in self.by_sample.get(key) {
                if let Some(e) = self.entries.get(seat) {
                    assert!(
                        e.samples.contains(key),
                        "sample {key} {v} leads to {}",
                        e.id
                    );
                }
            }
        }
        for key in self.by_term.map.keys() {
            for seat in self.by_term.get(key) {
                if let Some(e) = self.entries.get(seat) {
                    assert!(
                        e.vector.iter().any(|(t, _)| t == key),
                        "term {key} → {}",
                        e.id
                    );
                }
            }
        }
        for (seat, e) in self.entries.iter() {
            let seat = &seat;
            assert_eq!(self.seats.get(&e.id), Some(seat));
            assert!(self.by_exact.get(&e.exact).contains(seat), "{}", e.id);
            for (t, _) in self.index_terms(&e.vector) {
                assert!(self.by_term.get(&t).contains(seat), "{} under {t}", e.id);
            }
            assert!(self.stories.get(&e.story).is_some_and(|m| m.contains(seat)));
            assert!(self.by_time.contains(&(e.seen, *seat)));
        }
    }

    /// Distinct terms counted for IDF (those of the reports held, and any observed).
    pub fn terms_counted(&self) -> usize {
        self.df.len()
    }
}

#[cfg(test)]
mod tests;
