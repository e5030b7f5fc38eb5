//! The lock under [`RwLock`](super::RwLock): readers and writers on one
//! internal lock, barging with a bounded wait — the design of
//! `raw_mutex.rs` (race 12) for shared and unique access.
//!
//! The state — reader count, writer flag, the waiter in flight, the FIFO
//! of waiters with the time each first queued — sits under one internal
//! lock (short critical sections, no user code, wakes run after it).
//!
//! - **Normal mode.** A newcomer takes the lock whenever it is compatible
//!   (no writer; for a writer, no readers either), even ahead of queued
//!   waiters. A release leaves the lock free and wakes the first waiter
//!   to *retry*, unless a woken waiter is already on its way (`woken`). A
//!   retrying waiter that finds the lock taken queues again at the front,
//!   keeping its place. A reader that gets in wakes the next waiter if it
//!   too is a reader, so a run of queued readers enters together.
//! - **Hand-off mode**, while the first waiter has waited longer than
//!   [`STARVE_AFTER`]: newcomers queue behind, and only the woken waiter
//!   may take the lock, so waiters are served in order. It ends when the
//!   first waiter is one that has waited less than the bound.
//!
//! So a queued writer is not starved by overlapping readers for longer
//! than the bound, and no waiter waits much longer than the bound plus
//! one turn of those ahead of it. A waiter that cannot use what its wait
//! got it (cancelled, or unwound by shutdown) gives it on: a lock it took
//! is released, a retry wake is passed to the next waiter (race 15).

use std::cell::Cell;
use std::time::Instant;

use super::raw_mutex::STARVE_AFTER;
use crate::fiber::park::Reason;
use crate::fiber::wait::Woken;
use crate::fiber::wait_list::{Register, WaitList, wait_on};
use crate::fiber::waiter::Wakeup;
use crate::fiber::{SyncKind, WaitOn};
use crate::loom::mutation::{Mutation, on};
use crate::loom::sync::Mutex;

/// What a waiter wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Want {
    Read,
    Write,
}

/// A queued waiter: what it wants, since when it waits.
#[derive(Debug)]
struct Queued {
    want: Want,
    since: Instant,
}

#[derive(Debug)]
struct State {
    readers: usize,
    writer: bool,
    /// A waiter woken to retry has not yet taken the lock or queued again.
    woken: bool,
    waiters: WaitList<Queued>,
}

impl State {
    /// Whether `want` fits beside the current holders.
    fn compatible(&self, want: Want) -> bool {
        let writer = self.writer && !(want == Want::Read && on(Mutation::RwLockReaderIgnoresWriter));
        !writer && (want == Want::Read || self.readers == 0)
    }

    /// Whether the first waiter has waited past the bound (hand-off mode).
    fn starving(&self) -> bool {
        self.waiters.front().is_some_and(|q| crate::loom::waited_past(q.since, STARVE_AFTER))
    }

    /// Whether a locker may take the lock for `want` now: a woken waiter
    /// whenever it is compatible, a newcomer unless in hand-off mode.
    fn may_take(&self, want: Want, woken: bool) -> bool {
        self.compatible(want) && (woken || self.waiters.is_empty() || !self.starving())
    }

    fn take(&mut self, want: Want) {
        match want {
            Want::Read => self.readers += 1,
            Want::Write => self.writer = true,
        }
    }

    fn put_back(&mut self, want: Want) {
        match want {
            Want::Read => self.readers -= 1,
            Want::Write => self.writer = false,
        }
    }

    /// Wakes the first waiter to retry if the lock is free for it and no
    /// other woken waiter is on its way.
    fn wake_next(&mut self) -> Option<Wakeup> {
        if self.woken {
            return None;
        }
        let (readers, writer) = (self.readers, self.writer);
        let fits = |q: &Queued| !writer && (q.want == Want::Read || readers == 0);
        let (_, wakeup) = self.waiters.pop(Reason::Notified, fits)?;
        self.woken = true;
        Some(wakeup)
    }
}

