//! [`RuntimeBuilder`]: worker count, stack size and stall threshold, checked
//! (by `sched::config`) before any thread starts.

use std::io;
use std::time::Duration;

use super::Runtime;
use crate::sched::Config;

/// Configures a [`Runtime`].
///
/// Defaults: one worker per core (`std::thread::available_parallelism`),
/// overridden by the `FIBERIO_WORKERS` environment variable; fiber stacks
/// of `DEFAULT_STACK_SIZE` bytes (see the crate docs); a stall warning
/// after 100 ms, overridden by `FIBERIO_STALL_WARNING_MS` (see
/// [`stall_threshold`](Self::stall_threshold)). The environment variables
/// also configure the global runtime.
///
/// ```
/// let err = fiberio::Runtime::builder().workers(0).build().unwrap_err();
/// assert!(err.to_string().contains("at least 1 worker"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct RuntimeBuilder {
    config: Config,
}

impl RuntimeBuilder {
    /// A builder with the defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the number of worker threads (at least 1).
    pub fn workers(mut self, n: usize) -> Self {
        self.config.workers = Some(n);
        self
    }

    /// Sets the default stack size of this runtime's fibers, in bytes.
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.config.stack_size = Some(bytes);
        self
    }

    /// Sets the worker threads' name prefix (default `fiberio-worker`);
    /// worker `i` is named `<prefix>-<i>`.
    pub fn name(mut self, prefix: &str) -> Self {
        self.config.name = Some(prefix.to_string());
        self
    }

    /// Sets the stall threshold: a fiber that runs longer than this without
    /// yielding or parking — a std blocking call (std IO,
    /// `std::thread::sleep`, a std lock) or a long CPU loop, which keeps
    /// the other fibers of its worker waiting — is reported once on
    /// stderr, by name, id and worker, and counted in
    /// [`WorkerMetrics::stalls`](crate::WorkerMetrics::stalls). `None` (or
    /// zero) turns the warning off.
    ///
    /// Default: 100 ms, or `FIBERIO_STALL_WARNING_MS` when set (a whole
    /// number of milliseconds; `0` turns the warning off). A fiber run
    /// normally lasts microseconds, from one wait to the next, so 100 ms
    /// is far above any ordinary run even in a debug build, yet a delay
    /// every other fiber of the worker feels; 100 ms is also about where
    /// people notice latency.
    ///
    /// A watchdog thread, which exits at shutdown, looks at every worker
    /// every `threshold / 2`, so a run is reported between `threshold` and
    /// `2 * threshold` after it began, and the time printed is a lower
    /// bound. The workers read no clock for it: per fiber run they store
    /// the run's number and fiber, and clear the number after (three plain
    /// stores); a finished fiber costs one locked instruction more.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let quiet = fiberio::Runtime::builder().stall_threshold(None).build().unwrap();
    /// let strict = fiberio::Runtime::builder()
    ///     .stall_threshold(Some(Duration::from_millis(20)))
    ///     .build()
    ///     .unwrap();
    /// # drop((quiet, strict));
    /// ```
    pub fn stall_threshold(mut self, threshold: Option<Duration>) -> Self {
        self.config.stall_threshold = Some(threshold);
        self
    }

    /// Makes SIGQUIT (`kill -QUIT <pid>`, Ctrl-\\ in a terminal) print a
    /// fiber dump of this runtime ([`Runtime::dump`]) to stderr; the
    /// program runs on. Default: off, or on when `FIBERIO_DUMP_SIGNAL=1`
    /// (which also covers the global runtime).
    ///
    /// The signal handler only writes a byte to a pipe; a `fiberio-dump`
    /// thread, started with the first runtime that opts in, takes the
    /// dump. SIGQUIT's default action (quit with a core dump) is replaced
    /// for the rest of the process.
    pub fn dump_signal(mut self, on: bool) -> Self {
        self.config.dump_signal = Some(on);
        self
    }

    /// How many IO operations (reads, writes, sends, receives, accepts) a
    /// fiber may complete in one run without parking before it yields to
    /// the other fibers of its worker; 0: no limit. Default: 128.
    ///
    /// A fiber reading a stream that never runs dry would otherwise keep
    /// its worker until the stream ends, and its neighbours — a timer, a
    /// connection with one request — would wait that long. The yield is
    /// not a cancellation point and loses nothing; it costs the reader a
    /// pass through the worker's loop per budget.
    ///
    /// ```
    /// let rt = fiberio::Runtime::builder().io_budget(64).build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn io_budget(mut self, ops: u32) -> Self {
        self.config.io_budget = Some(ops);
        self
    }

    /// Checks the configuration and starts the workers.
    ///
    /// # Errors
    ///
    /// `InvalidInput`, with a message that names where the value came
    /// from (the builder's method or the environment variable) and says
    /// what to change, for 0 or more than 1024 workers, a stack size under
    /// the minimum, a stall threshold under 1 ms or over 24 hours, or a
    /// `FIBERIO_WORKERS` or `FIBERIO_STALL_WARNING_MS` that is not such a
    /// number, or a `FIBERIO_DUMP_SIGNAL` that is neither `1` nor `0`; the
    /// OS error if a thread, epoll instance or eventfd cannot be created
    /// (or, with the dump signal, its pipe or handler).
    pub fn build(self) -> io::Result<Runtime> {
        Ok(Runtime::from_core(self.config.start()?))
    }
}
