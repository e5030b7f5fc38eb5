//! Fiber-local storage: `fiber_local!` and [`LocalKey`].
//!
//! Each fiber has its own value of each key, created on first access and
//! dropped when the fiber ends — inside the fiber, before its result is
//! published, so a joiner sees every destructor's effect. On a plain OS
//! thread the same key gives a per-thread value (like `thread_local!`).
//!
//! A fiber's map lives in its `Task` but is touched only by the fiber
//! itself; values may be `!Send`, and they never outlive the fiber.

use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;

use crate::loom::static_atomic::{AtomicUsize, Ordering::Relaxed};
use crate::sched;

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
    fn get(&self, index: usize) -> Option<*const dyn Any> {
        self.values.get(index)?.as_deref().map(|v| v as *const dyn Any)
    }

    /// Stores `value`; if the slot was filled meanwhile (an `init` that used
    /// its own key), the new value replaces it, as with std's `thread_local!`,
    /// and the old one is handed back for the caller to drop *outside* any
    /// borrow of the map — its destructor may use fiber-locals.
    fn insert(&mut self, index: usize, value: Box<dyn Any>) -> (*const dyn Any, Option<Box<dyn Any>>) {
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

/// Drops the current fiber's local values, one at a time and outside any
/// borrow, so a destructor may itself use fiber-locals.
///
/// A destructor that panics does not stop the others: every value is
/// dropped here, on the fiber, and the first panic is raised afterwards.
pub(crate) fn clear_current() {
    let mut first_panic = None;
    while let Some(value) = sched::with_current_locals(|map| map.pop()).flatten() {
        if let Err(payload) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(value))) {
            first_panic.get_or_insert(payload);
        }
    }
    if let Some(payload) = first_panic {
        std::panic::resume_unwind(payload);
    }
}

/// Declares fiber-local statics, like `std::thread_local!`.
///
/// ```
/// use std::cell::Cell;
/// fiberio::fiber_local! {
///     static COUNT: Cell<u32> = Cell::new(0);
/// }
/// let h = fiberio::spawn(|| {
///     COUNT.with(|c| c.set(c.get() + 1));
///     fiberio::yield_now();
///     COUNT.with(|c| c.get())
/// });
/// assert_eq!(h.join().unwrap(), 1); // each fiber starts from its own 0
/// ```
#[macro_export]
macro_rules! fiber_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr; $($rest:tt)*) => {
        $(#[$attr])*
        $vis static $name: $crate::LocalKey<$t> = {
            fn __init() -> $t {
                $init
            }
            $crate::LocalKey::new(__init)
        };
        $crate::fiber_local!($($rest)*);
    };
}

/// A key to a fiber-local value; declare one with [`fiber_local!`](crate::fiber_local!).
pub struct LocalKey<T: 'static> {
    init: fn() -> T,
    /// 1 + the key's index in every `LocalMap`; 0 until first use.
    index: AtomicUsize,
    _value: PhantomData<fn() -> T>,
}

static NEXT_INDEX: AtomicUsize = AtomicUsize::new(1);

impl<T: 'static> LocalKey<T> {
    #[doc(hidden)]
    pub const fn new(init: fn() -> T) -> Self {
        Self { init, index: AtomicUsize::new(0), _value: PhantomData }
    }

    fn index(&self) -> usize {
        let index = self.index.load(Relaxed);
        if index != 0 {
            return index - 1;
        }
        let fresh = NEXT_INDEX.fetch_add(1, Relaxed);
        match self.index.compare_exchange(0, fresh, Relaxed, Relaxed) {
            Ok(_) => fresh - 1,
            Err(winner) => winner - 1,
        }
    }

    /// Runs `f` with this fiber's value, creating it on first access.
    /// On a plain OS thread, the value is per thread.
    pub fn with<R>(&'static self, f: impl FnOnce(&T) -> R) -> R {
        let index = self.index();
        let lookup = |map: &mut LocalMap| map.get(index);
        let found = match sched::with_current_locals(lookup) {
            Some(found) => found,
            None => THREAD_LOCALS.with(|m| lookup(&mut m.borrow_mut())),
        };
        let ptr = match found {
            Some(ptr) => ptr,
            None => {
                // Initialise outside any borrow: `init` may use other keys.
                let value: Box<dyn Any> = Box::new((self.init)());
                let insert = |map: &mut LocalMap| map.insert(index, value);
                let (ptr, spare) = if sched::in_fiber() {
                    sched::with_current_locals(insert).expect("in a fiber")
                } else {
                    THREAD_LOCALS.with(|m| insert(&mut m.borrow_mut()))
                };
                drop(spare); // outside the borrow: its destructor may use locals
                ptr
            }
        };
        // SAFETY: the value is boxed, so it stays put while the map grows; it
        // is dropped only when its fiber (or thread) ends, and this fiber is
        // running `f` now. The box holds a `T`: it was created for this key.
        let value = unsafe { &*ptr }.downcast_ref::<T>().expect("fiber-local of the key's type");
        f(value)
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalKey").finish_non_exhaustive()
    }
}
