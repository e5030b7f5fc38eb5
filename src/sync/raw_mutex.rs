//! The lock under [`Mutex`](super::Mutex): one atomic word for the fast
//! path, a [`WaitList`] for the rest, and FIFO hand-off.
//!
//! State word: `LOCKED` (someone owns the lock) and `QUEUED` (the wait
//! list may hold waiters; only set while `LOCKED`). Locking is one CAS
//! `0 → LOCKED` when free. Otherwise the locker registers under the list's
//! lock, re-checking there: if the lock was freed meanwhile it takes it,
//! else it sets `QUEUED` and queues. Unlocking is one CAS `LOCKED → 0`
//! when nobody is queued; otherwise, under the list's lock, ownership is
//! *handed* to the first waiter whose wait the unlocker wins — the word
//! stays `LOCKED`, so no newcomer can barge in ahead of the queue. That
//! makes the lock fair (strict FIFO among waiters) at the cost of one
//! switch per contended hand-off.
//!
//! A waiter that is cancelled gives up its place; if it won the lock in
//! the re-check at the same moment, it unlocks before unwinding.

use crate::fiber::park::Reason;
use crate::fiber::wait_list::{WaitList, wait_on};
use crate::loom::sync::Mutex;
use crate::loom::sync::atomic::{AtomicU8, Ordering::*};

const LOCKED: u8 = 1;
const QUEUED: u8 = 2;

/// A fair lock protecting nothing by itself.
#[derive(Debug)]
pub(crate) struct RawMutex {
    /// `LOCKED | QUEUED` bits (see the module docs).
    state: AtomicU8,
    /// Waiters for the lock; `QUEUED` changes only under this lock.
    waiters: Mutex<WaitList<()>>,
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
        self.state.compare_exchange(0, LOCKED, Acquire, Relaxed).is_ok()
    }

    /// Takes the lock, parking the fiber (or blocking the thread) until it
    /// is handed over. A cancellation unwinds, without the lock.
    #[inline]
    pub(crate) fn lock(&self) {
        if !self.try_lock() {
            self.lock_slow();
        }
    }

    #[cold]
    fn lock_slow(&self) {
        loop {
            let waited = wait_on(
                &self.waiters,
                None,
                (),
                |_| self.register(),
                |w| w,
                || {},
                |granted| {
                    if granted {
                        self.unlock();
                    }
                },
            );
            if waited.granted {
                return;
            }
            // A wait with no deadline ends otherwise only spuriously.
        }
    }

    /// Under the wait list's lock: takes the lock if free (`true`), else
    /// marks it `QUEUED` (`false`: the caller queues).
    fn register(&self) -> bool {
        use crate::loom::mutation::{Mutation, on};
        let mut s = self.state.load(Relaxed);
        loop {
            let (new, order, took) = if s & LOCKED == 0 && !on(Mutation::MutexNoRecheck) {
                (s | LOCKED, Acquire, true)
            } else {
                (s | QUEUED, Relaxed, false)
            };
            match self.state.compare_exchange_weak(s, new, order, Relaxed) {
                Ok(_) => return took,
                Err(actual) => s = actual,
            }
        }
    }

    /// Releases the lock, handing it to the first live waiter if any.
    #[inline]
    pub(crate) fn unlock(&self) {
        use crate::loom::mutation::{Mutation, on};
        // Release: the next holder, whose lock CAS acquires, sees every
        // write of this one to the data (under loom, the data's cell checks).
        let release = if on(Mutation::MutexUnlockRelaxed) { Relaxed } else { Release };
        if self.state.compare_exchange(LOCKED, 0, release, Relaxed).is_err() {
            self.unlock_slow();
        }
    }

    #[cold]
    fn unlock_slow(&self) {
        let wakeup = {
            let mut waiters = crate::loom::lock(&self.waiters);
            match waiters.pop(Reason::Notified, |_| true) {
                Some(((), wakeup)) => {
                    // Ownership passes; the word stays LOCKED.
                    if waiters.is_empty() {
                        self.state.fetch_and(!QUEUED, Relaxed);
                    }
                    Some(wakeup)
                }
                None => {
                    // Only lockers holding `waiters` change a locked word.
                    self.state.store(0, Release);
                    None
                }
            }
        };
        if let Some(wakeup) = wakeup {
            wakeup.run();
        }
    }
}
