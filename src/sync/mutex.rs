//! [`Mutex`]: std's `Mutex` API on a fiber-parking, fair lock.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::{LockResult, TryLockError, TryLockResult};

use super::poison;
use super::raw_mutex::RawMutex;
use crate::loom::cell::UnsafeCell;

/// A mutual exclusion lock with `std::sync::Mutex`'s API whose `lock`
/// parks only the calling fiber (or blocks the calling thread, off a
/// fiber).
///
/// `unlock` leaves the lock free for whoever runs first and wakes the
/// longest waiter to retry; a waiter that has waited longer than about
/// 1 ms makes the lock hand itself to waiters in order until none is
/// left, so none starves (see [`sync`](crate::sync)). Poisoning follows
/// std: a panic while the guard is held poisons the lock; the cancellation
/// of a fiber ([`JoinHandle::cancel`](crate::JoinHandle::cancel)), or its
/// unwinding by runtime shutdown, does not.
///
/// ```
/// use std::sync::Arc;
/// use fiberio::sync::Mutex;
///
/// let counter = Arc::new(Mutex::new(0));
/// let handles: Vec<_> = (0..10)
///     .map(|_| {
///         let counter = counter.clone();
///         fiberio::spawn(move || {
///             for _ in 0..100 {
///                 *counter.lock().unwrap() += 1;
///                 fiberio::yield_now();
///             }
///         })
///     })
///     .collect();
/// for h in handles {
///     h.join().unwrap();
/// }
/// assert_eq!(*counter.lock().unwrap(), 1000);
/// ```
pub struct Mutex<T: ?Sized> {
    pub(super) raw: RawMutex,
    pub(super) poison: poison::Flag,
    // The user's data, guarded by `raw`. Under loom the cell is loom's, so
    // every access through a guard is checked against the previous holder's:
    // a lock that fails to order two holders is a loom causality error.
    data: UnsafeCell<T>,
}

// SAFETY: as for std's Mutex: the lock gives one thread at a time access
// to `T`, so `T: Send` suffices for both.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: see `Send` above.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

/// Holds a [`Mutex`] locked; unlocks when dropped. Like std's, it is
/// `!Send` (fibers never change thread, so holding it across a blocking
/// call is fine).
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MutexGuard<'a, T: ?Sized + 'a> {
    pub(super) lock: &'a Mutex<T>,
    pub(super) poison: poison::Guard,
    _not_send: PhantomData<*const ()>,
}

// SAFETY: `&MutexGuard` only gives `&T`.
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}

impl<T> Mutex<T> {
    crate::loom::const_fn! {
        /// A new unlocked mutex holding `value`.
        pub fn new(value: T) -> Self {
            Self { raw: RawMutex::new(), poison: poison::Flag::new(), data: UnsafeCell::new(value) }
        }
    }

    /// Consumes the mutex and returns its value.
    ///
    /// # Errors
    ///
    /// `Err` (still holding the value) if the mutex is poisoned.
    pub fn into_inner(self) -> LockResult<T> {
        let poisoned = self.poison.get();
        poison::result(poisoned, self.data.into_inner())
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks, parking the fiber (or blocking the thread) until the lock is
    /// free. It is a cancellation point.
    ///
    /// # Errors
    ///
    /// `Err` holding the guard if the mutex is poisoned.
    #[inline]
    pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
        self.raw.lock();
        // SAFETY: the lock was just taken.
        unsafe { self.guard() }
    }

    /// Locks if the lock is free now.
    ///
    /// # Errors
    ///
    /// `WouldBlock` if it is held (or others wait for it); `Poisoned` with
    /// the guard if it is poisoned.
    pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
        if !self.raw.try_lock() {
            return Err(TryLockError::WouldBlock);
        }
        // SAFETY: the lock was just taken.
        Ok(unsafe { self.guard() }?)
    }

    /// Whether a panic poisoned the mutex.
    pub fn is_poisoned(&self) -> bool {
        self.poison.get()
    }

    /// Clears the poison flag.
    pub fn clear_poison(&self) {
        self.poison.clear();
    }

    /// The value, through a unique borrow (no locking needed).
    ///
    /// # Errors
    ///
    /// `Err` holding the reference if the mutex is poisoned.
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        // SAFETY: `&mut self` is unique: no guard exists.
        let value = self.data.with_mut(|p| unsafe { &mut *p });
        poison::map_result(&self.poison, value)
    }

    /// # Safety
    ///
    /// The caller has just taken `raw`; the guard releases it.
    #[inline]
    pub(super) unsafe fn guard(&self) -> LockResult<MutexGuard<'_, T>> {
        let guard = MutexGuard { lock: self, poison: self.poison.guard(), _not_send: PhantomData };
        poison::map_result(&self.poison, guard)
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard owns the lock.
        self.lock.data.with(|p| unsafe { &*p })
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard owns the lock, and `&mut self` is unique.
        self.lock.data.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        if crate::loom::cells_unreachable() {
            return;
        }
        self.lock.poison.done(&self.poison);
        self.lock.raw.unlock();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Ok(guard) => d.field("data", &&*guard),
            Err(TryLockError::Poisoned(err)) => d.field("data", &&**err.get_ref()),
            Err(TryLockError::WouldBlock) => d.field("data", &format_args!("<locked>")),
        };
        d.field("poisoned", &self.poison.get()).finish_non_exhaustive()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}
