//! Channels: [`mpsc`] (std's API), [`mpmc`], [`oneshot`], and
//! [`Select`](select::Select) to wait on several receivers and a timeout
//! at once. All are re-exported from `fiberio::sync`.
//!
//! One implementation serves them all (`channel.rs` over `state.rs`): a
//! FIFO queue and two wait lists under one internal lock, on the shared
//! `sync::wait_list` protocol (DESIGN.md race 10: register, re-check,
//! park; grant under the lock, wake after unlocking). Waiting parks the
//! calling fiber, or blocks the calling OS thread off a fiber (decision
//! 11), so fibers on one worker, fibers on different workers and plain
//! threads can all talk over one channel. Waiters are served in arrival
//! order on each side. Every blocking call is a cancellation point
//! ([`JoinHandle::cancel`](crate::JoinHandle::cancel)) that loses no value.

use std::fmt;
use std::time::{Duration, Instant};

mod channel;
pub mod mpmc;
pub mod mpsc;
pub mod oneshot;
mod select;
mod state;

/// An error of a send with a timeout: the value comes back.
/// (`std::sync::mpsc::SendTimeoutError` is not stable yet.)
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum SendTimeoutError<T> {
    /// The channel stayed full (or, rendezvous, no receiver came) until
    /// the deadline.
    Timeout(T),
    /// Every receiver is gone.
    Disconnected(T),
}

impl<T> SendTimeoutError<T> {
    /// The value that was not sent.
    pub fn into_inner(self) -> T {
        match self {
            Self::Timeout(t) | Self::Disconnected(t) => t,
        }
    }
}

impl<T> fmt::Debug for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Timeout(_) => "Timeout(..)",
            Self::Disconnected(_) => "Disconnected(..)",
        })
    }
}

impl<T> fmt::Display for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Timeout(_) => "timed out waiting on send operation",
            Self::Disconnected(_) => "sending on a disconnected channel",
        })
    }
}

impl<T> std::error::Error for SendTimeoutError<T> {}

impl<T> From<std::sync::mpsc::SendError<T>> for SendTimeoutError<T> {
    fn from(e: std::sync::mpsc::SendError<T>) -> Self {
        Self::Disconnected(e.0)
    }
}

/// `now + timeout`; `None` (no deadline) if that overflows.
fn deadline_after(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

/// The receiving methods and iterators shared by mpsc's and mpmc's
/// `Receiver` (which implement `select::sealed::Sealed`).
macro_rules! receiver_methods {
    ($Receiver:ident) => {
        impl<T> $Receiver<T> {
            fn chan(&self) -> &$crate::chan::channel::Chan<T> {
                $crate::chan::select::sealed::Sealed::chan(self)
            }

            /// Takes the next value, waiting for one while any sender is
            /// alive. A cancellation point: a value granted to a cancelled
            /// receiver stays at the front of the channel.
            ///
            /// # Errors
            ///
            /// `RecvError` once every sender is gone and the channel is empty.
            pub fn recv(&self) -> Result<T, RecvError> {
                self.chan().recv_until(None).map_err(|_| RecvError)
            }

            /// Takes the next value if there is one (rendezvous: if a sender
            /// is waiting).
            ///
            /// # Errors
            ///
            /// `Empty`, or `Disconnected` once every sender is gone and the
            /// channel is empty.
            pub fn try_recv(&self) -> Result<T, TryRecvError> {
                self.chan().try_recv()
            }

            /// As [`recv`](Self::recv), waiting at most `timeout`.
            ///
            /// # Errors
            ///
            /// `Timeout`, or `Disconnected` once every sender is gone and the
            /// channel is empty.
            pub fn recv_timeout(&self, timeout: ::std::time::Duration) -> Result<T, RecvTimeoutError> {
                self.chan().recv_until($crate::chan::deadline_after(timeout))
            }

            /// As [`recv`](Self::recv), waiting until `deadline` at most.
            ///
            /// # Errors
            ///
            /// As [`recv_timeout`](Self::recv_timeout).
            pub fn recv_deadline(&self, deadline: ::std::time::Instant) -> Result<T, RecvTimeoutError> {
                self.chan().recv_until(Some(deadline))
            }

            /// An iterator that [`recv`](Self::recv)s until every sender is
            /// gone.
            pub fn iter(&self) -> Iter<'_, T> {
                Iter { rx: self }
            }

            /// An iterator over the values available now, without waiting.
            pub fn try_iter(&self) -> TryIter<'_, T> {
                TryIter { rx: self }
            }
        }

        /// Blocking iterator over a receiver's values (see `Receiver::iter`).
        #[derive(Debug)]
        pub struct Iter<'a, T> {
            rx: &'a $Receiver<T>,
        }

        /// Non-blocking iterator over the values available now (see
        /// `Receiver::try_iter`).
        #[derive(Debug)]
        pub struct TryIter<'a, T> {
            rx: &'a $Receiver<T>,
        }

        /// Owning blocking iterator (`for v in receiver`).
        #[derive(Debug)]
        pub struct IntoIter<T> {
            rx: $Receiver<T>,
        }

        impl<T> Iterator for Iter<'_, T> {
            type Item = T;
            fn next(&mut self) -> Option<T> {
                self.rx.recv().ok()
            }
        }

        impl<T> Iterator for TryIter<'_, T> {
            type Item = T;
            fn next(&mut self) -> Option<T> {
                self.rx.try_recv().ok()
            }
        }

        impl<T> Iterator for IntoIter<T> {
            type Item = T;
            fn next(&mut self) -> Option<T> {
                self.rx.recv().ok()
            }
        }

        impl<'a, T> IntoIterator for &'a $Receiver<T> {
            type Item = T;
            type IntoIter = Iter<'a, T>;
            fn into_iter(self) -> Iter<'a, T> {
                self.iter()
            }
        }

        impl<T> IntoIterator for $Receiver<T> {
            type Item = T;
            type IntoIter = IntoIter<T>;
            fn into_iter(self) -> IntoIter<T> {
                IntoIter { rx: self }
            }
        }
    };
}
use receiver_methods;

pub use select::{RecvEnd, Select, SelectTimeoutError, SelectedOperation, TrySelectError};
