//! [`Semaphore`]: counted permits, handed out first come, first served.

use std::fmt;
use std::time::{Duration, Instant};

use crate::fiber::park::Reason;
use crate::fiber::wait::Woken;
use crate::fiber::wait_list::{WaitList, wait_on};
use crate::fiber::{SyncKind, WaitOn};
use crate::loom::sync::Mutex as InnerMutex;

#[derive(Debug)]
struct State {
    permits: usize,
    /// Each waiter's token is the number of permits it asks for.
    waiters: WaitList<usize>,
}

impl State {
    fn try_take(&mut self, n: usize) -> bool {
        let ok = self.waiters.is_empty() && self.permits >= n;
        if ok {
            self.permits -= n;
        }
        ok
    }
}

/// A counting semaphore: [`acquire`](Self::acquire) takes a permit,
/// waiting (the fiber parks; a thread blocks) until one is free; dropping
/// the [`SemaphorePermit`] gives it back. Waiters are served in arrival
/// order, even when an earlier one asks for more permits than are free.
///
/// ```
/// use std::sync::Arc;
/// use fiberio::sync::Semaphore;
///
/// let sem = Arc::new(Semaphore::new(2));
/// let p1 = sem.acquire();
/// let p2 = sem.acquire();
/// assert!(sem.try_acquire().is_none());
/// drop(p1);
/// assert!(sem.try_acquire().is_some());
/// # drop(p2);
/// ```
pub struct Semaphore {
    state: InnerMutex<State>,
}

/// Permits taken from a [`Semaphore`]; given back when dropped.
#[must_use = "dropping a permit gives it back at once"]
pub struct SemaphorePermit<'a> {
    sem: &'a Semaphore,
    permits: usize,
}

impl Semaphore {
    crate::loom::const_fn! {
        /// A semaphore with `permits` free permits.
        pub fn new(permits: usize) -> Self {
            Self { state: InnerMutex::new(State { permits, waiters: WaitList::new() }) }
        }
    }

    /// Takes one permit, waiting for it. A cancellation point.
    pub fn acquire(&self) -> SemaphorePermit<'_> {
        self.acquire_many(1)
    }

    /// Takes `n` permits at once, waiting for them. A cancellation point.
    pub fn acquire_many(&self, n: usize) -> SemaphorePermit<'_> {
        self.acquire_until(n, None).expect("no deadline")
    }

    /// Takes one permit, waiting at most `timeout`; `None` if time ran out.
    pub fn acquire_timeout(&self, timeout: Duration) -> Option<SemaphorePermit<'_>> {
        self.acquire_until(1, Instant::now().checked_add(timeout))
    }

    /// Takes one permit if one is free and nobody waits.
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if they are free and nobody waits.
    pub fn try_acquire_many(&self, n: usize) -> Option<SemaphorePermit<'_>> {
        let taken = crate::loom::lock(&self.state).try_take(n);
        taken.then(|| SemaphorePermit { sem: self, permits: n })
    }

    /// Adds `n` permits, waking the waiters they satisfy.
    pub fn add_permits(&self, n: usize) {
        let mut wakeups = Vec::new();
        {
            let mut s = crate::loom::lock(&self.state);
            s.permits = s.permits.checked_add(n).expect("fiberio::sync::Semaphore: permit count overflow");
            loop {
                let free = s.permits;
                match s.waiters.pop(Reason::Notified, |&want| want <= free) {
                    Some((want, wakeup)) => {
                        s.permits -= want;
                        wakeups.push(wakeup);
                    }
                    None => break,
                }
            }
        }
        for wakeup in wakeups {
            wakeup.run();
        }
    }

    /// The number of free permits now.
    pub fn available_permits(&self) -> usize {
        crate::loom::lock(&self.state).permits
    }

    fn acquire_until(&self, n: usize, deadline: Option<Instant>) -> Option<SemaphorePermit<'_>> {
        if let Some(permit) = self.try_acquire_many(n) {
            return Some(permit);
        }
        // Gives back a grant we cannot use (cancelled); our leaving may
        // also let those queued behind us through.
        let keeps = crate::loom::mutation::on(crate::loom::mutation::Mutation::SemaphoreCancelKeepsGrant);
        let leave = |granted: bool| self.add_permits(if granted && !keeps { n } else { 0 });
        let on = WaitOn::Sync { kind: SyncKind::Semaphore, address: self as *const Self as usize };
        loop {
            let waited =
                wait_on(&self.state, deadline, on, n, |s| s.try_take(n), |s| &mut s.waiters, || {}, leave);
            if waited.granted {
                return Some(SemaphorePermit { sem: self, permits: n });
            }
            leave(false);
            if waited.woken == Woken::TimedOut {
                return None;
            }
        }
    }
}

impl SemaphorePermit<'_> {
    /// Keeps the permits taken for good: they are not given back.
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// How many permits this holds.
    pub fn num_permits(&self) -> usize {
        self.permits
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        if crate::loom::cells_unreachable() {
            return;
        }
        if self.permits > 0 {
            self.sem.add_permits(self.permits);
        }
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore").field("permits", &self.available_permits()).finish_non_exhaustive()
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit").field("permits", &self.permits).finish()
    }
}
