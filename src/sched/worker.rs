//! A worker: one OS thread, its fibers, and the dispatcher loop.
//!
//! [`Worker`] is the part of a worker owned by its thread and `!Send`: run
//! queue, fibers, timers, stack cache; it is the `fiber::carrier::Carrier`
//! its fibers park and yield through. What other threads see of it is
//! `WorkerShared` (`shared.rs`).
//!
//! The loop is the per-core dispatcher of DESIGN.md decision 3:
//!
//! 1. run the next runnable fiber (run queue; every [`UNSTARTED_INTERVAL`]
//!    runs, or when the run queue is empty, start an unstarted fiber);
//!    every [`POLL_INTERVAL`] runs, poll epoll with timeout 0, drain the
//!    inbox and fire due timers, so IO and remote wakes are never starved;
//! 2. with nothing runnable: poll once without blocking;
//! 3. still nothing: steal unstarted fibers from another worker;
//! 4. still nothing: spin for a moment on the inbox, if cross-worker
//!    wakes have been coming (`spin.rs`);
//! 5. still nothing: announce sleep, re-check, and block in `epoll_wait`
//!    until the next timer (`idle.rs` explains why no wake is lost). If
//!    it used stacks since it last slept, it first blocks at most
//!    [`IDLE_BEFORE_TRIM`] and, still idle, trims them before blocking on.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::ptr::{addr_of, addr_of_mut};
use std::time::{Duration, Instant};

use corosensei::CoroutineResult;

use super::fibers::{self, FiberSlot, Fibers, abandon, fiber_main};
use super::idle::Stolen;
use super::poll::{EVENTS_PER_POLL, POLL_INTERVAL};
use super::queue::{self, Unstarted};
use super::runtime::RuntimeShared;
pub(crate) use super::shared::WorkerShared;
use crate::fiber::carrier::{Carrier, Context, Request, StartedFiber};
use crate::fiber::park::Seq;
use crate::fiber::task::{Home, Task};
use crate::fiber::waiter::Waiter;
use crate::loom::static_atomic::AtomicPtr;
use crate::loom::sync::Arc;
use crate::stack::{StackCache, overflow};
use crate::sys::epoll::Event;
use crate::sys::ticks::TickOrigin;
use crate::time::timers::Timers;

/// Fiber runs between two looks at the unstarted queue while the run queue
/// is busy, so spawned fibers start even under a stream of wakeups.
pub(crate) const UNSTARTED_INTERVAL: u32 = 31;
/// A run-queue entry meaning "start the next unstarted fiber": a local
/// spawn pushes one, so new fibers take their turn in FIFO order with woken
/// ones. A token whose fiber was stolen is skipped.
pub(crate) const START_UNSTARTED: u32 = u32::MAX;
/// Spawns one fiber run may make before the spawner yields to its worker's
/// other fibers (tokio's cooperative budget is the same size): a loop that
/// spawns thousands of fibers neither holds up its worker — the fibers it
/// woke and the ones it spawned wait for it — nor trips the stall warning,
/// and at most this many of its fibers wait unstarted at a time on its
/// worker (idle workers steal them meanwhile).
pub(crate) const SPAWN_BUDGET: u32 = 128;
/// The thread-owned part of a worker.
pub(crate) struct Worker {
    pub(crate) shared: Arc<WorkerShared>,
    pub(crate) rt: Arc<RuntimeShared>,
    pub(super) events: RefCell<Box<[Event]>>,
    pub(crate) run_queue: RefCell<VecDeque<u32>>,
    /// The newest fiber spawned here while no other waited: it starts in its
    /// turn without touching the shared queue's lock (Go's `runnext`). Not
    /// stealable; a second spawn while it waits goes to the shared queue,
    /// which is what wakes an idle worker to steal.
    pub(super) runnext: Cell<Option<Unstarted>>,
    /// The fiber layer's view of this worker: its carrier and running fiber.
    pub(crate) context: Context,
    /// Set once shutdown begins: local spawns are refused from then on.
    pub(super) closed: Cell<bool>,
    pub(super) fibers: RefCell<Fibers>,
    pub(crate) timers: RefCell<Timers<Waiter>>,
    pub(crate) stacks: RefCell<StackCache>,
    pub(super) tick: Cell<u32>,
    /// Whether an idle worker polls without blocking before it sleeps:
    /// off after such a poll found nothing, on again when a poll finds
    /// more than one event (`poll.rs`).
    pub(super) idle_poll: Cell<bool>,
    /// Whether an idle worker spins before it sleeps: on after a sleep a
    /// remote wake ended, off after a spin that found nothing (`spin.rs`).
    pub(super) spin_pays: Cell<bool>,

