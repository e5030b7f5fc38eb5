//! The parties of a sync test and where they run: every setting of
//! fibers on one worker, across workers, mixed with threads, and threads.

use super::{Placed, spawn_on};

/// Where the parties of a sync test run (issue 4, item 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// Every party a fiber on worker 0.
    SameWorker,
    /// Fibers alternating between workers 0 and 1.
    CrossWorker,
    /// Even parties fibers (alternating workers), odd parties plain threads.
    FiberAndThread,
    /// Every party a plain OS thread, blocking the thread.
    Threads,
}

/// The four settings, in order.
pub const SETTINGS: [Setting; 4] =
    [Setting::SameWorker, Setting::CrossWorker, Setting::FiberAndThread, Setting::Threads];

impl Setting {
    /// Whether party `i` runs on a fiber.
    pub fn is_fiber(self, i: usize) -> bool {
        match self {
            Setting::SameWorker | Setting::CrossWorker => true,
            Setting::FiberAndThread => i.is_multiple_of(2),
            Setting::Threads => false,
        }
    }
}

/// A party of a sync test: a placed fiber or a plain thread.
pub enum Party<T> {
    Fiber(Placed<T>),
    Thread(std::thread::JoinHandle<T>),
}

impl<T: Send + 'static> Party<T> {
    /// Waits for the party and returns its result.
    pub fn join(self) -> std::thread::Result<T> {
        match self {
            Party::Fiber(p) => p.join(),
            Party::Thread(t) => t.join(),
        }
    }
}

/// Starts party `i` of `setting` on `rt` (fibers) or a new thread.
pub fn start<T, F>(rt: &fiberio::Runtime, setting: Setting, i: usize, f: F) -> Party<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match setting {
        Setting::SameWorker => Party::Fiber(spawn_on(rt, 0, f)),
        Setting::CrossWorker => Party::Fiber(spawn_on(rt, i % 2, f)),
        Setting::FiberAndThread if i.is_multiple_of(2) => Party::Fiber(spawn_on(rt, (i / 2) % 2, f)),
        _ => Party::Thread(std::thread::spawn(f)),
    }
}

/// Runs `n` parties of `setting`, party `i` calling `f(i)`; returns their
/// results in order, panicking (with the setting named) if one panicked.
pub fn run_parties<T, F>(rt: &fiberio::Runtime, setting: Setting, n: usize, f: F) -> Vec<T>
where
    F: Fn(usize) -> T + Send + Sync + 'static,
    T: Send + 'static,
{
    let f = std::sync::Arc::new(f);
    let parties: Vec<Party<T>> = (0..n)
        .map(|i| {
            let f = f.clone();
            start(rt, setting, i, move || f(i))
        })
        .collect();
    parties
        .into_iter()
        .enumerate()
        .map(|(i, p)| p.join().unwrap_or_else(|_| panic!("{setting:?}: party {i} panicked")))
        .collect()
}

/// Yields the fiber, or the thread off a fiber: a point where another
/// party may run inside a critical section if exclusion were broken.
pub fn yield_any() {
    fiberio::yield_now();
}

/// A counter with no synchronisation of its own: a lost update shows that
/// two parties were inside one critical section at once.
pub struct Racy(std::cell::UnsafeCell<u64>);

// SAFETY: only touched by parties holding the lock under test; that is
// what the tests check.
unsafe impl Sync for Racy {}

impl Racy {
    pub const fn new() -> Self {
        Self(std::cell::UnsafeCell::new(0))
    }

    /// Read, yield, write back plus one: loses updates without exclusion.
    pub fn bump_slowly(&self) {
        // SAFETY: the caller holds the lock under test (a broken lock shows
        // up as a wrong count, the point of the test).
        let v = unsafe { std::ptr::read_volatile(self.0.get()) };
        yield_any();
        // SAFETY: as above.
        unsafe { std::ptr::write_volatile(self.0.get(), v + 1) };
    }

    pub fn get(&self) -> u64 {
        // SAFETY: read once every party has been joined.
        unsafe { std::ptr::read_volatile(self.0.get()) }
    }
}
