//! The running fiber, and the worker that carries it, as the rest of the
//! crate sees them.
//!
//! "Am I on a fiber? Which one?" is answered here, not by the scheduler
//! (STYLE.md 13): a worker thread names itself this thread's [`Carrier`]
//! for as long as it runs ([`enter_carrier`]), and marks the fiber it
//! resumes as the running one, and clears it when the fiber suspends
//! ([`Context::set_running`]): one thread-local read answers every
//! question, and a switch touches no thread-local. Everything above — waits, time, IO, the helper pool,
//! fiber-locals — asks [`in_fiber`], [`with_running`] or [`current_task`].
//!
//! A fiber suspends itself through its coroutine's yielder, which the
//! worker names in the [`Context`] with the running task, handing the
//! worker a [`Request`]: yield, or commit a park (two-phase park). The
//! [`Carrier`] trait is the rest of what the fiber layer needs of a
//! worker: a park with a deadline (the worker owns the timers), and
//! whether it is shutting down. The scheduler implements it; the fiber
//! layer never names the scheduler.

use std::cell::Cell;
use std::time::Instant;

use corosensei::Yielder;

use super::capture::Capture;
use super::park::{Reason, Seq};
use super::task::Task;
use super::wait_on::{WaitOn, WaitRecord};
use super::waiter::Waiter;
use crate::loom::static_atomic;
use crate::loom::sync::Arc;
use crate::sys::ticks::Ticks;

/// What a fiber asks of its worker when it suspends.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Request {
    /// Run other fibers, then me again.
    Yield,
    /// Commit my wait `seq` (two-phase park) and run me when it is woken.
    Park(Seq),
}

/// The handle a fiber suspends through (it lives on the fiber's stack).
pub(crate) type FiberYielder = Yielder<(), Request>;

/// The fiber layer's part of a started fiber, held in its worker's slot:
/// its task, and the yielder it suspends through.
#[derive(Debug)]
pub(crate) struct StartedFiber {
    pub(crate) task: Arc<Task>,
    /// Null until the fiber's first run sets it ([`first_run`]); it lives
    /// on the fiber's stack.
    yielder: Cell<*const FiberYielder>,
    /// What its current wait waits on (`wait_on.rs`): a record on the
    /// fiber's own stack, in the frame of [`park`], which sets it before
    /// it suspends. Valid while the fiber is suspended in that park.
    wait: Cell<*const WaitRecord>,
}

impl StartedFiber {
    pub(crate) fn new(task: Arc<Task>) -> Self {
        Self { task, yielder: Cell::new(std::ptr::null()), wait: Cell::new(std::ptr::null()) }
    }

    /// What the fiber's current wait waits on, if it has parked.
    ///
    /// # Safety
    ///
    /// The fiber must be suspended inside the [`park`] that recorded it:
    /// its park state says parked (a committed park), read on its worker
    /// between runs.
    pub(crate) unsafe fn last_wait(&self) -> Option<WaitRecord> {
        // SAFETY: the record lives in `park`'s frame on the fiber's stack,
        // which is intact while the fiber is suspended there (caller).
        unsafe { self.wait.get().as_ref() }.copied()
    }
}

/// What the fiber layer needs of the worker thread that runs fibers,
/// beyond suspending them (implemented by `sched::Worker`).
pub(crate) trait Carrier {
    /// Arms a timer that wakes `waiter` with `TimedOut` at `deadline`,
    /// suspends the running fiber with `Request::Park(seq)`, and disarms
    /// the timer when the fiber resumes (unless it fired).
    fn park_until(&self, seq: Seq, deadline: Instant, waiter: Waiter);

    /// Whether shutdown has begun: a wait must not block the thread then.
    fn is_closing(&self) -> bool;

    /// Suspends the running fiber with `request` where it has no
    /// coroutine: the user loom mode, whose fibers are loom threads (a
    /// worker's fibers suspend through their yielder,
    /// [`Context::suspend`], and never come here: outside loom nothing
    /// calls it).
    #[allow(dead_code)]
    fn suspend_thread(&self, request: Request);

    /// The running fiber spent its IO budget and is about to yield
    /// ([`Context::spend_io`]): the worker counts it.
    fn io_budget_spent(&self) {}
}

/// IO operations a fiber may complete in one run without parking before it
/// yields to its worker's other fibers, by default (tokio's cooperative
/// budget is 128 too). `RuntimeBuilder::io_budget` sets it.
pub(crate) const DEFAULT_IO_BUDGET: u32 = 128;

