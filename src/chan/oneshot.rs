//! A oneshot channel: one value, once. [`Sender::send`] consumes the
//! sender and never blocks; [`Receiver::recv`] waits for the value, or
//! for the sender to be dropped unused.
//!
//! ```
//! use fiberio::sync::oneshot;
//!
//! let (tx, rx) = oneshot::channel();
//! fiberio::spawn(move || tx.send(6 * 7).unwrap());
//! assert_eq!(rx.recv(), Ok(42));
//!
//! let (tx, rx) = oneshot::channel::<u8>();
//! drop(tx);
//! assert!(rx.recv().is_err()); // the sender went away
//! ```
//!
//! A oneshot [`Receiver`] can be one arm of a [`Select`](super::Select).

use std::time::{Duration, Instant};

pub use std::sync::mpsc::{RecvError, RecvTimeoutError, TryRecvError};

use super::channel::{self, Rx, Tx};
use super::deadline_after;

/// Sends the one value.
#[derive(Debug)]
pub struct Sender<T>(Tx<T>);

/// Receives the one value.
#[derive(Debug)]
pub struct Receiver<T>(Rx<T>);

/// A new oneshot channel.
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = channel::pair(Some(1));
    (Sender(tx), Receiver(rx))
}

impl<T> Sender<T> {
    /// Sends `t`; never blocks.
    ///
    /// # Errors
    ///
    /// `Err(t)` if the receiver is gone.
    pub fn send(self, t: T) -> Result<(), T> {
        self.0.0.try_send(t).map_err(|e| match e {
            std::sync::mpsc::TrySendError::Full(_) => unreachable!("one send into a channel of one"),
            std::sync::mpsc::TrySendError::Disconnected(t) => t,
        })
    }
}

impl<T> Receiver<T> {
    /// Waits for the value. A cancellation point.
    ///
    /// # Errors
    ///
    /// `RecvError` if the sender was dropped without sending.
    pub fn recv(self) -> Result<T, RecvError> {
        self.0.0.recv_until(None).map_err(|_| RecvError)
    }

    /// Takes the value if it has been sent.
    ///
    /// # Errors
    ///
    /// `Empty` if not yet; `Disconnected` if the sender was dropped
    /// without sending, or the value was already taken.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.0.0.try_recv()
    }

    /// Waits for the value at most `timeout`; the receiver stays usable.
    ///
    /// # Errors
    ///
    /// `Timeout`, or `Disconnected` as for [`try_recv`](Self::try_recv).
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.0.0.recv_until(deadline_after(timeout))
    }

    /// Waits for the value until `deadline` at most.
    ///
    /// # Errors
    ///
    /// As [`recv_timeout`](Self::recv_timeout).
    pub fn recv_deadline(&self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        self.0.0.recv_until(Some(deadline))
    }
}

impl<T> super::select::RecvEnd<T> for Receiver<T> {}

impl<T> super::select::sealed::Sealed<T> for Receiver<T> {
    fn chan(&self) -> &channel::Chan<T> {
        &self.0.0
    }
}

static_assertions::assert_impl_all!(Sender<u8>: Send, Sync);
static_assertions::assert_impl_all!(Receiver<u8>: Send, Sync);
static_assertions::assert_not_impl_any!(Sender<u8>: Clone);
static_assertions::assert_not_impl_any!(Receiver<u8>: Clone);
