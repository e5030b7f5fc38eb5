//! Race 10 and race 15 of DESIGN.md section 3 in the rest of `fiberio::sync`
//! — `RwLock`, `Semaphore`, `Barrier`, `WaitGroup` — and the waiter list
//! (`src/fiber/wait_list.rs`) with waiters whose wait ended otherwise (a
//! cancellation, a timeout): run on the real code through the user loom
//! mode, where fibers are loom threads and `JoinHandle::cancel` is
//! delivered. Each model has a broken variant switched on in the same
//! source (`fiberio::__loom::mutate`), which it must catch for the reason
//! its `should_panic` names. Bounds and times: `loom-tests/README.md`.
#![cfg(loom)]

use std::sync::Arc;
use std::time::Duration;

use fiberio::__loom::{self, Mutation};
use fiberio::Cancelled;
use fiberio::sync::{Barrier, Mutex, RwLock, Semaphore, WaitGroup};
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};

fn broken(m: Mutation, model: fn()) {
    __loom::mutate(Some(m));
    model();
}

/// Joins a fiber that may have been cancelled: `true` if it finished.
fn finished<T: Send + 'static>(h: fiberio::JoinHandle<T>) -> bool {
    match h.join() {
        Ok(_) => true,
        Err(e) => {
            assert!(e.is::<Cancelled>(), "a fiber panicked");
            false
        }
    }
}

const WRITER: usize = 1 << 8;

/// A reader fiber and a writing main thread: never a writer alongside a
/// reader (checked with an occupancy word set inside the guards, and by
/// loom's cell under the data), and both get in.
fn rwlock_exclusion() {
    loom_tests::check(Some(2), || {
        let lock = Arc::new(RwLock::new(0u32));
        let inside = Arc::new(AtomicUsize::new(0));
        let (l, i) = (lock.clone(), inside.clone());
        let reader = fiberio::spawn(move || {
            let g = l.read().unwrap();
            assert_eq!(i.fetch_add(1, SeqCst) & WRITER, 0, "a reader alongside the writer");
            let v = *g;
            i.fetch_sub(1, SeqCst);
            v
        });
        {
            let mut g = lock.write().unwrap();
            assert_eq!(inside.fetch_or(WRITER, SeqCst), 0, "the writer alongside a reader");
            *g = 1;
            inside.fetch_and(!WRITER, SeqCst);
        }
        assert!(reader.join().unwrap() <= 1);
    });
}

#[test]
fn rwlock_never_admits_a_writer_alongside_a_reader() {
    rwlock_exclusion();
}

#[test]
#[should_panic(expected = "alongside")]
fn broken_rwlock_reader_ignoring_the_writer_overlaps_it() {
    broken(Mutation::RwLockReaderIgnoresWriter, rwlock_exclusion);
}

/// Main holds a read lock; a writer queues, a reader may queue behind it
/// (writer fairness); main cancels the writer and, still reading, waits
/// for the reader. The writer's leaving must admit the reader at once
/// (its place passed on), else nobody ever does: loom reports a deadlock.
fn rwlock_cancelled_writer() {
    loom_tests::check(Some(2), || {
        let lock = Arc::new(RwLock::new(0u32));
        let g = lock.read().unwrap();
        let l = lock.clone();
        let writer = fiberio::spawn(move || *l.write().unwrap() = 1);
        let l = lock.clone();
        let reader = fiberio::spawn(move || *l.read().unwrap());
        writer.cancel();
        assert_eq!(reader.join().unwrap(), 0, "the writer never held the lock");
        drop(g);
        // A cancel racing the writer's start may miss it (a fast path is
        // no cancellation point): then it wrote after the unlock.
        let wrote = finished(writer);
        assert_eq!(*lock.try_write().expect("the lock is free"), u32::from(wrote));
    });
}

