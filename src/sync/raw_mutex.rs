//! The lock under [`Mutex`](super::Mutex): barging with a bounded wait,
//! Go's `sync.Mutex` design on fiberio's wait list (race 12 of DESIGN.md).
//!
//! A strict FIFO hand-off makes every contended acquisition pay a wake of
//! the next waiter, which is often parked on another worker that sleeps: a
//! lock convoy. Here a released lock is *free*: whoever runs first takes
//! it, and the queue only learns that it may retry. Two modes:
//!
//! - **Normal.** `unlock` clears `LOCKED` and, if waiters are queued and
//!   none is already on its way, wakes the first one to *retry* (`WOKEN`
//!   marks that one waiter in flight, so a burst of unlocks wakes one
//!   waiter, not the queue). A running locker may take the lock before the
//!   woken waiter runs; the waiter, finding it taken, queues again at the
//!   *front*, keeping its place.
//! - **Hand-off** (`STARVING`). A woken waiter that has waited longer than
//!   [`STARVE_AFTER`] and loses its retry sets `STARVING` as it queues
//!   again. From then on `unlock` hands the lock to the first waiter whose
//!   wait it wins, without ever setting it free, and newcomers queue behind:
//!   strict FIFO. The waiter that receives the lock switches back to normal
//!   when it waited less than the bound or the queue is empty.
//!
//! So no waiter waits much longer than [`STARVE_AFTER`] plus one turn of
//! the queue ahead of it, while the uncontended and lightly contended
//! cases cost what a spin lock would.
//!
//! State word:
//!
//! ```text
//!   bit 0  LOCKED    someone owns the lock (a hand-off in flight clears it:
//!                    the receiver sets it again)
//!   bit 1  WOKEN     a waiter was woken to retry and has not yet taken the
//!                    lock or queued again; unlocks wake nobody meanwhile
//!   bit 2  STARVING  hand-off mode
//!   bit 3  QUEUED    the wait list may hold waiters; changed only under the
//!                    list's lock
//! ```
//!
//! A woken waiter learns how it was woken from the word: `STARVING` set
//! means the lock was handed to it. Only one waiter can be in flight in
//! normal mode (`WOKEN`), and only that waiter sets `STARVING`, as it
//! queues again; only the receiver of a hand-off clears it (or an unlock
//! that finds no live waiter). A waiter that cannot use what its wake gave
//! it — cancelled, or unwound by runtime shutdown — gives it on: a handed
//! lock is unlocked again (to the next waiter), a retry wake is passed to
//! the next waiter (`undo` below; `wait_on` runs it).

use std::cell::Cell;
use std::time::{Duration, Instant};

use crate::fiber::park::Reason;
use crate::fiber::wait::Woken;
use crate::fiber::wait_list::{Register, WaitList, wait_on};
use crate::fiber::waiter::Wakeup;
use crate::fiber::{SyncKind, WaitOn};
use crate::loom::mutation::{Mutation, on};
use crate::loom::sync::Mutex;
use crate::loom::sync::atomic::{AtomicU8, Ordering::*};

const LOCKED: u8 = 1;
const WOKEN: u8 = 2;
const STARVING: u8 = 4;
const QUEUED: u8 = 8;

/// How long a waiter waits before the lock switches to hand-off mode for
/// it (Go's `starvationThresholdNs`). Under loom time is not modelled: the
/// model chooses whether waits pass it (`crate::loom::waited_past`).
pub(crate) const STARVE_AFTER: Duration = Duration::from_millis(1);

/// A lock protecting nothing by itself (see the module docs).
#[derive(Debug)]
pub(crate) struct RawMutex {
    /// `LOCKED | WOKEN | STARVING | QUEUED` (see the module docs).
    state: AtomicU8,
    /// Waiters for the lock; `QUEUED` changes only under this lock.
    waiters: Mutex<WaitList<()>>,
}

/// What one `lock_slow` knows about itself between its waits.
struct Locker {
    /// When it first queued.
    since: Option<Instant>,
    /// It holds the `WOKEN` role: woken to retry, not yet settled.
    woken: Cell<bool>,
    /// It took the lock in its re-check under the list's lock.
    took: Cell<bool>,
}