    /// The run (its `switches` number) the last local spawn came from, and
    /// how many spawns that run has made (see [`SPAWN_BUDGET`]).
    spawn_budget: Cell<(u64, u32)>,
    /// When the worker started, by both clocks: the origin the fiber
    /// dump converts each wait's `since` (`sys::ticks`) from.
    pub(super) origin: TickOrigin,
    /// The next worker on the debugger's list (`debugger.rs`).
    pub(super) debug_next: AtomicPtr<Worker>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker").field("index", &self.shared.index).finish_non_exhaustive()
    }
}

impl Worker {
    pub(crate) fn new(rt: Arc<RuntimeShared>, index: usize) -> Self {
        let shared = rt.workers[index].clone();
        let stacks = StackCache::new(rt.stack_pool.clone());
        let context = Context::new();
        context.set_io_budget(rt.io_budget);
        Self {
            shared,
            rt,
            events: RefCell::new(vec![Event::EMPTY; EVENTS_PER_POLL].into_boxed_slice()),
            run_queue: RefCell::new(VecDeque::new()),
            runnext: Cell::new(None),
            context,
            closed: Cell::new(false),
            fibers: RefCell::new(Fibers::default()),
            timers: RefCell::new(Timers::new()),
            stacks: RefCell::new(stacks),
            tick: Cell::new(0),
            idle_poll: Cell::new(true),
            spin_pays: Cell::new(false),

            spawn_budget: Cell::new((0, 0)),
            origin: TickOrigin::now(),
            debug_next: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// The dispatcher loop; returns once the runtime shuts down and every
    /// fiber of this worker has been unwound.
    pub(crate) fn run(&self) {
        loop {
            // The shutdown check is one load: a fiber queued before shutdown
            // began must not start after it.
            while !self.rt.is_shutdown()
                && let Some(index) = self.next_fiber()
            {
                self.resume(index);
                let tick = self.tick.get().wrapping_add(1);
                self.tick.set(tick);
                if tick.is_multiple_of(POLL_INTERVAL) {
                    self.poll(Some(Duration::ZERO));
                }
            }
            if self.rt.is_shutdown() {
                break;
            }
            let work = if self.idle_poll.get() { self.poll(Some(Duration::ZERO)) } else { self.gather() };
            if work {
                continue;
            }
            self.idle_poll.set(false);
            if self.steal() || self.spin() {
                continue;
            }
            self.sleep();
        }
        self.shutdown();
    }

    /// The next fiber to resume, starting an unstarted one when it is its turn.
    fn next_fiber(&self) -> Option<u32> {
        if self.tick.get().is_multiple_of(UNSTARTED_INTERVAL)
            && let Some(fiber) = self.shared.unstarted.pop()
        {
            return Some(self.start(fiber));
        }
        loop {
            let next = self.run_queue.borrow_mut().pop_front();
            match next {
                Some(START_UNSTARTED) => {
                    if let Some(fiber) = self.next_unstarted() {
                        return Some(self.start(fiber));
                    }
                }
                Some(index) => return Some(index),
                None => return self.next_unstarted().map(|fiber| self.start(fiber)),
            }
        }
    }

    /// The oldest unstarted fiber of this worker: `runnext`, else the queue.
    fn next_unstarted(&self) -> Option<Unstarted> {
        self.runnext.take().or_else(|| self.shared.unstarted.pop())
    }

    /// Queues a fiber spawned by one of this worker's fibers, with its
    /// run-queue token. Returns whether it went to the shared queue behind
    /// another one waiting (work an idle worker could steal), or the fiber
    /// back once shutdown has begun.
    pub(crate) fn push_local(&self, fiber: Unstarted) -> Result<bool, Unstarted> {
        if self.closed.get() {
            return Err(fiber);
        }
        let spilled = queue::push_local(&self.runnext, &self.shared.unstarted, fiber)?;
        self.run_queue.borrow_mut().push_back(START_UNSTARTED);
        Ok(spilled)
    }

    /// Counts a spawn made by the running fiber: `true` once its run has
    /// made [`SPAWN_BUDGET`] spawns, when it should yield.
    pub(crate) fn spend_spawn_budget(&self) -> bool {
        let run = self.shared.counters.switches.get();
        let (last, spent) = self.spawn_budget.get();
        let spent = if last == run { spent.saturating_add(1) } else { 1 };
        self.spawn_budget.set((run, spent));
        spent >= SPAWN_BUDGET
    }

    /// Turns an unstarted fiber into a coroutine in a slot of this worker.
    fn start(&self, fiber: Unstarted) -> u32 {
        let Unstarted { task, stack, body } = fiber;
        let coro = super::Coro::with_stack(stack, move |yielder, ()| fiber_main(yielder, body));
        let order = self.shared.counters.started.get();
        let slot = FiberSlot { coro, fiber: StartedFiber::new(task), order };
        let mut fibers = self.fibers.borrow_mut();
        let index = fibers.insert(slot);
        let task = &fibers.get_mut(index).fiber.task;
        task.set_home(Home { scheduler: self.shared.clone(), slot: index });
        self.shared.counters.started.bump();
        index
    }

    /// Resumes fiber `index` until it suspends or ends, then acts on why.
    fn resume(&self, index: u32) {
        let (slot, task) = self.enter(index);
        let run = self.shared.counters.switches.bump_get();
        self.shared.run.begin(run, task);
        // Feature `tracing`: the fiber's span is entered for this run only.
        // SAFETY: the task outlives the run (its slot holds it).
        #[cfg(feature = "tracing")]
        let entered = unsafe { (*task).span.as_ref() }.map(tracing::Span::enter);
        // SAFETY: `slot` is live for the run and nothing else touches its
        // coroutine meanwhile (module docs of `fibers.rs`).
        let result = unsafe { &mut *addr_of_mut!((*slot).coro) }.resume(());
        #[cfg(feature = "tracing")]
        drop(entered);
        self.shared.run.end();
        self.leave(index, slot, result);
    }

    /// Makes fiber `index` current; returns its slot and task, valid for
    /// this run.
    // Always inlined into `resume`: the dump's capture calls it too.
    #[inline(always)]
    pub(super) fn enter(&self, index: u32) -> (*mut FiberSlot, *const Task) {
        let slot: *mut FiberSlot = self.fibers.borrow_mut().get_mut(index);
        // SAFETY: `slot` is live for the run; only field addresses are taken.
        let fiber = unsafe { addr_of!((*slot).fiber) };
        self.context.begin_run(fiber);
        // SAFETY: as above; only the `Arc<Task>`'s address is read.
        let task = Arc::as_ptr(unsafe { &(*fiber).task });
        // SAFETY: the task outlives the run (its slot holds it); the guard
        // info lives in it.
        overflow::set_running(unsafe { &(*task).guard });
        (slot, task)
    }

    /// Back on the worker's stack: files the fiber according to `result`.
    // Always inlined into `resume`, as `enter`.
    #[inline(always)]
    pub(super) fn leave(&self, index: u32, slot: *mut FiberSlot, result: CoroutineResult<Request, ()>) {
        self.clear_running();
        match result {
            CoroutineResult::Yield(request) => {
                let runnable = match request {
                    Request::Yield => true,
                    Request::Park(seq) => {
                        // SAFETY: the slot is live: the fiber is parked in it.
                        let task = unsafe { &(*addr_of!((*slot).fiber)).task };
                        !fibers::commit_park(&task.park, seq)
                    }
                };
                let counters = &self.shared.counters;
                if runnable {
                    if matches!(request, Request::Park(_)) {
                        counters.park_races.bump();
                    }
                    self.run_queue.borrow_mut().push_back(index);
                } else {
                    counters.parks.bump();
                }
            }
            CoroutineResult::Return(()) => {
                self.shared.run.retire();
                let FiberSlot { coro, fiber, .. } = self.fibers.borrow_mut().remove(index);
                self.stacks.borrow_mut().put(coro.into_stack());
                // Possibly the last reference; an unjoined result's drop is
                // guarded by `JoinSlot`'s `Drop`.
                drop(fiber);
            }
        }
    }

    /// Back on the worker's stack: no fiber runs.
    pub(super) fn clear_running(&self) {
        overflow::set_running(std::ptr::null());
        self.context.set_running(std::ptr::null());
    }

    /// Takes half the unstarted fibers of the first worker that has some.
    fn steal(&self) -> bool {
        match self.rt.workers().steal(self.shared.index, abandon) {
            Stolen::Nothing => false,
            Stolen::Refused(n) => {
                self.shared.counters.steals.add(n as u64);
                false
            }
            Stolen::Queued(n) => {
                self.shared.counters.steals.add(n as u64);
                self.run_queue.borrow_mut().extend(std::iter::repeat_n(START_UNSTARTED, n));
                true
            }
        }
    }

    /// Unwinds every fiber of this worker and drops every unstarted one.
    // Once per worker: kept out of `run`, whose hot loop it would crowd.
    #[inline(never)]
    fn shutdown(&self) {
        self.closed.set(true);
        queue::close_unstarted(&self.runnext, &self.shared.unstarted, abandon);
        self.context.set_unwinding(true);
        let live = self.fibers.borrow().live_newest_first();
        for index in live {
            let (slot, _) = self.enter(index);
            // SAFETY: `slot` is live (see `enter`); field pointers only.
            let (coro, task) =
                unsafe { (&mut *addr_of_mut!((*slot).coro), &(*addr_of!((*slot).fiber)).task) };
            // Runs the fiber's destructors on its own stack; the fiber cannot
            // suspend again (`unwinding`), so this returns once it is unwound.
            fibers::shut_down(task, || {
                coro.force_unwind();
                self.clear_running();
                self.shared.run.retire();
            });
            let FiberSlot { coro, fiber, .. } = self.fibers.borrow_mut().remove(index);
            let task = fiber.task;
            self.stacks.borrow_mut().put(coro.into_stack());
            drop(task);
        }
        self.run_queue.borrow_mut().clear();
        // Timers hold waiters (Arc<Task>s) of fibers that are gone: drop them.
        *self.timers.borrow_mut() = Timers::new();
        self.context.set_unwinding(false);
        self.shared.poller.close();
    }

    /// Number of live fibers on this worker.
    pub(crate) fn live_fibers(&self) -> usize {
        self.fibers.borrow().len()
    }
}

impl Carrier for Worker {
    fn park_until(&self, seq: Seq, deadline: Instant, waiter: Waiter) {
        let key = self.timers.borrow_mut().insert(deadline, waiter);
        self.context.suspend_park(seq);
        // A timer that fired is gone already: its key finds nothing.
        self.timers.borrow_mut().cancel(key);
    }

    fn is_closing(&self) -> bool {
        self.closed.get()
    }

    fn io_budget_spent(&self) {
        self.shared.counters.io_yields.bump();
        // Its neighbours may wait on timers or other fds: poll right after
        // this run, not POLL_INTERVAL such runs later (the loop polls when
        // the tick it is about to reach is a multiple of the interval).
        let tick = self.tick.get();
        self.tick.set((tick - tick % POLL_INTERVAL).wrapping_add(POLL_INTERVAL - 1));
    }

    fn suspend_thread(&self, request: Request) {
        self.context.suspend_coroutine(request);
    }
}