#[test]
fn rwlock_cancelled_writer_passes_its_place_on() {
    rwlock_cancelled_writer();
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_rwlock_leaving_without_a_grant_strands_the_reader() {
    broken(Mutation::RwLockLeaveNoGrant, rwlock_cancelled_writer);
}

/// A fiber acquires a permit while main adds one and cancels it: the
/// permit is granted (by the fast path, the re-check or the waker) or
/// not, the cancel wins or not — and afterwards the permit is free again.
/// A cancelled acquirer whose re-check took the permit at the same moment
/// must give it back.
fn semaphore_cancel_vs_grant() {
    loom_tests::check(Some(3), || {
        let sem = Arc::new(Semaphore::new(0));
        let s = sem.clone();
        let h = fiberio::spawn(move || drop(s.acquire()));
        sem.add_permits(1);
        h.cancel();
        finished(h);
        assert_eq!(sem.available_permits(), 1, "a permit was lost");
    });
}

#[test]
fn semaphore_cancelled_acquirer_gives_back_its_grant() {
    semaphore_cancel_vs_grant();
}

#[test]
#[should_panic(expected = "a permit was lost")]
fn broken_semaphore_cancelled_acquirer_keeping_the_grant_loses_it() {
    broken(Mutation::SemaphoreCancelKeepsGrant, semaphore_cancel_vs_grant);
}

/// A fiber times out on a permit while main adds one and a second fiber
/// waits behind it: a grant never goes to the timed-out waiter (it would
/// be lost), the live one gets it, and the permit is free at the end.
fn semaphore_timeout() {
    loom_tests::check(Some(2), || {
        let sem = Arc::new(Semaphore::new(0));
        let s = sem.clone();
        let timed = fiberio::spawn(move || s.acquire_timeout(Duration::from_secs(1)).is_some());
        let s = sem.clone();
        let patient = fiberio::spawn(move || drop(s.acquire()));
        sem.add_permits(1);
        timed.join().unwrap();
        patient.join().unwrap();
        assert_eq!(sem.available_permits(), 1, "a permit was lost");
    });
}

#[test]
fn semaphore_timed_out_waiter_never_takes_a_grant() {
    semaphore_timeout();
}

/// Main holds a Mutex; two fibers queue for it; main cancels the first and
/// unlocks. `WaitList::pop` must skip the cancelled (dead) waiter and hand
/// the lock to the live one; the cancelled one takes its entry out.
fn wait_list_dead_waiter() {
    loom_tests::check(Some(2), || {
        let m = Arc::new(Mutex::new(0u32));
        let g = m.lock().unwrap();
        let m1 = m.clone();
        let first = fiberio::spawn(move || *m1.lock().unwrap() += 1);
        // Yields (no preemption spent) let each fiber queue first.
        fiberio::yield_now();
        let m2 = m.clone();
        let second = fiberio::spawn(move || *m2.lock().unwrap() += 10);
        fiberio::yield_now();
        first.cancel();
        drop(g);
        // A cancel racing the fiber's start may miss it (a fast path is
        // no cancellation point): then it locked after the unlock.
        let added = if finished(first) { 1 } else { 0 };
        second.join().unwrap();
        assert_eq!(*m.try_lock().expect("free"), 10 + added);
    });
}

#[test]
fn wait_list_skips_a_dead_waiter() {
    wait_list_dead_waiter();
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_wait_list_stopping_at_a_dead_waiter_strands_the_next() {
    broken(Mutation::WaitListPopStopsAtDead, wait_list_dead_waiter);
}

/// Two parties meet at a Barrier twice: each generation releases both,
/// exactly once, and names exactly one leader.
fn barrier_generations() {
    loom_tests::check(Some(2), || {
        let barrier = Arc::new(Barrier::new(2));
        let b = barrier.clone();
        let h = fiberio::spawn(move || [b.wait().is_leader(), b.wait().is_leader()]);
        let mine = [barrier.wait().is_leader(), barrier.wait().is_leader()];
        let theirs = h.join().unwrap();
        for g in 0..2 {
            assert!(mine[g] != theirs[g], "not exactly one leader in a generation");
        }
    });
}

#[test]
fn barrier_one_leader_per_generation() {
    barrier_generations();
}

#[test]
#[should_panic(expected = "not exactly one leader")]
fn broken_barrier_not_resetting_its_count_has_two_leaders() {
    broken(Mutation::BarrierCountNotReset, barrier_generations);
}

/// Two jobs are done by two fibers while main waits: the wait returns,
/// and only once the count is zero (a missed last `done` deadlocks).
fn wait_group_last_done() {
    loom_tests::check(Some(3), || {
        let wg = Arc::new(WaitGroup::new());
        wg.add(2);
        let hs: Vec<_> = (0..2)
            .map(|_| {
                let wg = wg.clone();
                fiberio::spawn(move || wg.done())
            })
            .collect();
        wg.wait();
        assert_eq!(wg.count(), 0, "wait returned before zero");
        for h in hs {
            h.join().unwrap();
        }
    });
}

#[test]
fn wait_group_wait_never_misses_the_last_done() {
    wait_group_last_done();
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_wait_group_without_recheck_misses_the_last_done() {
    broken(Mutation::WaitGroupNoRecheck, wait_group_last_done);
}
