//! The readiness token of one direction (read or write) of one fd.
//!
//! One atomic word per direction (DESIGN.md decision 5, Go's `rg`/`wg`,
//! tokio's tick):
//!
//! ```text
//!  63                                      3   2   1   0
//! +-----------------------------------------+---+---+---+
//! |               tick (61 bits)             | H | C | R |
//! +-----------------------------------------+---+---+---+
//! R  ready: an edge arrived that no syscall has used up yet
//! C  closed: the fd is being closed; sticky
//! H  hung up: the peer closed this direction or the socket failed
//!    (EPOLLRDHUP / EPOLLHUP / EPOLLERR); sticky, because an edge-triggered
//!    epoll reports it once, and every later call must see the EOF or the
//!    error at once instead of parking for an edge that will not come
//! tick  counts the edges; bumped by every `set_ready`, `set_hup`, `close`
//! ```
//!
//! The IO path reads a [`Snapshot`] before its syscall; when the syscall
//! says `EAGAIN` (or reads short on a stream), it calls
//! [`Readiness::clear`] with the snapshot's tick, which clears `R` only if
//! no edge arrived since — a stale clear never erases a newer edge (race
//! 11). A fresh fd starts ready: its state is unknown, so the first
//! operation tries the syscall, and edge-triggered epoll reports the
//! readiness it has when it is registered.
//!
//! No context switch, no lock: loom checks this code as is.

use crate::loom::cas_loop_load;
use crate::loom::mutation::{self, Mutation};
use crate::loom::sync::atomic::{AtomicU64, Ordering::*};

const READY: u64 = 0b001;
const CLOSED: u64 = 0b010;
const HUP: u64 = 0b100;
const TICK: u64 = 0b1000;

/// One observation of a [`Readiness`] word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot(u64);

impl Snapshot {
    /// Whether an edge is pending, or waiting is over for good (closed,
    /// hung up): the operation should try its syscall.
    pub(crate) fn is_ready(self) -> bool {
        self.0 & (READY | CLOSED | HUP) != 0
    }

    /// Whether the fd has been closed.
    pub(crate) fn is_closed(self) -> bool {
        self.0 & CLOSED != 0
    }
}

/// The readiness token of one direction (see the module docs).
#[derive(Debug)]
pub(crate) struct Readiness {
    word: AtomicU64,
}

impl Readiness {
    /// Ready, not closed, tick 0.
    pub(crate) fn new() -> Self {
        Self { word: AtomicU64::new(READY) }
    }

    /// Back to the state of a fresh fd (only when nothing uses the old one).
    pub(crate) fn reset(&self) {
        self.word.store(READY, Release);
    }

    /// The current state. Acquire: pairs with the release of `set_ready`.
    pub(crate) fn snapshot(&self) -> Snapshot {
        Snapshot(self.word.load(Acquire))
    }

    /// An edge arrived (the poller): ready, and a new tick.
    pub(crate) fn set_ready(&self) {
        self.bump(READY);
    }

    /// The syscall found nothing (`EAGAIN`, or a short stream read) since
    /// `seen` was taken: clear `R`, unless an edge came in between.
    /// Returns whether it cleared.
    pub(crate) fn clear(&self, seen: Snapshot) -> bool {
        let seen = if mutation::on(Mutation::ReadinessUntickedClear) { self.snapshot() } else { seen };
        let expected = seen.0 & !CLOSED;
        if expected & READY == 0 {
            return false; // already clear
        }
        self.word.compare_exchange(expected, expected & !READY, AcqRel, Acquire).is_ok()
    }

    /// The peer hung up this direction, or the socket failed: sticky ready.
    pub(crate) fn set_hup(&self) {
        self.bump(HUP | READY);
    }

    /// Marks the direction closed for good (sticky), waking the waiting side.
    pub(crate) fn close(&self) {
        self.bump(CLOSED | READY);
    }

    /// Sets `bits` and bumps the tick in one atomic step (one locked
    /// instruction when uncontended, where a `fetch_add` then a `fetch_or`
    /// took two).
    fn bump(&self, bits: u64) {
        let mut cur = cas_loop_load(&self.word, Relaxed);
        loop {
            let new = cur.wrapping_add(TICK) | bits;
            match self.word.compare_exchange_weak(cur, new, AcqRel, Relaxed) {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_fd_is_ready_and_eagain_clears_it() {
        let r = Readiness::new();
        let seen = r.snapshot();
        assert!(seen.is_ready());
        assert!(r.clear(seen));
        assert!(!r.snapshot().is_ready());
    }

    #[test]
    fn a_stale_clear_keeps_a_newer_edge() {
        let r = Readiness::new();
        let seen = r.snapshot();
        r.set_ready(); // an edge after the snapshot, before the EAGAIN
        assert!(!r.clear(seen));
        assert!(r.snapshot().is_ready());
        let now = r.snapshot();
        assert!(r.clear(now));
    }

    #[test]
    fn a_hang_up_survives_the_clear_of_a_short_read() {
        let r = Readiness::new();
        let seen = r.snapshot();
        assert!(r.clear(seen));
        r.set_hup(); // the last data and the FIN in one edge
        let seen = r.snapshot();
        assert!(r.clear(seen), "the short read clears READY");
        assert!(r.snapshot().is_ready(), "but the hang-up keeps the reader from parking");
    }

    #[test]
    fn closed_is_sticky_and_ready() {
        let r = Readiness::new();
        let seen = r.snapshot();
        r.close();
        assert!(!r.clear(seen));
        let s = r.snapshot();
        assert!(s.is_ready() && s.is_closed());
        assert!(!r.clear(s), "a clear never reopens a closed direction");
        assert!(r.snapshot().is_closed());
    }
}
