//! Multi-producer, single-consumer channels with `std::sync::mpsc`'s API,
//! whose blocking calls park only the calling fiber (a plain OS thread
//! blocks, as with std).
//!
//! Port code by changing the import: [`channel`] gives an unbounded
//! channel, [`sync_channel`] a bounded one, where capacity 0 is a
//! rendezvous (a `send` returns once a receiver has taken the value). The
//! error types *are* std's (`std::sync::mpsc::SendError`, ...), so code
//! that matches on them keeps compiling; every error of a send hands the
//! value back.
//!
//! ```
//! use fiberio::sync::mpsc;
//!
//! let (tx, rx) = mpsc::channel();
//! for id in 0..3 {
//!     let tx = tx.clone();
//!     fiberio::spawn(move || tx.send(id).unwrap());
//! }
//! drop(tx);
//! let mut got: Vec<i32> = rx.iter().collect(); // ends when every sender is gone
//! got.sort();
//! assert_eq!(got, [0, 1, 2]);
//! ```
//!
//! **Dropping the [`Receiver`]** disconnects the channel: later sends fail
//! with the value, blocked senders wake up with theirs, and the values
//! still queued are dropped right away (std keeps them until the last
//! handle is gone; dropping them early frees memory and breaks cycles such
//! as a `Sender` sent through its own channel).

use std::marker::PhantomData;
use std::time::Duration;

pub use std::sync::mpsc::{RecvError, RecvTimeoutError, SendError, TryRecvError, TrySendError};

pub use super::SendTimeoutError;
use super::channel::{self, Rx, Tx};
use super::deadline_after;

/// The sending half of an unbounded [`channel`]; `send` never blocks.
/// Clone it for more producers.
#[derive(Debug)]
pub struct Sender<T>(Tx<T>);

/// The sending half of a bounded [`sync_channel`]; `send` blocks while
/// the channel is full. Clone it for more producers.
#[derive(Debug)]
pub struct SyncSender<T>(Tx<T>);

/// The receiving half of a [`channel`] or [`sync_channel`]. Like std's,
/// it can move to another fiber or thread but not be shared (`!Sync`);
/// for several consumers use [`mpmc`](super::mpmc).
#[derive(Debug)]
pub struct Receiver<T> {
    rx: Rx<T>,
    not_sync: PhantomData<std::cell::Cell<()>>,
}

/// An unbounded channel: `send` never blocks.
///
/// ```
/// let (tx, rx) = fiberio::sync::mpsc::channel();
/// tx.send("hi").unwrap();
/// assert_eq!(rx.recv(), Ok("hi"));
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = channel::pair(None);
    (Sender(tx), Receiver { rx, not_sync: PhantomData })
}

/// A channel holding at most `bound` values; `send` blocks while it is
/// full. With `bound == 0` every send is a rendezvous: it returns once a
/// receiver has taken the value.
///
/// ```
/// use fiberio::sync::mpsc::{self, TrySendError};
///
/// let (tx, rx) = mpsc::sync_channel(1);
/// tx.send(1).unwrap();
/// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
/// assert_eq!(rx.recv(), Ok(1));
///
/// let (tx, rx) = mpsc::sync_channel(0);
/// let h = fiberio::spawn(move || tx.send(7)); // waits for the receiver
/// assert_eq!(rx.recv(), Ok(7));
/// h.join().unwrap().unwrap();
/// ```
pub fn sync_channel<T>(bound: usize) -> (SyncSender<T>, Receiver<T>) {
    let (tx, rx) = channel::pair(Some(bound));
    (SyncSender(tx), Receiver { rx, not_sync: PhantomData })
}

impl<T> Sender<T> {
    /// Sends `t`; never blocks.
    ///
    /// # Errors
    ///
    /// `SendError(t)` if the receiver is gone.
    pub fn send(&self, t: T) -> Result<(), SendError<T>> {
        self.0.0.try_send(t).map_err(|e| match e {
            TrySendError::Full(_) => unreachable!("an unbounded channel is never full"),
            TrySendError::Disconnected(t) => SendError(t),
        })
    }
}

impl<T> SyncSender<T> {
    /// Sends `t`, waiting while the channel is full (rendezvous: until a
    /// receiver takes it). A cancellation point: a cancelled sender takes
    /// its value back out of the channel.
    ///
    /// # Errors
    ///
    /// `SendError(t)` if the receiver is gone (also while waiting).
    pub fn send(&self, t: T) -> Result<(), SendError<T>> {
        self.0.0.send_until(t, None).map_err(|e| SendError(e.into_inner()))
    }

    /// Sends `t` if that needs no waiting.
    ///
    /// # Errors
    ///
    /// `Full(t)` if there is no room (rendezvous: no receiver waiting),
    /// `Disconnected(t)` if the receiver is gone.
    pub fn try_send(&self, t: T) -> Result<(), TrySendError<T>> {
        self.0.0.try_send(t)
    }

    /// As [`send`](Self::send), waiting at most `timeout` (an addition to
    /// std's API).
    ///
    /// # Errors
    ///
    /// `Timeout(t)` or `Disconnected(t)`.
    pub fn send_timeout(&self, t: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        self.0.0.send_until(t, deadline_after(timeout))
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> Clone for SyncSender<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

super::receiver_methods!(Receiver);

impl<T> super::select::RecvEnd<T> for Receiver<T> {}

impl<T> super::select::sealed::Sealed<T> for Receiver<T> {
    fn chan(&self) -> &channel::Chan<T> {
        &self.rx.0
    }
}

// Mirror std: handles cross threads; the receiver is not shared.
static_assertions::assert_impl_all!(Sender<u8>: Send, Sync, Clone);
static_assertions::assert_impl_all!(SyncSender<u8>: Send, Sync, Clone);
static_assertions::assert_impl_all!(Receiver<u8>: Send);
static_assertions::assert_not_impl_any!(Receiver<u8>: Sync, Clone);
static_assertions::assert_not_impl_any!(Sender<std::rc::Rc<u8>>: Send);
