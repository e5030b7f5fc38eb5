//! Fiber-local maps: the values behind `fiber_local!` keys
//! (`task/local.rs`), one map per fiber and one per plain thread.
//!
//! Each fiber has its own value of each key, created on first access and
//! dropped when the fiber ends — inside the fiber, before its result is
//! published, so a joiner sees every destructor's effect ([`clear_current`]).
//!
//! A fiber's map lives in its `Task` but is touched only by the fiber
//! itself; values may be `!Send`, and they never outlive the fiber.

use std::any::Any;
use std::cell::RefCell;
use std::fmt;

use super::carrier::with_running;

/// Per-fiber (or per-thread) values, indexed by key.
#[derive(Default)]
pub(crate) struct LocalMap {
    values: Vec<Option<Box<dyn Any>>>,
}

impl fmt::Debug for LocalMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalMap").field("len", &self.values.len()).finish()
    }
}

impl LocalMap {
    pub(crate) fn get(&self, index: usize) -> Option<*const dyn Any> {
        self.values.get(index)?.as_deref().map(|v| v as *const dyn Any)
    }

    /// Stores `value`; if the slot was filled meanwhile (an `init` that used
    /// its own key), the new value replaces it, as with std's `thread_local!`,
    /// and the old one is handed back for the caller to drop *outside* any
    /// borrow of the map — its destructor may use fiber-locals.
    pub(crate) fn insert(
        &mut self,
        index: usize,
        value: Box<dyn Any>,
    ) -> (*const dyn Any, Option<Box<dyn Any>>) {
        if self.values.len() <= index {
            self.values.resize_with(index + 1, || None);
        }
        let old = self.values[index].replace(value);
        let new = self.values[index].as_deref().expect("just stored");
        (new as *const dyn Any, old)
    }

    /// Forgets every value without running destructors: for a map that
    /// would otherwise be dropped on another thread (see `Task`'s `Drop`).
    pub(crate) fn forget_all(&mut self) {
        for value in self.values.drain(..).flatten() {
            std::mem::forget(value);
        }
    }

    fn pop(&mut self) -> Option<Box<dyn Any>> {
        while let Some(last) = self.values.pop() {
            if last.is_some() {
                return last;
            }
        }
        None
    }
}

thread_local! {
    static THREAD_LOCALS: RefCell<LocalMap> = RefCell::new(LocalMap::default());
}

/// Runs `f` on the running fiber's map, or off a fiber on the thread's.
/// `f` must not reach a map again (no user code under it: `init`s and
/// drops run outside).
pub(crate) fn with_map<R>(f: impl FnOnce(&mut LocalMap) -> R) -> R {
    let mut f = Some(f);
    // SAFETY: only the running fiber reaches its map, and `f` gets it for
    // the duration of one call that does not reach a map again.
    let on_fiber = with_running(|task| (f.take().expect("once"))(unsafe { &mut *task.locals() }));
    match on_fiber {
        Some(r) => r,
        None => THREAD_LOCALS.with(|m| (f.take().expect("once"))(&mut m.borrow_mut())),
    }
}

/// Runs `f` on the running fiber's map; `None` off a fiber.
fn with_fiber_map<R>(f: impl FnOnce(&mut LocalMap) -> R) -> Option<R> {
    // SAFETY: as in `with_map`.
    with_running(|task| f(unsafe { &mut *task.locals() }))
}

/// Drops the current fiber's local values, one at a time and outside any
/// borrow, so a destructor may itself use fiber-locals.
///
/// A destructor that panics does not stop the others: every value is
/// dropped here, on the fiber, and the first panic is raised afterwards.
pub(crate) fn clear_current() {
    let mut first_panic = None;
    while let Some(value) = with_fiber_map(LocalMap::pop).flatten() {
        if let Err(payload) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(value))) {
            first_panic.get_or_insert(payload);
        }
    }
    if let Some(payload) = first_panic {
        std::panic::resume_unwind(payload);
    }
}
