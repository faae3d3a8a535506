//! The engine's containers: the reports held in seat order, and the indexes from a key to the
//! seats of the reports under it.

use rustc_hash::FxHashMap;

use super::Entry;

/// The reports held, in the order of their seats: `list[seat - first]`, `None` for a report
/// forgotten. Reports are forgotten mostly first seen first, so the holes leave from the
/// front; the engine numbers the reports again when holes elsewhere pile up. Half the bytes
/// of a hash map of entries (whose table is a power of two, up to half empty), and a lookup
/// is an index.
#[derive(Default)]
pub(super) struct Held {
    first: Seat,
    list: std::collections::VecDeque<Option<Entry>>,
    /// Reports held (the `Some` in `list`).
    live: usize,
}

impl Held {
    pub(super) fn get(&self, seat: &Seat) -> Option<&Entry> {
        let at = seat.checked_sub(self.first)?;
        self.list.get(at as usize)?.as_ref()
    }

    pub(super) fn get_mut(&mut self, seat: &Seat) -> Option<&mut Entry> {
        let at = seat.checked_sub(self.first)?;
        self.list.get_mut(at as usize)?.as_mut()
    }

    pub(super) fn contains_key(&self, seat: &Seat) -> bool {
        self.get(seat).is_some()
    }

    /// Holds `e` at `seat`, which is past every seat held (holes fill the gap).
    pub(super) fn insert(&mut self, seat: Seat, e: Entry) {
        if self.list.is_empty() {
            self.first = seat;
        }
        let at = seat.saturating_sub(self.first) as usize;
        while self.list.len() < at {
            self.list.push_back(None);
        }
        if at < self.list.len() {
            // Not past the end: never asked by the engine; the seat is taken over.
            if self.list[at].replace(e).is_none() {
                self.live += 1;
            }
            return;
        }
        self.list.push_back(Some(e));
        self.live += 1;
    }

    pub(super) fn remove(&mut self, seat: &Seat) -> Option<Entry> {
        let at = seat.checked_sub(self.first)?;
        let e = self.list.get_mut(at as usize)?.take()?;
        self.live -= 1;
        while self.list.front().is_some_and(Option::is_none) {
            self.list.pop_front();
            self.first += 1;
        }
        if self.list.is_empty() {
            self.list = Default::default();
        } else if self.list.capacity() > 4 * self.list.len() + 1024 {
            self.list.shrink_to_fit();
        }
        Some(e)
    }

    pub(super) fn len(&self) -> usize {
        self.live
    }

    pub(super) fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Seats from the first held to the last, holes included.
    pub(super) fn span(&self) -> usize {
        self.list.len()
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (Seat, &Entry)> {
        (self.first..)
            .zip(&self.list)
            .filter_map(|(seat, e)| Some((seat, e.as_ref()?)))
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &Entry> {
        self.list.iter().flatten()
    }

    pub(super) fn into_iter(self) -> impl Iterator<Item = (Seat, Entry)> {
        (self.first..)
            .zip(self.list)
            .filter_map(|(seat, e)| Some((seat, e?)))
    }

    pub(super) fn bytes(&self) -> usize {
        self.list.capacity() * std::mem::size_of::<Option<Entry>>()
    }
}

/// A report's place in the engine: its number in the order of arrival. The indexes hold
/// seats, not the store's 64-bit ids, so a key and its report fit in 8 bytes of a map's
/// bucket: the sample index is most of the engine's memory.
pub(super) type Seat = u32;

/// The mark of a posting that is a list (the rest is its place in [`Index::lists`]); seats
/// stay below it.
pub(super) const LIST: u32 = 1 << 31;

/// An inverted index: each key's postings (the reports under it), oldest first. Most keys (a
/// shingle sampled from one text) hold one report: its seat is the map's value. A key that
/// several reports share holds the mark [`LIST`] and the place of its list in `lists`.
///
/// Hand-written: no crate keeps a small-vector map at 8 bytes a key.
pub(super) struct Index<K> {
    pub(super) map: FxHashMap<K, u32>,
    /// The lists of shared keys; laid out again (without those that emptied) at each
    /// [`Index::retain_map`].
    lists: Vec<Vec<Seat>>,
}

impl<K> Default for Index<K> {
    fn default() -> Self {
        Index {
            map: FxHashMap::default(),
            lists: Vec::new(),
        }
    }
}

impl<K: std::hash::Hash + Eq + Copy> Index<K> {
    /// The reports under `key`, oldest first.
    pub(super) fn get(&self, key: &K) -> &[Seat] {
        match self.map.get(key) {
            None => &[],
            Some(v) if v & LIST == 0 => std::slice::from_ref(v),
            Some(v) => self
                .lists
                .get((v & !LIST) as usize)
                .map_or(&[], Vec::as_slice),
        }
    }

    pub(super) fn push(&mut self, key: K, seat: Seat) {
        debug_assert!(seat < LIST);
        match self.map.entry(key) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(seat);
            }
            std::collections::hash_map::Entry::Occupied(mut o) => {
                let v = *o.get();
                if v & LIST != 0 {
                    if let Some(list) = self.lists.get_mut((v & !LIST) as usize) {
                        list.push(seat);
                    }
                } else {
                    o.insert(LIST | self.lists.len() as u32);
                    self.lists.push(vec![v, seat]);
                }
            }
        }
    }

    /// Keeps the reports `to` gives a seat for (their new seat, or the same), in order; drops
    /// the keys left with none, and lays the lists out again without the free places.
    pub(super) fn retain_map(&mut self, to: impl Fn(Seat) -> Option<Seat>) {
        let mut old = std::mem::take(&mut self.lists);
        let lists = &mut self.lists;
        self.map.retain(|_, v| {
            if *v & LIST == 0 {
                return match to(*v) {
                    Some(seat) => {
                        *v = seat;
                        true
                    }
                    None => false,
                };
            }
            let Some(list) = old.get_mut((*v & !LIST) as usize) else {
                return false;
            };
            let mut list = std::mem::take(list);
            list.retain_mut(|seat| match to(*seat) {
                Some(new) => {
                    *seat = new;
                    true
                }
                None => false,
            });
            match list.as_slice() {
                [] => false,
                [one] => {
                    *v = *one;
                    true
                }
                _ => {
                    list.shrink_to_fit();
                    *v = LIST | lists.len() as u32;
                    lists.push(list);
                    true
                }
            }
        });
        self.lists.shrink_to_fit();
        shrink(&mut self.map);
    }

    /// About the bytes the index holds: its table and its lists.
    pub(super) fn bytes(&self) -> usize {
        self.map.capacity() * (std::mem::size_of::<(K, u32)>() + 1)
            + self.lists.capacity() * std::mem::size_of::<Vec<Seat>>()
            + self
                .lists
                .iter()
                .map(|l| 4 * l.capacity() + 16)
                .sum::<usize>()
    }
}

/// Gives back a map's room once it holds less than a third of it: a busy window must not set
/// the memory of every window after it.
pub(super) fn shrink<K: std::hash::Hash + Eq, V>(map: &mut FxHashMap<K, V>) {
    if map.capacity() > 3 * map.len() + 64 {
        map.shrink_to_fit();
    }
}
