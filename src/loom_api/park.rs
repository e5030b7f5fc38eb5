//! The park protocol of `src/fiber/park.rs`, and thread parkers whose
//! waiters are `src/fiber/waiter.rs`'s, for the loom models.

use crate::fiber::park::{self, Reason, Wake};
use crate::fiber::waiter::{self, ThreadParker};
use crate::loom::sync::Arc;

/// `wake` lost: another wake won, or the wait is over.
pub const WAKE_LOST: u8 = 0;
/// `wake` won before the park was committed.
pub const WAKE_WON_RUNNING: u8 = 1;
/// `wake` won against a committed park: the waker must schedule.
pub const WAKE_WON_PARKED: u8 = 2;
/// The reason of a generic wake.
pub const REASON_NOTIFIED: u8 = Reason::Notified as u8;
/// The reason of a timer.
pub const REASON_TIMED_OUT: u8 = Reason::TimedOut as u8;
/// The reason of a runtime shutdown (`close`).
pub const REASON_SHUTDOWN: u8 = Reason::Shutdown as u8;
/// The reason of a cancellation (`cancel`).
pub const REASON_CANCELLED: u8 = Reason::Cancelled as u8;

fn reason(r: u8) -> Reason {
    match r {
        REASON_TIMED_OUT => Reason::TimedOut,
        REASON_SHUTDOWN => Reason::Shutdown,
        REASON_CANCELLED => Reason::Cancelled,
        _ => Reason::Notified,
    }
}

fn wake(w: Wake) -> u8 {
    match w {
        Wake::Lost => WAKE_LOST,
        Wake::WonRunning => WAKE_WON_RUNNING,
        Wake::WonParked => WAKE_WON_PARKED,
    }
}

/// The park protocol of `src/fiber/park.rs`; wakes and reasons as numbers
/// (`WAKE_*`, `REASON_*`).
#[derive(Debug)]
pub struct ParkState(park::ParkState);

impl Default for ParkState {
    fn default() -> Self {
        Self(park::ParkState::new())
    }
}

impl ParkState {
    /// Opens a wait.
    pub fn begin(&self) -> u64 {
        self.0.begin().expect("never closed in the models")
    }
    /// Opens a wait; `Err(reason)` once the state is closed, or (once)
    /// when a cancellation is pending.
    pub fn try_begin(&self) -> Result<u64, u8> {
        self.0.begin().map_err(|r| r as u8)
    }
    /// Cancels: ends the open wait, or leaves the cancellation pending.
    pub fn cancel(&self) -> u8 {
        wake(self.0.cancel())
    }
    /// Takes a pending cancellation (a cancellation point, not a wait).
    pub fn take_cancel(&self) -> bool {
        self.0.take_cancel()
    }
    /// Masks or unmasks cancellation (the waiting side, no wait open).
    pub fn set_cancel_masked(&self, masked: bool) {
        self.0.set_cancel_masked(masked)
    }
    /// Commits the park of wait `seq`.
    pub fn commit(&self, seq: u64) -> bool {
        self.0.commit(seq)
    }
    /// Closes the state for good (runtime shutdown), ending the open wait.
    pub fn close(&self) -> u8 {
        wake(self.0.close())
    }
    /// Tries to end wait `seq`.
    pub fn wake(&self, seq: u64, r: u8) -> u8 {
        wake(self.0.wake(seq, reason(r)))
    }
    /// The reason wait `seq` ended, if it has.
    pub fn reason(&self, seq: u64) -> Option<u8> {
        self.0.reason(seq).map(|r| r as u8)
    }
}

/// The park state of one model thread standing in for a fiber, and the
/// source of its [`Waiter`]s: a wake that wins unparks the thread, as the
/// runtime's thread waiters do.
#[derive(Debug, Clone)]
pub struct Parker(Arc<ThreadParker>);

impl Parker {
    /// A parker for the calling loom thread.
    pub fn for_current() -> Self {
        Self(ThreadParker::for_current_thread())
    }
    /// Opens a wait; `Err(reason)` once the state is closed.
    pub fn begin(&self) -> Result<u64, u8> {
        self.0.park_state().begin().map_err(|r| r as u8)
    }
    /// Commits the park of wait `seq` (the worker's half of a fiber park).
    pub fn commit(&self, seq: u64) -> bool {
        self.0.park_state().commit(seq)
    }
    /// Closes the state for good (runtime shutdown), ending the open wait.
    pub fn close(&self) -> u8 {
        wake(self.0.park_state().close())
    }
    /// The reason wait `seq` ended, if it has.
    pub fn reason(&self, seq: u64) -> Option<u8> {
        self.0.park_state().reason(seq).map(|r| r as u8)
    }
    /// The runtime's waiter for wait `seq`.
    pub fn waiter(&self, seq: u64) -> Waiter {
        Waiter(ThreadParker::waiter(&self.0, seq))
    }
    /// Blocks the calling thread until wait `seq` ends (the thread half of
    /// `waiter::wait_thread`, without a deadline); returns the reason.
    pub fn wait(&self, seq: u64) -> u8 {
        loop {
            if let Some(r) = self.reason(seq) {
                return r;
            }
            crate::loom::thread::park();
        }
    }
}

/// A handle that ends one wait: `src/fiber/waiter.rs`'s `Waiter`.
#[derive(Debug)]
pub struct Waiter(pub(super) waiter::Waiter);

impl Waiter {
    /// Ends the wait with `reason` unless another wake did; whether it won.
    pub fn wake(&self, r: u8) -> bool {
        self.0.wake(reason(r))
    }
}
