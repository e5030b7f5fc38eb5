//! Blocking work off the workers: [`unblock`] runs a closure on a helper
//! thread while only the calling fiber parks (DESIGN.md decision 12).
//!
//! - `pool`: the bounded, self-shrinking pool of helper threads.
//! - `slot`: the oneshot that carries a helper's result (or panic) back to
//!   the parked fiber, and the fiber's cancellable wait on it.
//!
//! `fiberio::fs` and name resolution in `fiberio::net` are built on
//! [`try_unblock`].

mod pool;
mod slot;

use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::time::Duration;

use crate::fiber::cancel;
use crate::loom::sync::Arc;
use pool::Job;
use slot::{Outcome, ResultSlot};

/// Runs `f` on a helper thread and returns its result; only the calling
/// fiber waits, its worker runs other fibers meanwhile. On a plain OS
/// thread (not a fiber), `f` simply runs inline.
///
/// Use it for anything that blocks in the kernel or in a library that
/// knows nothing of fibers: file IO ([`fs`](crate::fs) is built on it),
/// a database driver, compression of a large buffer, `getaddrinfo`.
///
/// ```
/// let h = fiberio::spawn(|| {
///     // Runs on a thread named "fiberio-helper"; this fiber parks.
///     fiberio::unblock(|| std::thread::current().name().map(String::from))
/// });
/// assert_eq!(h.join().unwrap().as_deref(), Some("fiberio-helper"));
/// ```
///
/// # The helper pool
///
/// One pool serves the whole process. It starts a thread only when a job
/// arrives and no helper is idle, up to a cap of **512** threads by
/// default; beyond the cap, jobs queue and run in order as helpers free
/// up. A helper that finds no work for **10 s** exits. The cap bounds
/// threads, not CPU: helpers spend their lives blocked in syscalls, so
/// the limit is there to turn a burst (ten thousand fibers each opening a
/// file) into a queue rather than ten thousand threads, while staying far
/// above what a disk or a resolver can usefully overlap. 512 is also
/// tokio's `max_blocking_threads`, familiar to anyone tuning either. Set
/// the `FIBERIO_MAX_HELPERS` environment variable (a positive integer,
/// read once, at the first `unblock` from a fiber) to change it. Helpers
/// have std's default thread stack size. [`blocking_pool_metrics`] shows
/// the pool's state.
///
/// Jobs that wait for each other can deadlock a bounded pool: with every
/// helper blocked waiting for a job still in the queue, nothing runs.
///
/// # Panics
///
/// A panic in `f` is caught on the helper (which lives on) and resumed in
/// the calling fiber with the same payload, as `JoinHandle::join` would
/// return it.
///
/// ```
/// let h = fiberio::spawn(|| fiberio::unblock(|| -> u8 { panic!("disk on fire") }));
/// assert_eq!(h.join().unwrap_err().downcast_ref::<&str>(), Some(&"disk on fire"));
/// ```
///
/// Panics as well when no helper thread runs and none can be started (the
/// process is out of threads), or `FIBERIO_MAX_HELPERS` is malformed;
/// [`try_unblock`] returns those errors instead.
///
/// # Cancellation
///
/// A fiber cancelled ([`JoinHandle::cancel`](crate::JoinHandle::cancel))
/// while it waits here stops waiting and unwinds at once. `f` cannot be
/// interrupted: it runs to the end on its helper, and its result (or
/// panic payload) is dropped there. A fiber with a cancellation already
/// pending unwinds before `f` is submitted, so `f` never runs.
pub fn unblock<F, R>(f: F) -> R
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    match try_unblock(f) {
        Ok(r) => r,
        Err(e) => panic!("fiberio::unblock: {e}"),
    }
}

