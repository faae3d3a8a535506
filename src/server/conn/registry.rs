//! The connections being served and where each is in its life (new, reading a head, busy,
//! idle), recorded by its I/O and its answers: the watchdog reads a connection's phase to time
//! it out, and the accept loop reads them all to choose which one to close at the cap.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::sync::Recover;

/// Where a connection is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// Accepted and not read from yet. It has had no chance to send its request, so it is never
    /// closed to make room (a reader's fresh connection must not lose to an older flood).
    New,
    /// Waiting for, or reading, a request head: since it was accepted, or since the first byte
    /// of its next request.
    Head,
    /// A request is being answered: from its whole head to the last byte of the answer.
    Busy,
    /// Kept alive between requests.
    Idle,
}

/// One connection's record, shared by its task, its I/O, its answers and the accept loop.
pub(super) struct ConnState {
    phase: Mutex<(Phase, Instant)>,
    /// Cancelled when the accept loop closes this connection to make room.
    pub(super) close: CancellationToken,
}

impl ConnState {
    pub(super) fn new(now: Instant) -> ConnState {
        ConnState {
            phase: Mutex::new((Phase::New, now)),
            close: CancellationToken::new(),
        }
    }

    pub(super) fn get(&self) -> (Phase, Instant) {
        *self.phase.lock_or_recover()
    }

    pub(super) fn set(&self, phase: Phase) {
        *self.phase.lock_or_recover() = (phase, Instant::now());
    }

    /// hyper read from the socket (`got`: and bytes came).
    pub(super) fn on_read(&self, got: bool) {
        let mut st = self.phase.lock_or_recover();
        match st.0 {
            // The header timeout still counts from the accept.
            Phase::New => st.0 = Phase::Head,
            Phase::Idle if got => *st = (Phase::Head, Instant::now()),
            _ => {}
        }
    }
}

/// The connections being served, by id.
#[derive(Default)]
pub(super) struct Registry {
    next_id: u64,
    conns: HashMap<u64, Arc<ConnState>>,
}

impl Registry {
    /// Makes room for one more connection under `cap` by closing waiting ones (see [`victim`]);
    /// `None` when every connection is busy answering.
    pub(super) fn admit(
        &mut self,
        cap: usize,
        now: Instant,
    ) -> Option<(u64, Arc<ConnState>, usize)> {
        let mut closed = 0;
        while self.conns.len() >= cap.max(1) {
            // A scan of every connection, but only at the cap; an index ordered by a time that
            // changes on every request would cost every request instead.
            let id = victim(self.conns.iter().map(|(id, s)| (*id, s.get())))?;
            if let Some(state) = self.conns.remove(&id) {
                state.close.cancel();
                closed += 1;
            }
        }
        let id = self.next_id;
        self.next_id += 1;
        let state = Arc::new(ConnState::new(now));
        self.conns.insert(id, state.clone());
        Some((id, state, closed))
    }

    /// Takes a connection that ended out of the registry.
    pub(super) fn leave(&mut self, id: u64) {
        self.conns.remove(&id);
    }
}

/// The connection to close to make room: the one idle the longest between requests, else the
/// one waiting the longest for its request head. Busy ones are never chosen, nor new ones.
fn victim(conns: impl Iterator<Item = (u64, (Phase, Instant))>) -> Option<u64> {
    conns
        .filter_map(|(id, (phase, since))| {
            let rank = match phase {
                Phase::Idle => 0,
                Phase::Head => 1,
                Phase::New | Phase::Busy => return None,
            };
            Some(((rank, since), id))
        })
        .min()
        .map(|(_, id)| id)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(base: Instant, ms: u64) -> Instant {
        base + Duration::from_millis(ms)
    }

    #[test]
    fn the_longest_idle_goes_first_then_the_longest_waiting_for_a_head() {
        let t = Instant::now();
        let conns = [
            (1, (Phase::Head, at(t, 0))),
            (2, (Phase::Idle, at(t, 50))),
            (3, (Phase::Idle, at(t, 10))),
            (4, (Phase::Busy, at(t, 0))),
            (5, (Phase::New, at(t, 0))),
        ];
        assert_eq!(victim(conns.into_iter()), Some(3));
        assert_eq!(
            victim(conns.into_iter().filter(|(_, (p, _))| *p != Phase::Idle)),
            Some(1)
        );
        // Busy connections are answering and new ones have not spoken yet: neither is closed.
        assert_eq!(victim(conns.into_iter().filter(|(id, _)| *id >= 4)), None);
    }

    #[test]
    fn admitting_past_the_cap_closes_a_waiting_connection_or_refuses() {
        let t = Instant::now();
        let mut reg = Registry::default();
        let (_, idle, _) = reg.admit(2, t).unwrap();
        let (_, busy, _) = reg.admit(2, t).unwrap();
        idle.set(Phase::Idle);
        busy.set(Phase::Busy);
        let (_, third, closed) = reg.admit(2, t).unwrap();
        assert_eq!(closed, 1);
        assert!(idle.close.is_cancelled());
        assert!(!busy.close.is_cancelled());
        assert_eq!(reg.conns.len(), 2);
        // The newcomer has not been read from yet, the other is busy: nothing can go.
        assert!(reg.admit(2, t).is_none());
        third.on_read(false);
        assert_eq!(third.get().0, Phase::Head);
        assert!(reg.admit(2, t).is_some());
        assert!(third.close.is_cancelled());
    }

    #[test]
    fn a_next_request_restarts_the_header_clock_only_when_bytes_come() {
        let s = ConnState::new(Instant::now());
        s.set(Phase::Idle);
        let (_, idle_since) = s.get();
        s.on_read(false);
        assert_eq!(s.get(), (Phase::Idle, idle_since));
        s.on_read(true);
        assert_eq!(s.get().0, Phase::Head);
    }
}
