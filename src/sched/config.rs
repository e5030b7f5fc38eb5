//! A runtime's configuration: what the user set (`RuntimeBuilder`, the
//! environment) checked before any thread starts, with errors that name
//! what to change.

use std::io;
use std::time::Duration;

use super::dump_signal;
use super::runtime::RuntimeCore;
use super::stall::{DEFAULT_STALL_THRESHOLD, MAX_STALL_THRESHOLD, MIN_STALL_THRESHOLD};
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
    /// Whether SIGQUIT prints a fiber dump (`dump_signal.rs`).
    pub(crate) dump_signal: Option<bool>,
    pub(crate) io_budget: Option<u32>,
}

impl Config {
    /// Checks the configuration and starts the workers (see
    /// `RuntimeBuilder::build` for the errors). An error names what the
    /// value came from: the builder's method, or the environment variable.
    pub(crate) fn start(self) -> io::Result<RuntimeCore> {
        let workers = match self.workers {
            Some(n) => check_workers(
                n,
                &format!("`workers({n})`"),
                "pass a count in that range to `workers`, or leave it unset for one per core",
            )?,
            None => default_workers()?,
        };
        let stack_size = match self.stack_size {
            Some(size) => stack::check_size(size)?,
            None => DEFAULT_STACK_SIZE,
        };
        let stall = match self.stall_threshold {
            Some(threshold) => check_stall(
                threshold.filter(|t| !t.is_zero()),
                "`stall_threshold`",
                "pass from 1 ms to 24 hours to `stall_threshold`, or None to turn the stall warning off",
            )?,
            None => default_stall_threshold()?,
        };
        let dump_signal = match self.dump_signal {
            Some(on) => on,
            None => dump_signal::from_env()?,
        };
        let name = self.name.as_deref().unwrap_or("fiberio-worker");
        let io_budget = self.io_budget.unwrap_or(crate::fiber::carrier::DEFAULT_IO_BUDGET);
        let core = RuntimeCore::start(workers, stack_size, stall, io_budget, name)?;
        if dump_signal {
            // On error the runtime is dropped: it shuts down.
            dump_signal::register(name, core.shared())?;
        }
        Ok(core)
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// `n` if it is a worker count a runtime accepts; else an error naming
/// `origin`, where the count came from, and ending with `fix`.
fn check_workers(n: usize, origin: &str, fix: &str) -> io::Result<usize> {
    if n == 0 || n > MAX_WORKERS {
        return Err(invalid(format!(
            "fiberio: {origin} asks for {n} workers, but a runtime needs at least 1 worker and \
             at most {MAX_WORKERS}; {fix}"
        )));
    }
    Ok(n)
}

/// `threshold` if it is a stall threshold a runtime accepts (or `None`:
/// off), set through `origin`; else an error ending with `fix`.
fn check_stall(threshold: Option<Duration>, origin: &str, fix: &str) -> io::Result<Option<Duration>> {
    match threshold {
        Some(t) if t < MIN_STALL_THRESHOLD => Err(invalid(format!(
            "fiberio: a stall threshold of {t:?} (from {origin}) would report ordinary fiber runs; {fix}"
        ))),
        Some(t) if t > MAX_STALL_THRESHOLD => Err(invalid(format!(
            "fiberio: a stall threshold of {t:?} (from {origin}) is over the maximum of {} hours; {fix}",
            MAX_STALL_THRESHOLD.as_secs() / 3600
        ))),
        _ => Ok(threshold),
    }
}

/// `FIBERIO_WORKERS` if set, else the number of cores.
fn default_workers() -> io::Result<usize> {
    let fix = format!(
        "set {WORKERS_ENV} to a whole number from 1 to {MAX_WORKERS}, or unset it for one worker per core"
    );
    match std::env::var(WORKERS_ENV) {
        Ok(value) => match value.trim().parse::<usize>() {
            Ok(n) => check_workers(n, &format!("{WORKERS_ENV}={value:?}"), &fix),
            Err(_) => Err(invalid(format!("fiberio: {WORKERS_ENV}={value:?} is not a worker count; {fix}"))),
        },
        Err(std::env::VarError::NotUnicode(value)) => {
            Err(invalid(format!("fiberio: {WORKERS_ENV}={value:?} is not valid unicode; {fix}")))
        }
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
    let max_ms = MAX_STALL_THRESHOLD.as_millis();
    let fix = format!(
        "set {STALL_ENV} to a whole number of milliseconds from 1 to {max_ms} (0 turns the stall \
         warning off), or unset it for the default of {}",
        DEFAULT_STALL_THRESHOLD.as_millis()
    );
    match value.trim().parse::<u64>() {
        Ok(0) => Ok(None),
        Ok(ms) => check_stall(Some(Duration::from_millis(ms)), &format!("{STALL_ENV}={value:?}"), &fix),
        Err(_) => {
            Err(invalid(format!("fiberio: {STALL_ENV}={value:?} is not a number of milliseconds; {fix}")))
        }
    }
}
