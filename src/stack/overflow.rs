//! Reports a fiber that overflows its stack, by name, id and size, then
//! aborts — never a silent segfault.
//!
//! How it fits together:
//! - each worker thread calls [`install_on_this_thread`] once at start:
//!   the process-wide SIGSEGV/SIGBUS handler goes in on the first call
//!   (`src/sys/signal.rs`), and the thread gets an alternate signal stack
//!   unless it has one (std's threads do), since an overflowed fiber has no
//!   stack left to run a handler on;
//! - the core builds one [`GuardInfo`] per fiber and keeps it at a stable
//!   address while the fiber lives;
//! - before every resume the worker calls [`set_running`] with that fiber's
//!   `GuardInfo`, and with null after: one thread-local store, the only
//!   cost on the context-switch path;
//! - on a fault, the handler asks [`on_fault`]: if the faulting address is
//!   in the running fiber's guard page it writes
//!   `fiber 'NAME' (id N) overflowed its stack of 256 KiB` to stderr and
//!   aborts (SIGABRT); any other fault goes to the previous handler, so
//!   std's own overflow report for thread stacks keeps working.
//!
//! The report path is async-signal-safe: it formats into a buffer on the
//! signal stack with `core::fmt` (no allocation, no lock) and calls
//! `write(2)` and `abort`.

use std::cell::Cell;
use std::fmt;
use std::io;
use std::ops::Range;
use std::sync::Arc;

use super::fiber_stack::HumanSize;
use crate::sys::signal;

/// What the fault handler knows about one fiber. Built once per fiber and
/// kept at a stable address (e.g. inside the fiber's control block) while
/// the fiber lives; never changed after [`set_running`] published it.
#[derive(Debug)]
pub(crate) struct GuardInfo {
    /// The fiber stack's guard page ([`super::FiberStack::guard`]).
    pub(crate) guard: Range<usize>,
    /// Usable bytes of the stack, for the report.
    pub(crate) stack_size: usize,
    /// The fiber's id, for the report.
    pub(crate) id: u64,
    /// The fiber's name, if it has one.
    pub(crate) name: Option<Arc<str>>,
}

impl GuardInfo {
    /// Describes a fiber running on a stack with guard page `guard` and
    /// `stack_size` usable bytes.
    pub(crate) fn new(guard: Range<usize>, stack_size: usize, id: u64, name: Option<Arc<str>>) -> Self {
        Self { guard, stack_size, id, name }
    }
}

thread_local! {
    /// The fiber running on this thread (null: the thread's own stack).
    /// `const` and no destructor: a plain TLS slot, safe to read in a
    /// signal handler.
    static RUNNING: Cell<*const GuardInfo> = const { Cell::new(std::ptr::null()) };
}

/// Installs the fault handler (once per process) and makes sure this
/// thread has an alternate signal stack. Every worker calls it at start.
///
/// # Errors
///
/// When the alternate stack cannot be mapped or `sigaction` fails.
pub(crate) fn install_on_this_thread() -> io::Result<()> {
    signal::install_fault_handler(on_fault)?;
    signal::ensure_alt_stack()
}

/// Records which fiber runs on this thread: its `GuardInfo` right before
/// resuming it, null right after it suspends or returns.
///
/// `info` must stay valid and unchanged until the next `set_running` on
/// this thread: the fault handler reads through it.
#[inline]
pub(crate) fn set_running(info: *const GuardInfo) {
    RUNNING.with(|r| r.set(info));
}

/// The fault hook: reports and aborts if `addr` is in the guard page of
/// the fiber running on this thread, else returns. Async-signal-safe.
fn on_fault(addr: usize) {
    let info = RUNNING.with(Cell::get);
    if info.is_null() {
        return;
    }
    // SAFETY: `set_running`'s contract: a non-null pointer stays valid and
    // unchanged until the next `set_running` on this (the faulting) thread.
    let info = unsafe { &*info };
    if !info.guard.contains(&addr) {
        return;
    }
    let mut buf = Buf { bytes: [0; 512], len: 0 };
    let _ = report(&mut buf, info);
    signal::write_stderr(&buf.bytes[..buf.len]);
    signal::abort();
}

