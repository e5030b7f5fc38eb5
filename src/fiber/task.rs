//! The fiber control block shared between threads.
//!
//! A [`Task`] is what other threads know of a fiber: its id and name, its
//! [`ParkState`], where it lives once started ([`Home`]), and the slot its
//! result goes to. It is `Send + Sync` and reference-counted: join handles,
//! waiters and timers hold it.
//!
//! A fiber's home is its worker's [`Scheduler`] — what a waker needs to
//! make the fiber runnable again — and its slot there: the scheduler
//! implements the trait, so the fiber layer (and the reactor above it)
//! never names the scheduler (STYLE.md 13).
//!
//! What must never leave the fiber's worker does not live here: the
//! coroutine itself is held by the worker (`sched::fibers`), and fiber-local
//! values, which may be `!Send`, are emptied by the fiber itself before it
//! ends (`fiber::local`), so a `Task` dropped on another thread holds none.

use std::any::Any;
use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;
use std::panic::Location;
use std::sync::Arc as StdArc;
use std::thread;

use super::join_slot::JoinSlot;
use super::local::LocalMap;
use super::park::ParkState;
use crate::loom::cell::UnsafeCell;
use crate::loom::static_atomic::{AtomicU64, Ordering::Relaxed};
use crate::loom::sync::Arc;
use crate::stack::overflow::GuardInfo;

/// What a fiber body returns, with its type erased (`Box` of a zero-sized
/// value does not allocate).
pub(crate) type Output = thread::Result<Box<dyn Any + Send>>;

/// The worker a started fiber lives on, as the fiber's wakers see it
/// (implemented by the scheduler's shared worker state).
pub(crate) trait Scheduler: Send + Sync + fmt::Debug {
    /// Makes fiber `slot` of this worker runnable. Called, from any thread,
    /// by the one waker that won against the fiber's committed park: the
    /// fiber is scheduled at most once per wait.
    fn schedule(&self, slot: u32);
}

/// What the spawner says of a new fiber: its name, where it was spawned,
/// and (feature `tracing`) the span its runs are entered in.
#[derive(Debug)]
pub(crate) struct Spec {
    pub(crate) name: Option<String>,
    pub(crate) location: &'static Location<'static>,
    /// Entered by the worker for each run of the fiber (`sched::worker`).
    #[cfg(feature = "tracing")]
    pub(crate) span: Option<tracing::Span>,
}

impl Spec {
    /// A fiber spawned at `location`, unnamed, in no span (the loom face).
    #[cfg(loom)]
    pub(crate) fn at(location: &'static Location<'static>) -> Self {
        Self {
            name: None,
            location,
            #[cfg(feature = "tracing")]
            span: None,
        }
    }
}

/// Where a started fiber lives: its worker and its slot there.
#[derive(Debug)]
pub(crate) struct Home {
    pub(crate) scheduler: Arc<dyn Scheduler>,
    pub(crate) slot: u32,
}

/// The shared part of a fiber.
pub(crate) struct Task {
    /// Park protocol state of this fiber.
    pub(crate) park: ParkState,
    /// Written once by the worker that starts the fiber, before its first
    /// resume; read by wakers only after they win against a committed park
    /// (the commit CAS releases it, the waker's CAS acquires it).
    home: UnsafeCell<Option<Home>>,
    /// Result and join waiter.
    pub(crate) join: JoinSlot,
    /// Guard page, stack size, and the fiber's id and name (also read by
    /// the stack-overflow handler).
    pub(crate) guard: GuardInfo,
    /// Fiber-local values; touched only by the fiber itself, on its worker.
    locals: UnsafeCell<LocalMap>,
    /// Set when the fiber starts unwinding because it was cancelled
    /// (`fiber::cancel`); only the fiber itself touches it.
    cancel_unwinding: Cell<bool>,
    /// Where the fiber was spawned (`#[track_caller]` on the spawn calls),
    /// for the fiber dump and the stall report.
    location: &'static Location<'static>,
    /// The span the worker enters for each run of the fiber.
    #[cfg(feature = "tracing")]
    pub(crate) span: Option<tracing::Span>,
}

// Why a `Task` may cross threads: `home` is written once before the fiber
// runs and only read after a synchronising CAS on `park` (see the field
// doc); `locals` and `cancel_unwinding` are touched only by the fiber itself, on the worker that
// runs it, and is emptied before the fiber completes (or leaked by `Drop`),
// so no `!Send` value is ever dropped or seen elsewhere; every other field
// is `Send + Sync` by itself.
// SAFETY: the invariants just above.
unsafe impl Send for Task {}
// SAFETY: as for `Send` above.
unsafe impl Sync for Task {}

