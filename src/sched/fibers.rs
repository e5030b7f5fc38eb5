//! The fibers a worker owns: coroutine slots, the fiber entry point, what
//! becomes of a fiber that parks ([`commit_park`], the worker's half of
//! the two-phase park), and the completion of fibers at shutdown
//! ([`abandon`] for those that never ran, [`shut_down`] for started ones).
//! `commit_park` decides and `shut_down` takes the context switch as a
//! closure, so the loom models run them as the worker does.
//!
//! A started fiber is a corosensei `Coroutine` in one slot of its worker's
//! [`Fibers`] slab; the slot index is how wakers name it (run queue, inbox).
//! Slots are `!Send` — a coroutine never leaves the thread that created it
//! (DESIGN.md decision 1) — and the slab is touched only by its worker.
//!
//! A fiber is resumed in place, through raw pointers to its slot's
//! coroutine and `Arc<Task>`. They stay valid for the whole run because the
//! slab is touched only by the worker loop between runs: slots are added
//! (and the vector possibly moved) when a fiber starts, and removed when it
//! ends or is unwound, never while a fiber runs. A fiber is in its worker's
//! run queue at most once (the park protocol wakes it once), so no two
//! resumes of one slot overlap.

use std::fmt;

use corosensei::Coroutine;

use super::queue::Unstarted;
use crate::fiber::carrier::{FiberYielder, Request, StartedFiber};
use crate::fiber::local::clear_current;
use crate::fiber::park::{ParkState, Seq};
use crate::fiber::task::Output;
use crate::fiber::task::Task;
use crate::fiber::{drop_or_abort, shutdown_output};
use crate::loom::mutation::{self, Mutation};
use crate::stack::FiberStack;

/// The worker's half of a fiber's park, back on its own stack after the
/// fiber suspended to park wait `seq` (two-phase park, races 1 and 2):
/// commits the park. `true`: parked, the wake that wins schedules it.
/// `false`: a wake won since the fiber opened its wait and left the fiber
/// to this worker, which must put it back on its run queue at once.
#[inline(always)]
pub(crate) fn commit_park(park: &ParkState, seq: Seq) -> bool {
    if mutation::on(Mutation::CommitFailureParks) {
        // BROKEN: a failed commit is taken for a park; nobody runs the
        // woken fiber.
        park.commit(seq);
        return true;
    }
    park.commit(seq)
}

/// A fiber's coroutine: resumed with `()`, yields a [`Request`].
pub(crate) type Coro = Coroutine<(), Request, (), FiberStack>;

/// One started fiber.
pub(crate) struct FiberSlot {
    pub(crate) coro: Coro,
    /// Its task and yielder, for the fiber layer (`fiber::carrier`).
    pub(crate) fiber: StartedFiber,
    /// When the fiber started on this worker, in its worker's count: shutdown
    /// unwinds the newest first, so a fiber in `block_on` outlives the
    /// fiber running its body.
    pub(crate) order: u64,
}

impl fmt::Debug for FiberSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FiberSlot")
            .field("task", &self.fiber.task)
            .field("started", &self.coro.started())
            .finish()
    }
}

/// A slab of fiber slots with a free list.
#[derive(Debug, Default)]
pub(crate) struct Fibers {
    slots: Vec<Option<FiberSlot>>,
    free: Vec<u32>,
}

impl Fibers {
    /// Stores a slot; returns its index.
    #[inline]
    pub(crate) fn insert(&mut self, slot: FiberSlot) -> u32 {
        match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(slot);
                i
            }
            None => {
                self.slots.push(Some(slot));
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 fibers per worker")
            }
        }
    }

    /// The slot at `index`, which must be live.
    pub(crate) fn get_mut(&mut self, index: u32) -> &mut FiberSlot {
        self.slots[index as usize].as_mut().expect("a live fiber slot")
    }

    /// Frees the slot at `index`, which must be live.
    pub(crate) fn remove(&mut self, index: u32) -> FiberSlot {
        let slot = self.slots[index as usize].take().expect("a live fiber slot");
        self.free.push(index);
        slot
    }

    /// The slot at `index`, if it is live.
    pub(crate) fn get(&self, index: u32) -> Option<&FiberSlot> {
        self.slots.get(index as usize)?.as_ref()
    }

    /// Indices of all live slots, the most recently started first.
    pub(crate) fn live_newest_first(&self) -> Vec<u32> {
        let mut live: Vec<(u64, u32)> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|s| (s.order, i as u32)))
            .collect();
        live.sort_unstable_by(|a, b| b.cmp(a));
        live.into_iter().map(|(_, i)| i).collect()
    }

    /// Number of live fibers.
    pub(crate) fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }
}

/// Completes a fiber that will never run with the shutdown error.
pub(crate) fn abandon(fiber: Unstarted) {
    let Unstarted { task, stack, body } = fiber;
    // Drop the closure (and whatever it captured) before the joiner learns.
    drop_or_abort(body);
    drop(stack);
    task.join.complete(shutdown_output());
}

/// Shuts down a started fiber (race 5): closes its park state — its open
/// wait ends with `Reason::Shutdown`, a later one fails at once, a late
/// wake loses — unwinds it with `unwind` (the fiber cannot suspend
/// again), and completes its joiner with the shutdown error unless the
/// fiber produced a result.
pub(crate) fn shut_down(task: &Task, unwind: impl FnOnce()) {
    task.park.close();
    unwind();
    if !task.join.is_done() {
        task.join.complete(shutdown_output());
    }
}

/// The first code a fiber runs, on its own stack.
pub(super) fn fiber_main(yielder: &FiberYielder, body: Box<dyn FnOnce() -> Output + Send>) {
    let worker = super::context::worker().expect("fibers run on workers");
    // The slot holding the task outlives the body; the yielder lives on
    // this fiber's stack for as long as the fiber.
    let task: &Task = worker.context.first_run(yielder);
    let output = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // Fiber-locals are dropped here, inside the fiber, even when it unwinds.
        let _locals = LocalsGuard;
        // Cancelled before it started: unwind at once, the closure unrun.
        crate::fiber::cancel::check(task);
        body()
    }));
    if worker.context.is_unwinding() {
        // Shutdown unwound this fiber (or the fiber caught that unwind and
        // returned anyway). Returning normally ends the forced unwind as
        // well as re-raising it would, and cannot carry a second panic
        // into the worker. A result the fiber still produced stands.
        match output {
            Ok(output) => task.join.complete(output),
            Err(payload) => {
                drop_or_abort(payload);
                task.join.complete(shutdown_output());
            }
        }
        return;
    }
    let output = output.unwrap_or_else(Err);
    // Counted before the joiner can see the result, so metrics agree with it.
    worker.shared.counters.finished.bump();
    task.join.complete(output);
}

/// Drops the running fiber's locals when the fiber's body ends or unwinds.
struct LocalsGuard;

impl Drop for LocalsGuard {
    fn drop(&mut self) {
        clear_current();
    }
}
