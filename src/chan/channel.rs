//! [`Chan`]: the one channel under mpsc, mpmc and oneshot — its state
//! behind the internal lock, and the blocking send and receive built on
//! `fiber::wait_list::wait_on` (fast path → register with a re-check under
//! the lock → park; wakeups run after unlocking). [`Tx`] and [`Rx`] are
//! the counted handles whose last drop disconnects.
//!
//! Every blocking call is a cancellation point: a cancelled receiver
//! leaves the wait list, and gives back a value granted to it at the same
//! moment (it stays at the front of the queue); a cancelled sender takes
//! its value back out of the channel, to be dropped as the fiber unwinds.
//! A runtime shutdown ending a wait is spurious: the call retries.

use std::cell::Cell;
use std::fmt;
use std::sync::mpsc::{RecvTimeoutError, TryRecvError, TrySendError};
use std::time::Instant;

use super::SendTimeoutError;
use super::state::{RecvToken, State, Wakeups};
use crate::fiber::WaitOn;
use crate::fiber::wait::Woken;
use crate::fiber::wait_list::wait_on;
use crate::fiber::waiter::{WaitKey, Waiter};
use crate::loom::sync::atomic::{AtomicU64, Ordering::Relaxed};
use crate::loom::sync::{Arc, Mutex};

/// A channel: the state shared by all its handles.
pub struct Chan<T> {
    state: Mutex<State<T>>,
    /// Tickets naming blocked senders' offers; unique per channel.
    tickets: AtomicU64,
}

impl<T> Chan<T> {
    /// Runs `f` under the lock, then the wakeups it collected.
    fn locked<R>(&self, f: impl FnOnce(&mut State<T>, &mut Wakeups) -> R) -> R {
        let mut w = Wakeups::default();
        let r = f(&mut crate::loom::lock(&self.state), &mut w);
        w.run();
        r
    }

    pub(crate) fn try_send(&self, v: T) -> Result<(), TrySendError<T>> {
        self.locked(|s, w| s.try_push(v, w))
    }

    pub(crate) fn try_recv(&self) -> Result<T, TryRecvError> {
        self.locked(|s, w| s.try_pop(w))
    }

    /// Sends, waiting for room (or, rendezvous, for a receiver to take
    /// the value) until `deadline`.
    pub(crate) fn send_until(&self, v: T, deadline: Option<Instant>) -> Result<(), SendTimeoutError<T>> {
        let mut v = match self.try_send(v) {
            Ok(()) => return Ok(()),
            Err(TrySendError::Disconnected(v)) => return Err(SendTimeoutError::Disconnected(v)),
            Err(TrySendError::Full(v)) => v,
        };
        loop {
            let ticket = self.tickets.fetch_add(1, Relaxed);
            // The value sits here until the re-check either delivers it or
            // parks it among the offers (or hands it back: disconnected).
            let slot = Cell::new(Some(v));
            let pending = Cell::new(Wakeups::default());
            // Not delivered: still in the slot (never parked, refused) or
            // still among the offers (nobody won our wait with a delivery).
            let take_back = || match slot.take() {
                Some(v) => Some((v, self.locked(|s, _| s.receivers == 0))),
                None => self.locked(|s, w| {
                    let v = s.take_offer(ticket)?;
                    s.settle(w); // our leaving may let senders queued behind us in
                    Some((v, s.receivers == 0))
                }),
            };
            let waited = wait_on(
                &self.state,
                deadline,
                WaitOn::ChanSend { address: self as *const Self as usize },
                ticket,
                |s| {
                    let mut w = Wakeups::default();
                    let granted = match s.try_push(slot.take().expect("the value"), &mut w) {
                        Ok(()) => true,
                        Err(TrySendError::Disconnected(v)) => {
                            slot.set(Some(v));
                            true
                        }
                        Err(TrySendError::Full(v)) => {
                            s.offers.push_back((ticket, v));
                            false
                        }
                    };
                    pending.set(w);
                    granted
                },
                |s| &mut s.send_waiters,
                || pending.take().run(),
                // Cancelled: the value leaves the channel and is dropped
                // before the fiber unwinds — unless it was delivered.
                |_| drop(take_back()),
            );
            let Some((back, disconnected)) = take_back() else {
                return Ok(()); // delivered
            };
            if disconnected {
                return Err(SendTimeoutError::Disconnected(back));
            }
            match waited.woken {
                Woken::TimedOut => return Err(SendTimeoutError::Timeout(back)),
                _ => v = back, // shutdown: a spurious end; retry
            }
        }
    }