/// Formats the overflow report. The name is cut to 256 bytes so the whole
/// message fits the buffer.
fn report(out: &mut impl fmt::Write, info: &GuardInfo) -> fmt::Result {
    let name = info.name.as_deref().unwrap_or("<unnamed>");
    let mut cut = name.len().min(256);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    let size = HumanSize(info.stack_size);
    write!(out, "\nfiber '{}' (id {}) overflowed its stack of {size}\n", &name[..cut], info.id)?;
    out.write_str("fiberio: fatal: stack overflow, aborting; give the fiber a larger stack_size\n")
}

/// A fixed buffer that formats without allocating; text beyond its end is
/// dropped.
struct Buf {
    bytes: [u8; 512],
    len: usize,
}

impl fmt::Write for Buf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let n = s.len().min(self.bytes.len() - self.len);
        self.bytes[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        if n < s.len() { Err(fmt::Error) } else { Ok(()) }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::stack::FiberStack;
    use corosensei::Coroutine;
    use std::hint::black_box;
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Output};

    /// Env var telling a re-executed test binary which child role to play.
    const CHILD_ENV: &str = "FIBERIO_TEST_CHILD";

    /// The role this process plays, if it is a child started by [`run_child`].
    pub(crate) fn child_mode() -> Option<&'static str> {
        let mode = std::env::var(CHILD_ENV).ok()?;
        Some(Box::leak(mode.into_boxed_str()))
    }

    /// Re-runs this test binary for exactly `test` (path below the crate
    /// root), with `mode` in the environment; returns its output.
    pub(crate) fn run_child(test: &str, mode: &str) -> Output {
        Command::new(std::env::current_exe().unwrap())
            .args([test, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, mode)
            .env("RUST_BACKTRACE", "0")
            .output()
            .unwrap()
    }

    /// Recurses until the stack runs out.
    fn recurse(depth: u64) -> u64 {
        let frame = black_box([depth as u8; 256]);
        if black_box(true) { recurse(depth + 1) + u64::from(frame[7]) } else { 0 }
    }

    /// Runs `body` in a fiber whose `GuardInfo` is published like the core does.
    fn run_in_fiber(name: Option<&str>, id: u64, body: fn()) {
        install_on_this_thread().unwrap();
        let stack = FiberStack::new(64 * 1024).unwrap();
        let info = GuardInfo::new(stack.guard(), stack.size(), id, name.map(Arc::from));
        let mut co = Coroutine::<(), (), (), FiberStack>::with_stack(stack, move |_, ()| body());
        set_running(&info);
        let _ = co.resume(());
        set_running(std::ptr::null());
    }

    fn stderr(out: &Output) -> String {
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    #[test]
    fn report_formats_name_id_and_size() {
        let info = GuardInfo::new(0..4096, 256 * 1024, 7, Some("conn-42".into()));
        let mut buf = Buf { bytes: [0; 512], len: 0 };
        report(&mut buf, &info).unwrap();
        let text = std::str::from_utf8(&buf.bytes[..buf.len]).unwrap();
        assert!(text.contains("fiber 'conn-42' (id 7) overflowed its stack of 256 KiB\n"), "{text}");
        let long = GuardInfo::new(0..4096, 1 << 20, 8, Some("é".repeat(400).into()));
        let mut buf = Buf { bytes: [0; 512], len: 0 };
        report(&mut buf, &long).unwrap();
        let text = std::str::from_utf8(&buf.bytes[..buf.len]).unwrap();
        assert!(text.ends_with("aborting; give the fiber a larger stack_size\n"), "{text}");
        assert!(text.contains("(id 8) overflowed its stack of 1 MiB"), "{text}");
    }

    #[test]
    fn a_fiber_overflow_is_reported_then_aborts() {
        if child_mode() == Some("overflow") {
            run_in_fiber(Some("deep-thought"), 42, || {
                black_box(recurse(0));
            });
            unreachable!("the fiber survived overflowing its stack");
        }
        let out = run_child("stack::overflow::tests::a_fiber_overflow_is_reported_then_aborts", "overflow");
        assert_eq!(out.status.signal(), Some(signal::SIGABRT), "{out:?}");
        let err = stderr(&out);
        assert!(err.contains("fiber 'deep-thought' (id 42) overflowed its stack of 64 KiB\n"), "{err}");
    }

    #[test]
    fn an_unnamed_fiber_overflow_says_unnamed() {
        if child_mode() == Some("overflow-unnamed") {
            run_in_fiber(None, 9, || {
                black_box(recurse(0));
            });
            unreachable!("the fiber survived overflowing its stack");
        }
        let out =
            run_child("stack::overflow::tests::an_unnamed_fiber_overflow_says_unnamed", "overflow-unnamed");
        assert_eq!(out.status.signal(), Some(signal::SIGABRT), "{out:?}");
        assert!(stderr(&out).contains("fiber '<unnamed>' (id 9) overflowed its stack of 64 KiB"), "{out:?}");
    }

    /// Writes to a PROT_NONE page that is no fiber's guard.
    fn write_to_protected_page() {
        let map = memmap2::MmapOptions::new().len(4096).map_anon().unwrap();
        let addr = map.as_ptr() as usize;
        crate::sys::mmap::protect_none(addr, 4096).unwrap();
        // SAFETY: not safe at all: this must fault, and the test checks
        // the process dies of it. `map` is mapped, so nothing else is hit.
        unsafe { (addr as *mut u8).write_volatile(1) };
        drop(map);
    }

    #[test]
    fn other_faults_in_a_fiber_chain_to_the_previous_handler() {
        if child_mode() == Some("segv") {
            run_in_fiber(Some("innocent"), 1, write_to_protected_page);
            unreachable!("writing to a PROT_NONE page did not fault");
        }
        let out = run_child(
            "stack::overflow::tests::other_faults_in_a_fiber_chain_to_the_previous_handler",
            "segv",
        );
        assert_eq!(out.status.signal(), Some(signal::SIGSEGV), "{out:?}");
        assert!(!stderr(&out).contains("overflowed"), "{out:?}");
    }

    #[test]
    fn faults_chain_to_sig_dfl_when_nothing_was_installed() {
        if child_mode() == Some("segv-dfl") {
            signal::reset_to_default(signal::SIGSEGV).unwrap();
            run_in_fiber(Some("innocent"), 1, write_to_protected_page);
            unreachable!("writing to a PROT_NONE page did not fault");
        }
        let out = run_child(
            "stack::overflow::tests::faults_chain_to_sig_dfl_when_nothing_was_installed",
            "segv-dfl",
        );
        assert_eq!(out.status.signal(), Some(signal::SIGSEGV), "{out:?}");
    }

    #[test]
    fn std_still_reports_thread_stack_overflow() {
        if child_mode() == Some("thread-overflow") {
            let t = std::thread::Builder::new().name("plain-thread".into()).stack_size(128 * 1024);
            let t = t.spawn(|| {
                install_on_this_thread().unwrap();
                // A fiber was published, but the overflow is on the thread's stack.
                let info = GuardInfo::new(0x1000..0x2000, 4096, 3, None);
                set_running(&info);
                black_box(recurse(0))
            });
            let _ = t.unwrap().join();
            unreachable!("the thread survived overflowing its stack");
        }
        let out =
            run_child("stack::overflow::tests::std_still_reports_thread_stack_overflow", "thread-overflow");
        assert_eq!(out.status.signal(), Some(signal::SIGABRT), "{out:?}");
        let err = stderr(&out);
        assert!(err.contains("thread 'plain-thread'") && err.contains("has overflowed its stack"), "{err}");
        assert!(!err.contains("fiber '"), "{err}");
    }
}
