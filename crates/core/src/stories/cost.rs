//! What the engine costs: the bytes its reports hold, kept under a budget by forgetting the
//! first seen early, and the work its decisions did, counted for diagnostics and tests.

use super::held::Seat;
use super::params::INDEX_TERMS;
use super::{Engine, Entry, fingerprint};
use rustc_hash::FxHashMap;

/// What the engine's decisions looked at, summed since it was made (and the most any one
/// decision did): the cost of a report, counted instead of timed, for diagnostics and for the
/// tests that bound it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Work {
    pub decisions: u64,
    /// Decisions settled by the exact hash of the text, before any similarity.
    pub exact: u64,
    /// Index postings walked (samples and story terms).
    pub postings: u64,
    /// Held reports looked up as candidates.
    pub candidates: u64,
    pub most_candidates: u64,
    /// Containments of samples computed.
    pub containments: u64,
    /// Candidate stories compared member by member, and the members compared.
    pub stories: u64,
    pub most_stories: u64,
    pub members: u64,
}

impl Work {
    pub(super) fn add(&mut self, one: &Work) {
        self.decisions += one.decisions;
        self.exact += one.exact;
        self.postings += one.postings;
        self.candidates += one.candidates;
        self.most_candidates = self.most_candidates.max(one.candidates);
        self.containments += one.containments;
        self.stories += one.stories;
        self.most_stories = self.most_stories.max(one.stories);
        self.members += one.members;
    }
}

impl Engine {
    /// What the decisions so far looked at.
    pub fn work(&self) -> Work {
        self.work.get()
    }

    /// Caps what the reports may hold at about `bytes` (see `cost`): when the window's
    /// reports would need more, the first seen are forgotten early. Ten thousand agencies
    /// carry ~1.5 million reports in 72 hours, ~1.2 GB of indexes; a small machine holds the
    /// last hours of them instead.
    pub fn set_budget(&mut self, bytes: usize) {
        self.budget = bytes;
        self.keep_to_budget();
    }

    pub fn budget(&self) -> usize {
        self.budget
    }

    /// What the reports held cost by `cost`: about the bytes the indexes take.
    pub fn held_bytes(&self) -> usize {
        self.held
    }

    /// When the budget forgot reports since the last call: for how long (seconds since first
    /// seen) the newest of them had been held, which is how far back the engine now reaches.
    pub fn take_budget_cut(&mut self) -> Option<i64> {
        self.budget_cut.take()
    }

    pub(super) fn keep_to_budget(&mut self) {
        while self.held > self.budget && self.entries.len() > 1 {
            let Some(&(seen, seat)) = self.by_time.first() else {
                break;
            };
            self.remove_seat(seat);
            self.budget_cut = Some(self.newest.saturating_sub(seen));
        }
    }

    /// A rough count of the bytes the indexes hold, for benchmarks and `/metrics`.
    pub fn memory_estimate(&self) -> usize {
        fn table<K, V>(m: &FxHashMap<K, V>) -> usize {
            // A bucket (key, value, control byte) for each seat of the table.
            m.capacity() * (std::mem::size_of::<(K, V)>() + 1)
        }
        let slices: usize = self
            .entries
            .values()
            .map(|e| {
                3 * 16 + 4 * (e.samples.len() + e.names.len() + e.acts.len()) + 8 * e.vector.len()
            })
            .sum();
        self.entries.bytes()
            + slices
            + table(&self.seats)
            + self.by_sample.bytes()
            + self.by_term.bytes()
            + self.by_exact.bytes()
            + table(&self.stories)
            + self
                .stories
                .values()
                .map(|v| 4 * v.capacity() + 16)
                .sum::<usize>()
            + self.by_time.len() * 16 * 3 / 2
            + table(&self.df)
    }
}

/// About the bytes a report takes in the engine: its entry and slices, and its share of the
/// index maps (seats at the load a hash map keeps, ~1.6× the keys). Kept as a running sum, so
/// the budget costs nothing to check; `memory_estimate` counts the maps themselves.
pub(super) fn cost(e: &Entry) -> usize {
    /// A map seat at a hash map's usual load: 1.6 × (key, value, control byte).
    const fn seat(bytes: usize) -> usize {
        (bytes + 1) * 8 / 5
    }
    const FIXED: usize = std::mem::size_of::<Entry>() * 5 / 4 // the entry, and room for holes
        + seat(std::mem::size_of::<(i64, Seat)>()) // its id
        + 3 * 16 // the allocations of its three slices
        + fingerprint::INDEX_SAMPLES * seat(std::mem::size_of::<(u32, u32)>()) // its samples
        + seat(std::mem::size_of::<(u64, u32)>()) // its exact hash
        + INDEX_TERMS * 4 // its story terms: seats in lists that other reports share
        + 24 // its place in the first-seen order
        + 8; // its place in the story's members
    FIXED + 4 * (e.samples.len() + e.names.len() + e.acts.len()) + 8 * e.vector.len()
}
