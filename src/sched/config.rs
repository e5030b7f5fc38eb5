//! A runtime's configuration: what the user set (`RuntimeBuilder`, the
//! environment) checked before any thread starts, with errors that name
//! what to change.

use std::io;
use std::time::Duration;

use super::runtime::RuntimeCore;
use super::stall::{DEFAULT_STALL_THRESHOLD, MIN_STALL_THRESHOLD};
use crate::stack::{self, DEFAULT_STACK_SIZE};

/// The most workers a runtime accepts; more is surely a mistake.
const MAX_WORKERS: usize = 1024;
/// The environment variable that sets the default worker count.
pub(crate) const WORKERS_ENV: &str = "FIBERIO_WORKERS";
/// The environment variable that sets the default stall threshold, in ms.
pub(crate) const STALL_ENV: &str = "FIBERIO_STALL_WARNING_MS";

/// What a `RuntimeBuilder` was told; `None`: the default.
#[derive(Debug, Clone, Default)]
pub(crate) struct Config {
    pub(crate) workers: Option<usize>,
    pub(crate) stack_size: Option<usize>,
    pub(crate) name: Option<String>,
    pub(crate) stall_threshold: Option<Option<Duration>>,
}

impl Config {
    /// Checks the configuration and starts the workers (see
    /// `RuntimeBuilder::build` for the errors).
    pub(crate) fn start(self) -> io::Result<RuntimeCore> {
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
            Some(size) => stack::check_size(size)?,
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
        RuntimeCore::start(workers, stack_size, stall, name)
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
