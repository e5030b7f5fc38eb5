//! [`RuntimeBuilder`]: worker count, stack size and stall threshold,
//! checked before any thread starts.

use std::io;
use std::time::Duration;

use super::runtime::Runtime;
use super::stall::{DEFAULT_STALL_THRESHOLD, MIN_STALL_THRESHOLD};
use crate::fiber::check_stack_size;
use crate::stack::DEFAULT_STACK_SIZE;

/// The most workers a runtime accepts; more is surely a mistake.
const MAX_WORKERS: usize = 1024;
/// The environment variable that sets the default worker count.
pub(crate) const WORKERS_ENV: &str = "FIBERIO_WORKERS";
/// The environment variable that sets the default stall threshold, in ms.
pub(crate) const STALL_ENV: &str = "FIBERIO_STALL_WARNING_MS";

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
    workers: Option<usize>,
    stack_size: Option<usize>,
    name: Option<String>,
    stall_threshold: Option<Option<Duration>>,
}

impl RuntimeBuilder {
    /// A builder with the defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the number of worker threads (at least 1).
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = Some(n);
        self
    }

    /// Sets the default stack size of this runtime's fibers, in bytes.
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }

    /// Sets the worker threads' name prefix (default `fiberio-worker`);
    /// worker `i` is named `<prefix>-<i>`.
    pub fn name(mut self, prefix: &str) -> Self {
        self.name = Some(prefix.to_string());
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
        self.stall_threshold = Some(threshold);
        self
    }

    /// Checks the configuration and starts the workers.
    ///
    /// # Errors
    ///
    /// `InvalidInput`, with a message that says what to change, for 0 or
    /// more than 1024 workers, a stack size under the minimum, a stall
    /// threshold under 1 ms, or an unparsable `FIBERIO_WORKERS` or
    /// `FIBERIO_STALL_WARNING_MS`; the OS error if a thread, epoll
    /// instance or eventfd cannot be created.
    pub fn build(self) -> io::Result<Runtime> {
        let workers = match self.workers {
            Some(n) => n,
            None => default_workers()?,
        };
        if workers == 0 || workers > MAX_WORKERS {
            return Err(invalid(format!(
                "fiberio: a runtime needs at least 1 worker and at most {MAX_WORKERS} (got {workers}); \
                 pass a count in that range to `workers`, or leave it unset for one per core"
            )));
        }
        let stack_size = match self.stack_size {
            Some(size) => check_stack_size(size)?,
            None => DEFAULT_STACK_SIZE,
        };
        let stall = match self.stall_threshold {
            Some(threshold) => threshold.filter(|t| !t.is_zero()),
            None => default_stall_threshold()?,
        };
        if let Some(t) = stall.filter(|t| *t < MIN_STALL_THRESHOLD) {
            return Err(invalid(format!(
                "fiberio: a stall threshold of {t:?} would report ordinary fiber runs; pass at least \
                 1 ms to `stall_threshold`, or None to turn the stall warning off"
            )));
        }
        let name = self.name.as_deref().unwrap_or("fiberio-worker");
        Runtime::start(workers, stack_size, stall, name)
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// `FIBERIO_WORKERS` if set, else the number of cores.
fn default_workers() -> io::Result<usize> {
    match std::env::var(WORKERS_ENV) {
        Ok(value) => value.trim().parse::<usize>().map_err(|_| {
            invalid(format!(
                "fiberio: {WORKERS_ENV}={value:?} is not a worker count; set it to a whole number \
                 from 1 to {MAX_WORKERS}, or unset it for one worker per core"
            ))
        }),
        Err(std::env::VarError::NotUnicode(value)) => Err(invalid(format!(
            "fiberio: {WORKERS_ENV}={value:?} is not valid unicode; set it to a whole number or unset it"
        ))),
        Err(std::env::VarError::NotPresent) => {
            Ok(std::thread::available_parallelism().map_or(1, |n| n.get()))
        }
    }
}

/// `FIBERIO_STALL_WARNING_MS` if set (0: off), else the default.
fn default_stall_threshold() -> io::Result<Option<Duration>> {
    let value = match std::env::var(STALL_ENV) {
        Ok(value) => value,
        Err(std::env::VarError::NotPresent) => return Ok(Some(DEFAULT_STALL_THRESHOLD)),
        Err(std::env::VarError::NotUnicode(value)) => format!("{value:?}"),
    };
    match value.trim().parse::<u64>() {
        Ok(0) => Ok(None),
        Ok(ms) => Ok(Some(Duration::from_millis(ms))),
        Err(_) => Err(invalid(format!(
            "fiberio: {STALL_ENV}={value:?} is not a number of milliseconds; set it to a whole \
             number (0 turns the stall warning off), or unset it for the default of 100"
        ))),
    }
}
