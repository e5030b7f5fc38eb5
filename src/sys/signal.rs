//! Fault signals: one process-wide SIGSEGV/SIGBUS handler that asks a hook
//! first and chains to whatever handler was there before, and a
//! per-thread alternate signal stack to run it on.
//!
//! The handler must run on an alternate stack (`SA_ONSTACK`): a fiber that
//! overflowed has no stack left. It is installed once; the handlers it
//! replaced (std's stack-overflow reporter, normally) are saved before
//! ours goes in and never change after, so the handler reads them without
//! a lock. For a fault the hook does not claim, the handler behaves as if
//! it were not there: it calls the previous `sa_sigaction`/`sa_handler`,
//! or for `SIG_DFL`/`SIG_IGN` restores the default and returns, so the
//! faulting instruction runs again and the default action kills.
//!
//! Everything reachable from the handler is async-signal-safe: no
//! allocation, no locks, only `write`, `sigaction`, `raise` and `abort`.
//!
//! Its statics are process-wide bookkeeping, not a protocol: they are
//! std's in every build (`crate::loom::static_atomic`, std's `Mutex`).

use std::cell::RefCell;
use std::io;
use std::mem::MaybeUninit;
use std::ptr;

use memmap2::{MmapOptions, MmapRaw};

use super::mmap;

/// Signal numbers the tests check a child died of.
#[cfg(test)]
pub(crate) const SIGABRT: i32 = libc::SIGABRT;
/// See [`SIGABRT`].
#[cfg(test)]
pub(crate) const SIGSEGV: i32 = libc::SIGSEGV;

/// Decides about a fault at `addr`: returns if it is not its fault, so
/// the previous handler gets it; otherwise reports and aborts. Must be
/// async-signal-safe.
pub(crate) type FaultHook = fn(addr: usize);

/// Writes all of `bytes` to stderr with `write(2)` (async-signal-safe;
/// errors are ignored: there is nowhere left to report them).
pub(crate) fn write_stderr(mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is a valid buffer of `bytes.len()` bytes.
        let n = unsafe { libc::write(libc::STDERR_FILENO, bytes.as_ptr().cast(), bytes.len()) };
        if n <= 0 {
            return;
        }
        bytes = &bytes[n as usize..];
    }
}

/// Ends the process with SIGABRT (async-signal-safe).
pub(crate) fn abort() -> ! {
    // SAFETY: `abort` has no preconditions.
    unsafe { libc::abort() }
}

/// Installs the fault handler process-wide (the first call wins; later
/// calls, with any hook, return `Ok` at once).
///
/// # Errors
///
/// When `sigaction` fails, which it cannot for these signals.
pub(crate) fn install_fault_handler(hook: FaultHook) -> io::Result<()> {
    imp::install(hook)
}

/// Gives this thread an alternate signal stack unless it has one (std
/// gives one to the main thread and to threads it spawns: that one stays).
/// One we make is freed when the thread exits.
///
/// # Errors
///
/// When the stack cannot be mapped, or `sigaltstack` fails.
pub(crate) fn ensure_alt_stack() -> io::Result<()> {
    let mut old = MaybeUninit::<libc::stack_t>::zeroed();
    syscall!(sigaltstack(ptr::null(), old.as_mut_ptr()))?;
    // SAFETY: `sigaltstack` succeeded, so it filled `old` in.
    let old = unsafe { old.assume_init() };
    if old.ss_flags & libc::SS_DISABLE == 0 {
        return Ok(());
    }
    let alt = AltStack::new()?;
    let st = libc::stack_t { ss_sp: alt.lo.cast(), ss_flags: 0, ss_size: ALT_STACK_SIZE };
    syscall!(sigaltstack(&st, ptr::null_mut()))?;
    ALT_STACK.with(|a| *a.borrow_mut() = Some(alt));
    Ok(())
}

/// Size of an alternate signal stack we make: room for the kernel's signal
/// frame (up to ~11 KiB with AMX state), our handler, and the handler it
/// chains to. Only touched pages cost RSS.
const ALT_STACK_SIZE: usize = 64 * 1024;

thread_local! {
    /// The alternate signal stack this module made for this thread, if any.
    static ALT_STACK: RefCell<Option<AltStack>> = const { RefCell::new(None) };
}

/// An alternate signal stack with a guard page below it.
struct AltStack {
    /// Unmapped when dropped, after `Drop::drop` unregistered the stack.
    _map: MmapRaw,
    /// Lowest usable address (above the guard page).
    lo: *mut u8,
}

impl AltStack {
    fn new() -> io::Result<Self> {
        let page = mmap::page_size();
        let map = MmapRaw::from(MmapOptions::new().len(ALT_STACK_SIZE + page).stack().map_anon()?);
        mmap::protect_none(map.as_ptr() as usize, page)?;
        // SAFETY: `page` is within the mapping of `ALT_STACK_SIZE + page` bytes.
        let lo = unsafe { map.as_mut_ptr().add(page) };
        Ok(Self { _map: map, lo })
    }
}

impl Drop for AltStack {
    fn drop(&mut self) {
        let off = libc::stack_t { ss_sp: ptr::null_mut(), ss_flags: libc::SS_DISABLE, ss_size: 0 };
        // Unregister before `map` unmaps; this runs at thread exit, not in
        // a handler, so the stack is not in use. Failure leaves nothing to do.
        let _ = syscall!(sigaltstack(&off, ptr::null_mut()));
    }
}

