//! [`Select`]: wait on several receivers, and a timeout, at once.
//!
//! A builder, like crossbeam-channel's, rather than a `select!` macro: it
//! takes receivers of different value types and of any of the three
//! channel kinds, a set built at run time (a `Vec` of receivers), and it
//! needs no macro grammar to learn; a macro could be written on top.
//!
//! The protocol: the selecting fiber (or thread) opens **one** wait — one
//! park sequence number — and, inside its registration, visits the
//! channels in turn (starting at a rotating index, so no channel starves
//! another): under each channel's lock it re-checks and, if nothing is
//! ready, queues a clone of its single [`Waiter`] on that channel's
//! receiver wait list, with a token naming the arm. The first channel that
//! becomes ready wins the park state's one wakeup (DESIGN.md decision 7),
//! grants a value (a reservation, see `state.rs`) and writes its arm index
//! into a cell shared by the tokens; every other channel's claim on that
//! waiter loses and skips it. Once woken, the select takes its entry out
//! of every list it joined — taking each channel's lock, which also makes
//! the winner's cell write visible — and returns the winning arm. If a
//! channel is ready during registration, the select wakes itself; if that
//! wake loses (another arm, a timeout or a cancellation won), it gives the
//! grant back at once.
//!
//! The selected operation is completed with [`SelectedOperation::recv`];
//! dropping it uncompleted gives the value back to the channel (it stays
//! at the front). Only receive operations can be selected.

use std::cell::Cell;
use std::fmt;
use std::sync::mpsc::RecvError;
use std::time::{Duration, Instant};

pub use crossbeam_style::{SelectTimeoutError, TrySelectError};

use super::channel::Chan;
use super::state::RecvToken;
use crate::fiber::WaitOn;
use crate::fiber::park::Reason;
use crate::fiber::wait::{Woken, wait_reason, wait_thread};
use crate::fiber::waiter::{WaitKey, Waiter};
use crate::loom::sync::Arc;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// The receiving end of a fiberio channel — [`mpsc::Receiver`],
/// [`mpmc::Receiver`] or [`oneshot::Receiver`] — as [`Select::recv`] and
/// [`SelectedOperation::recv`] take it. Sealed.
///
/// [`mpsc::Receiver`]: super::mpsc::Receiver
/// [`mpmc::Receiver`]: super::mpmc::Receiver
/// [`oneshot::Receiver`]: super::oneshot::Receiver
pub trait RecvEnd<T>: sealed::Sealed<T> {}

pub(crate) mod sealed {
    /// Gives the channel behind a receiver; not nameable outside fiberio.
    pub trait Sealed<T> {
        /// The channel.
        fn chan(&self) -> &super::Chan<T>;
    }
}

/// One arm of a select: a channel, with its value type erased.
trait Arm {
    fn try_select(&self) -> bool;
    fn register(&self, waiter: Waiter, token: RecvToken) -> bool;
    fn unregister(&self, key: WaitKey);
    fn release(&self);
    fn id(&self) -> *const ();
}

impl<T> Arm for Chan<T> {
    fn try_select(&self) -> bool {
        Chan::try_select(self)
    }
    fn register(&self, waiter: Waiter, token: RecvToken) -> bool {
        Chan::register(self, waiter, token)
    }
    fn unregister(&self, key: WaitKey) {
        Chan::unregister(self, key)
    }
    fn release(&self) {
        Chan::release(self)
    }
    fn id(&self) -> *const () {
        self as *const Chan<T> as *const ()
    }
}

/// No arm's index: the cell's value until a channel wins.
const NONE: usize = usize::MAX;

/// Waits on several receivers at once (see the module docs).
///
/// ```
/// use std::time::Duration;
/// use fiberio::sync::{mpsc, mpmc, Select};
///
/// let (tx1, rx1) = mpsc::channel::<i32>();
/// let (tx2, rx2) = mpmc::sync_channel::<&str>(0);
/// fiberio::spawn(move || tx2.send("two").unwrap());
///
/// let mut sel = Select::new();
/// let i1 = sel.recv(&rx1);
/// let i2 = sel.recv(&rx2);
/// let op = sel.select_timeout(Duration::from_secs(10)).expect("rx2 is sent to");
/// match op.index() {
///     i if i == i1 => println!("one: {:?}", op.recv(&rx1)),
///     i if i == i2 => assert_eq!(op.recv(&rx2), Ok("two")),
///     _ => unreachable!(),
/// }
/// # drop(tx1);
/// ```
pub struct Select<'a> {
    arms: Vec<&'a dyn Arm>,
    /// Where the next visit starts, rotating for fairness.
    start: usize,
}

/// An arm chosen by a [`Select`]: a value (or the disconnect) is held for
/// it until [`recv`](Self::recv) takes it. Dropped without `recv`, it
/// gives the value back to its channel.
#[must_use = "an unused selection gives its value back"]
pub struct SelectedOperation<'a> {
    index: usize,
    arm: &'a dyn Arm,
    done: bool,
}

impl<'a> Select<'a> {
    /// A select with no arms.
    pub fn new() -> Self {
        Self { arms: Vec::new(), start: 0 }
    }

