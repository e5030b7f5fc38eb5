//! A runtime's workers: what they share ([`RuntimeShared`]), spawning onto
//! them, starting and stopping their threads ([`RuntimeCore`]), and the
//! global runtime that starts on first use. The public `Runtime` is a thin
//! face over a `RuntimeCore` (`src/runtime/`).

use std::fmt;
use std::io;
use std::sync::OnceLock;
use std::time::Duration;

use super::config::Config;
use super::context;
use super::debugger;
use super::fibers::abandon;
use super::idle::Workers;
use super::metrics::WorkerMetrics;
use super::queue::Unstarted;
use super::spin::Spinners;
use super::stall::{RetireOnDrop, Watchdog};
use super::worker::{Worker, WorkerShared};
use crate::fiber::carrier::{enter_carrier, yield_running_uncancelled};
use crate::fiber::task::{Output, Spec, Task};
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{Arc, Mutex};
use crate::stack::{self, FiberStack, StackPool};

/// A fiber body, its result type erased.
pub(crate) type Body = Box<dyn FnOnce() -> Output + Send>;

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
    /// Workers spinning before they sleep, and how many may (`spin.rs`).
    pub(crate) spinners: Spinners,
    /// IO operations a fiber completes in one run before it yields (0: no
    /// limit; `fiber::carrier::Context::spend_io`).
    pub(crate) io_budget: u32,
}

impl RuntimeShared {
    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(SeqCst)
    }

    /// The default stack size of this runtime's fibers.
    pub(crate) fn stack_size(&self) -> usize {
        self.stack_pool.stack_size()
    }

    /// The workers as sleep/notify sees them (`idle.rs`): where the sleep
    /// re-check, the spawner's wakes, stealing and the shutdown broadcast
    /// are written.
    pub(crate) fn workers(&self) -> Workers<'_, WorkerShared> {
        Workers {
            workers: &self.workers,
            sleepers: &self.sleepers,
            shutdown: &self.shutdown,
            next_remote: &self.next_remote,
        }
    }

    /// This thread's worker, if it is one of this runtime's.
    fn local_worker(&self) -> Option<&Worker> {
        context::worker().filter(|w| std::ptr::eq(&*w.rt as *const RuntimeShared, self))
    }

    /// A stack of `size` bytes: from this worker's cache when on one of
    /// our workers, else from the runtime's pool (or freshly mapped).
    fn alloc_stack(&self, local: Option<&Worker>, size: usize) -> io::Result<FiberStack> {
        match local {
            Some(w) => w.stacks.borrow_mut().get(size),
            None if size == self.stack_pool.stack_size() => self.stack_pool.get(),
            None => FiberStack::new(size),
        }
    }

    /// Creates a fiber running `body` — as `spec` describes it, with a
    /// stack of `stack_size` bytes or the runtime's default — and queues it.
    ///
    /// # Errors
    ///
    /// A stack size under the minimum, or a stack that cannot be mapped.
    pub(crate) fn spawn(&self, spec: Spec, stack_size: Option<usize>, body: Body) -> io::Result<Arc<Task>> {
        let size = match stack_size {
            Some(size) => stack::check_size(size)?,
            None => self.stack_size(),
        };
        let local = self.local_worker();
        let stack = self.alloc_stack(local, size)?;
        let task = Arc::new(Task::new(spec, stack.guard(), stack.size()));
        self.submit(local, Unstarted { task: task.clone(), stack, body });
        // A fiber spawning in a loop yields now and then to its worker's
        // other fibers (`SPAWN_BUDGET`); not a cancellation point.
        if local.is_some_and(Worker::spend_spawn_budget) {
            yield_running_uncancelled();
        }
        Ok(task)
    }

    /// Queues a new fiber: on this worker when spawned from one of our
    /// fibers (see `Worker::push_local`), else on the next worker in turn.
    /// A lone new fiber runs next on its spawner's worker (cheap
    /// spawn+join); a second one waiting is work another core could do now,
    /// so it wakes a sleeping worker to steal (`Workers::submit`). After
    /// shutdown the fiber is completed at once with the shutdown error.
    fn submit(&self, local: Option<&Worker>, fiber: Unstarted) {
        let push_local = local.map(|w| |fiber| w.push_local(fiber));
        self.workers().submit(fiber, push_local, abandon);
    }
}

