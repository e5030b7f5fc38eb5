//! [`RuntimeBuilder`]: worker count and stack size, checked before any
//! thread starts.

use std::io;

use super::runtime::Runtime;
use crate::fiber::check_stack_size;
use crate::stack::DEFAULT_STACK_SIZE;

/// The most workers a runtime accepts; more is surely a mistake.
const MAX_WORKERS: usize = 1024;
/// The environment variable that sets the default worker count.
pub(crate) const WORKERS_ENV: &str = "FIBERIO_WORKERS";

/// Configures a [`Runtime`].
///
/// Defaults: one worker per core (`std::thread::available_parallelism`),
/// overridden by the `FIBERIO_WORKERS` environment variable; fiber stacks
/// of `DEFAULT_STACK_SIZE` bytes (see the crate docs).
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

    /// Checks the configuration and starts the workers.
    ///
    /// # Errors
    ///
    /// `InvalidInput`, with a message that says what to change, for 0 or
    /// more than 1024 workers, a stack size under the minimum, or an
    /// unparsable `FIBERIO_WORKERS`; the OS error if a thread, epoll
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
        let name = self.name.as_deref().unwrap_or("fiberio-worker");
        Runtime::start(workers, stack_size, name)
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