impl RawMutex {
    crate::loom::const_fn! {
        pub(crate) fn new() -> Self {
            Self { state: AtomicU8::new(0), waiters: Mutex::new(WaitList::new()) }
        }
    }

    /// Takes the lock if it is free.
    #[inline]
    pub(crate) fn try_lock(&self) -> bool {
        self.state.compare_exchange(0, LOCKED, Acquire, Relaxed).is_ok() || self.try_take(false)
    }

    /// Takes the lock, parking the fiber (or blocking the thread) until it
    /// is taken. A cancellation unwinds, without the lock.
    #[inline]
    pub(crate) fn lock(&self) {
        if self.state.compare_exchange(0, LOCKED, Acquire, Relaxed).is_err() {
            self.lock_slow();
        }
    }

    /// Takes the lock if it is free and not being handed off; `woken`: the
    /// caller holds the `WOKEN` role and gives it up if it takes the lock.
    fn try_take(&self, woken: bool) -> bool {
        let mut s = self.state.load(Relaxed);
        while s & (LOCKED | STARVING) == 0 {
            let new = if woken { (s | LOCKED) & !WOKEN } else { s | LOCKED };
            match self.state.compare_exchange_weak(s, new, Acquire, Relaxed) {
                Ok(_) => return true,
                Err(actual) => s = actual,
            }
        }
        false
    }

    #[cold]
    fn lock_slow(&self) {
        let mut me = Locker { since: None, woken: Cell::new(false), took: Cell::new(false) };
        loop {
            if self.try_take(me.woken.get()) {
                return;
            }
            // Only the waiter in flight may switch the lock to hand-off mode
            // (a woken waiter reads `STARVING` as "handed to me").
            let starving =
                me.woken.get() && me.since.is_some_and(|t| crate::loom::waited_past(t, STARVE_AFTER));
            let requeue = me.since.is_some();
            me.since.get_or_insert_with(Instant::now);
            me.took.set(false);
            let waited = wait_on(
                &self.waiters,
                None,
                WaitOn::Sync { kind: SyncKind::Mutex, address: self as *const Self as usize },
                (),
                |_| self.register(&me, starving, requeue),
                |w| w,
                || {},
                |granted| self.give_back(&me, granted),
            );
            if waited.granted && me.took.get() {
                return;
            }
            if waited.woken == Woken::Notified {
                // Woken by an unlock: handed the lock, or asked to retry.
                if self.receive_hand_off(&me) {
                    return;
                }
                me.woken.set(true);
            }
            // Else a wait with no deadline ended spuriously (shutdown): retry.
        }
    }

    /// Under the wait list's lock: takes the lock if it is free (granted),
    /// else marks the word `QUEUED` — and `STARVING` for a woken waiter
    /// past the bound — and says where to queue. Either way a woken
    /// locker's `WOKEN` role ends here.
    fn register(&self, me: &Locker, starving: bool, requeue: bool) -> Register {
        let woken = if me.woken.get() { WOKEN } else { 0 };
        let mut s = self.state.load(Relaxed);
        loop {
            let free = s & (LOCKED | STARVING) == 0 && !on(Mutation::MutexNoRecheck);
            let (new, order) = if free {
                ((s | LOCKED) & !woken, Acquire)
            } else {
                let mut new = (s | QUEUED) & !woken;
                if starving && s & LOCKED != 0 {
                    new |= STARVING;
                }
                (new, Relaxed)
            };
            match self.state.compare_exchange_weak(s, new, order, Relaxed) {
                Ok(_) => {
                    me.woken.set(false);
                    me.took.set(free);
                    return match (free, requeue) {
                        (true, _) => Register::Granted,
                        (false, true) => Register::Front,
                        (false, false) => Register::Back,
                    };
                }
                Err(actual) => s = actual,
            }
        }
    }

