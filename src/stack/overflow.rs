//! PLACEHOLDER: guard-page fault handler.

use std::io;

/// What the fault handler knows about the fiber running on this thread.
#[derive(Debug)]
pub(crate) struct GuardInfo {
    pub(crate) guard: std::ops::Range<usize>,
    pub(crate) stack_size: usize,
    pub(crate) id: u64,
    pub(crate) name: Option<std::sync::Arc<str>>,
}

impl GuardInfo {
    pub(crate) fn new(
        guard: std::ops::Range<usize>,
        stack_size: usize,
        id: u64,
        name: Option<std::sync::Arc<str>>,
    ) -> Self {
        Self { guard, stack_size, id, name }
    }
}

thread_local! {
    static RUNNING: std::cell::Cell<*const GuardInfo> = const { std::cell::Cell::new(std::ptr::null()) };
}

/// Installs the handler and an alternate signal stack on this thread.
pub(crate) fn install_on_this_thread() -> io::Result<()> {
    Ok(())
}

/// Records which fiber runs on this thread (null: the worker's own stack).
#[inline]
pub(crate) fn set_running(info: *const GuardInfo) {
    RUNNING.with(|r| r.set(info));
}
