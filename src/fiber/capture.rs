//! Backtraces of suspended fibers, taken by the fibers themselves.
//!
//! A parked fiber's stack is intact, but std can only walk the stack it
//! runs on. So the worker, between runs, *resumes* the fiber with a capture
//! request ([`Capture::request`]); the fiber, back at its park's suspend
//! point (`Context::suspend_park`), sees the request before anything else,
//! walks its own stack
//! (`Backtrace::force_capture`, which records addresses only: symbols are
//! resolved later, by whoever prints it), hands the result over, and
//! suspends again at once. Only fibers whose park state says parked are
//! resumed so: a runnable fiber may be suspended in a yield, which does
//! not look for a request (so a yield pays nothing for captures).
//!
//! That round trip leaves the fiber's wait exactly as it was:
//!
//! - the fiber touches neither its park state nor anything it registered:
//!   the wait stays open or committed, its waiters queued, its timer armed;
//! - the worker files the capture's suspend as nothing at all (whatever
//!   request it carries): it neither commits a park (the park was
//!   committed when the fiber first suspended) nor queues the fiber;
//! - a wake that comes meanwhile finds the committed park as always: it
//!   wins, and schedules the fiber through the inbox or the run queue,
//!   where it waits for its next real resume; a wake that came earlier
//!   has queued it already, and the capture changes nothing to that.
//!
//! So the capture is a resume the fiber cannot tell from not having been
//! resumed, except for the time it took.
//!
//! A capture needs some stack: a fiber with less than [`MIN_FREE_STACK`]
//! bytes left below its suspend point answers that instead of risking its
//! guard page.

use std::backtrace::Backtrace;
use std::cell::Cell;
use std::fmt;

use crate::stack::overflow::GuardInfo;

/// The least free stack a fiber must have left to walk its stack: the
/// unwinder's state and std's frame buffer, with a wide margin.
pub(crate) const MIN_FREE_STACK: usize = 16 * 1024;

/// What a capture produced.
#[derive(Debug)]
pub(crate) enum Captured {
    /// The fiber's stack, from its suspend point down to its entry.
    Backtrace(Backtrace),
    /// It had only this many bytes of stack left: not walked.
    StackTooLow(usize),
}

/// One worker's capture mailbox, in its fiber-layer context: the request
/// flag the worker sets and the answer the fiber leaves. Touched only on
/// the worker's thread.
#[derive(Default)]
pub(crate) struct Capture {
    requested: Cell<bool>,
    answer: Cell<Option<Captured>>,
}

impl fmt::Debug for Capture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Capture").field("requested", &self.requested.get()).finish_non_exhaustive()
    }
}

impl Capture {
    /// Worker, before it resumes a suspended fiber to capture it.
    pub(crate) fn request(&self) {
        self.answer.set(None);
        self.requested.set(true);
    }

    /// Fiber, right after every resume: whether it was resumed to capture
    /// its stack rather than to run on.
    #[inline]
    pub(crate) fn is_requested(&self) -> bool {
        self.requested.get()
    }

    /// Fiber: walks its own stack, whose guard page is described by
    /// `guard`, and leaves the answer for the worker.
    #[inline(never)]
    pub(crate) fn answer(&self, guard: &GuardInfo) {
        self.requested.set(false);
        // An address in this frame: about where the stack pointer is.
        let marker = 0u8;
        let sp = std::hint::black_box(&raw const marker) as usize;
        // The stack grows down towards the guard page.
        let left = sp.saturating_sub(guard.guard.end);
        let answer = if guard.guard.end != 0 && left < MIN_FREE_STACK {
            Captured::StackTooLow(left)
        } else {
            Captured::Backtrace(Backtrace::force_capture())
        };
        self.answer.set(Some(answer));
    }

    /// Worker, after the fiber suspended again: its answer, if it gave one.
    pub(crate) fn take(&self) -> Option<Captured> {
        self.requested.set(false);
        self.answer.take()
    }
}
