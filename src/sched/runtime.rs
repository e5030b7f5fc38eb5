//! The runtime: its workers, spawning onto them, `block_on`, shutdown, and
//! the global runtime that starts on first use.

use std::fmt;
use std::io;
use std::sync::OnceLock;
use std::time::Duration;

use super::builder::RuntimeBuilder;
use super::context;
use super::fibers::abandon;
use super::metrics::WorkerMetrics;
use super::queue::Unstarted;
use super::stall::{RetireOnDrop, Watchdog};
use super::worker::{Worker, WorkerShared};
use crate::fiber::{Builder, JoinHandle};
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{Arc, Mutex};
use crate::stack::{FiberStack, StackPool};

/// What every worker of a runtime shares.
#[derive(Debug)]
pub(crate) struct RuntimeShared {
    pub(crate) workers: Vec<Arc<WorkerShared>>,
    pub(crate) stack_pool: Arc<StackPool>,
    shutdown: AtomicBool,
    /// Workers that have announced sleep (race 8: spawners read it).
    pub(crate) sleepers: AtomicUsize,
    /// Round-robin cursor for fibers spawned from outside the runtime.
    next_remote: AtomicUsize,
}

impl RuntimeShared {
    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(SeqCst)
    }

    /// The default stack size of this runtime's fibers.
    pub(crate) fn stack_size(&self) -> usize {
        self.stack_pool.stack_size()
    }

    /// Whether any worker has an unstarted fiber: the sleep re-check,
    /// under each queue's lock (see `queue.rs` for why that suffices).
    pub(crate) fn any_unstarted(&self) -> bool {
        self.workers.iter().any(|w| !w.unstarted.is_empty_locked())
    }

    /// This thread's worker, if it is one of this runtime's.
    pub(crate) fn local_worker(&self) -> Option<&Worker> {
        context::worker().filter(|w| std::ptr::eq(&*w.rt as *const RuntimeShared, self))
    }

    /// A stack of `size` bytes: from this worker's cache when on one of
    /// our workers, else from the runtime's pool (or freshly mapped).
    pub(crate) fn alloc_stack(&self, local: Option<&Worker>, size: usize) -> io::Result<FiberStack> {
        match local {
            Some(w) => w.stacks.borrow_mut().get(size),
            None if size == self.stack_pool.stack_size() => self.stack_pool.get(),
            None => FiberStack::new(size),
        }
    }

    /// Queues a new fiber: on this worker when spawned from one of our
    /// fibers (see `Worker::push_local`), else on the next worker in turn.
    /// A lone new fiber runs next on its spawner's worker (cheap
    /// spawn+join); a second one waiting is work another core could do now,
    /// so it wakes a sleeping worker to steal. After shutdown the fiber is
    /// completed at once with the shutdown error.
    pub(crate) fn submit(&self, local: Option<&Worker>, fiber: Unstarted) {
        let (pushed, notify_target) = match local {
            Some(w) => (w.push_local(fiber), None),
            None => {
                let target = &self.workers[self.next_remote.fetch_add(1, SeqCst) % self.workers.len()];
                (target.unstarted.push(fiber).map(|before| before >= 1), Some(target))
            }
        };
        match pushed {
            Err(fiber) => abandon(fiber),
            Ok(crowded) => {
                // An awake target may be busy for long: let a sleeping worker
                // come and steal (Go's `wakep`), as for a crowded queue.
                let target_awake = notify_target.is_some_and(|t| !t.notify());
                if crowded || target_awake {
                    self.notify_sleeper();
                }
            }
        }
    }

    /// Wakes one sleeping worker, if any sleeps, so it can steal.
    fn notify_sleeper(&self) {
        if let Some(i) = super::idle::notify_one(&self.sleepers, self.workers.iter().map(|w| &w.sleep)) {
            self.workers[i].write_eventfd();
        }
    }

    fn begin_shutdown(&self) {
        self.shutdown.store(true, SeqCst);
        for w in &self.workers {
            w.notify();
        }
    }
}

/// A fiberio runtime: one worker thread per core, each running fibers.
///
/// Most programs use the global runtime through [`spawn`](crate::spawn);
/// build one explicitly to choose the worker count or stack size, to run a
/// closure to completion with [`block_on`](Runtime::block_on), or to shut
/// down cleanly.
///
/// Dropping the runtime (or [`shutdown`](Runtime::shutdown)) stops every
/// worker: each unwinds its suspended fibers — their destructors run —
/// drops the fibers that never started, and exits. Joining such a fiber
/// returns `Err` with a message saying the runtime shut down.
///
/// ```
/// let rt = fiberio::Runtime::builder().workers(2).build().unwrap();
/// let total = rt.block_on(|| {
///     let hs: Vec<_> = (1..=4u32).map(|i| fiberio::spawn(move || i * 10)).collect();
///     hs.into_iter().map(|h| h.join().unwrap()).sum::<u32>()
/// });
/// assert_eq!(total, 100);
/// rt.shutdown();
/// ```
pub struct Runtime {
    shared: Arc<RuntimeShared>,
    threads: Mutex<Vec<std::thread::JoinHandle<()>>>,
    /// The stall watchdog, unless the warning is off; stopped at shutdown.
    watchdog: Option<Watchdog>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime").field("workers", &self.shared.workers.len()).finish_non_exhaustive()
    }
}

