//! A debugger's way in: every live worker of the process, on a list whose
//! head is the exported, unmangled symbol [`FIBERIO_DEBUG_WORKERS`]. The gdb
//! script `gdb/fiberio.py` follows it in a live process or a core file —
//! where no code can run — to each worker's fiber slab, and from a parked
//! fiber's saved stack pointer (corosensei's `Coroutine::stack_ptr`) to its
//! registers, to print its backtrace.
//!
//! A worker links itself when its thread starts and unlinks itself before
//! it ends (`worker_main`); nothing else touches the list, and nothing on
//! the fiber-switch path. Edits take a process-wide lock; a debugger reads
//! without it (the process is stopped).

use std::sync::Mutex as StdMutex;

use super::worker::Worker;
use crate::loom::static_atomic::{AtomicPtr, Ordering::SeqCst};

/// The first live worker of the process (null: none); each worker's
/// `debug_next` names the next. For debuggers (module docs).
#[unsafe(no_mangle)]
pub(crate) static FIBERIO_DEBUG_WORKERS: AtomicPtr<Worker> = AtomicPtr::new(std::ptr::null_mut());

/// Serialises edits of the list (process-wide bookkeeping: std's mutex).
static EDIT: StdMutex<()> = StdMutex::new(());

/// Puts `worker` at the head of the list. It must stay where it is (a
/// local of its thread's `worker_main`) until [`unlink`] takes it out.
pub(crate) fn link(worker: &Worker) {
    let _edit = crate::loom::lock_static(&EDIT);
    worker.debug_next.store(FIBERIO_DEBUG_WORKERS.load(SeqCst), SeqCst);
    FIBERIO_DEBUG_WORKERS.store((worker as *const Worker).cast_mut(), SeqCst);
}

/// Takes `worker` out of the list.
pub(crate) fn unlink(worker: &Worker) {
    let _edit = crate::loom::lock_static(&EDIT);
    let me = (worker as *const Worker).cast_mut();
    let next = worker.debug_next.load(SeqCst);
    let mut link = &FIBERIO_DEBUG_WORKERS;
    loop {
        let cur = link.load(SeqCst);
        if cur.is_null() {
            return;
        }
        if cur == me {
            link.store(next, SeqCst);
            return;
        }
        // SAFETY: every worker on the list is alive: it unlinks itself,
        // under `EDIT`, which we hold, before it goes away.
        link = unsafe { &(*cur).debug_next };
    }
}

/// Unlinks its worker when dropped (on every way out of `worker_main`).
#[derive(Debug)]
pub(crate) struct Linked<'a>(pub(crate) &'a Worker);

impl Drop for Linked<'_> {
    fn drop(&mut self) {
        unlink(self.0);
    }
}
