//! The stall warning: a watchdog thread that reports, once, a fiber that has
//! held its worker longer than a threshold without yielding or parking — a
//! std blocking call inside a fiber, or a long CPU loop.
//!
//! The worker pays almost nothing for it (Go's `sysmon` does the same):
//!
//! - Per fiber run, the worker publishes in its [`RunRecord`] the run's
//!   number (its `switches` count) and the running task's address — two
//!   plain stores — and clears the number when the fiber suspends: one
//!   more. No clock is read on the worker: the watchdog keeps the time.
//! - The watchdog wakes every `threshold / 2`. A worker whose run number is
//!   the one it saw at an earlier wake, and not 0, has run that one fiber
//!   at least since then; once that is `threshold` or more, the watchdog
//!   names the fiber on stderr (and, feature `tracing`, as an event;
//!   rate-limited: `stall_report.rs`) and counts a stall, once per run. So a run
//!   is reported between `threshold` and `2 * threshold` after it began, a
//!   run shorter than `threshold` never is, and the duration printed is a
//!   lower bound.
//!
//! The warning tells fiberio's own IO apart from a blocking call or a CPU
//! loop: it reads how many IO operations the run completed without waiting
//! (the worker context's IO-budget counter, published once per worker) and,
//! when some did, blames a stream that never runs dry and points at the IO
//! budget (`RuntimeBuilder::io_budget`) instead.
//!
//! Naming the fiber means reading its [`Task`] from another thread, which
//! must not race with the worker freeing it. The handshake (Dekker's):
//!
//! ```text
//! watchdog (inspect run r)              worker (before dropping a slot's task)
//!   inspecting := true      (SeqCst)      run := 0 (swap, SeqCst)
//!   run == r ?              (SeqCst)      while inspecting: yield
//!     yes: copy id and name of `task`
//!   inspecting := false
//! ```
//!
//! In the single order of SeqCst operations, either the watchdog reads `run`
//! before the worker's swap — then the worker sees `inspecting` and waits —
//! or after, and it reads 0 (or a later run), not `r`, and reads no task.
//! Every task address published from run `r` on belongs to a slot that is
//! retired after that swap, so whatever address the watchdog reads while
//! `run == r` held is live until it clears `inspecting`. It clears the flag
//! before it prints, so a worker never waits on stderr. The flag costs the
//! worker one locked instruction per *finished* fiber, none per switch.

use std::io;
use std::panic::Location;
use std::time::{Duration, Instant};

use super::runtime::RuntimeShared;
use super::stall_report::{self, RateLimit};
use crate::fiber::task::Task;
use crate::loom::static_atomic;
use crate::loom::sync::Arc;
use crate::loom::sync::atomic::{
    AtomicBool, AtomicU64, AtomicUsize,
    Ordering::{Acquire, Relaxed, Release, SeqCst},
};

/// The default stall threshold (see `RuntimeBuilder::stall_threshold`).
pub(crate) const DEFAULT_STALL_THRESHOLD: Duration = Duration::from_millis(100);
/// The smallest threshold a runtime accepts.
pub(crate) const MIN_STALL_THRESHOLD: Duration = Duration::from_millis(1);
/// The largest threshold a runtime accepts: a day. The watchdog adds half
/// the threshold to an `Instant`, which must not overflow, and a run a day
/// long is no longer a stall to warn about.
pub(crate) const MAX_STALL_THRESHOLD: Duration = Duration::from_secs(24 * 3600);

/// What a worker publishes about the fiber run in progress.
#[derive(Debug, Default)]
pub(crate) struct RunRecord {
    /// The number of the run in progress (the worker's `switches` count
    /// after it counted this run, so never 0); 0 while the worker is on its
    /// own stack. Written by the worker only.
    run: AtomicU64,
    /// The running fiber's `Task` (an exposed address); meaningful only
    /// while `run` is not 0. Written by the worker only.
    task: AtomicUsize,
    /// Set by the watchdog while it reads `task` (module docs).
    inspecting: AtomicBool,
    /// The worker's IO-budget counter (`Context::io_left`), published once
    /// as the worker starts; read, like `task`, only while a run is in
    /// progress, when the worker (and so its context) is alive.
    /// std's atomics in both modes, as the counter's: a statistic for the
    /// message, never a synchronisation.
    io_left: static_atomic::AtomicPtr<static_atomic::AtomicU32>,
    /// What that counter starts at in each run.
    io_budget: static_atomic::AtomicU32,
}