mod imp {
    use std::io;
    use std::mem::MaybeUninit;
    use std::ptr;

    use super::FaultHook;
    use std::sync::Mutex;

    use crate::loom::static_atomic::{AtomicUsize, Ordering};

    /// What the handler needs; leaked once, never changed after.
    struct Installed {
        hook: FaultHook,
        /// The actions that were in place for SIGSEGV and SIGBUS.
        prev_segv: libc::sigaction,
        prev_bus: libc::sigaction,
    }

    /// Address of the leaked [`Installed`], 0 until the handler is in.
    static INSTALLED: AtomicUsize = AtomicUsize::new(0);
    /// Serialises installation.
    static INSTALL_LOCK: Mutex<()> = Mutex::new(());

    pub(super) fn install(hook: FaultHook) -> io::Result<()> {
        if INSTALLED.load(Ordering::Acquire) != 0 {
            return Ok(());
        }
        let _guard = crate::loom::lock_static(&INSTALL_LOCK);
        if INSTALLED.load(Ordering::Acquire) != 0 {
            return Ok(());
        }
        let installed = Installed {
            hook,
            prev_segv: current_action(libc::SIGSEGV)?,
            prev_bus: current_action(libc::SIGBUS)?,
        };
        // Publish before the handler can run, so it never sees 0 (a
        // concurrent change of the action by someone else is lost: rare).
        let addr = Box::leak(Box::new(installed)) as *const Installed as usize;
        INSTALLED.store(addr, Ordering::Release);
        // SAFETY: an all-zero `sigaction` is a valid value (empty mask).
        let mut action: libc::sigaction = unsafe { MaybeUninit::zeroed().assume_init() };
        action.sa_sigaction = on_fault as *const () as libc::sighandler_t;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        for sig in [libc::SIGSEGV, libc::SIGBUS] {
            syscall!(sigaction(sig, &action, ptr::null_mut()))?;
        }
        Ok(())
    }

    fn current_action(sig: libc::c_int) -> io::Result<libc::sigaction> {
        let mut old = MaybeUninit::<libc::sigaction>::zeroed();
        syscall!(sigaction(sig, ptr::null(), old.as_mut_ptr()))?;
        // SAFETY: `sigaction` succeeded, so it filled `old` in.
        Ok(unsafe { old.assume_init() })
    }

    /// The SIGSEGV/SIGBUS handler.
    extern "C" fn on_fault(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
        let addr = INSTALLED.load(Ordering::Acquire);
        if addr == 0 {
            return; // unreachable: the handler goes in after INSTALLED is set
        }
        // SAFETY: `addr` is a leaked `Installed` that is never freed nor
        // written after publication (Release/Acquire above).
        let installed = unsafe { &*(addr as *const Installed) };
        // SAFETY: with SA_SIGINFO the kernel passes a valid `siginfo_t`;
        // `si_addr` is the faulting address for SIGSEGV and SIGBUS.
        let (fault_addr, code) = unsafe { ((*info).si_addr() as usize, (*info).si_code) };
        (installed.hook)(fault_addr);
        let prev = if sig == libc::SIGBUS { &installed.prev_bus } else { &installed.prev_segv };
        // SAFETY: `prev` is the action the kernel would have used for this
        // signal had we not been installed; its handler expects these args.
        unsafe { chain(prev, sig, code, info, ctx) }
    }

    /// Hands a fault to the handler we displaced.
    ///
    /// # Safety
    ///
    /// Call only from a signal handler for `sig`, with the kernel's `info`
    /// and `ctx`; `prev` must be the action saved for `sig`.
    unsafe fn chain(
        prev: &libc::sigaction,
        sig: libc::c_int,
        code: libc::c_int,
        info: *mut libc::siginfo_t,
        ctx: *mut libc::c_void,
    ) {
        let handler = prev.sa_sigaction;
        if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
            // A fault (si_code > 0) re-runs its instruction on return and
            // cannot be ignored; a signal sent with kill() is re-raised
            // under SIG_DFL and dropped under SIG_IGN, as it would have been.
            let user_sent = code <= 0;
            if handler == libc::SIG_IGN && user_sent {
                return;
            }
            // SAFETY: an all-zero `sigaction` is SIG_DFL with an empty mask.
            let dfl: libc::sigaction = unsafe { MaybeUninit::zeroed().assume_init() };
            let _ = syscall!(sigaction(sig, &dfl, ptr::null_mut()));
            if user_sent {
                let _ = syscall!(raise(sig));
            }
        } else if prev.sa_flags & libc::SA_SIGINFO != 0 {
            // SAFETY: SA_SIGINFO says `handler` is a three-argument handler.
            let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                unsafe { std::mem::transmute(handler) };
            f(sig, info, ctx);
        } else {
            // SAFETY: without SA_SIGINFO `handler` is a one-argument handler.
            let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(handler) };
            f(sig);
        }
    }
}

/// Test helper: sets `sig` back to `SIG_DFL`, as if std had installed no
/// handler, so a child process can test chaining to the default.
#[cfg(test)]
pub(crate) fn reset_to_default(sig: i32) -> io::Result<()> {
    // SAFETY: an all-zero `sigaction` is SIG_DFL with an empty mask.
    let dfl: libc::sigaction = unsafe { MaybeUninit::zeroed().assume_init() };
    syscall!(sigaction(sig, &dfl, ptr::null_mut()))?;
    Ok(())
}