/// A runtime's worker threads and stall watchdog: started by
/// [`Config::start`], stopped — every fiber unwound — when dropped.
pub(crate) struct RuntimeCore {
    shared: Arc<RuntimeShared>,
    threads: Mutex<Vec<std::thread::JoinHandle<()>>>,
    /// The stall watchdog, unless the warning is off; stopped at shutdown.
    watchdog: Option<Watchdog>,
}

impl fmt::Debug for RuntimeCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeCore").field("workers", &self.shared.workers.len()).finish_non_exhaustive()
    }
}

impl RuntimeCore {
    /// Starts the workers and the stall watchdog (with a checked config).
    pub(crate) fn start(
        workers: usize,
        stack_size: usize,
        stall: Option<Duration>,
        io_budget: u32,
        name: &str,
    ) -> io::Result<Self> {
        #[cfg(feature = "hook")]
        crate::hook::link();
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
            spinners: Spinners::new(workers),
            io_budget,
        });
        let mut core = Self { shared: shared.clone(), threads: Mutex::new(Vec::new()), watchdog: None };
        for index in 0..workers {
            let rt = shared.clone();
            let thread = std::thread::Builder::new()
                .name(format!("{name}-{index}"))
                .spawn(move || worker_main(rt, index))?;
            crate::loom::lock(&core.threads).push(thread);
        }
        if let Some(threshold) = stall {
            core.watchdog = Some(Watchdog::start(shared, threshold, name)?);
        }
        Ok(core)
    }

    /// What the workers share.
    pub(crate) fn shared(&self) -> &Arc<RuntimeShared> {
        &self.shared
    }

    /// A snapshot of each worker's counters, indexed by worker.
    pub(crate) fn metrics(&self) -> Vec<WorkerMetrics> {
        self.shared.workers.iter().map(|w| w.counters.snapshot()).collect()
    }
}

impl Drop for RuntimeCore {
    fn drop(&mut self) {
        super::dump_signal::unregister(&self.shared);
        self.shared.workers().begin_shutdown();
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
    worker.shared.run.watch_io(&worker.context);
    // On the debugger's list (`debugger.rs`) for as long as it runs.
    debugger::link(&worker);
    let _linked = debugger::Linked(&worker);
    // The thread's poller (where its fibers register fds), carrier (how they
    // park) and worker (how they are spawned and scheduled), for its life.
    let poller = worker.shared.poller.clone();
    poller.enter(|| {
        enter_carrier(&worker, &worker.context, || context::enter_worker(&worker, || worker.run()))
    });
    debug_assert_eq!(worker.live_fibers(), 0);
}

static GLOBAL: OnceLock<Result<RuntimeCore, (io::ErrorKind, String)>> = OnceLock::new();

/// The global runtime, started on first use from the environment
/// (`FIBERIO_WORKERS`, else one worker per core).
pub(crate) fn global() -> io::Result<&'static RuntimeCore> {
    let rt = GLOBAL.get_or_init(|| {
        let config = Config { name: Some("fiberio-global".into()), ..Config::default() };
        config.start().map_err(|e| (e.kind(), e.to_string()))
    });
    match rt {
        Ok(rt) => Ok(rt),
        Err((kind, msg)) => Err(io::Error::new(*kind, msg.clone())),
    }
}

/// The global runtime if it has started (and started without error);
/// never starts it.
pub(crate) fn global_if_started() -> Option<&'static RuntimeCore> {
    GLOBAL.get().and_then(|rt| rt.as_ref().ok())
}

/// Spawns a fiber (see [`RuntimeShared::spawn`]) on the runtime new
/// fibers go to: the current fiber's, else the global one.
pub(crate) fn spawn(spec: Spec, stack_size: Option<usize>, body: Body) -> io::Result<Arc<Task>> {
    match context::worker() {
        Some(w) => w.rt.spawn(spec, stack_size, body),
        None => global()?.shared().spawn(spec, stack_size, body),
    }
}
