//! The scheduler's protocols and their glue, for the loom models: worker
//! sleep/notify with the worker's re-check, the remote wake, the spawner's
//! submit, stealing and the shutdown broadcast (`src/sched/idle.rs`), the
//! remote inbox (`inbox.rs`), the unstarted queue and its close at
//! shutdown (`queue.rs`), and what the worker does with a fiber that
//! suspended or that shutdown ends (`fibers.rs`).
//!
//! A [`Runtime`] here is `RuntimeShared` without threads: its workers'
//! shared halves are the runtime's types — sleep state, inbox, unstarted
//! queue — and the functions called on them are the ones `Worker` and
//! `RuntimeShared` call. Only two things are the model's: fibers in the
//! queues are plain numbers, and a worker's eventfd is a counter of
//! writes, which the model's "epoll_wait" reads and resets as the poller
//! drains the real one.

use std::cell::Cell;
use std::collections::VecDeque;

use super::park::Waiter;
use crate::fiber::task::{Home, Scheduler, Spec, Task};
use crate::fiber::waiter;
use crate::loom::sync::Arc;
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use crate::sched::fibers;
use crate::sched::idle::{self, SleepState, Sleeper, Stolen, Workers};
use crate::sched::inbox::Inbox;
use crate::sched::queue::{self, UnstartedQueue};

/// One worker's shared half (`WorkerShared` without its poller).
#[derive(Debug)]
struct Shared {
    sleep: SleepState,
    inbox: Inbox,
    unstarted: UnstartedQueue<u32>,
    /// The eventfd: writes not yet read by an `epoll_wait`.
    eventfd: AtomicUsize,
}

impl Sleeper for Shared {
    type Fiber = u32;

    fn sleep_state(&self) -> &SleepState {
        &self.sleep
    }
    fn inbox(&self) -> &Inbox {
        &self.inbox
    }
    fn unstarted(&self) -> &UnstartedQueue<u32> {
        &self.unstarted
    }
    fn write_eventfd(&self) {
        self.eventfd.fetch_add(1, Release);
    }
}

/// A woken fiber goes back to its worker as from a thread that is not the
/// worker's (`WorkerShared::schedule`'s remote branch).
impl Scheduler for Shared {
    fn schedule(&self, slot: u32) {
        idle::wake_remote(self, slot);
    }
}

/// A runtime's workers as other threads and the workers themselves see
/// them (`RuntimeShared`); workers are numbered from 0.
#[derive(Debug)]
pub struct Runtime {
    workers: Vec<Arc<Shared>>,
    sleepers: AtomicUsize,
    shutdown: AtomicBool,
    next_remote: AtomicUsize,
}

impl Runtime {
    /// A runtime of `workers` workers, all awake, nothing queued.
    pub fn new(workers: usize) -> Self {
        let shared = (0..workers)
            .map(|_| {
                Arc::new(Shared {
                    sleep: SleepState::new(),
                    inbox: Inbox::new(),
                    unstarted: UnstartedQueue::new(),
                    eventfd: AtomicUsize::new(0),
                })
            })
            .collect();
        Self {
            workers: shared,
            sleepers: AtomicUsize::new(0),
            shutdown: AtomicBool::new(false),
            next_remote: AtomicUsize::new(0),
        }
    }

