//! [`WaitGroup`]: wait for a counted set of jobs to finish (Go's
//! `sync.WaitGroup`).

use std::fmt;

use crate::fiber::park::Reason;
use crate::fiber::wait_list::{WaitList, wait_on};
use crate::fiber::{SyncKind, WaitOn};
use crate::loom::sync::Mutex as InnerMutex;

#[derive(Debug)]
struct State {
    count: usize,
    waiters: WaitList<()>,
}

/// Counts outstanding jobs: [`add`](Self::add) before starting them,
/// [`done`](Self::done) as each finishes, [`wait`](Self::wait) until the
/// count is zero.
///
/// ```
/// use std::sync::Arc;
/// use fiberio::sync::WaitGroup;
///
/// let wg = Arc::new(WaitGroup::new());
/// for _ in 0..4 {
///     wg.add(1);
///     let wg = wg.clone();
///     fiberio::spawn(move || wg.done());
/// }
/// wg.wait();
/// assert_eq!(wg.count(), 0);
/// ```
pub struct WaitGroup {
    state: InnerMutex<State>,
}

impl WaitGroup {
    crate::loom::const_fn! {
        /// A group with a count of zero.
        pub fn new() -> Self {
            Self { state: InnerMutex::new(State { count: 0, waiters: WaitList::new() }) }
        }
    }

    /// Adds `n` jobs.
    pub fn add(&self, n: usize) {
        let mut s = crate::loom::lock(&self.state);
        s.count = s.count.checked_add(n).expect("fiberio::sync::WaitGroup: count overflow");
    }

    /// Marks one job done; at zero, wakes every waiter.
    ///
    /// # Panics
    ///
    /// If the count is already zero.
    pub fn done(&self) {
        let mut wakeups = Vec::new();
        {
            let mut s = crate::loom::lock(&self.state);
            s.count =
                s.count.checked_sub(1).expect("fiberio::sync::WaitGroup::done called more often than add");
            if s.count == 0 {
                s.waiters.pop_all(Reason::Notified, &mut wakeups);
            }
        }
        for wakeup in wakeups {
            wakeup.run();
        }
    }

    /// The number of jobs not done yet.
    pub fn count(&self) -> usize {
        crate::loom::lock(&self.state).count
    }

    /// Waits until the count is zero. A cancellation point.
    pub fn wait(&self) {
        loop {
            // A cancellation that raced the count reaching zero is still
            // delivered: nothing to give back.
            let no_recheck = crate::loom::mutation::on(crate::loom::mutation::Mutation::WaitGroupNoRecheck);
            let waited = wait_on(
                &self.state,
                None,
                WaitOn::Sync { kind: SyncKind::WaitGroup, address: self as *const Self as usize },
                (),
                |s| s.count == 0 && !no_recheck,
                |s| &mut s.waiters,
                || {},
                |_| {},
            );
            if waited.granted {
                return;
            }
        }
    }
}

impl Default for WaitGroup {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitGroup").field("count", &self.count()).finish_non_exhaustive()
    }
}
