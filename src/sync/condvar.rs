//! [`Condvar`]: std's `Condvar` API, parking fibers.
//!
//! A waiter queues on the condvar's [`WaitList`] *before* it unlocks the
//! mutex (inside the registration, race 10), so a notify that follows the
//! unlock always finds it; then it parks, and re-locks once woken. A
//! notify claims waiters under the list's lock and wakes them after
//! releasing it.

use std::fmt;
use std::sync::LockResult;
use std::time::{Duration, Instant};

use super::mutex::MutexGuard;
use crate::fiber::park::Reason;
use crate::fiber::wait::Woken;
use crate::fiber::wait_list::{WaitList, wait_on};
use crate::fiber::{SyncKind, WaitOn};
use crate::loom::sync::Mutex as InnerMutex;

/// A condition variable with `std::sync::Condvar`'s API, for
/// [`fiberio::sync::Mutex`](super::Mutex). Waiting parks the fiber (or
/// blocks the thread, off a fiber). Spurious wakeups are possible, as with
/// std: wait in a loop, or with [`wait_while`](Self::wait_while).
///
/// ```
/// use std::sync::Arc;
/// use fiberio::sync::{Condvar, Mutex};
///
/// let pair = Arc::new((Mutex::new(false), Condvar::new()));
/// let pair2 = pair.clone();
/// fiberio::spawn(move || {
///     let (ready, cv) = &*pair2;
///     *ready.lock().unwrap() = true;
///     cv.notify_one();
/// });
/// let (ready, cv) = &*pair;
/// let guard = cv.wait_while(ready.lock().unwrap(), |ready| !*ready).unwrap();
/// assert!(*guard);
/// ```
pub struct Condvar {
    waiters: InnerMutex<WaitList<()>>,
}

/// Whether a timed wait on a [`Condvar`] returned because time ran out
/// (std's type cannot be built outside std).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// Whether the wait ended because its timeout elapsed.
    pub fn timed_out(&self) -> bool {
        self.0
    }
}

impl Condvar {
    crate::loom::const_fn! {
        /// A new condition variable with no waiters.
        pub fn new() -> Self {
            Self { waiters: InnerMutex::new(WaitList::new()) }
        }
    }

    /// Unlocks the guard's mutex, parks until notified, and locks again.
    /// It is a cancellation point; a cancelled waiter unwinds without the
    /// lock.
    ///
    /// # Errors
    ///
    /// `Err` holding the re-taken guard if the mutex is poisoned.
    pub fn wait<'a, T: ?Sized>(&self, guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
        self.wait_until(guard, None).map(|(g, _)| g).map_err(|e| map_poison(e, |(g, _)| g))
    }

    /// Waits until `condition` returns `false` (checked before each wait).
    ///
    /// # Errors
    ///
    /// As [`wait`](Self::wait).
    pub fn wait_while<'a, T: ?Sized, F: FnMut(&mut T) -> bool>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut condition: F,
    ) -> LockResult<MutexGuard<'a, T>> {
        while condition(&mut *guard) {
            guard = self.wait(guard)?;
        }
        Ok(guard)
    }

    /// As [`wait`](Self::wait), for at most `dur`.
    ///
    /// # Errors
    ///
    /// As [`wait`](Self::wait).
    pub fn wait_timeout<'a, T: ?Sized>(
        &self,
        guard: MutexGuard<'a, T>,
        dur: Duration,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        self.wait_until(guard, Instant::now().checked_add(dur))
    }

    /// As [`wait_while`](Self::wait_while), for at most `dur` in total;
    /// the result says whether time ran out (with `condition` still true).
    ///
    /// # Errors
    ///
    /// As [`wait`](Self::wait).
    pub fn wait_timeout_while<'a, T: ?Sized, F: FnMut(&mut T) -> bool>(
        &self,
        mut guard: MutexGuard<'a, T>,
        dur: Duration,
        mut condition: F,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        let deadline = Instant::now().checked_add(dur);
        loop {
            if !condition(&mut *guard) {
                return Ok((guard, WaitTimeoutResult(false)));
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok((guard, WaitTimeoutResult(true)));
            }
            guard = self.wait_until(guard, deadline)?.0;
        }
    }

    /// Wakes one waiter, the longest waiting, if any.
    pub fn notify_one(&self) {
        let wakeup = crate::loom::lock(&self.waiters).pop(Reason::Notified, |_| true);
        if let Some(((), wakeup)) = wakeup {
            wakeup.run();
        }
    }

    /// Wakes every waiter.
    pub fn notify_all(&self) {
        let mut wakeups = Vec::new();
        let mut waiters = crate::loom::lock(&self.waiters);
        if crate::loom::mutation::on(crate::loom::mutation::Mutation::CondvarNotifyAllWakesOne) {
            wakeups.extend(waiters.pop(Reason::Notified, |_| true).map(|((), w)| w));
        } else {
            waiters.pop_all(Reason::Notified, &mut wakeups);
        }
        drop(waiters);
        for wakeup in wakeups {
            wakeup.run();
        }
    }

    /// Waits until notified or `deadline` (`None`: no deadline).
    fn wait_until<'a, T: ?Sized>(
        &self,
        guard: MutexGuard<'a, T>,
        deadline: Option<Instant>,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        let mutex = guard.lock;
        // The registration below releases the lock; the guard must not.
        mutex.poison.done(&guard.poison);
        std::mem::forget(guard);
        let broken = crate::loom::mutation::on(crate::loom::mutation::Mutation::CondvarUnlockBeforeRegister);
        if broken {
            mutex.raw.unlock();
        }
        let waited = wait_on(
            &self.waiters,
            deadline,
            WaitOn::Sync { kind: SyncKind::Condvar, address: self as *const Self as usize },
            (),
            |_| false,
            |w| w,
            || {
                if !broken {
                    mutex.raw.unlock();
                }
            },
            // Cancelled: unwinds without the mutex, which `then` released.
            |_| {},
        );
        mutex.raw.lock();
        // SAFETY: the lock was just taken.
        let guard = unsafe { mutex.guard() };
        let timed_out = WaitTimeoutResult(waited.woken == Woken::TimedOut);
        match guard {
            Ok(g) => Ok((g, timed_out)),
            Err(e) => Err(std::sync::PoisonError::new((e.into_inner(), timed_out))),
        }
    }
}

fn map_poison<A, B>(e: std::sync::PoisonError<A>, f: impl FnOnce(A) -> B) -> std::sync::PoisonError<B> {
    std::sync::PoisonError::new(f(e.into_inner()))
}

impl Default for Condvar {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condvar").finish_non_exhaustive()
    }
}