/// The fiber layer's state of one worker thread: its carrier and the
/// fiber it runs. A worker owns one, names it this thread's context for
/// its whole life ([`enter_carrier`]), and marks each fiber it resumes
/// ([`Context::set_running`]) with a plain store, no thread-local access.
#[derive(Debug)]
pub(crate) struct Context {
    /// The worker; set by `enter_carrier`, for as long as it runs.
    carrier: Cell<Option<*const dyn Carrier>>,
    /// The running fiber; null on the worker's own stack.
    running: Cell<*const StartedFiber>,
    /// Set while shutdown unwinds fibers: they must not suspend again.
    unwinding: Cell<bool>,
    /// The capture request and answer of a fiber dump (`capture.rs`).
    pub(crate) capture: Capture,
    /// IO operations the running fiber may still complete in this run
    /// without parking ([`spend_io`](Self::spend_io)). An atomic only so
    /// that the stall watchdog can tell a run that did IO from a CPU loop
    /// (`sched/stall.rs`): a statistic, never a synchronisation, so std's
    /// atomic in both modes (`loom::static_atomic`); a relaxed load and
    /// store cost what a `Cell`'s do.
    io_left: static_atomic::AtomicU32,
    /// What `io_left` starts at in each run (`u32::MAX`: no budget).
    io_budget: Cell<u32>,
}

impl Context {
    pub(crate) fn new() -> Self {
        Self {
            carrier: Cell::new(None),
            running: Cell::new(std::ptr::null()),
            unwinding: Cell::new(false),
            capture: Capture::default(),
            io_left: static_atomic::AtomicU32::new(DEFAULT_IO_BUDGET),
            io_budget: Cell::new(DEFAULT_IO_BUDGET),
        }
    }

    /// The worker, as it resumes a fiber and as the fiber suspends or
    /// ends (null). `fiber` must stay valid until the next call: the
    /// worker's fiber slot holds it for the run.
    #[inline]
    pub(crate) fn set_running(&self, fiber: *const StartedFiber) {
        self.running.set(fiber);
    }

    /// The worker, as it resumes a fiber: the run starts with a full IO
    /// budget ([`spend_io`](Self::spend_io)).
    #[inline]
    pub(crate) fn begin_run(&self, fiber: *const StartedFiber) {
        self.running.set(fiber);
        self.io_left.store(self.io_budget.get(), static_atomic::Ordering::Relaxed);
    }

    /// Counts one IO operation (a read, write, send, receive or accept) of
    /// the running fiber that completed without parking. Once the fiber
    /// has completed its budget of them in one run, it yields to its
    /// worker's other fibers: a stream that never runs dry must not hold
    /// the worker (a fiber that parks starts its next run with a full
    /// budget). Not a cancellation point: the operation's result is not
    /// lost. Call it only on a fiber ([`fiber_context`]).
    #[inline]
    pub(crate) fn spend_io(&self) {
        if self.take_io() {
            self.io_budget_spent();
        }
    }

    /// [`spend_io`](Self::spend_io)'s count alone: `true` when the budget
    /// is spent, and the caller must call
    /// [`io_budget_spent`](Self::io_budget_spent) (the libc hook does it
    /// behind its unwind guard, which the common case must not pay for).
    #[inline]
    pub(crate) fn take_io(&self) -> bool {
        let left = self.io_left.load(static_atomic::Ordering::Relaxed);
        if left > 1 {
            self.io_left.store(left - 1, static_atomic::Ordering::Relaxed);
            false
        } else {
            true
        }
    }

    /// The running fiber has spent its IO budget: it yields (unless
    /// shutdown is unwinding it), and the worker counts it.
    #[cold]
    pub(crate) fn io_budget_spent(&self) {
        if !self.running.get().is_null() && !self.is_unwinding() {
            carrier_of(self).io_budget_spent();
            self.suspend(Request::Yield);
        }
    }

    /// The counter behind [`spend_io`](Self::spend_io), for the stall
    /// watchdog: the running fiber has completed
    /// [`io_budget`](Self::io_budget) minus its value IO operations in
    /// this run.
    pub(crate) fn io_left(&self) -> &static_atomic::AtomicU32 {
        &self.io_left
    }

    /// What each run's IO budget starts at (`u32::MAX`: no budget).
    pub(crate) fn io_budget(&self) -> u32 {
        self.io_budget.get()
    }

    /// The IO budget of each fiber run (0: none, never yield for IO).
    pub(crate) fn set_io_budget(&self, ops: u32) {
        self.io_budget.set(if ops == 0 { u32::MAX } else { ops });
    }

    /// The running fiber, if any.
    #[inline]
    pub(crate) fn running(&self) -> Option<&StartedFiber> {
        // SAFETY: non-null `running` is held by the worker's slot for the
        // whole run (`set_running`).
        unsafe { self.running.get().as_ref() }
    }

