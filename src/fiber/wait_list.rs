//! The waiter list every sync primitive and channel queues on (DESIGN.md
//! decision 11, race 10), and [`wait_on`], the one blocking path they share.
//!
//! A primitive keeps its state and a [`WaitList`] under one internal lock
//! (short critical sections, no user code, no context switch). Blocking
//! always reads: fast path (the caller's) → register the waiter under the
//! lock, re-checking the condition there ([`wait_on`]'s `try_grant`) →
//! park. A waker changes the state under the same lock and *grants* what a
//! waiter waits for (the lock, permits, a slot) to the first waiter whose
//! wait it wins ([`WaitList::pop`]); it runs the resulting [`Wakeup`]s only
//! after releasing the lock.
//!
//! The grant and the wake are one decision: the waker's claim on the
//! waiter's park state (`fiber/park.rs`) either wins — the waiter returns
//! `Reason::Notified` and owns the grant — or loses to a timeout, a
//! cancellation or shutdown, in which case the waker grants nothing and
//! moves on to the next waiter, and the waiter, seeing another reason,
//! takes its entry out of the list if still there. Nothing is granted
//! twice, nothing is lost, and the queue is FIFO: no waiter starves.
//!
//! No context switch here either: [`wait_on`] delegates the park to
//! `wait.rs`, so loom can run these protocols on its threads.

use std::cell::Cell;
use std::collections::VecDeque;
use std::time::Instant;

use super::park::Reason;
use super::wait::{Woken, wait_reason, wait_thread};
use super::wait_on::WaitOn;
use super::waiter::{WaitKey, Waiter, Wakeup};
use crate::loom::sync::Mutex;

/// A FIFO of waiters, each with a token saying what it waits for.
#[derive(Debug)]
pub(crate) struct WaitList<T> {
    queue: VecDeque<(Waiter, T)>,
}

impl<T> WaitList<T> {
    crate::loom::const_fn! {
        /// An empty list.
        pub(crate) fn new() -> Self {
            Self { queue: VecDeque::new() }
        }
    }

    /// Whether no waiter is queued (dead or alive).
    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// The token of the first queued waiter (dead or alive).
    pub(crate) fn front(&self) -> Option<&T> {
        self.queue.front().map(|(_, token)| token)
    }

    /// Queues `waiter` at the back.
    pub(crate) fn push(&mut self, waiter: Waiter, token: T) {
        self.queue.push_back((waiter, token));
    }

    /// Queues `waiter` at the front: a waiter that was woken, lost its
    /// retry, and keeps its place (`sync/raw_mutex.rs`).
    pub(crate) fn push_front(&mut self, waiter: Waiter, token: T) {
        self.queue.push_front((waiter, token));
    }

    /// Takes waiters from the front, while `fits` accepts the front one's
    /// token, until a claim with `reason` wins; returns that waiter's token
    /// and wakeup. Waiters whose wait already ended are dropped on the way.
    pub(crate) fn pop(&mut self, reason: Reason, mut fits: impl FnMut(&T) -> bool) -> Option<(T, Wakeup)> {
        while self.queue.front().is_some_and(|(_, token)| fits(token)) {
            let (waiter, token) = self.queue.pop_front().expect("just seen");
            if let Some(wakeup) = waiter.claim(reason) {
                return Some((token, wakeup));
            }
            if crate::loom::mutation::on(crate::loom::mutation::Mutation::WaitListPopStopsAtDead) {
                return None;
            }
        }
        None
    }

    /// Claims every queued waiter with `reason`, collecting the wakeups.
    pub(crate) fn pop_all(&mut self, reason: Reason, wakeups: &mut Vec<Wakeup>) {
        wakeups.extend(self.queue.drain(..).filter_map(|(waiter, _)| waiter.claim(reason)));
    }

    /// Removes the entry of the wait `key`, if still queued.
    pub(crate) fn remove(&mut self, key: WaitKey) -> Option<T> {
        let i = self.queue.iter().position(|(w, _)| w.key() == key)?;
        self.queue.remove(i).map(|(_, t)| t)
    }
}

/// What [`wait_on`]'s re-check under the lock decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Register {
    /// The caller got what it waits for: no wait.
    Granted,
    /// Queue the waiter at the back (a newcomer).
    Back,
    /// Queue the waiter at the front (a woken waiter keeping its place).
    Front,
}

impl From<bool> for Register {
    /// `true`: granted; `false`: queue at the back.
    fn from(granted: bool) -> Self {
        if granted { Register::Granted } else { Register::Back }
    }
}

