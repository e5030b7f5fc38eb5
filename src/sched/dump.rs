//! The fiber dump, collected: every worker describes its own fibers.
//!
//! A worker owns its fibers (`fibers.rs`: the slab is `!Send`, touched
//! only by the worker loop between runs), so no other thread walks them.
//! Instead the requester ([`RuntimeShared::dump`]) posts a
//! [`DumpRequest`] in each worker's [`DumpInbox`], sets its `pending`
//! flag, and wakes the worker through the remote-wake path
//! (`idle::wake_remote`) with a harmless `START_UNSTARTED` token (it starts
//! an unstarted fiber if there is one, else nothing): the inbox is what
//! the sleep re-check looks at, so a worker about to sleep sees it, and a
//! sleeping one is woken by the eventfd write. The worker looks at the
//! flag in every `gather` (each poll: at least every `POLL_INTERVAL` runs,
//! and whenever it runs out of fibers), which it runs between runs; no
//! fiber switch pays for it. It then answers every request posted so far
//! ([`Worker::answer_dumps`]): it walks its slab and its unstarted fibers,
//! and, if asked, captures each parked fiber's backtrace by resuming it
//! into a capture and straight back (`fiber/capture.rs`, which explains
//! why that leaves every wait as it was).
//!
//! The requester waits for the answers with a deadline, parked like any
//! other wait (on a fiber it shows as waiting on `Dump`). A worker that
//! does not answer in time is stuck in one fiber run — a CPU loop or a std
//! blocking call — and its [`RunRecord`](super::stall::RunRecord) names
//! that fiber, as the stall watchdog does.
//!
//! What a worker reports of a fiber:
//! - its park state says parked: what its last wait recorded
//!   (`fiber/wait_on.rs`);
//! - otherwise runnable: woken, yielded, or queued but not started;
//! - `since`, for a parked fiber: from the cheap clock (`sys::ticks`)
//!   reading its park recorded (a runnable fiber's is not kept: no
//!   switch pays for it).

use std::panic::Location;
use std::ptr::addr_of_mut;

use corosensei::CoroutineResult;
use std::time::{Duration, Instant};

use super::idle;
use super::runtime::RuntimeShared;
use super::worker::{START_UNSTARTED, Worker};
use crate::fiber::capture::Captured;
use crate::fiber::task::Task;
use crate::fiber::{WaitOn, Woken};
use crate::loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
use crate::loom::sync::{Arc, Mutex};
use crate::sys::ticks::TickOrigin;

/// Dump requests posted to one worker and not yet answered.
#[derive(Debug, Default)]
pub(crate) struct DumpInbox {
    requests: Mutex<Vec<Arc<DumpRequest>>>,
    /// Set (under the lock) when a request is posted, cleared (under the
    /// lock) when they are taken: the worker's cheap look.
    pending: AtomicBool,
}

impl DumpInbox {
    /// Worker: whether a request waits (one load).
    #[inline]
    pub(crate) fn is_pending(&self) -> bool {
        self.pending.load(SeqCst)
    }

    fn post(&self, request: Arc<DumpRequest>) {
        let mut requests = crate::loom::lock(&self.requests);
        requests.push(request);
        self.pending.store(true, SeqCst);
    }

    fn take(&self) -> Vec<Arc<DumpRequest>> {
        let mut requests = crate::loom::lock(&self.requests);
        self.pending.store(false, SeqCst);
        std::mem::take(&mut *requests)
    }
}

/// What a fiber is doing, as its worker sees it.
#[derive(Debug)]
pub(crate) enum FiberState {
    /// Running now (only in a worker that did not answer).
    Running,
    /// Ready to run: woken or yielded, waiting for its turn.
    Runnable,
    /// Spawned, not started yet.
    NotStarted,
    /// Parked on a wait for this, until this deadline if any.
    Parked(WaitOn, Option<Instant>),
}