    /// Receives, waiting for a value until `deadline`.
    pub(crate) fn recv_until(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        match self.try_recv() {
            Ok(v) => return Ok(v),
            Err(TryRecvError::Disconnected) => return Err(RecvTimeoutError::Disconnected),
            Err(TryRecvError::Empty) => {}
        }
        loop {
            let pending = Cell::new(Wakeups::default());
            let waited = wait_on(
                &self.state,
                deadline,
                WaitOn::ChanRecv { address: self as *const Self as usize },
                RecvToken::Plain,
                |s| {
                    if crate::loom::mutation::on(crate::loom::mutation::Mutation::ChannelRecvNoRecheck) {
                        return false;
                    }
                    let mut w = Wakeups::default();
                    let granted = s.try_reserve(&mut w);
                    pending.set(w);
                    granted
                },
                |s| &mut s.recv_waiters,
                || pending.take().run(),
                // Granted and cancelled at once: the value goes back.
                |granted| {
                    let keeps = crate::loom::mutation::on(
                        crate::loom::mutation::Mutation::ChannelRecvCancelKeepsGrant,
                    );
                    if granted && !keeps {
                        self.locked(|s, w| s.release(w));
                    }
                },
            );
            if waited.granted {
                return self.consume().ok_or(RecvTimeoutError::Disconnected);
            }
            if waited.woken == Woken::TimedOut {
                return self.try_recv().map_err(|e| match e {
                    TryRecvError::Empty => RecvTimeoutError::Timeout,
                    TryRecvError::Disconnected => RecvTimeoutError::Disconnected,
                });
            }
            // Otherwise shutdown: a spurious end; retry.
        }
    }

    /// Uses a grant (a reservation, or the disconnect).
    pub(crate) fn consume(&self) -> Option<T> {
        self.locked(|s, w| s.consume(w))
    }

    // The select's side (see `select.rs`).

    /// Takes a grant now if one is ready.
    pub(crate) fn try_select(&self) -> bool {
        self.locked(|s, w| s.try_reserve(w))
    }

    /// Takes a grant now if one is ready (`true`, the waiter is dropped),
    /// else queues `waiter` with `token`.
    pub(crate) fn register(&self, waiter: Waiter, token: RecvToken) -> bool {
        self.locked(|s, w| {
            let ready = s.try_reserve(w);
            if !ready {
                s.recv_waiters.push(waiter, token);
            }
            ready
        })
    }

    /// Removes the entry of wait `key`, if still queued.
    pub(crate) fn unregister(&self, key: WaitKey) {
        // The token (an `Arc`) is dropped after unlocking: no user code.
        let _token = crate::loom::lock(&self.state).recv_waiters.remove(key);
    }

    /// Gives back an unused grant.
    pub(crate) fn release(&self) {
        self.locked(|s, w| s.release(w))
    }

    /// The number of values a receiver could take now.
    pub(crate) fn len(&self) -> usize {
        crate::loom::lock(&self.state).unreserved()
    }

    /// The capacity given at creation (`None`: unbounded).
    pub(crate) fn capacity(&self) -> Option<usize> {
        crate::loom::lock(&self.state).cap
    }
}

/// A new channel with one [`Tx`] and one [`Rx`].
pub(crate) fn pair<T>(cap: Option<usize>) -> (Tx<T>, Rx<T>) {
    let chan = Arc::new(Chan { state: Mutex::new(State::new(cap)), tickets: AtomicU64::new(0) });
    (Tx(chan.clone()), Rx(chan))
}

/// A counted sending handle; the last one dropped disconnects.
pub(crate) struct Tx<T>(pub(crate) Arc<Chan<T>>);

/// A counted receiving handle; the last one dropped disconnects and
/// discards the queued values.
pub(crate) struct Rx<T>(pub(crate) Arc<Chan<T>>);

impl<T> Clone for Tx<T> {
    fn clone(&self) -> Self {
        crate::loom::lock(&self.0.state).senders += 1;
        Self(self.0.clone())
    }
}

impl<T> Clone for Rx<T> {
    fn clone(&self) -> Self {
        crate::loom::lock(&self.0.state).receivers += 1;
        Self(self.0.clone())
    }
}

impl<T> Drop for Tx<T> {
    fn drop(&mut self) {
        if crate::loom::cells_unreachable() {
            return;
        }
        self.0.locked(|s, w| s.drop_sender(w));
    }
}

impl<T> Drop for Rx<T> {
    fn drop(&mut self) {
        if crate::loom::cells_unreachable() {
            return;
        }
        // The discarded values drop here, after the lock is released.
        drop(self.0.locked(|s, w| s.drop_receiver(w)));
    }
}

impl<T> fmt::Debug for Chan<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chan").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Tx<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Tx { .. }")
    }
}

impl<T> fmt::Debug for Rx<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Rx { .. }")
    }
}