impl RunRecord {
    /// Worker, before resuming a fiber: run number `run` (not 0) of `task`.
    #[inline]
    pub(crate) fn begin(&self, run: u64, task: *const Task) {
        self.task.store(task.expose_provenance(), Relaxed);
        self.run.store(run, Release);
    }

    /// Worker, once the fiber has suspended or returned.
    #[inline]
    pub(crate) fn end(&self) {
        self.run.store(0, Relaxed);
    }

    /// Worker, before it drops the task reference of a slot it removes:
    /// waits until no watchdog reads a task through this record.
    pub(crate) fn retire(&self) {
        self.run.swap(0, SeqCst);
        while self.inspecting.load(SeqCst) {
            crate::loom::thread::yield_now();
        }
    }

    /// Worker, as it starts: where its context counts the running fiber's
    /// IO operations ([`Context::io_left`](crate::fiber::carrier::Context::io_left)).
    /// The context must outlive every run of this record.
    pub(crate) fn watch_io(&self, context: &crate::fiber::carrier::Context) {
        self.io_budget.store(context.io_budget(), static_atomic::Ordering::Relaxed);
        self.io_left
            .store(std::ptr::from_ref(context.io_left()).cast_mut(), static_atomic::Ordering::Release);
    }

    /// Watchdog (or a fiber dump): the run in progress, 0 if none.
    pub(super) fn sample(&self) -> u64 {
        self.run.load(Acquire)
    }

    /// Watchdog (or a fiber dump): the fiber of run `run`, if it still
    /// runs (module docs).
    pub(super) fn inspect(&self, run: u64) -> Option<RunningFiber> {
        self.inspecting.store(true, SeqCst);
        let fiber = (self.run.load(SeqCst) == run).then(|| {
            let task = std::ptr::with_exposed_provenance::<Task>(self.task.load(Acquire));
            // SAFETY: `run` was still in progress after `inspecting` was
            // set, so this address (of run `run` or a later one) belongs
            // to a slot whose retirement waits for `inspecting` to clear.
            let task = unsafe { &*task };
            let io_left = self.io_left.load(static_atomic::Ordering::Acquire);
            // SAFETY: published by `watch_io` from the worker's context,
            // which lives while the worker runs fibers, as run `run` was
            // after `inspecting` was set (see above).
            let io_done = unsafe { io_left.as_ref() }.map_or(0, |left| {
                self.io_budget
                    .load(static_atomic::Ordering::Relaxed)
                    .saturating_sub(left.load(static_atomic::Ordering::Relaxed))
            });
            let (id, name, location) = (task.id(), task.name().map(String::from), task.location());
            RunningFiber { id, name, location, io_done }
        });
        self.inspecting.store(false, Release);
        // The run may have ended while we read: then the address read may
        // be a later run's, and that fiber did not stall.
        fiber.filter(|_| self.run.load(SeqCst) == run)
    }
}

/// What [`RunRecord::inspect`] copies of a running fiber's task.
#[derive(Debug, Clone)]
pub(crate) struct RunningFiber {
    pub(crate) id: u64,
    pub(crate) name: Option<String>,
    /// Where it was spawned.
    pub(crate) location: &'static Location<'static>,
    /// IO operations it completed in this run without waiting (reads,
    /// writes, accepts that found the socket ready).
    pub(crate) io_done: u32,
}

/// Retires a worker's run record when dropped (see `worker_main`).
#[derive(Debug)]
pub(crate) struct RetireOnDrop<'a>(pub(crate) &'a RunRecord);

impl Drop for RetireOnDrop<'_> {
    fn drop(&mut self) {
        self.0.retire();
    }
}

/// The watchdog thread of one runtime, stopped and joined by [`stop`].
///
/// [`stop`]: Watchdog::stop
#[derive(Debug)]
pub(crate) struct Watchdog {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Watchdog {
    /// Starts watching `rt`'s workers (named `<name>-<i>`) for runs longer
    /// than `threshold`.
    pub(crate) fn start(rt: Arc<RuntimeShared>, threshold: Duration, name: &str) -> io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let watch = Watch {
            rt,
            threshold,
            workers: name.to_string(),
            stop: stop.clone(),
            limit: RateLimit::default(),
        };
        let thread =
            std::thread::Builder::new().name(format!("{name}-watchdog")).spawn(move || watch.run())?;
        Ok(Self { stop, thread })
    }