    /// Adds a receive arm on `r`; returns its index, counting from 0 in
    /// the order arms are added.
    pub fn recv<T: 'a>(&mut self, r: &'a impl RecvEnd<T>) -> usize {
        self.arms.push(r.chan());
        self.arms.len() - 1
    }

    /// Selects an arm that is ready now, without waiting.
    ///
    /// # Errors
    ///
    /// `TrySelectError` if none is.
    pub fn try_select(&mut self) -> Result<SelectedOperation<'a>, TrySelectError> {
        let n = self.arms.len();
        let start = self.rotate();
        (0..n)
            .map(|k| (start + k) % n)
            .find(|&i| self.arms[i].try_select())
            .map(|i| self.selected(i))
            .ok_or(TrySelectError)
    }

    /// Waits until an arm is ready: a value, or its channel disconnected.
    /// With no arms it waits forever. A cancellation point.
    pub fn select(&mut self) -> SelectedOperation<'a> {
        self.select_until(None).expect("no deadline")
    }

    /// As [`select`](Self::select), waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// `SelectTimeoutError` if no arm became ready in time.
    pub fn select_timeout(&mut self, timeout: Duration) -> Result<SelectedOperation<'a>, SelectTimeoutError> {
        self.select_until(super::deadline_after(timeout))
    }

    /// As [`select`](Self::select), waiting until `deadline` at most.
    ///
    /// # Errors
    ///
    /// `SelectTimeoutError` if no arm became ready in time.
    pub fn select_deadline(
        &mut self,
        deadline: Instant,
    ) -> Result<SelectedOperation<'a>, SelectTimeoutError> {
        self.select_until(Some(deadline))
    }

    fn rotate(&mut self) -> usize {
        let start = self.start;
        self.start = self.start.wrapping_add(1) % self.arms.len().max(1);
        start
    }

    fn selected(&self, index: usize) -> SelectedOperation<'a> {
        SelectedOperation { index, arm: self.arms[index], done: false }
    }

    fn select_until(
        &mut self,
        deadline: Option<Instant>,
    ) -> Result<SelectedOperation<'a>, SelectTimeoutError> {
        if let Ok(op) = self.try_select() {
            return Ok(op);
        }
        let n = self.arms.len();
        let start = self.rotate();
        let arms = &self.arms;
        loop {
            let cell = Arc::new(AtomicUsize::new(NONE));
            // Arms joined, in visiting order; the one ready at registration.
            let joined = Cell::new(0);
            let self_won = Cell::new(None);
            let key = Cell::new(None);
            let register = |waiter: Waiter| {
                key.set(Some(waiter.key()));
                for k in 0..n {
                    let i = (start + k) % n;
                    if arms[i].register(waiter.clone(), RecvToken::Select(cell.clone(), i)) {
                        // Ready: ours if our own wake wins, else give it back.
                        if waiter.wake(Reason::Notified) {
                            self_won.set(Some(i));
                        } else if !crate::loom::mutation::on(
                            crate::loom::mutation::Mutation::SelectLostWakeKeepsGrant,
                        ) {
                            arms[i].release();
                        }
                        return;
                    }
                    joined.set(k + 1);
                }
            };
            let reason = match wait_reason(deadline, WaitOn::Select, register) {
                // Shutdown refused the park before anything was registered.
                Reason::Shutdown if key.get().is_none() => wait_thread(deadline, register),
                reason => reason,
            };
            if let Some(key) = key.get() {
                for k in 0..joined.get() {
                    arms[(start + k) % n].unregister(key);
                }
            }
            // Read after every joined channel's lock was taken once.
            let winner = self_won.get().or(Some(cell.load(Relaxed)).filter(|&i| i != NONE));
            // Cancelled: every arm is left, nothing was granted (a channel
            // grants only by winning the wait), so it just unwinds.
            match (reason.or_unwind(|| {}), winner) {
                (Woken::Notified, Some(i)) => return Ok(self.selected(i)),
                (Woken::TimedOut, _) => return Err(SelectTimeoutError),
                _ => {} // shutdown: a spurious end; retry
            }
        }
    }
}

impl SelectedOperation<'_> {
    /// The index of the chosen arm, as [`Select::recv`] returned it.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Completes the chosen receive on `r`, which must be the receiver (or
    /// a clone of the mpmc receiver) of that arm.
    ///
    /// # Errors
    ///
    /// `RecvError` if the arm was chosen because its channel is
    /// disconnected and empty.
    ///
    /// # Panics
    ///
    /// If `r` is not the chosen arm's receiver.
    pub fn recv<T>(mut self, r: &impl RecvEnd<T>) -> Result<T, RecvError> {
        let chan = r.chan();
        assert!(
            std::ptr::eq(Arm::id(chan), self.arm.id()),
            "SelectedOperation::recv: the receiver is not the one of the selected arm"
        );
        self.done = true;
        chan.consume().ok_or(RecvError)
    }
}

impl Drop for SelectedOperation<'_> {
    fn drop(&mut self) {
        if !self.done && !crate::loom::cells_unreachable() {
            self.arm.release();
        }
    }
}

impl Default for Select<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Select<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Select").field("arms", &self.arms.len()).finish()
    }
}

impl fmt::Debug for SelectedOperation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SelectedOperation").field("index", &self.index).finish_non_exhaustive()
    }
}

mod crossbeam_style {
    use std::fmt;

    /// [`Select::try_select`](super::Select::try_select) found no arm ready.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct TrySelectError;

    /// [`Select::select_timeout`](super::Select::select_timeout): no arm
    /// became ready in time.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct SelectTimeoutError;

    impl fmt::Display for TrySelectError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("all operations in select would block")
        }
    }

    impl fmt::Display for SelectTimeoutError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("timed out waiting on select")
        }
    }

    impl std::error::Error for TrySelectError {}
    impl std::error::Error for SelectTimeoutError {}
}
