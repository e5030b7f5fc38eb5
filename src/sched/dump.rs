//! The fiber dump, collected: every worker describes its own fibers.
//!
//! A worker owns its fibers (`fibers.rs`: the slab is `!Send`, touched
//! only by the worker loop between runs), so no other thread walks them.
//! Instead the requester ([`RuntimeShared::dump`]) posts a
//! [`DumpRequest`] in each worker's [`DumpInbox`] and hands the worker an
//! [`ANSWER_DUMP`] token through its inbox — the remote-wake path
//! (`idle::wake_remote`), so a sleeping worker wakes and none misses it.
//! The token reaches the worker's run queue; when the worker pops it, it
//! is between runs, and it answers every request posted so far
//! ([`Worker::answer_dumps`]): it walks its slab and its unstarted fibers,
//! and, if asked, captures each suspended fiber's backtrace by resuming it
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
//! - `since`: the worker's coarse clock when it last suspended.

use std::panic::Location;
use std::ptr::addr_of_mut;
use std::time::{Duration, Instant};

use super::idle;
use super::runtime::RuntimeShared;
use super::worker::Worker;
use crate::fiber::capture::Captured;
use crate::fiber::task::Task;
use crate::fiber::wait_on::WaitRecord;
use crate::fiber::{WaitOn, Woken};
use crate::loom::sync::{Arc, Mutex};

/// A run-queue token meaning "answer the fiber dumps posted to this
/// worker" (next to `worker::START_UNSTARTED`).
pub(crate) const ANSWER_DUMP: u32 = u32::MAX - 1;

/// Dump requests posted to one worker and not yet answered.
#[derive(Debug, Default)]
pub(crate) struct DumpInbox {
    requests: Mutex<Vec<Arc<DumpRequest>>>,
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
    /// Parked on its last recorded wait.
    Parked(WaitRecord),
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
    /// Between runs, on popping [`ANSWER_DUMP`]: answers every dump posted
    /// to this worker.
    pub(super) fn answer_dumps(&self) {
        let requests = std::mem::take(&mut *crate::loom::lock(&self.shared.dumps.requests));
        if requests.is_empty() {
            return; // an earlier token answered them
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
        let now = Instant::now();
        let mut live = self.fibers.borrow().live_newest_first();
        live.reverse();
        let mut records = Vec::with_capacity(live.len());
        for index in live {
            let mut record = {
                let fibers = self.fibers.borrow();
                let Some(slot) = fibers.get(index) else { continue };
                let task = &slot.fiber.task;
                let state = if task.park.is_parked() {
                    FiberState::Parked(slot.fiber.last_wait())
                } else {
                    FiberState::Runnable
                };
                FiberRecord::of(task, state, Some(now.saturating_duration_since(slot.since)))
            };
            if backtraces {
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

    /// Resumes suspended fiber `index` only to capture its backtrace; it
    /// suspends again at once, its wait untouched (`fiber/capture.rs`).
    fn capture(&self, index: u32) -> Option<Captured> {
        let (slot, _) = self.enter(index);
        self.context.capture.request();
        // SAFETY: `slot` is live and not running (between runs, as in
        // `Worker::resume`).
        let result = unsafe { &mut *addr_of_mut!((*slot).coro) }.resume(());
        let captured = self.context.capture.take();
        // Files `Request::Captured` as nothing, anything else as usual.
        self.leave(index, slot, result);
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
            crate::loom::lock(&worker.dumps.requests).push(request.clone());
            idle::wake_remote(&**worker, ANSWER_DUMP);
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
