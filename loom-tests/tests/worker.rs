//! A worker's own steps against the threads around it: committing a
//! fiber's park while a remote wake races it (races 1, 2 and 7 together:
//! `Worker::leave` and `WorkerShared::wake_remote`), and shutting down
//! while a spawner queues a fiber and a waker wakes a parked one (race 5:
//! `RuntimeCore`'s drop and `Worker::shutdown`). The park protocol, the
//! fiber's `Task` with its home and join slot, the waiter, the inbox, the
//! unstarted queue and the glue around them are the runtime's, through
//! `fiberio::__loom::{Runtime, Fiber}`; only the eventfd is a counter, as
//! in `sleep.rs`.
#![cfg(loom)]

use std::cell::RefCell;

use fiberio::__loom::{Fiber, Mutation, REASON_NOTIFIED, Runnext, Runtime, mutate};
use loom::sync::Arc;
use loom_tests::check;

/// The fiber's slot on its worker.
const SLOT: u32 = 5;

/// Races 1, 2 and 7 on the worker's stack: a fiber of worker 0 opened a
/// wait and suspended to park; another thread ends the wait (its waker:
/// an event, a lock, a channel — `Waiter::wake`, which on a win against
/// the committed park schedules the fiber through its home, a remote wake
/// into worker 0's inbox), while worker 0, back on its own stack, commits
/// the park (`Worker::leave`: a failed commit puts the fiber back on the
/// run queue) and then gathers its inbox. Asserts: the fiber runs exactly
/// once — from the run queue if the wake won before the commit (and then
/// nothing reaches the inbox), from the inbox, exactly once, if it won
/// after.
///
/// Bound: none — two threads, every interleaving, in milliseconds (the
/// broken variant is caught from bound 1).
fn commit_model(m: Option<Mutation>) {
    mutate(m);
    check(None, || {
        let rt = Arc::new(Runtime::new(1));
        let fiber = Fiber::start(&rt, 0, SLOT);
        let seq = fiber.begin();
        let waiter = fiber.waiter(seq);
        let waker = loom::thread::spawn(move || waiter.wake(REASON_NOTIFIED));
        let run_queue = RefCell::new(Vec::new());
        // `Worker::leave`: a failed commit puts the fiber back on the run queue.
        let parked = fiber.commit_park(seq);
        if !parked {
            run_queue.borrow_mut().push(SLOT);
        }
        let won = waker.join().unwrap();
        assert!(won, "commit: the only wake lost");
        let inbox = rt.drain_inbox(0);
        let runs = run_queue.borrow().len() + inbox.len();
        assert_eq!(runs, 1, "commit: the woken fiber runs {runs} times, not once");
        if parked {
            assert_eq!(inbox, [SLOT], "commit: a wake after the commit does not reach the inbox");
        } else {
            assert!(inbox.is_empty(), "commit: a wake before the commit also went to the inbox");
        }
    });
}

#[test]
fn wake_racing_the_commit_runs_the_fiber_once() {
    commit_model(None);
}

#[test]
#[should_panic(expected = "commit: the woken fiber runs 0 times")]
fn broken_commit_failure_parks_is_caught() {
    commit_model(Some(Mutation::CommitFailureParks));
}

/// The fiber a spawner queues during the shutdown.
const NEW: u32 = 7;
/// A fiber spawned on worker 0 before, waiting in its `runnext` slot.
const NEXT: u32 = 8;

/// Sleep rounds of the worker in [`shutdown_model`].
const SHUTDOWN_ROUNDS: usize = 2;

/// The preemption bound of [`shutdown_model`] (see there).
const SHUTDOWN_BOUND: Option<usize> = Some(3);

/// How the worker's loop in [`shutdown_model`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// It saw the shutdown flag and shut down.
    ShutDown,
    /// It blocks in `epoll_wait` (its eventfd decides if it wakes).
    Asleep,
    /// Still awake after its rounds: it will look again.
    Looking,
}

