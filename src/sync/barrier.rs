//! [`Barrier`]: std's `Barrier` API, parking fibers.

use std::fmt;

use crate::fiber::park::Reason;
use crate::fiber::wait_list::{WaitList, wait_on};
use crate::fiber::{SyncKind, WaitOn};
use crate::loom::sync::Mutex as InnerMutex;

#[derive(Debug)]
struct State {
    /// Arrivals in the current generation.
    count: usize,
    /// Completed generations; a waiter leaves when it changes.
    generation: u64,
    waiters: WaitList<()>,
}

/// A barrier with `std::sync::Barrier`'s API: `n` fibers or threads wait
/// until all have arrived; one of them is told it is the leader. The
/// barrier can be reused. A waiter that is cancelled withdraws its arrival.
///
/// ```
/// use std::sync::Arc;
/// use fiberio::sync::Barrier;
///
/// let barrier = Arc::new(Barrier::new(3));
/// let handles: Vec<_> = (0..3)
///     .map(|_| {
///         let b = barrier.clone();
///         fiberio::spawn(move || b.wait().is_leader())
///     })
///     .collect();
/// let leaders = handles.into_iter().filter(|_| true).map(|h| h.join().unwrap()).filter(|&l| l).count();
/// assert_eq!(leaders, 1);
/// ```
pub struct Barrier {
    n: usize,
    state: InnerMutex<State>,
}

/// What [`Barrier::wait`] tells a waiter (std's cannot be built outside
/// std).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// Whether this waiter was the one that completed the generation.
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

impl Barrier {
    /// A barrier for `n` waiters (`0` and `1` never wait).
    pub fn new(n: usize) -> Self {
        Self { n, state: InnerMutex::new(State { count: 0, generation: 0, waiters: WaitList::new() }) }
    }

    /// Waits until `n` waiters have called `wait`. A cancellation point.
    pub fn wait(&self) -> BarrierWaitResult {
        let generation = {
            let mut s = crate::loom::lock(&self.state);
            s.count += 1;
            if s.count >= self.n {
                if !crate::loom::mutation::on(crate::loom::mutation::Mutation::BarrierCountNotReset) {
                    s.count = 0;
                }
                s.generation += 1;
                let mut wakeups = Vec::new();
                s.waiters.pop_all(Reason::Notified, &mut wakeups);
                drop(s);
                for wakeup in wakeups {
                    wakeup.run();
                }
                return BarrierWaitResult(true);
            }
            s.generation
        };
        loop {
            // A cancellation withdraws our arrival, unless it raced a
            // completing generation (it is still delivered then).
            let withdraw = |_| {
                let mut s = crate::loom::lock(&self.state);
                if s.generation == generation {
                    s.count -= 1;
                }
            };
            let waited = wait_on(
                &self.state,
                None,
                WaitOn::Sync { kind: SyncKind::Barrier, address: self as *const Self as usize },
                (),
                |s| s.generation != generation,
                |s| &mut s.waiters,
                || {},
                withdraw,
            );
            if waited.granted {
                return BarrierWaitResult(false);
            }
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier").field("n", &self.n).finish_non_exhaustive()
    }
}
