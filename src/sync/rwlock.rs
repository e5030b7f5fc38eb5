//! [`RwLock`]: std's `RwLock` API, parking fibers, on the barging lock
//! with bounded waiting of `raw_rwlock.rs`.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::{LockResult, TryLockError, TryLockResult};

use super::poison;
use super::raw_rwlock::{RawRwLock, Want};
use crate::loom::cell::UnsafeCell;

/// A reader-writer lock with `std::sync::RwLock`'s API whose waits park
/// the fiber (or block the thread). A released lock is free for whoever
/// runs first, so a contended hand-off does not wait for a woken fiber to
/// be scheduled; a waiter that has waited longer than about 1 ms switches
/// the lock to serving waiters in order, so neither readers nor writers
/// starve (a queued writer holds back new readers from then on). A panic
/// while writing poisons it, as in std.
///
/// ```
/// use fiberio::sync::RwLock;
/// let lock = RwLock::new(5);
/// {
///     let r1 = lock.read().unwrap();
///     let r2 = lock.read().unwrap();
///     assert_eq!(*r1 + *r2, 10);
/// }
/// *lock.write().unwrap() += 1;
/// assert_eq!(*lock.read().unwrap(), 6);
/// ```
pub struct RwLock<T: ?Sized> {
    raw: RawRwLock,
    poison: poison::Flag,
    /// The user's data; under loom, loom's cell checks that every access
    /// is ordered after the last conflicting one (a reader after the
    /// writer before it, a writer after every earlier holder).
    data: UnsafeCell<T>,
}

// SAFETY: as for std's RwLock: writers get unique access (needs `Send`),
// readers share `&T` across threads (needs `Sync`).
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: see `Send` above.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

/// Shared access to an [`RwLock`]; released when dropped.
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockReadGuard<'a, T: ?Sized + 'a> {
    lock: &'a RwLock<T>,
    _not_send: PhantomData<*const ()>,
}

/// Unique access to an [`RwLock`]; released when dropped.
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockWriteGuard<'a, T: ?Sized + 'a> {
    lock: &'a RwLock<T>,
    poison: poison::Guard,
    _not_send: PhantomData<*const ()>,
}

// SAFETY: shared references to the guards only give `&T`.
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Sync> Sync for RwLockWriteGuard<'_, T> {}

impl<T> RwLock<T> {
    crate::loom::const_fn! {
        /// A new unlocked lock holding `value`.
        pub fn new(value: T) -> Self {
            Self {
                raw: RawRwLock::new(),
                poison: poison::Flag::new(),
                data: UnsafeCell::new(value),
            }
        }
    }

    /// Consumes the lock and returns its value.
    ///
    /// # Errors
    ///
    /// `Err` (holding the value) if the lock is poisoned.
    pub fn into_inner(self) -> LockResult<T> {
        let poisoned = self.poison.get();
        poison::result(poisoned, self.data.into_inner())
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Takes shared access, waiting while a writer holds the lock (or, in
    /// hand-off mode, behind queued waiters). A cancellation point.
    ///
    /// # Errors
    ///
    /// `Err` holding the guard if the lock is poisoned.
    pub fn read(&self) -> LockResult<RwLockReadGuard<'_, T>> {
        self.raw.acquire(Want::Read);
        poison::map_result(&self.poison, self.read_guard())
    }

    /// Takes unique access, waiting for readers or a writer (or, in
    /// hand-off mode, behind queued waiters). A cancellation point.
    ///
    /// # Errors
    ///
    /// `Err` holding the guard if the lock is poisoned.
    pub fn write(&self) -> LockResult<RwLockWriteGuard<'_, T>> {
        self.raw.acquire(Want::Write);
        poison::map_result(&self.poison, self.write_guard())
    }

    /// Takes shared access if that needs no wait.
    ///
    /// # Errors
    ///
    /// `WouldBlock`, or `Poisoned` holding the guard.
    pub fn try_read(&self) -> TryLockResult<RwLockReadGuard<'_, T>> {
        if !self.raw.try_take(Want::Read) {
            return Err(TryLockError::WouldBlock);
        }
        Ok(poison::map_result(&self.poison, self.read_guard())?)
    }

    /// Takes unique access if that needs no wait.
    ///
    /// # Errors
    ///
    /// `WouldBlock`, or `Poisoned` holding the guard.
    pub fn try_write(&self) -> TryLockResult<RwLockWriteGuard<'_, T>> {
        if !self.raw.try_take(Want::Write) {
            return Err(TryLockError::WouldBlock);
        }
        Ok(poison::map_result(&self.poison, self.write_guard())?)
    }

    /// Whether a panicking writer poisoned the lock.
    pub fn is_poisoned(&self) -> bool {
        self.poison.get()
    }

    /// Clears the poison flag.
    pub fn clear_poison(&self) {
        self.poison.clear();
    }

    /// The value, through a unique borrow.
    ///
    /// # Errors
    ///
    /// `Err` holding the reference if the lock is poisoned.
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        // SAFETY: `&mut self` is unique: no guard exists.
        let value = self.data.with_mut(|p| unsafe { &mut *p });
        poison::map_result(&self.poison, value)
    }

    fn read_guard(&self) -> RwLockReadGuard<'_, T> {
        RwLockReadGuard { lock: self, _not_send: PhantomData }
    }

    fn write_guard(&self) -> RwLockWriteGuard<'_, T> {
        RwLockWriteGuard { lock: self, poison: self.poison.guard(), _not_send: PhantomData }
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds shared access: no writer exists.
        self.lock.data.with(|p| unsafe { &*p })
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds unique access.
        self.lock.data.with(|p| unsafe { &*p })
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds unique access, and `&mut self` is unique.
        self.lock.data.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        if crate::loom::cells_unreachable() {
            return;
        }
        self.lock.raw.release(Want::Read);
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        if crate::loom::cells_unreachable() {
            return;
        }
        self.lock.poison.done(&self.poison);
        self.lock.raw.release(Want::Write);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(guard) => d.field("data", &&*guard),
            Err(TryLockError::Poisoned(err)) => d.field("data", &&**err.get_ref()),
            Err(TryLockError::WouldBlock) => d.field("data", &format_args!("<locked>")),
        };
        d.field("poisoned", &self.poison.get()).finish_non_exhaustive()
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}