    /// Stops the watchdog and waits for its thread to exit.
    pub(crate) fn stop(self) {
        self.stop.store(true, SeqCst);
        self.thread.thread().unpark();
        if self.thread.join().is_err() {
            eprintln!("fiberio: the stall watchdog thread panicked");
        }
    }
}

/// The watchdog thread's state.
struct Watch {
    rt: Arc<RuntimeShared>,
    threshold: Duration,
    /// The workers' thread-name prefix, for the message.
    workers: String,
    stop: Arc<AtomicBool>,
    /// How often stalls are reported (`stall_report.rs`).
    limit: RateLimit,
}

/// What the watchdog last saw of one worker.
#[derive(Clone, Copy)]
struct Seen {
    /// The run in progress (0: none).
    run: u64,
    /// When the watchdog first saw that run in progress.
    since: Instant,
    /// Whether that run has been reported.
    reported: bool,
}

impl Watch {
    fn run(mut self) {
        let period = self.threshold / 2;
        let now = Instant::now();
        let mut seen = vec![Seen { run: 0, since: now, reported: false }; self.rt.workers.len()];
        let mut next = now + period;
        loop {
            // Unparked by `stop`; a spurious wake only re-checks the time.
            let now = Instant::now();
            if self.stop.load(SeqCst) || self.rt.is_shutdown() {
                return;
            }
            if now < next {
                crate::loom::thread::park_timeout(next - now);
                continue;
            }
            next = now + period;
            for (index, seen) in seen.iter_mut().enumerate() {
                self.check(index, seen, now);
            }
        }
    }

    /// One look at worker `index`.
    fn check(&mut self, index: usize, seen: &mut Seen, now: Instant) {
        let record = &self.rt.workers[index].run;
        let run = record.sample();
        if run == 0 || run != seen.run {
            *seen = Seen { run, since: now, reported: false };
            return;
        }
        let so_far = now - seen.since;
        if seen.reported || so_far < self.threshold {
            return;
        }
        seen.reported = true;
        if let Some(fiber) = record.inspect(run) {
            self.rt.workers[index].counters.stalls.bump_shared();
            if let Some(suppressed) = self.limit.allow(fiber.id, now) {
                let message = self.message(index, &fiber, so_far);
                stall_report::report(index, &fiber, so_far, &message, suppressed);
            }
        }
    }

    fn message(&self, index: usize, fiber: &RunningFiber, so_far: Duration) -> String {
        let head = format!(
            "fiberio: fiber '{name}' (id {id}) has run on worker {index} (thread {prefix}-{index}) \
             for at least {ms} ms without yielding or parking (it was spawned at {location}), \
             holding up that worker's other fibers",
            name = fiber.name.as_deref().unwrap_or("<unnamed>"),
            id = fiber.id,
            location = fiber.location,
            prefix = self.workers,
            ms = so_far.as_millis(),
        );
        let why = match (fiber.io_done, self.rt.io_budget) {
            (0, _) => "a std blocking call (std IO, std::thread::sleep, a std lock) or a long CPU \
                       loop? Use fiberio's net, fs and sync types or fiberio::unblock, or call \
                       fiberio::yield_now() in the loop"
                .to_string(),
            (done, 0) => format!(
                "not a blocking call: it completed {done} fiberio IO operations in this run, each \
                 finding its socket ready (a stream that never runs dry), and this runtime's IO \
                 budget is off (RuntimeBuilder::io_budget(0)), so it never yields for IO. Set a \
                 budget (the default is {default})",
                default = crate::fiber::carrier::DEFAULT_IO_BUDGET,
            ),
            (done, budget) => format!(
                "not a blocking call: it completed {done} fiberio IO operations in this run, each \
                 finding its socket ready, with long work between them (it yields only after \
                 {budget}, RuntimeBuilder::io_budget). Lower the budget or call \
                 fiberio::yield_now() in the loop"
            ),
        };
        format!(
            "{head}: {why}. (Stall threshold {threshold} ms: FIBERIO_STALL_WARNING_MS or \
             RuntimeBuilder::stall_threshold; 0 or None turns this warning off.)",
            threshold = self.threshold.as_millis(),
        )
    }
}