/// How a [`wait_on`] ended (a cancellation unwinds instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Waited {
    /// The caller owns what it waited for (granted by a waker, or by the
    /// re-check) and must release it if it will not use it.
    pub(crate) granted: bool,
    /// Why the wait ended: `Notified` whenever a waker granted; otherwise
    /// `TimedOut`, or `Shutdown` (a spurious end: retry).
    pub(crate) woken: Woken,
}

/// Blocks the current fiber or thread on the list `list(state)` until a
/// waker grants, `deadline` passes, or the fiber is cancelled; `on` names
/// the primitive for the fiber dump.
///
/// Under the lock, `try_grant` re-checks: [`Register::Granted`] (or
/// `true`) means the caller got what it waits for without waiting;
/// otherwise the waiter queues with `token`, at the back or the front.
/// `then` runs once, always: after the lock is released and before the
/// park (a condvar unlocks its mutex there), or, when the wait could not
/// even open (a pending cancellation), before this returns.
///
/// A cancellation runs `undo(granted)` — the caller gives back a grant
/// that came at the same moment, or withdraws what it registered — then
/// unwinds the fiber (race 15: nothing granted is lost). So does runtime
/// shutdown when it unwinds a fiber parked here: its unwind starts inside
/// the park, and a guard runs the same `undo` on the way out, so a lock
/// handed to a fiber that shutdown then unwinds is passed on, not lost.
///
/// During runtime shutdown a fiber cannot park: the wait falls back to
/// blocking the OS thread, as a lock has no error to return. A waiter's
/// entry is out of the list when this returns.
// Each argument is one part of the protocol above; a struct would only rename them.
#[allow(clippy::too_many_arguments)]
pub(crate) fn wait_on<S, T, R: Into<Register>>(
    state: &Mutex<S>,
    deadline: Option<Instant>,
    on: WaitOn,
    token: T,
    try_grant: impl FnOnce(&mut S) -> R,
    list: impl Fn(&mut S) -> &mut WaitList<T>,
    then: impl FnOnce(),
    undo: impl FnOnce(bool),
) -> Waited {
    let mut token = Some(token);
    let mut try_grant = Some(try_grant);
    let mut then = Some(then);
    let self_granted = Cell::new(false);
    let key = Cell::new(None);
    // The registered waiter, to learn how its wait ended if shutdown
    // unwinds the fiber out of its park.
    let registered: Cell<Option<Waiter>> = Cell::new(None);
    let mut register = |waiter: Waiter| {
        let mut s = crate::loom::lock(state);
        let decided = try_grant.take().map_or(Register::Back, |f| f(&mut s).into());
        if decided == Register::Granted {
            self_granted.set(true);
            drop(s);
            waiter.wake(Reason::Notified);
        } else {
            key.set(Some(waiter.key()));
            let token = token.take().expect("registered once");
            let waiters = list(&mut s);
            if decided == Register::Front {
                waiters.push_front(waiter.clone(), token);
            } else {
                waiters.push(waiter.clone(), token);
            }
            drop(s);
            registered.set(Some(waiter));
        }
        if let Some(then) = then.take() {
            then();
        }
    };
    let mut undo = Some(undo);
    // Shutdown unwinds a parked fiber from inside `wait_reason`: the
    // guard then settles the wait as a cancellation would.
    let unwound = OnUnwind(Some(|| {
        if crate::loom::cells_unreachable() {
            return; // loom tearing a failed model down
        }
        let reason = registered.take().and_then(|w| w.ended());
        let granted = reason == Some(Reason::Notified) || self_granted.get();
        if !granted && let Some(k) = key.get() {
            list(&mut crate::loom::lock(state)).remove(k);
        }
        if let Some(undo) = undo.take() {
            undo(granted);
        }
    }));
    let reason = match wait_reason(deadline, on, &mut register) {
        // Shutdown refused the park before anything was registered.
        Reason::Shutdown if key.get().is_none() && !self_granted.get() => {
            wait_thread(deadline, &mut register)
        }
        reason => reason,
    };
    unwound.defuse();
    // A wait refused at once (a pending cancellation) never registered.
    if let Some(then) = then.take() {
        then();
    }
    let granted = reason == Reason::Notified || self_granted.get();
    if !granted && let Some(k) = key.get() {
        list(&mut crate::loom::lock(state)).remove(k);
    }
    let undo = undo.take().expect("undo runs once");
    Waited { granted, woken: reason.or_unwind(|| undo(granted)) }
}

/// Runs its closure when dropped, unless defused: cleanup for an unwind
/// that starts inside a call.
struct OnUnwind<F: FnOnce()>(Option<F>);

impl<F: FnOnce()> OnUnwind<F> {
    fn defuse(mut self) {
        self.0 = None;
    }
}

impl<F: FnOnce()> Drop for OnUnwind<F> {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}