    /// A woken locker: if the lock is in hand-off mode it was handed to us
    /// (see the module docs): take it, leaving hand-off mode if we waited
    /// less than the bound or nobody else waits. `false`: a retry wake.
    fn receive_hand_off(&self, me: &Locker) -> bool {
        let mut s = self.state.load(Acquire);
        if s & STARVING == 0 && !on(Mutation::MutexWokenAssumesHandOff) {
            return false;
        }
        let short = me.since.is_none_or(|t| !crate::loom::waited_past(t, STARVE_AFTER));
        loop {
            let mut new = s | LOCKED;
            if short || s & QUEUED == 0 {
                new &= !STARVING;
            }
            match self.state.compare_exchange_weak(s, new, Acquire, Acquire) {
                Ok(_) => return true,
                Err(actual) => s = actual,
            }
        }
    }

    /// A locker that unwinds (cancelled, or shutdown) gives on what its
    /// wait got it: a lock it took or was handed is unlocked (to the next
    /// waiter), a retry wake is passed to the next waiter.
    fn give_back(&self, me: &Locker, granted: bool) {
        if granted && (me.took.get() || self.receive_hand_off(me)) {
            self.unlock();
        } else if me.woken.get() || granted {
            // A retry wake: `WOKEN` is ours (granted now, or held since an
            // earlier wake when this wait never opened).
            me.woken.set(false);
            if !on(Mutation::MutexCancelKeepsWake) {
                let s = self.state.fetch_and(!WOKEN, Relaxed) & !WOKEN;
                self.wake_one(s);
            }
        }
    }

    /// Releases the lock: frees it (normal mode) and wakes a waiter to
    /// retry, or hands it to the first waiter (hand-off mode).
    #[inline]
    pub(crate) fn unlock(&self) {
        // Release: the next holder, whose lock CAS acquires, sees every
        // write of this one to the data (under loom, the data's cell checks).
        let release = if on(Mutation::MutexUnlockRelaxed) { Relaxed } else { Release };
        if self.state.compare_exchange(LOCKED, 0, release, Relaxed).is_err() {
            self.unlock_slow();
        }
    }

    #[cold]
    fn unlock_slow(&self) {
        let s = self.state.fetch_sub(LOCKED, Release) - LOCKED;
        if s & STARVING == 0 {
            self.wake_one(s);
        } else {
            self.hand_off();
        }
    }

    /// Normal mode, the lock just freed (word `s`): wakes the first waiter
    /// to retry, unless none is queued, one is already in flight, or a
    /// locker has taken the lock (its own unlock will wake).
    fn wake_one(&self, mut s: u8) {
        loop {
            if s & QUEUED == 0 || s & (LOCKED | WOKEN | STARVING) != 0 {
                return;
            }
            match self.state.compare_exchange_weak(s, s | WOKEN, Relaxed, Relaxed) {
                Ok(_) => break,
                Err(actual) => s = actual,
            }
        }
        let wakeup = {
            let mut waiters = crate::loom::lock(&self.waiters);
            let wakeup = waiters.pop(Reason::Notified, |_| true).map(|((), w)| w);
            if waiters.is_empty() {
                // No live waiter left to wake: the role goes unused.
                let clear = if wakeup.is_some() { QUEUED } else { QUEUED | WOKEN };
                self.state.fetch_and(!clear, Relaxed);
            }
            wakeup
        };
        run(wakeup);
    }

    /// Hand-off mode, `LOCKED` just cleared: the lock goes to the first
    /// waiter whose wait this wins, and stays unavailable to anyone else
    /// until that waiter takes it. With no live waiter left, the lock
    /// leaves hand-off mode and is free.
    fn hand_off(&self) {
        let wakeup = {
            let mut waiters = crate::loom::lock(&self.waiters);
            let wakeup = waiters.pop(Reason::Notified, |_| true).map(|((), w)| w);
            if wakeup.is_none() {
                self.state.fetch_and(!(QUEUED | STARVING), Release);
            } else if waiters.is_empty() {
                self.state.fetch_and(!QUEUED, Relaxed);
            }
            wakeup
        };
        run(wakeup);
    }
}

fn run(wakeup: Option<Wakeup>) {
    if let Some(wakeup) = wakeup {
        wakeup.run();
    }
}
