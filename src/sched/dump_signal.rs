//! The dump signal: SIGQUIT (`kill -QUIT <pid>`, or Ctrl-\ in a terminal)
//! prints a fiber dump of every runtime that opted in, to stderr, and the
//! program runs on — as `kill -3` prints a JVM's thread dump.
//!
//! Opt in with `FIBERIO_DUMP_SIGNAL=1` (every runtime, the global one
//! included) or `RuntimeBuilder::dump_signal(true)`. The first runtime
//! that opts in installs the handler (`sys::quit_signal`: it only writes a
//! byte to a self-pipe) and starts the `fiberio-dump` thread, which waits
//! on the pipe and, per signal, dumps each registered runtime
//! (`RuntimeShared::dump`, from an ordinary thread, like any caller) and
//! writes it to stderr in one piece. A runtime leaves the registry when it
//! shuts down. SIGQUIT's default action (quit with a core dump) is
//! replaced for the rest of the process.

use std::io::{self, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::{Mutex as StdMutex, OnceLock};

use super::dump_view::{DumpOptions, FiberDump};
use super::runtime::RuntimeShared;
use crate::loom::sync::Arc;

/// The environment variable that turns the dump signal on for every runtime.
pub(crate) const DUMP_SIGNAL_ENV: &str = "FIBERIO_DUMP_SIGNAL";

/// Runtimes registered for the signal, with their names. Process-wide
/// bookkeeping, std's `Mutex` in every build (like `sys::signal`).
static REGISTERED: StdMutex<Vec<(String, Arc<RuntimeShared>)>> = StdMutex::new(Vec::new());

/// The installation's outcome, once (an error kind and message: the
/// second runtime to opt in gets the same error).
static INSTALLED: OnceLock<Result<(), (io::ErrorKind, String)>> = OnceLock::new();

/// Registers `rt` (its workers named `name`) for the dump signal,
/// installing the handler and thread on first use.
///
/// # Errors
///
/// When the self-pipe, the handler or the thread cannot be set up.
pub(crate) fn register(name: &str, rt: &Arc<RuntimeShared>) -> io::Result<()> {
    let installed = INSTALLED.get_or_init(|| install().map_err(|e| (e.kind(), e.to_string())));
    if let Err((kind, msg)) = installed {
        return Err(io::Error::new(*kind, format!("fiberio: cannot install the dump signal: {msg}")));
    }
    crate::loom::lock_static(&REGISTERED).push((name.to_string(), rt.clone()));
    Ok(())
}

/// Takes `rt` out of the registry (at its shutdown); nothing if absent.
pub(crate) fn unregister(rt: &Arc<RuntimeShared>) {
    crate::loom::lock_static(&REGISTERED).retain(|(_, r)| !Arc::ptr_eq(r, rt));
}

/// Whether `FIBERIO_DUMP_SIGNAL` asks for the signal: `1` yes, `0` or
/// unset no.
///
/// # Errors
///
/// Any other value, with a message naming the variable.
pub(crate) fn from_env() -> io::Result<bool> {
    match std::env::var(DUMP_SIGNAL_ENV) {
        Err(std::env::VarError::NotPresent) => Ok(false),
        Ok(v) if v.trim() == "1" => Ok(true),
        Ok(v) if v.trim() == "0" || v.trim().is_empty() => Ok(false),
        Ok(v) => Err(bad_env(&format!("{v:?}"))),
        Err(std::env::VarError::NotUnicode(v)) => Err(bad_env(&format!("{v:?}"))),
    }
}

fn bad_env(value: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "fiberio: {DUMP_SIGNAL_ENV}={value} is neither 1 nor 0; set it to 1 to print a fiber \
             dump on SIGQUIT, or to 0 (or unset it) for no signal handler"
        ),
    )
}

fn install() -> io::Result<()> {
    let pipe = crate::sys::quit_signal::install()?;
    std::thread::Builder::new().name("fiberio-dump".into()).spawn(move || serve(pipe))?;
    Ok(())
}

/// The `fiberio-dump` thread: one dump of every registered runtime per
/// signal, for the life of the process.
fn serve(pipe: OwnedFd) {
    loop {
        match crate::sys::quit_signal::wait(pipe.as_fd()) {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                eprintln!("fiberio: the dump signal thread stops: {e}");
                return;
            }
        }
        // Dump outside the registry's lock: a runtime may shut down meanwhile.
        let runtimes = crate::loom::lock_static(&REGISTERED).clone();
        let mut out = String::new();
        for (name, rt) in runtimes {
            let dump = FiberDump::take(&rt, DumpOptions::new());
            out.push_str(&format!("fiberio: SIGQUIT: runtime {name:?}: {dump}\n"));
        }
        if out.is_empty() {
            out.push_str("fiberio: SIGQUIT: no runtime is running\n");
        }
        let _ = io::stderr().lock().write_all(out.as_bytes());
    }
}
