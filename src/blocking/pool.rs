//! The helper threads: a bounded pool that grows on demand and shrinks
//! when idle.
//!
//! One process-wide pool serves every runtime and every fiber. Its state
//! sits under one mutex, with one condition variable that idle helpers
//! wait on:
//!
//! ```text
//!  submit(job) ──push──> queue ──pop──> helper runs job ──> pops again
//!      │                                    │ queue empty
//!      ├─ an idle helper? claim it: idle -= 1, notified += 1, notify_one
//!      ├─ else live < max? live += 1, start a thread "fiberio-helper"
//!      └─ else: the job waits in the queue for the next helper to finish
//!                                           v
//!                        idle += 1, wait ≤ idle timeout on the condvar
//!                        ├─ notified > 0: take the claim, pop the queue
//!                        └─ timed out unclaimed: idle -= 1; exit if the
//!                           queue is empty (live -= 1)
//! ```
//!
//! Invariants, all under the mutex:
//! - `idle` counts helpers waiting on the condvar that no submitter has
//!   claimed; a claim (`notified`) is taken by whichever waiting helper
//!   wakes first, so a spurious or stolen wakeup loses no job.
//! - A job in the queue always has a helper coming: a claimed idle one, a
//!   busy one (which pops the queue before it waits), or one being
//!   started. A helper exits only when the queue is empty.
//! - When a thread cannot be started and no helper is alive, nobody will
//!   ever pop the queue: every queued job is refused with the error
//!   ([`Job::refuse`]), so its fiber gets the error instead of hanging.
//!
//! No user code runs under the mutex: jobs run, and refused jobs are
//! dropped, after it is released.

use std::collections::VecDeque;
use std::io;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::loom::lock;
use crate::loom::sync::{Condvar, Mutex};

/// The most helper threads by default (see `unblock`'s docs for why).
pub(crate) const DEFAULT_MAX_HELPERS: usize = 512;
/// The environment variable that overrides [`DEFAULT_MAX_HELPERS`].
pub(crate) const MAX_HELPERS_ENV: &str = "FIBERIO_MAX_HELPERS";
/// How long a helper waits for work before it exits.
pub(crate) const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// The name of every helper thread.
pub(crate) const THREAD_NAME: &str = "fiberio-helper";

/// A unit of work for a helper. Both methods consume the job; neither may
/// unwind (they catch what the user code they run throws).
pub(crate) trait Job: Send {
    /// Runs the job on a helper thread.
    fn run(self: Box<Self>);
    /// No helper will ever run the job: report `err` to whoever waits.
    fn refuse(self: Box<Self>, err: io::Error);
}

/// The pool (see the module docs).
#[derive(Debug)]
pub(crate) struct BlockingPool {
    /// Everything that changes, under one lock.
    state: Mutex<State>,
    /// Idle helpers wait here; signalled by claims and by limit changes.
    work: Condvar,
    /// Starts a helper thread running `helper_main` (a test double in unit
    /// tests, to make the OS refuse).
    start_thread: fn(&'static BlockingPool) -> io::Result<()>,
}

struct State {
    /// Jobs waiting for a helper, oldest first.
    queue: VecDeque<Box<dyn Job>>,
    /// Helper threads alive, or being started.
    live: usize,
    /// Waiting helpers not yet claimed by a submitter.
    idle: usize,
    /// Claims made by submitters and not yet taken by a waiting helper.
    notified: usize,
    /// The cap on `live`.
    max: usize,
    /// How long an unclaimed helper waits before it exits.
    idle_timeout: Duration,
    /// Helper threads started since the pool was created.
    started: u64,
    /// Jobs run to completion (or to their panic) since then.
    completed: u64,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("queued", &self.queue.len())
            .field("live", &self.live)
            .field("idle", &self.idle)
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

/// A snapshot of the pool's counters (see `blocking_pool_metrics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot {
    pub(crate) live: usize,
    pub(crate) idle: usize,
    pub(crate) queued: usize,
    pub(crate) max: usize,
    pub(crate) started: u64,
    pub(crate) completed: u64,
}

static POOL: OnceLock<Result<BlockingPool, (io::ErrorKind, String)>> = OnceLock::new();

/// The process-wide pool, created on first use from the environment.
///
/// # Errors
///
/// `InvalidInput` when `FIBERIO_MAX_HELPERS` is not a positive integer.
pub(crate) fn global() -> io::Result<&'static BlockingPool> {
    let pool = POOL
        .get_or_init(|| max_from_env().map(|max| BlockingPool::new(max, DEFAULT_IDLE_TIMEOUT, start_helper)));
    pool.as_ref().map_err(|(kind, msg)| io::Error::new(*kind, msg.clone()))
}