    /// The worker, around the shutdown's forced unwinds.
    pub(crate) fn set_unwinding(&self, unwinding: bool) {
        self.unwinding.set(unwinding);
    }

    /// Whether shutdown is unwinding this worker's fibers.
    pub(crate) fn is_unwinding(&self) -> bool {
        self.unwinding.get()
    }

    /// Suspends the running fiber with `request`. Must run on a fiber.
    #[inline]
    pub(crate) fn suspend(&self, request: Request) {
        crate::loom::loom_or_std!(
            loom: carrier_of(self).suspend_thread(request),
            std: self.suspend_coroutine(request),
        )
    }

    /// [`suspend`](Self::suspend) through the fiber's coroutine.
    #[inline]
    pub(crate) fn suspend_coroutine(&self, request: Request) {
        let yielder = self.running().expect("suspend on a fiber").yielder.get();
        debug_assert!(!yielder.is_null(), "suspend before the fiber's first run");
        // SAFETY: the running fiber's yielder, set by its first run; it
        // lives on the fiber's stack, the stack this code runs on.
        unsafe { &*yielder }.suspend(request);
    }

    /// Suspends the running fiber to park wait `seq`. A resume that only
    /// asks for a backtrace is answered here, and the fiber suspends again
    /// at once, its wait untouched (`capture.rs`); only a parked fiber is
    /// ever resumed so, so a yield pays nothing for it.
    #[inline]
    pub(crate) fn suspend_park(&self, seq: Seq) {
        self.suspend(Request::Park(seq));
        if self.capture.is_requested() {
            self.answer_captures();
        }
    }

    /// Resumed for a capture: answers it and suspends again, as often as
    /// the worker asks (kept out of line: the park path stays small). The
    /// request it suspends with is ignored: the worker's capture files
    /// nothing.
    #[cold]
    #[inline(never)]
    fn answer_captures(&self) {
        while self.capture.is_requested() {
            // Read again: the slab may have moved the slot meanwhile.
            let task = &self.running().expect("resumed on a fiber").task;
            self.capture.answer(&task.guard);
            self.suspend(Request::Yield);
        }
    }

    /// The fiber, on its first run: records the yielder it suspends
    /// through, and returns its task.
    pub(crate) fn first_run(&self, yielder: &FiberYielder) -> &Arc<Task> {
        let fiber = self.running().expect("a fiber's first run");
        fiber.yielder.set(yielder);
        &fiber.task
    }
}

crate::loom::carrier_local! {
    /// The context of the worker running on this thread, if it is one.
    static CONTEXT: Cell<*const Context> = const { Cell::new(std::ptr::null()) };
}

/// Makes `context`, carried by `carrier`, this thread's context while `f`
/// runs (a worker, for its whole life). Every fiber it runs must be over
/// before this returns.
pub(crate) fn enter_carrier<R>(carrier: &dyn Carrier, context: &Context, f: impl FnOnce() -> R) -> R {
    struct Reset<'a>(&'a Context);
    impl Drop for Reset<'_> {
        fn drop(&mut self) {
            // Under loom, a model torn down after a found bug: leave its
            // thread-locals alone (the user loom mode's carriers).
            if crate::loom::cells_unreachable() {
                return;
            }
            CONTEXT.with(|c| c.set(std::ptr::null()));
            #[cfg(feature = "hook")]
            crate::sys::carrier_word::set(std::ptr::null());
            self.0.carrier.set(None);
            self.0.running.set(std::ptr::null());
        }
    }
    // SAFETY: only the lifetime is erased; the pointer is cleared by
    // `Reset` before the borrow of `carrier` ends, and only dereferenced on
    // this thread meanwhile (`current`).
    let ptr: *const (dyn Carrier + 'static) = unsafe { std::mem::transmute(carrier) };
    context.carrier.set(Some(ptr));
    CONTEXT.with(|c| c.set(context));
    #[cfg(feature = "hook")]
    crate::sys::carrier_word::set((context as *const Context).cast());
    let _reset = Reset(context);
    f()
}

/// This thread's context, if it is a worker: one thread-local read.
#[inline]
fn context<'a>() -> Option<&'a Context> {
    // SAFETY: non-null only inside `enter_carrier`, whose borrow of the
    // context outlives everything that runs on this thread meanwhile.
    unsafe { CONTEXT.with(Cell::get).as_ref() }
}

/// The running fiber's task and its worker's context, if a fiber runs here.
#[inline]
fn running<'a>() -> Option<(&'a Arc<Task>, &'a Context)> {
    let ctx = context()?;
    Some((&ctx.running()?.task, ctx))
}