/// One fiber, as a worker reported it.
#[derive(Debug)]
pub(crate) struct FiberRecord {
    pub(crate) id: u64,
    pub(crate) name: Option<String>,
    pub(crate) location: &'static Location<'static>,
    pub(crate) state: FiberState,
    /// How long it has been in that state (at least, for `Running`).
    pub(crate) since: Option<Duration>,
    /// Its backtrace, when asked for and it has a stack.
    pub(crate) backtrace: Option<Arc<Captured>>,
}

impl FiberRecord {
    fn of(task: &Task, state: FiberState, since: Option<Duration>) -> Self {
        Self {
            id: task.id(),
            name: task.name().map(String::from),
            location: task.location(),
            state,
            since,
            backtrace: None,
        }
    }
}

/// One worker's part of a dump.
#[derive(Debug, Clone)]
pub(crate) enum WorkerPart {
    /// Its fibers, oldest first.
    Answered(Arc<Vec<FiberRecord>>),
    /// It did not answer within the timeout; `running` is the fiber it ran
    /// then, if it still ran one it had run since the request.
    NotResponding { running: Option<Arc<FiberRecord>> },
}

/// A dump in progress: what the requester waits for.
#[derive(Debug)]
pub(crate) struct DumpRequest {
    backtraces: bool,
    state: Mutex<RequestState>,
}

#[derive(Debug)]
struct RequestState {
    parts: Vec<Option<Arc<Vec<FiberRecord>>>>,
    missing: usize,
    waiter: Option<crate::fiber::waiter::Waiter>,
}

impl DumpRequest {
    fn new(workers: usize, backtraces: bool) -> Self {
        let state = RequestState { parts: vec![None; workers], missing: workers, waiter: None };
        Self { backtraces, state: Mutex::new(state) }
    }

    /// Worker `index`: its answer. Wakes the requester after the last one
    /// (outside the lock).
    fn answer(&self, index: usize, fibers: Arc<Vec<FiberRecord>>) {
        let waiter = {
            let mut s = crate::loom::lock(&self.state);
            // After the requester gave up, `parts` is empty: a late answer
            // is dropped.
            if let Some(part) = s.parts.get_mut(index)
                && part.replace(fibers).is_none()
            {
                s.missing -= 1;
            }
            if s.missing == 0 { s.waiter.take() } else { None }
        };
        if let Some(waiter) = waiter {
            waiter.wake(crate::fiber::park::Reason::Notified);
        }
    }

    /// Requester: registers its waiter, or wakes it at once if every
    /// worker has answered (the re-check of the blocking path).
    fn register(&self, waiter: crate::fiber::waiter::Waiter) {
        let mut s = crate::loom::lock(&self.state);
        if s.missing == 0 {
            drop(s);
            waiter.wake(crate::fiber::park::Reason::Notified);
        } else {
            s.waiter = Some(waiter);
        }
    }

    fn is_complete(&self) -> bool {
        crate::loom::lock(&self.state).missing == 0
    }
}

impl Worker {
    /// Between runs, when the inbox flag is up: answers every dump posted
    /// to this worker.
    pub(super) fn answer_dumps(&self) {
        let requests = self.shared.dumps.take();
        if requests.is_empty() {
            return;
        }
        let backtraces = requests.iter().any(|r| r.backtraces);
        let fibers = Arc::new(self.describe_fibers(backtraces));
        for request in requests {
            request.answer(self.shared.index, fibers.clone());
        }
    }