impl Runtime {
    /// A builder to configure a runtime.
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder::new()
    }

    /// A runtime with the default configuration (see [`RuntimeBuilder`]).
    ///
    /// # Errors
    ///
    /// As [`RuntimeBuilder::build`].
    pub fn new() -> io::Result<Self> {
        Self::builder().build()
    }

    /// Starts the workers and the stall watchdog (called by the builder
    /// with a checked config).
    pub(crate) fn start(
        workers: usize,
        stack_size: usize,
        stall: Option<Duration>,
        name: &str,
    ) -> io::Result<Self> {
        let mut shared_workers = Vec::with_capacity(workers);
        for index in 0..workers {
            shared_workers.push(Arc::new(WorkerShared::new(index)?));
        }
        let shared = Arc::new(RuntimeShared {
            workers: shared_workers,
            stack_pool: Arc::new(StackPool::new(stack_size)),
            shutdown: AtomicBool::new(false),
            sleepers: AtomicUsize::new(0),
            next_remote: AtomicUsize::new(0),
        });
        let mut runtime = Self { shared: shared.clone(), threads: Mutex::new(Vec::new()), watchdog: None };
        for index in 0..workers {
            let rt = shared.clone();
            let thread = std::thread::Builder::new()
                .name(format!("{name}-{index}"))
                .spawn(move || worker_main(rt, index))?;
            crate::loom::lock(&runtime.threads).push(thread);
        }
        if let Some(threshold) = stall {
            runtime.watchdog = Some(Watchdog::start(shared, threshold, name)?);
        }
        Ok(runtime)
    }

    /// Spawns a fiber on this runtime (see [`crate::spawn`]).
    ///
    /// # Panics
    ///
    /// When the fiber's stack cannot be mapped; [`Builder::spawn`] returns
    /// that error instead.
    pub fn spawn<F, T>(&self, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        match Builder::new().spawn_on(&self.shared, f) {
            Ok(handle) => handle,
            Err(e) => panic!("{e}"),
        }
    }

    /// Runs `f` on a fiber of this runtime and blocks the calling thread (or
    /// parks the calling fiber) until it returns; returns its result.
    ///
    /// Unlike `spawn`, `f` may borrow from the caller: `block_on` does not
    /// return before `f` has finished or been dropped.
    ///
    /// # Panics
    ///
    /// Resumes the panic if `f` panics, and panics if the runtime shuts
    /// down before `f` finishes or its stack cannot be mapped.
    pub fn block_on<'a, F, T>(&self, f: F) -> T
    where
        F: FnOnce() -> T + Send + 'a,
        T: Send + 'a,
    {
        super::block_on::block_on(&self.shared, f)
    }

    /// Number of worker threads.
    pub fn workers(&self) -> usize {
        self.shared.workers.len()
    }

    /// A snapshot of each worker's counters, indexed by worker.
    pub fn metrics(&self) -> Vec<WorkerMetrics> {
        self.shared.workers.iter().map(|w| w.counters.snapshot()).collect()
    }

    /// Stops the runtime: every worker unwinds its fibers and exits; this
    /// returns once they have (see the type's docs). Dropping the runtime
    /// does the same.
    pub fn shutdown(self) {
        drop(self);
    }

    pub(crate) fn shared(&self) -> &Arc<RuntimeShared> {
        &self.shared
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shared.begin_shutdown();
        if let Some(watchdog) = self.watchdog.take() {
            watchdog.stop();
        }
        let threads = std::mem::take(&mut *crate::loom::lock(&self.threads));
        let me = std::thread::current().id();
        for thread in threads {
            // Dropped from one of its own fibers: that worker cannot be
            // joined from itself; it shuts down once this fiber suspends
            // or returns.
            if thread.thread().id() != me {
                let name = thread.thread().name().unwrap_or("fiberio worker").to_string();
                if let Err(payload) = thread.join() {
                    // A worker dies only on a bug in fiberio itself (user
                    // panics are caught per fiber): say so, do not hide it.
                    let msg = payload
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| payload.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    eprintln!("fiberio: worker thread {name} panicked: {msg}");
                }
            }
        }
    }
}

/// The body of a worker thread.
fn worker_main(rt: Arc<RuntimeShared>, index: usize) {
    if let Err(e) = crate::stack::overflow::install_on_this_thread() {
        eprintln!("fiberio: worker {index}: stack overflow reports disabled: {e}");
    }
    let worker = Worker::new(rt, index);
    // Dropped before `worker`: a worker that dies on a bug drops its fibers'
    // tasks without `leave`, so it must retire its run record first.
    let _retire = RetireOnDrop(&worker.shared.run);
    context::enter_worker(&worker, || worker.run());
    debug_assert_eq!(worker.live_fibers(), 0);
}

static GLOBAL: OnceLock<Result<Runtime, (io::ErrorKind, String)>> = OnceLock::new();

/// The global runtime, started on first use from the environment
/// (`FIBERIO_WORKERS`, else one worker per core).
pub(crate) fn global() -> io::Result<&'static Runtime> {
    let rt = GLOBAL.get_or_init(|| {
        RuntimeBuilder::new().name("fiberio-global").build().map_err(|e| (e.kind(), e.to_string()))
    });
    match rt {
        Ok(rt) => Ok(rt),
        Err((kind, msg)) => Err(io::Error::new(*kind, msg.clone())),
    }
}

/// Runs `f` with the runtime new fibers go to: the current fiber's, else
/// the global one.
pub(crate) fn with_spawn_target<R>(f: impl FnOnce(&Arc<RuntimeShared>) -> R) -> io::Result<R> {
    match context::worker() {
        Some(w) => Ok(f(&w.rt)),
        None => Ok(f(global()?.shared())),
    }
}