/// Race 5 and the unstarted queue: the runtime shuts down (the flag, then
/// a wake of every sleeping worker) while a thread outside it spawns a
/// fiber onto worker 0 (`RuntimeShared::submit`) and wakes a fiber parked
/// there. Worker 0 runs its loop (`Worker::run`): gather its inbox, run
/// its fibers (`runnext` first) while the flag is down, else sleep (count, announce,
/// re-check — the flag too — and `epoll_wait`); once it sees the flag it
/// shuts down (`Worker::shutdown`: closes its unstarted queue and
/// completes the fibers that never started, closes each live fiber's
/// park state and completes its joiner). Asserts: both joiners return —
/// each fiber ran, or was completed with the shutdown error by the worker
/// or (refused by the closed queue) by the spawner — unless the worker
/// still has a wake coming; never twice; a worker never sleeps through
/// the shutdown.
///
/// Bound: 3 preemptions. `QueueCloseLeavesOpen` needs the spawner's push
/// after the worker's close and is caught from bound 1; a sleep through
/// the shutdown (the flag left out of the re-check, or set after the
/// wakes — mutants `sched-04`, `sched-15`) needs the flag set between the
/// worker's re-check and its sleep, and is caught from bound 2. 3 leaves
/// one of margin over those, in about two seconds; 4 passes too, in about
/// twelve times as long (README.md).
fn shutdown_model(m: Option<Mutation>) {
    mutate(m);
    check(SHUTDOWN_BOUND, || {
        let rt = Arc::new(Runtime::new(1));
        let parked = Fiber::start(&rt, 0, SLOT);
        let seq = parked.begin();
        assert!(parked.commit_park(seq), "no wake yet");
        let spawner = {
            let (rt, waiter) = (rt.clone(), parked.waiter(seq));
            loom::thread::spawn(move || {
                waiter.wake(REASON_NOTIFIED);
                rt.submit(NEW)
            })
        };
        let closer = {
            let rt = rt.clone();
            loom::thread::spawn(move || rt.begin_shutdown())
        };
        let runnext = Runnext::default();
        assert_eq!(rt.submit_local(0, &runnext, NEXT), None, "not shut down");
        let (mut ran, mut abandoned) = (Vec::new(), Vec::new());
        let mut live = Some(parked.clone());
        let mut end = End::Looking;
        for _ in 0..SHUTDOWN_ROUNDS {
            if rt.drain_inbox(0).contains(&SLOT)
                && !rt.is_shutdown()
                && let Some(fiber) = live.take()
            {
                fiber.complete();
            }
            while !rt.is_shutdown()
                && let Some(fiber) = runnext.take().or_else(|| rt.pop(0))
            {
                ran.push(fiber);
            }
            if rt.is_shutdown() {
                abandoned = rt.close_unstarted(0, &runnext);
                if let Some(fiber) = live.take() {
                    fiber.shut_down();
                }
                end = End::ShutDown;
                break;
            }
            if rt.prepare_sleep(0) && rt.read_eventfd(0) == 0 {
                end = End::Asleep;
                break;
            }
            rt.end_sleep(0);
        }
        let refused = spawner.join().unwrap();
        closer.join().unwrap();
        let wake_coming = end == End::Looking || (end == End::Asleep && rt.eventfd(0) > 0);
        assert!(
            end != End::Asleep || wake_coming,
            "shutdown: the worker sleeps through the shutdown (no eventfd write)"
        );
        let completed = |f| ran.iter().chain(&abandoned).chain(&refused).filter(|&&g| g == f).count();
        let (new, next) = (completed(NEW), completed(NEXT));
        assert!(new <= 1 && next <= 1, "shutdown: a fiber completed twice");
        if !wake_coming {
            assert_eq!(
                new, 1,
                "shutdown: a fiber queued during the shutdown is lost (its joiner never returns)"
            );
            assert_eq!(next, 1, "shutdown: the fiber in runnext is lost (its joiner never returns)");
            assert!(parked.is_done(), "shutdown: a parked fiber's joiner never returns");
        }
    });
}

#[test]
fn fibers_queued_or_parked_at_shutdown_always_complete() {
    shutdown_model(None);
}

#[test]
#[should_panic(expected = "shutdown: a fiber queued during the shutdown is lost")]
fn broken_queue_close_leaves_open_is_caught() {
    shutdown_model(Some(Mutation::QueueCloseLeavesOpen));
}