/// The context's carrier.
fn carrier_of(ctx: &Context) -> &dyn Carrier {
    // SAFETY: set for as long as the context is current (`enter_carrier`).
    unsafe { &*ctx.carrier.get().expect("a current context has its carrier") }
}

/// Whether this code runs on a fiber.
#[inline]
pub(crate) fn in_fiber() -> bool {
    context().is_some_and(|ctx| !ctx.running.get().is_null())
}

/// [`in_fiber`] for the libc hook's entry points: the same answer, from
/// the copy of this thread's context pointer in `sys::carrier_word`,
/// which is read without a call — so a hooked call off a fiber costs one
/// load and a test before the system call, and saves no register.
#[cfg(feature = "hook")]
#[inline(always)]
pub(crate) fn in_fiber_hooked() -> bool {
    let ctx = crate::sys::carrier_word::get().cast::<Context>();
    // SAFETY: as in `context`: the word is non-null only inside
    // `enter_carrier`, which sets and clears it with `CONTEXT`.
    unsafe { ctx.as_ref() }.is_some_and(|ctx| !ctx.running.get().is_null())
}

/// [`fiber_context`] for the libc hook, from the same word as
/// [`in_fiber_hooked`].
#[cfg(feature = "hook")]
#[inline(always)]
pub(crate) fn fiber_context_hooked<'a>() -> Option<&'a Context> {
    let ctx = crate::sys::carrier_word::get().cast::<Context>();
    // SAFETY: as in `context`: the word is non-null only inside
    // `enter_carrier`, which sets and clears it with `CONTEXT`.
    unsafe { ctx.as_ref() }.filter(|ctx| !ctx.running.get().is_null())
}

/// Runs `f` with the running fiber's task; `None` off a fiber.
#[inline]
pub(crate) fn with_running<R>(f: impl FnOnce(&Arc<Task>) -> R) -> Option<R> {
    running().map(|(task, _)| f(task))
}

/// The running fiber's task.
pub(crate) fn current_task() -> Option<Arc<Task>> {
    with_running(Arc::clone)
}

/// The fiber half of a wait on `on`: opens it, registers, records what it
/// waits on (for the fiber dump), suspends into the worker, which commits
/// the park (arming the deadline through the carrier, which owns the
/// timers), and returns why the wait ended. Must run on a fiber.
pub(crate) fn park(deadline: Option<Instant>, on: WaitOn, register: impl FnOnce(Waiter)) -> Reason {
    let ctx = context().expect("park on a fiber");
    let fiber = ctx.running().expect("park on a fiber");
    // Our own reference: the worker's slab may grow while we are parked.
    let task = fiber.task.clone();
    let seq = match task.park.begin() {
        Ok(seq) => seq,
        Err(reason) => return reason,
    };
    let record = WaitRecord { on, deadline, since: Ticks::now() };
    fiber.wait.set(&record);
    register(Waiter::fiber(task.clone(), seq));
    match deadline {
        None => ctx.suspend_park(seq),
        Some(d) => carrier_of(ctx).park_until(seq, d, Waiter::fiber(task.clone(), seq)),
    }
    task.park.reason(seq).expect("a parked fiber resumes only once woken")
}

/// Yields the running fiber (a cancellation point); `false` off a fiber.
/// While shutdown unwinds fibers it returns at once.
#[inline]
pub(crate) fn yield_running() -> bool {
    let Some((task, ctx)) = running() else {
        return false;
    };
    super::cancel::check(task);
    if !ctx.is_unwinding() {
        ctx.suspend(Request::Yield);
    }
    true
}

/// Yields the running fiber, not a cancellation point: for a yield the
/// caller did not ask for (the spawn budget, `sched::runtime`), which must
/// not unwind. `false` off a fiber; returns at once while shutdown unwinds
/// fibers.
pub(crate) fn yield_running_uncancelled() -> bool {
    let Some((_, ctx)) = running() else {
        return false;
    };
    if !ctx.is_unwinding() {
        ctx.suspend(Request::Yield);
    }
    true
}

/// This thread's context, if a fiber runs on it: for a caller that checks
/// "am I on a fiber?" and then uses the context (one thread-local read).
#[inline]
pub(crate) fn fiber_context<'a>() -> Option<&'a Context> {
    context().filter(|ctx| !ctx.running.get().is_null())
}

/// Whether this thread is a worker whose shutdown is unwinding its fibers.
pub(crate) fn carrier_unwinding() -> bool {
    context().is_some_and(Context::is_unwinding)
}

/// Whether this thread is a worker that has begun shutting down.
pub(crate) fn carrier_closing() -> bool {
    context().is_some_and(|ctx| carrier_of(ctx).is_closing())
}