fn max_from_env() -> Result<usize, (io::ErrorKind, String)> {
    let Some(value) = std::env::var_os(MAX_HELPERS_ENV) else {
        return Ok(DEFAULT_MAX_HELPERS);
    };
    match value.to_str().and_then(|v| v.trim().parse::<usize>().ok()) {
        Some(n) if n > 0 => Ok(n),
        _ => Err((
            io::ErrorKind::InvalidInput,
            format!(
                "fiberio: {MAX_HELPERS_ENV}={value:?} is not a positive number of helper threads; \
                 set it to 1 or more, or unset it for the default of {DEFAULT_MAX_HELPERS}"
            ),
        )),
    }
}

/// Starts a named helper thread for `pool`.
fn start_helper(pool: &'static BlockingPool) -> io::Result<()> {
    std::thread::Builder::new().name(THREAD_NAME.into()).spawn(move || pool.helper_main()).map(drop)
}

impl BlockingPool {
    pub(crate) fn new(
        max: usize,
        idle_timeout: Duration,
        start_thread: fn(&'static BlockingPool) -> io::Result<()>,
    ) -> Self {
        let state = State {
            queue: VecDeque::new(),
            live: 0,
            idle: 0,
            notified: 0,
            max: max.max(1),
            idle_timeout,
            started: 0,
            completed: 0,
        };
        Self { state: Mutex::new(state), work: Condvar::new(), start_thread }
    }

    /// Queues `job` and makes sure a helper will run it: claims an idle
    /// helper, else starts one if under the cap, else leaves it for the
    /// next helper that finishes. If no helper exists and none can be
    /// started, the queued jobs are refused with the error.
    pub(crate) fn submit(&'static self, job: Box<dyn Job>) {
        let mut s = lock(&self.state);
        s.queue.push_back(job);
        if s.idle > 0 {
            s.idle -= 1;
            s.notified += 1;
            drop(s);
            self.work.notify_one();
            return;
        }
        if s.live >= s.max {
            return;
        }
        s.live += 1;
        drop(s);
        let Err(err) = (self.start_thread)(self) else {
            return;
        };
        let mut s = lock(&self.state);
        s.live -= 1;
        if s.live > 0 {
            // A live helper pops the queue before it waits or exits.
            return;
        }
        let refused: Vec<_> = s.queue.drain(..).collect();
        drop(s);
        let err = io::Error::new(
            err.kind(),
            format!("fiberio: no helper thread runs and none can be started for unblock: {err}"),
        );
        for job in refused {
            job.refuse(io::Error::new(err.kind(), err.to_string()));
        }
    }

    /// A helper thread's life: run queued jobs; wait for a claim when the
    /// queue is empty; exit after the idle timeout without one.
    fn helper_main(&self) {
        let mut s = lock(&self.state);
        s.started += 1;
        loop {
            if let Some(job) = s.queue.pop_front() {
                drop(s);
                job.run();
                s = lock(&self.state);
                s.completed += 1;
                continue;
            }
            s.idle += 1;
            let since = Instant::now();
            loop {
                let (timeout, waited) = (s.idle_timeout, since.elapsed());
                if waited >= timeout {
                    // Unclaimed (a claim is taken right after each wait).
                    s.idle -= 1;
                    if s.queue.is_empty() {
                        s.live -= 1;
                        return;
                    }
                    break;
                }
                s = match self.work.wait_timeout(s, timeout - waited) {
                    Ok((guard, _)) => guard,
                    Err(poisoned) => poisoned.into_inner().0,
                };
                if s.notified > 0 {
                    s.notified -= 1;
                    break;
                }
            }
        }
    }

    /// Changes the cap and the idle timeout; waiting helpers re-check
    /// their deadline against the new timeout at once.
    pub(crate) fn set_limits(&self, max: usize, idle_timeout: Duration) {
        let mut s = lock(&self.state);
        s.max = max.max(1);
        s.idle_timeout = idle_timeout;
        drop(s);
        self.work.notify_all();
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        let s = lock(&self.state);
        Snapshot {
            live: s.live,
            idle: s.idle,
            queued: s.queue.len(),
            max: s.max,
            started: s.started,
            completed: s.completed,
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::loom::static_atomic::AtomicUsize;
    use crate::loom::sync::Arc;
    use crate::loom::sync::atomic::{AtomicBool, Ordering::SeqCst};

    /// Records whether it ran or was refused (and with what).
    struct Probe {
        gate: Arc<AtomicBool>,
        outcome: ProbeOutcome,
    }

    impl Job for Probe {
        fn run(self: Box<Self>) {
            while !self.gate.load(SeqCst) {
                std::thread::sleep(Duration::from_millis(1));
            }
            let name = std::thread::current().name().unwrap_or("").to_string();
            *lock(&self.outcome) = Some(Ok(name));
        }
        fn refuse(self: Box<Self>, err: io::Error) {
            *lock(&self.outcome) = Some(Err(err));
        }
    }

    /// Where a probe's result lands: the helper's name, or the refusal.
    type ProbeOutcome = Arc<Mutex<Option<Result<String, io::Error>>>>;

    fn probe(open: bool) -> (Box<Probe>, Arc<AtomicBool>, ProbeOutcome) {
        let (gate, outcome) = (Arc::new(AtomicBool::new(open)), Arc::new(Mutex::new(None)));
        (Box::new(Probe { gate: gate.clone(), outcome: outcome.clone() }), gate, outcome)
    }

    fn wait_for<T>(m: &Mutex<Option<T>>) -> T {
        loop {
            if let Some(v) = lock(m).take() {
                return v;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn refuse_to_start(_: &'static BlockingPool) -> io::Result<()> {
        Err(io::Error::new(io::ErrorKind::WouldBlock, "EAGAIN, simulated"))
    }

    #[test]
    fn with_no_helper_and_none_startable_the_job_is_refused() {
        let pool: &'static BlockingPool =
            Box::leak(Box::new(BlockingPool::new(4, DEFAULT_IDLE_TIMEOUT, refuse_to_start)));
        let (job, _, outcome) = probe(true);
        pool.submit(job);
        let err = wait_for(&outcome).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock, "the OS error's kind is kept");
        assert!(err.to_string().contains("no helper thread runs and none can be started"), "{err}");
        let s = pool.snapshot();
        assert_eq!((s.live, s.queued), (0, 0));
    }

    /// 1: the next thread start fails.
    static FAIL_NEXT: AtomicUsize = AtomicUsize::new(0);

    fn start_unless_told_not_to(pool: &'static BlockingPool) -> io::Result<()> {
        if FAIL_NEXT.load(SeqCst) == 1 { refuse_to_start(pool) } else { start_helper(pool) }
    }

    #[test]
    fn with_a_helper_alive_a_failed_start_queues_the_job() {
        let pool: &'static BlockingPool =
            Box::leak(Box::new(BlockingPool::new(4, DEFAULT_IDLE_TIMEOUT, start_unless_told_not_to)));
        let (first, gate, first_outcome) = probe(false);
        pool.submit(first);
        // The helper has taken the first job and is busy with it.
        while pool.snapshot() != (Snapshot { queued: 0, started: 1, ..pool.snapshot() }) {
            std::thread::sleep(Duration::from_millis(1));
        }
        FAIL_NEXT.store(1, SeqCst);
        let (second, _, second_outcome) = probe(true);
        pool.submit(second);
        assert_eq!(pool.snapshot().queued, 1);
        gate.store(true, SeqCst);
        assert_eq!(wait_for(&first_outcome).unwrap(), THREAD_NAME);
        assert_eq!(wait_for(&second_outcome).unwrap(), THREAD_NAME, "run by the live helper");
        assert_eq!(pool.snapshot().started, 1);
    }
}
