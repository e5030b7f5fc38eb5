//! Waiting for something a test can observe, bounded so that a lost
//! wakeup fails the test instead of hanging it.

use std::fmt::Display;
use std::time::{Duration, Instant};

/// Aborts the test process with `what` if it is still alive after
/// `secs` seconds: a deadlock fails the test instead of hanging it. It is
/// a hang guard far above any expected run time, not a timing assertion.
pub struct Watchdog(Option<std::sync::mpsc::Sender<()>>);

impl Watchdog {
    pub fn new(what: &str, secs: u64) -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let what = what.to_string();
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                rx.recv_timeout(std::time::Duration::from_secs(secs))
            {
                eprintln!("watchdog: `{what}` still running after {secs} s: deadlock or lost wakeup");
                std::process::exit(99);
            }
        });
        Self(Some(tx))
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}

/// How long a test waits for something that should come promptly: far
/// above any expected time on a loaded machine, so it only bounds a
/// failure; nothing asserts how long the wait took.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Polls `cond` every millisecond until it holds or `limit` passes;
/// returns whether it held. Between polls the fiber sleeps (its worker
/// runs other fibers) or, off a fiber (a plain or helper thread), the
/// thread does.
///
/// For a test that must release what it holds before it fails (a blocked
/// call that would otherwise hang the runtime's shutdown); everywhere else
/// [`wait_until`] says what was awaited.
pub fn holds_within(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let give_up = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= give_up {
            return false;
        }
        fiberio::sleep(Duration::from_millis(1));
    }
}

/// Polls `cond` like [`holds_within`] until it holds; panics, naming
/// `what` (the awaited state, e.g. "the reader parks"), if `limit` passes
/// first. `what` is only formatted on failure.
#[track_caller]
pub fn wait_until(limit: Duration, what: impl Display, cond: impl FnMut() -> bool) {
    if !holds_within(limit, cond) {
        panic!("gave up after {limit:?} waiting until {what}");
    }
}