    /// Every fiber of this worker: the started ones, oldest first, then
    /// the unstarted ones in queue order.
    fn describe_fibers(&self, backtraces: bool) -> Vec<FiberRecord> {
        let now = TickOrigin::now();
        let mut live = self.fibers.borrow().live_newest_first();
        live.reverse();
        let mut records = Vec::with_capacity(live.len());
        for index in live {
            let (mut record, parked) = {
                let fibers = self.fibers.borrow();
                let Some(slot) = fibers.get(index) else { continue };
                let task = &slot.fiber.task;
                if task.park.is_parked() {
                    // SAFETY: parked, and this worker (the only one that
                    // resumes it) is here: it is suspended inside the park
                    // that recorded its wait.
                    match unsafe { slot.fiber.last_wait() } {
                        Some(wait) => {
                            let since = wait.since.elapsed(self.origin, now);
                            (FiberRecord::of(task, FiberState::Parked(wait.on, wait.deadline), since), true)
                        }
                        None => {
                            (FiberRecord::of(task, FiberState::Parked(WaitOn::Unknown, None), None), true)
                        }
                    }
                } else {
                    (FiberRecord::of(task, FiberState::Runnable, None), false)
                }
            };
            // Only a parked fiber is suspended where it answers a capture
            // (`Context::suspend_park`); a runnable one may have yielded.
            if backtraces && parked {
                record.backtrace = self.capture(index).map(Arc::new);
            }
            records.push(record);
        }
        let not_started = |task: &Task| FiberRecord::of(task, FiberState::NotStarted, None);
        if let Some(fiber) = self.runnext.take() {
            records.push(not_started(&fiber.task));
            self.runnext.set(Some(fiber));
        }
        self.shared.unstarted.for_each(|fiber| records.push(not_started(&fiber.task)));
        records
    }

    /// Resumes parked fiber `index` only to capture its backtrace; it
    /// suspends again at once, its wait untouched (`fiber/capture.rs`).
    fn capture(&self, index: u32) -> Option<Captured> {
        let (slot, _) = self.enter(index);
        self.context.capture.request();
        // SAFETY: `slot` is live and not running (between runs, as in
        // `Worker::resume`).
        let result = unsafe { &mut *addr_of_mut!((*slot).coro) }.resume(());
        let captured = self.context.capture.take();
        match result {
            // The capture's suspend: nothing to file, the fiber stays
            // parked (or queued, if a wake came meanwhile) as it was.
            CoroutineResult::Yield(_) => self.clear_running(),
            // Cannot happen (a capture always suspends); filed as usual.
            other => self.leave(index, slot, other),
        }
        captured
    }
}

impl RuntimeShared {
    /// Asks every worker for its part of a fiber dump — with backtraces if
    /// `backtraces` — and waits for the answers up to `timeout`. Parts are
    /// indexed by worker.
    pub(crate) fn dump(&self, backtraces: bool, timeout: Duration) -> Vec<WorkerPart> {
        let request = Arc::new(DumpRequest::new(self.workers.len(), backtraces));
        let runs: Vec<u64> = self.workers.iter().map(|w| w.run.sample()).collect();
        for worker in &self.workers {
            worker.dumps.post(request.clone());
            idle::wake_remote(&**worker, START_UNSTARTED);
        }
        let deadline = Instant::now() + timeout;
        while !request.is_complete() {
            match crate::fiber::wait(Some(deadline), WaitOn::Dump, |w| request.register(w)) {
                Woken::Notified => {}
                Woken::TimedOut | Woken::Shutdown => break,
            }
        }
        let parts = std::mem::take(&mut crate::loom::lock(&request.state).parts);
        parts
            .into_iter()
            .enumerate()
            .map(|(index, part)| match part {
                Some(fibers) => WorkerPart::Answered(fibers),
                None => {
                    // The run going on now; if it is the one going on at the
                    // request, it has lasted at least the whole timeout.
                    let record = &self.workers[index].run;
                    let run = record.sample();
                    let since = (run == runs[index]).then_some(timeout);
                    let running = (run != 0).then(|| record.inspect(run)).flatten().map(|f| {
                        Arc::new(FiberRecord {
                            id: f.id,
                            name: f.name,
                            location: f.location,
                            state: FiberState::Running,
                            since,
                            backtrace: None,
                        })
                    });
                    WorkerPart::NotResponding { running }
                }
            })
            .collect()
    }
}