/// A fiber's identifier, unique within the process for its lifetime.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct FiberId(NonZeroU64);

impl FiberId {
    /// The id of the fiber numbered `id` (ids start at 1).
    pub(crate) fn from_u64(id: u64) -> Option<Self> {
        NonZeroU64::new(id).map(Self)
    }

    /// The id as a number (never 0).
    pub fn as_u64(&self) -> NonZeroU64 {
        self.0
    }
}

impl fmt::Display for FiberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Task {
    /// A task for a fiber as `spec` describes it, whose stack has guard
    /// `guard` and `stack_size` bytes.
    pub(crate) fn new(spec: Spec, guard: std::ops::Range<usize>, stack_size: usize) -> Self {
        let id = next_id();
        let name: Option<StdArc<str>> = spec.name.map(StdArc::from);
        Self {
            guard: GuardInfo::new(guard, stack_size, id, name),
            park: ParkState::new(),
            home: UnsafeCell::new(None),
            join: JoinSlot::new(),
            locals: UnsafeCell::new(LocalMap::default()),
            cancel_unwinding: Cell::new(false),
            location: spec.location,
            #[cfg(feature = "tracing")]
            span: spec.span,
        }
    }

    /// Where the fiber was spawned.
    pub(crate) fn location(&self) -> &'static Location<'static> {
        self.location
    }

    /// The fiber's id, unique in the process.
    pub(crate) fn id(&self) -> u64 {
        self.guard.id
    }

    /// The fiber's id, as the public API shows it.
    pub(crate) fn fiber_id(&self) -> FiberId {
        FiberId::from_u64(self.id()).expect("fiber ids start at 1")
    }

    /// The fiber's name, if it was given one.
    pub(crate) fn name(&self) -> Option<&str> {
        self.guard.name.as_deref()
    }

    /// Records where the fiber lives. Called once, by the starting worker,
    /// before the first resume.
    pub(crate) fn set_home(&self, home: Home) {
        // SAFETY: no other thread reads `home` before the fiber has parked
        // at least once, which happens after this write (field doc).
        self.home.with_mut(|h| unsafe { *h = Some(home) });
    }

    /// Makes the fiber runnable on its worker. Only for the waker that won
    /// against the fiber's committed park (`Wake::WonParked`).
    pub(crate) fn schedule(&self) {
        self.home.with(|h| {
            // SAFETY: the caller won against a committed park, so the fiber
            // has started and the write in `set_home` happened before this
            // read (the commit CAS released it, the waker's CAS acquired it).
            let home = unsafe { (*h).as_ref() }.expect("fiber woken before it started");
            home.scheduler.schedule(home.slot)
        })
    }

    /// The fiber-local map of this fiber. Only the fiber itself may
    /// dereference it, while it runs, and never across a call that may
    /// reach the map again.
    pub(crate) fn locals(&self) -> *mut LocalMap {
        self.locals.with_mut(|l| l)
    }

    /// Marks that the fiber unwinds because it was cancelled (`true`), or
    /// that such an unwind was caught and is over (`false`). Only the
    /// fiber itself calls this (and [`cancel_unwinding`](Self::cancel_unwinding)).
    pub(crate) fn set_cancel_unwinding(&self, unwinding: bool) {
        self.cancel_unwinding.set(unwinding);
    }

    /// Whether the fiber has started a cancellation unwind.
    pub(crate) fn cancel_unwinding(&self) -> bool {
        self.cancel_unwinding.get()
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        // Normally empty: a fiber drops its locals before it completes. If a
        // worker died mid-fiber, they may remain — possibly `!Send` values on
        // the wrong thread now — so they are leaked, never dropped here.
        if crate::loom::cells_unreachable() {
            return;
        }
        // `&mut self`: no fiber uses this map any more.
        crate::loom::take_cell(&mut self.locals).forget_all();
    }
}

impl fmt::Debug for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task").field("id", &self.id()).field("name", &self.name()).finish_non_exhaustive()
    }
}

static NEXT_ID_BLOCK: AtomicU64 = AtomicU64::new(1);
const ID_BLOCK: u64 = 1024;

thread_local! {
    /// This thread's reserved range of ids: `(next, end)`.
    static IDS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

/// A process-unique fiber id; threads reserve them in blocks so that
/// spawning does not bounce one shared counter between cores.
fn next_id() -> u64 {
    IDS.with(|ids| {
        let (mut next, mut end) = ids.get();
        if next == end {
            next = NEXT_ID_BLOCK.fetch_add(ID_BLOCK, Relaxed);
            end = next + ID_BLOCK;
        }
        ids.set((next + 1, end));
        next
    })
}