/// [`unblock`], returning an error rather than panicking when the pool
/// cannot run `f`.
///
/// # Errors
///
/// When no helper thread is alive and the OS refuses to start one (the
/// error keeps the OS error's kind; `f` is dropped without running), or
/// `FIBERIO_MAX_HELPERS` is not a positive integer (`InvalidInput`). A
/// failed thread start while other helpers are alive is no error: the job
/// waits for one of them.
///
/// # Panics
///
/// Resumes a panic of `f` in the caller, as [`unblock`] does.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let len = fiberio::spawn(|| fiberio::try_unblock(|| vec![0u8; 4096].len()))
///     .join()
///     .unwrap()?;
/// assert_eq!(len, 4096);
/// # Ok(())
/// # }
/// ```
pub fn try_unblock<F, R>(f: F) -> io::Result<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let Some(task) = crate::fiber::current_task() else {
        return Ok(f());
    };
    // A pending cancellation stops the fiber before it starts any work.
    cancel::check(&task);
    let pool = pool::global()?;
    let slot = Arc::new(ResultSlot::new());
    pool.submit(Box::new(UnblockJob { f, slot: slot.clone() }));
    match slot.wait() {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(payload)) => resume_unwind(payload),
        Err(e) => Err(e),
    }
}

/// A closure and the slot its outcome goes to.
struct UnblockJob<F, R> {
    f: F,
    slot: Arc<ResultSlot<R>>,
}

impl<F, R> Job for UnblockJob<F, R>
where
    F: FnOnce() -> R + Send,
    R: Send,
{
    fn run(self: Box<Self>) {
        let UnblockJob { f, slot } = *self;
        let result = catch_unwind(AssertUnwindSafe(f));
        finish(&slot, Ok(result));
    }

    fn refuse(self: Box<Self>, err: io::Error) {
        let UnblockJob { f, slot } = *self;
        // The closure is user code; its drop must not unwind the submitter.
        let _ = catch_unwind(AssertUnwindSafe(move || drop(f)));
        finish(&slot, Err(err));
    }
}

/// Hands `outcome` to the fiber, or drops it here if the fiber is gone —
/// guarded, so a panicking drop does not kill the helper.
fn finish<R>(slot: &ResultSlot<R>, outcome: Outcome<R>) {
    if let Some(unwanted) = slot.complete(outcome) {
        let _ = catch_unwind(AssertUnwindSafe(move || drop(unwanted)));
    }
}

/// A snapshot of the helper pool behind [`unblock`], from
/// [`blocking_pool_metrics`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BlockingPoolMetrics {
    /// Helper threads alive (running a job, idle, or starting).
    pub live: usize,
    /// Helpers waiting for work.
    pub idle: usize,
    /// Jobs waiting for a helper (the pool is at its cap).
    pub queued: usize,
    /// The cap on live helpers.
    pub max: usize,
    /// Helper threads started since the pool was created.
    pub started: u64,
    /// Jobs finished (returned or panicked) since then. A job is counted
    /// just after its caller has been handed the result, so a caller that
    /// reads this at once may not see its own job yet.
    pub completed: u64,
}

/// The state of the helper pool behind [`unblock`].
///
/// ```
/// fiberio::spawn(|| fiberio::unblock(|| ())).join().unwrap();
/// let m = fiberio::blocking_pool_metrics();
/// assert!(m.started >= 1 && m.live <= m.max);
/// ```
///
/// # Panics
///
/// When `FIBERIO_MAX_HELPERS` is malformed (see [`unblock`]).
pub fn blocking_pool_metrics() -> BlockingPoolMetrics {
    let s = pool::global().unwrap_or_else(|e| panic!("{e}")).snapshot();
    BlockingPoolMetrics {
        live: s.live,
        idle: s.idle,
        queued: s.queued,
        max: s.max,
        started: s.started,
        completed: s.completed,
    }
}

/// Changes the pool's cap and idle timeout at run time. For tests of the
/// pool itself; not a stable API.
///
/// # Panics
///
/// When `FIBERIO_MAX_HELPERS` is malformed.
#[doc(hidden)]
pub fn __set_blocking_pool_limits(max: usize, idle_timeout: Duration) {
    pool::global().unwrap_or_else(|e| panic!("{e}")).set_limits(max, idle_timeout);
}
