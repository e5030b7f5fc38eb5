//! The public runtime: [`Runtime`], built by [`RuntimeBuilder`], with
//! [`Runtime::block_on`]. Above the task API (it spawns and joins) and the
//! scheduler (`sched::RuntimeCore` owns the worker threads).

use std::fmt;
use std::io;

mod block_on;
mod builder;

pub use crate::sched::{
    DumpOptions, FiberDump, FiberInfo, FiberState, WaitReason, WorkerDump, WorkerMetrics,
};
pub use builder::RuntimeBuilder;

use crate::sched::RuntimeCore;
use crate::task::{Builder, JoinHandle};

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
    core: RuntimeCore,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime").field("workers", &self.workers()).finish_non_exhaustive()
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

    /// The scheduler core (for `fiberio::__bench`).
    pub(crate) fn core(&self) -> &RuntimeCore {
        &self.core
    }

    pub(crate) fn from_core(core: RuntimeCore) -> Self {
        Self { core }
    }

    /// Spawns a fiber on this runtime (see [`crate::spawn`]).
    ///
    /// # Panics
    ///
    /// When the fiber's stack cannot be mapped; [`Builder::spawn`] returns
    /// that error instead.
    #[track_caller]
    pub fn spawn<F, T>(&self, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        match Builder::new().spawn_on(self.core.shared(), f) {
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
    #[track_caller]
    pub fn block_on<'a, F, T>(&self, f: F) -> T
    where
        F: FnOnce() -> T + Send + 'a,
        T: Send + 'a,
    {
        block_on::block_on(self.core.shared(), f)
    }

    /// Number of worker threads.
    pub fn workers(&self) -> usize {
        self.core.shared().workers.len()
    }

    /// A snapshot of each worker's counters, indexed by worker.
    pub fn metrics(&self) -> Vec<WorkerMetrics> {
        self.core.metrics()
    }

    /// A snapshot of each worker's counters of the global runtime — the
    /// one [`spawn`](crate::spawn) uses when called from a plain thread —
    /// indexed by worker; `None` if it has not started (it starts on the
    /// first such spawn; reading its metrics does not start it) or could
    /// not start (an invalid `FIBERIO_WORKERS`, for one).
    ///
    /// ```
    /// let h = fiberio::spawn(|| fiberio::sleep(std::time::Duration::from_millis(1)));
    /// h.join().unwrap();
    /// let metrics = fiberio::Runtime::global_metrics().expect("spawn started the global runtime");
    /// let started: u64 = metrics.iter().map(|m| m.started).sum();
    /// assert!(started >= 1);
    /// let parks: u64 = metrics.iter().map(|m| m.parks).sum();
    /// assert!(parks >= 1, "the sleep parked its fiber");
    /// ```
    pub fn global_metrics() -> Option<Vec<WorkerMetrics>> {
        crate::sched::global_if_started().map(RuntimeCore::metrics)
    }

    /// A fiber dump: every fiber of this runtime — its id, name, worker,
    /// state (running, runnable, or parked on what: an fd, a timer, a
    /// lock, a channel, a join, the helper pool), for how long, where it
    /// was spawned, and the backtrace of each parked one. Its `Display`
    /// reads like Go's goroutine dump. Waits up to 1 s for the workers
    /// ([`dump_with`](Self::dump_with) to choose).
    ///
    /// Each worker describes its own fibers between two fiber runs, so the
    /// dump costs each worker about one short fiber run per fiber (a
    /// resume and a stack walk, for the backtraces). It changes no fiber's
    /// outcome: a parked fiber stays parked on the same wait, and a wake
    /// that arrives meanwhile is delivered as usual. Callable from a fiber
    /// (of this runtime or another) or a thread.
    ///
    /// ```
    /// use fiberio::{FiberState, WaitReason};
    /// use std::time::Duration;
    ///
    /// let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    /// let (tx, rx) = fiberio::sync::mpsc::sync_channel::<u32>(1);
    /// let h = rt.spawn(move || rx.recv().unwrap());
    /// // Wait until it has parked on the channel.
    /// let parked = |rt: &fiberio::Runtime| {
    ///     rt.dump().fiber(h.fiber().id()).map(|f| f.state)
    /// };
    /// while !matches!(parked(&rt), Some(FiberState::Parked { on: WaitReason::Recv { .. }, .. })) {
    ///     std::thread::yield_now();
    /// }
    /// println!("{}", rt.dump());
    /// tx.send(7).unwrap();
    /// assert_eq!(h.join().unwrap(), 7);
    /// ```
    pub fn dump(&self) -> FiberDump {
        self.dump_with(DumpOptions::new())
    }

    /// [`dump`](Self::dump) with `options`: without backtraces, or with
    /// another timeout.
    pub fn dump_with(&self, options: DumpOptions) -> FiberDump {
        FiberDump::take(self.core.shared(), options)
    }

    /// A fiber dump of the global runtime (see [`dump`](Self::dump));
    /// `None` if it has not started, as for
    /// [`global_metrics`](Self::global_metrics).
    pub fn global_dump() -> Option<FiberDump> {
        Self::global_dump_with(DumpOptions::new())
    }

    /// [`global_dump`](Self::global_dump) with `options`.
    pub fn global_dump_with(options: DumpOptions) -> Option<FiberDump> {
        crate::sched::global_if_started().map(|rt| FiberDump::take(rt.shared(), options))
    }

    /// Stops the runtime: every worker unwinds its fibers and exits; this
    /// returns once they have (see the type's docs). Dropping the runtime
    /// does the same.
    pub fn shutdown(self) {
        drop(self);
    }
}