/// A reader-writer lock protecting nothing by itself (module docs).
#[derive(Debug)]
pub(crate) struct RawRwLock {
    state: Mutex<State>,
}

/// What one `acquire` knows about itself between its waits.
struct Locker {
    want: Want,
    since: Option<Instant>,
    /// It was woken to retry and has not settled yet.
    woken: Cell<bool>,
    /// It took the lock in its re-check under the internal lock.
    took: Cell<bool>,
    /// A wake its entry passed on (a reader waking the next reader), to
    /// run once the internal lock is released.
    pass: Cell<Option<Wakeup>>,
}

impl RawRwLock {
    crate::loom::const_fn! {
        pub(crate) fn new() -> Self {
            Self { state: Mutex::new(State { readers: 0, writer: false, woken: false, waiters: WaitList::new() }) }
        }
    }

    /// Takes the lock for `want` if a newcomer may now.
    pub(crate) fn try_take(&self, want: Want) -> bool {
        let mut s = crate::loom::lock(&self.state);
        let free = s.may_take(want, false);
        if free {
            s.take(want);
        }
        free
    }

    /// Takes the lock for `want`, parking until it may. A cancellation
    /// unwinds, without the lock.
    pub(crate) fn acquire(&self, want: Want) {
        if self.try_take(want) {
            return;
        }
        let mut me = Locker {
            want,
            since: None,
            woken: Cell::new(false),
            took: Cell::new(false),
            pass: Cell::new(None),
        };
        let kind = match want {
            Want::Read => SyncKind::RwLockRead,
            Want::Write => SyncKind::RwLockWrite,
        };
        let on = WaitOn::Sync { kind, address: self as *const Self as usize };
        loop {
            let since = *me.since.get_or_insert_with(Instant::now);
            me.took.set(false);
            let waited = wait_on(
                &self.state,
                None,
                on,
                Queued { want, since },
                |s| self.settle(s, &me),
                |s| &mut s.waiters,
                || run(me.pass.take()),
                |granted| self.give_back(&me, granted),
            );
            if waited.granted && me.took.get() {
                return;
            }
            if waited.woken == Woken::Notified {
                me.woken.set(true);
            }
            // Else a wait with no deadline ended spuriously (shutdown): retry.
        }
    }

    /// Under the internal lock: takes the lock if this locker may (a reader
    /// then wakes the next reader), else says where to queue. A woken
    /// locker's retry wake ends here either way.
    fn settle(&self, s: &mut State, me: &Locker) -> Register {
        let woken = me.woken.replace(false);
        if woken {
            s.woken = false;
        }
        if s.may_take(me.want, woken) {
            s.take(me.want);
            me.took.set(true);
            if me.want == Want::Read {
                me.pass.set(s.wake_next());
            }
            return Register::Granted;
        }
        if woken { Register::Front } else { Register::Back }
    }

    /// A locker that unwinds (cancelled, or shutdown) gives on what its
    /// wait got it — the lock it took, or a retry wake — and, its place
    /// gone, lets the next waiter retry.
    fn give_back(&self, me: &Locker, granted: bool) {
        if on(Mutation::RwLockLeaveNoGrant) {
            return;
        }
        let wakeup = {
            let mut s = crate::loom::lock(&self.state);
            if granted && me.took.get() {
                s.put_back(me.want);
            } else if granted || me.woken.get() {
                s.woken = false;
            }
            s.wake_next()
        };
        run(wakeup);
    }

    /// Releases a hold of `want`; the first waiter retries if it now may.
    pub(crate) fn release(&self, want: Want) {
        let wakeup = {
            let mut s = crate::loom::lock(&self.state);
            s.put_back(want);
            s.wake_next()
        };
        run(wakeup);
    }
}

fn run(wakeup: Option<Wakeup>) {
    if let Some(wakeup) = wakeup {
        wakeup.run();
    }
}