    fn view(&self) -> Workers<'_, Shared> {
        Workers {
            workers: &self.workers,
            sleepers: &self.sleepers,
            shutdown: &self.shutdown,
            next_remote: &self.next_remote,
        }
    }

    /// Worker `me`, out of work (`Worker::sleep`): counts itself a
    /// sleeper, announces, re-checks its inbox, every unstarted queue and
    /// the shutdown flag. `true` if it may block in `epoll_wait`.
    pub fn prepare_sleep(&self, me: usize) -> bool {
        self.view().prepare_sleep(&self.workers[me])
    }

    /// Worker `me`: the sleep is over; whether a notifier wrote its eventfd.
    pub fn end_sleep(&self, me: usize) -> bool {
        self.view().end_sleep(&self.workers[me])
    }

    /// Worker `me`'s `epoll_wait` reads its eventfd: the writes since the
    /// last read (0: it would block).
    pub fn read_eventfd(&self, me: usize) -> usize {
        self.workers[me].eventfd.swap(0, Acquire)
    }

    /// Worker `me`'s eventfd writes not yet read.
    pub fn eventfd(&self, me: usize) -> usize {
        self.workers[me].eventfd.load(Acquire)
    }

    /// Worker `me` (`Worker::gather`): takes everything in its inbox.
    pub fn drain_inbox(&self, me: usize) -> Vec<u32> {
        let mut q = VecDeque::new();
        self.workers[me].inbox.drain_into(&mut q);
        q.into()
    }

    /// Worker `me`: whether its inbox flag says something waits.
    pub fn inbox_pending(&self, me: usize) -> bool {
        self.workers[me].inbox.is_pending()
    }

    /// Worker `me`: its oldest unstarted fiber.
    pub fn pop(&self, me: usize) -> Option<u32> {
        self.workers[me].unstarted.pop()
    }

    /// Thief `me` (`Worker::steal`): takes half of another worker's
    /// unstarted fibers into its own queue; how many.
    pub fn steal(&self, me: usize) -> usize {
        match self.view().steal(me, drop) {
            Stolen::Nothing => 0,
            Stolen::Queued(n) => n,
            Stolen::Refused(_) => unreachable!("the models steal only into an open queue"),
        }
    }

    /// Any thread but worker `to`'s (`WorkerShared::wake_remote`): hands
    /// it woken fiber `slot`. Whether this call wrote the eventfd.
    pub fn wake_remote(&self, to: usize, slot: u32) -> bool {
        idle::wake_remote(&*self.workers[to], slot)
    }

    /// A spawn from outside the runtime (`RuntimeShared::submit`): queues
    /// `fiber` on the next worker in turn and wakes whom it must.
    /// `Some(fiber)`: refused (shutdown), to be completed with the
    /// shutdown error.
    pub fn submit(&self, fiber: u32) -> Option<u32> {
        let mut refused = None;
        let no_local: Option<fn(u32) -> Result<bool, u32>> = None;
        self.view().submit(fiber, no_local, |f| refused = Some(f));
        refused
    }

    /// A spawn from a fiber of worker `me` (`RuntimeShared::submit` with
    /// `Worker::push_local`): `runnext` first, else `me`'s queue, and a
    /// sleeper woken to steal if it spilled. `Some(fiber)`: refused.
    pub fn submit_local(&self, me: usize, runnext: &Runnext, fiber: u32) -> Option<u32> {
        let mut refused = None;
        let push = |f| queue::push_local(&runnext.0, &self.workers[me].unstarted, f);
        self.view().submit(fiber, Some(push), |f| refused = Some(f));
        refused
    }

    /// Begins the shutdown (`RuntimeCore`'s drop): the flag, then a wake of
    /// every sleeping worker.
    pub fn begin_shutdown(&self) {
        self.view().begin_shutdown();
    }

    /// Whether the runtime is shutting down (`RuntimeShared::is_shutdown`).
    pub fn is_shutdown(&self) -> bool {
        self.shutdown.load(SeqCst)
    }

    /// Worker `me`, shutting down (`Worker::shutdown`): closes its
    /// unstarted queue and returns the fibers that never started — its
    /// `runnext`, then its queue's — to be completed with the shutdown
    /// error.
    pub fn close_unstarted(&self, me: usize, runnext: &Runnext) -> Vec<u32> {
        let mut abandoned = Vec::new();
        queue::close_unstarted(&runnext.0, &self.workers[me].unstarted, |f| abandoned.push(f));
        abandoned
    }
}

/// A worker's `runnext` slot: the newest fiber spawned on it, not
/// stealable. Owned by the worker's thread.
#[derive(Debug, Default)]
pub struct Runnext(Cell<Option<u32>>);

impl Runnext {
    /// Takes the fiber waiting in the slot.
    pub fn take(&self) -> Option<u32> {
        self.0.take()
    }
}

/// A started fiber: the runtime's `Task` (park state, join slot) whose
/// home is a slot of one of a [`Runtime`]'s workers.
#[derive(Debug, Clone)]
pub struct Fiber(Arc<Task>);

impl Fiber {
    /// A fiber started on worker `worker` of `rt`, in slot `slot`.
    pub fn start(rt: &Runtime, worker: usize, slot: u32) -> Self {
        let task = Arc::new(Task::new(Spec::at(std::panic::Location::caller()), 0..0, 0));
        let scheduler: Arc<dyn Scheduler> = rt.workers[worker].clone();
        task.set_home(Home { scheduler, slot });
        Self(task)
    }

    /// The fiber opens a wait; its sequence number.
    pub fn begin(&self) -> u64 {
        self.0.park.begin().expect("not shut down")
    }

    /// A waiter that ends wait `seq`; a win against the committed park
    /// schedules the fiber on its worker (`Task::schedule`).
    pub fn waiter(&self, seq: u64) -> Waiter {
        Waiter(waiter::Waiter::fiber(self.0.clone(), seq))
    }

    /// Its worker, back on its own stack after the fiber suspended to park
    /// wait `seq` (`Worker::leave`): commits the park; `true` if parked,
    /// `false` if a wake won first (the worker runs the fiber again).
    pub fn commit_park(&self, seq: u64) -> bool {
        fibers::commit_park(&self.0.park, seq)
    }

    /// The fiber ran to its end: its result goes to its joiner.
    pub fn complete(&self) {
        self.0.join.complete(Ok(Box::new(())));
    }

    /// Its worker, shutting down (`Worker::shutdown`): closes its park
    /// state, unwinds it (nothing to unwind in a model), and completes its
    /// joiner with the shutdown error unless it finished.
    pub fn shut_down(&self) {
        fibers::shut_down(&self.0, || {});
    }

    /// Whether its joiner has a result (and so returns).
    pub fn is_done(&self) -> bool {
        self.0.join.is_done()
    }
}
