//! Fiber-local storage: `fiber_local!` and [`LocalKey`].
//!
//! Each fiber has its own value of each key, created on first access and
//! dropped when the fiber ends; on a plain OS thread the same key gives a
//! per-thread value (like `thread_local!`). The values live in the maps of
//! `fiber/local.rs`.

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;

use crate::fiber::local::with_map;
use crate::loom::static_atomic::{AtomicUsize, Ordering::Relaxed};

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
        let ptr = match with_map(|map| map.get(index)) {
            Some(ptr) => ptr,
            None => {
                // Initialise outside any borrow: `init` may use other keys.
                let value: Box<dyn Any> = Box::new((self.init)());
                let (ptr, spare) = with_map(|map| map.insert(index, value));
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
