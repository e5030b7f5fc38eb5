//! Time: [`sleep`] and [`sleep_until`] on top of per-worker timers.
//!
//! Each worker owns a [`timers::Timers`]; a fiber arms and cancels its
//! timers on its own worker, so the structure needs no lock (DESIGN.md
//! decision 8). A timer fires into the fiber's park protocol with
//! `Reason::TimedOut`, and a timer left over from a wait that has ended
//! carries a stale sequence number, so it can never wake a later wait.

use std::time::{Duration, Instant};

use crate::fiber::{self, WaitOn, Woken};

mod heap;
pub(crate) mod timers;

/// Puts the current fiber to sleep for at least `duration`; other fibers
/// run meanwhile. On a plain OS thread this is `std::thread::sleep`.
///
/// ```
/// use std::time::{Duration, Instant};
/// let h = fiberio::spawn(|| {
///     let start = Instant::now();
///     fiberio::sleep(Duration::from_millis(20));
///     start.elapsed()
/// });
/// assert!(h.join().unwrap() >= Duration::from_millis(20));
/// ```
pub fn sleep(duration: Duration) {
    match Instant::now().checked_add(duration) {
        Some(deadline) => sleep_until(deadline),
        // Beyond what `Instant` can represent: sleep as long as possible.
        None => loop {
            sleep_until(Instant::now() + Duration::from_secs(86_400 * 365));
        },
    }
}

/// Puts the current fiber to sleep until `deadline`; returns at once if it
/// has passed (after letting other fibers run). On a plain OS thread this
/// sleeps the thread.
pub fn sleep_until(deadline: Instant) {
    if !fiber::in_fiber() {
        let now = Instant::now();
        if deadline > now {
            crate::loom::thread::sleep(deadline - now);
        }
        return;
    }
    // Only the timer (or shutdown) ends this wait: nothing to register.
    loop {
        match fiber::wait(Some(deadline), WaitOn::Sleep, |_| {}) {
            Woken::TimedOut | Woken::Shutdown => return,
            Woken::Notified => continue,
        }
    }
}
