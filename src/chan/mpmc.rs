//! Multi-producer, multi-consumer channels: the API of std's (unstable)
//! `std::sync::mpmc`, with a cloneable [`Receiver`]. Each value goes to
//! exactly one receiver; blocked receivers are served in arrival order.
//!
//! ```
//! use fiberio::sync::mpmc;
//!
//! let (tx, rx) = mpmc::sync_channel(4);
//! let workers: Vec<_> = (0..3)
//!     .map(|_| {
//!         let rx = rx.clone();
//!         fiberio::spawn(move || rx.iter().sum::<u64>())
//!     })
//!     .collect();
//! drop(rx);
//! for i in 1..=100 {
//!     tx.send(i).unwrap();
//! }
//! drop(tx);
//! let total: u64 = workers.into_iter().map(|h| h.join().unwrap()).sum();
//! assert_eq!(total, 5050);
//! ```
//!
//! Dropping the last receiver disconnects the channel and drops the
//! values still queued, as in [`mpsc`](super::mpsc).

use std::time::{Duration, Instant};

pub use std::sync::mpsc::{RecvError, RecvTimeoutError, SendError, TryRecvError, TrySendError};

pub use super::SendTimeoutError;
use super::channel::{self, Rx, Tx};
use super::deadline_after;

/// The sending half; clone it for more producers.
#[derive(Debug)]
pub struct Sender<T>(Tx<T>);

/// The receiving half; clone it for more consumers.
#[derive(Debug)]
pub struct Receiver<T>(Rx<T>);

/// An unbounded channel: `send` never blocks.
///
/// ```
/// let (tx, rx) = fiberio::sync::mpmc::channel();
/// let rx2 = rx.clone();
/// tx.send(1).unwrap();
/// tx.send(2).unwrap();
/// assert_eq!(rx2.recv(), Ok(1));
/// assert_eq!(rx.recv(), Ok(2));
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = channel::pair(None);
    (Sender(tx), Receiver(rx))
}

/// A channel holding at most `cap` values; `send` blocks while it is
/// full. With `cap == 0` every send is a rendezvous with a receiver.
pub fn sync_channel<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = channel::pair(Some(cap));
    (Sender(tx), Receiver(rx))
}

impl<T> Sender<T> {
    /// Sends `t`, waiting while the channel is full (rendezvous: until a
    /// receiver takes it). A cancellation point: a cancelled sender takes
    /// its value back out of the channel.
    ///
    /// # Errors
    ///
    /// `SendError(t)` if every receiver is gone (also while waiting).
    pub fn send(&self, t: T) -> Result<(), SendError<T>> {
        self.0.0.send_until(t, None).map_err(|e| SendError(e.into_inner()))
    }

    /// Sends `t` if that needs no waiting.
    ///
    /// # Errors
    ///
    /// `Full(t)` if there is no room (rendezvous: no receiver waiting),
    /// `Disconnected(t)` if every receiver is gone.
    pub fn try_send(&self, t: T) -> Result<(), TrySendError<T>> {
        self.0.0.try_send(t)
    }

    /// As [`send`](Self::send), waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// `Timeout(t)` or `Disconnected(t)`.
    pub fn send_timeout(&self, t: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        self.0.0.send_until(t, deadline_after(timeout))
    }

    /// As [`send`](Self::send), waiting until `deadline` at most.
    ///
    /// # Errors
    ///
    /// `Timeout(t)` or `Disconnected(t)`.
    pub fn send_deadline(&self, t: T, deadline: Instant) -> Result<(), SendTimeoutError<T>> {
        self.0.0.send_until(t, Some(deadline))
    }

    /// The number of values queued and not yet promised to a receiver.
    pub fn len(&self) -> usize {
        self.0.0.len()
    }

    /// Whether [`len`](Self::len) is 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The capacity (`None`: unbounded).
    pub fn capacity(&self) -> Option<usize> {
        self.0.0.capacity()
    }
}

impl<T> Receiver<T> {
    /// The number of values a receiver could take now.
    pub fn len(&self) -> usize {
        self.0.0.len()
    }

    /// Whether [`len`](Self::len) is 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The capacity (`None`: unbounded).
    pub fn capacity(&self) -> Option<usize> {
        self.0.0.capacity()
    }
}

super::receiver_methods!(Receiver);

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> super::select::RecvEnd<T> for Receiver<T> {}

impl<T> super::select::sealed::Sealed<T> for Receiver<T> {
    fn chan(&self) -> &channel::Chan<T> {
        &self.0.0
    }
}

static_assertions::assert_impl_all!(Sender<u8>: Send, Sync, Clone);
static_assertions::assert_impl_all!(Receiver<u8>: Send, Sync, Clone);
static_assertions::assert_not_impl_any!(Receiver<std::rc::Rc<u8>>: Send, Sync);
