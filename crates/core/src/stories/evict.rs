//! How reports leave the engine (past the window, over the budget, deleted) and the index
//! upkeep that follows: keys dropped lazily then compacted, seats numbered again when they run out.

use rustc_hash::FxHashMap;

use super::held::{Seat, shrink};
use super::params::INDEX_TERMS;
use super::{Engine, Entry, cost, fingerprint};

/// Index keys a report adds: its story terms, its samples, its exact hash.
const KEYS: usize = INDEX_TERMS + fingerprint::INDEX_SAMPLES + 1;

impl Engine {
    /// Forgets a report (deleted, or rolled back with its transaction). Index keys pointing to
    /// it are dropped lazily.
    pub fn remove(&mut self, id: i64) {
        if let Some(&seat) = self.seats.get(&id) {
            self.remove_seat(seat);
        }
    }

    pub(super) fn remove_seat(&mut self, seat: Seat) {
        let Some(e) = self.entries.remove(&seat) else {
            return;
        };
        self.seats.remove(&e.id);
        self.held = self.held.saturating_sub(cost(&e));
        self.by_time.remove(&(e.seen, seat));
        for (t, _) in e.vector.iter() {
            if let Some(n) = self.df.get_mut(t) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.df.remove(t);
                }
            }
        }
        if let Some(members) = self.stories.get_mut(&e.story) {
            // Reports leave the window oldest first: a story's first member, as a rule.
            if members.first() == Some(&seat) {
                members.remove(0);
            } else {
                members.retain(|m| *m != seat);
            }
            if members.is_empty() {
                self.stories.remove(&e.story);
            }
        }
        // Once the dead keys are half as many as the window's live ones, one pass drops them
        // all: amortised, a constant per report, and the index stays within 1.5 times the
        // window (a budget that forgets as fast as the window learns keeps it there).
        self.dead_keys += KEYS;
        if 2 * self.dead_keys > (self.entries.len() + 1) * KEYS {
            self.compact();
        }
    }

    /// Drops the reports first seen before `before`.
    pub fn evict_before(&mut self, before: i64) -> usize {
        let old: Vec<Seat> = self
            .by_time
            .iter()
            .take_while(|(p, _)| *p < before)
            .map(|(_, seat)| *seat)
            .collect();
        for seat in &old {
            self.remove_seat(*seat);
        }
        old.len()
    }

    /// Drops index keys of reports no longer held.
    fn compact(&mut self) {
        let live = &self.entries;
        let held = |seat: Seat| live.contains_key(&seat).then_some(seat);
        self.by_sample.retain_map(held);
        self.by_term.retain_map(held);
        self.by_exact.retain_map(held);
        shrink(&mut self.seats);
        shrink(&mut self.stories);
        shrink(&mut self.df);
        self.dead_keys = 0;
    }

    /// Numbers the held reports again from 0, first seen first, once the seats ran out (after
    /// two billion reports: years of a busy daemon), dropping the keys of those not held.
    pub(super) fn renumber(&mut self) {
        let new: FxHashMap<Seat, Seat> = self
            .by_time
            .iter()
            .zip(0..)
            .map(|(&(_, old), new)| (old, new))
            .collect();
        let to = |seat: Seat| new.get(&seat).copied();
        self.by_sample.retain_map(to);
        self.by_term.retain_map(to);
        self.by_exact.retain_map(to);
        let mut moved: Vec<(Seat, Entry)> = std::mem::take(&mut self.entries)
            .into_iter()
            .filter_map(|(seat, e)| Some((to(seat)?, e)))
            .collect();
        moved.sort_unstable_by_key(|(seat, _)| *seat);
        for (seat, e) in moved {
            self.entries.insert(seat, e);
        }
        self.seats = self.entries.iter().map(|(seat, e)| (e.id, seat)).collect();
        self.held = self.entries.values().map(cost).sum();
        for members in self.stories.values_mut() {
            *members = members.iter().filter_map(|&m| to(m)).collect();
        }
        self.by_time = self
            .by_time
            .iter()
            .filter_map(|&(seen, seat)| Some((seen, to(seat)?)))
            .collect();
        self.next_seat = new.len() as Seat;
        self.dead_keys = 0;
    }
}
