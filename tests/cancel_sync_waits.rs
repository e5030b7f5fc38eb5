//! `JoinHandle::cancel` of a fiber parked in each sync primitive: `join`
//! returns `Err(Cancelled)`, the fiber's locals were dropped, no lock is
//! left held, and the primitive still works for the others — the waiter
//! queued behind the cancelled one gets the lock, the notify, the permit.
//!
//! Each test runs on a one-worker runtime inside `block_on`: a fiber
//! spawned there starts at our next `yield_now` and runs until it parks,
//! so "cancel a parked fiber" is deterministic.

mod util;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

use fiberio::Cancelled;
use fiberio::sync::{Barrier, Condvar, Mutex, RwLock, Semaphore, WaitGroup};
use util::{DropFlag, PATIENCE, Watchdog, cancel_parked, one_worker, park_fiber};

#[test]
fn cancel_in_mutex_lock() {
    let _w = Watchdog::new("cancel_in_mutex_lock", 60);
    one_worker().block_on(|| {
        let m = Arc::new(Mutex::new(0));
        let g = m.lock().unwrap();
        let m2 = m.clone();
        let (h, dropped) = park_fiber(move || *m2.lock().unwrap() += 100);
        let m3 = m.clone();
        let (behind, _) = park_fiber(move || *m3.lock().unwrap() += 1);
        cancel_parked(h, &dropped);
        drop(g);
        behind.join().unwrap();
        assert_eq!(*m.try_lock().expect("free"), 1, "the cancelled waiter never got the lock");
    });
}

#[test]
fn cancel_in_condvar_wait_and_wait_timeout() {
    let _w = Watchdog::new("cancel_in_condvar_wait_and_wait_timeout", 60);
    one_worker().block_on(|| {
        for timed in [false, true] {
            let pair = Arc::new((Mutex::new(0), Condvar::new()));
            let p = pair.clone();
            let (h, dropped) = park_fiber(move || {
                let (m, cv) = &*p;
                let g = m.lock().unwrap();
                if timed {
                    drop(cv.wait_timeout(g, std::time::Duration::from_secs(3600)).unwrap());
                } else {
                    drop(cv.wait(g).unwrap());
                }
            });
            let p = pair.clone();
            let (behind, _) = park_fiber(move || {
                let (m, cv) = &*p;
                let mut g = cv.wait_while(m.lock().unwrap(), |n| *n == 0).unwrap();
                *g += 1;
            });
            cancel_parked(h, &dropped);
            let (m, cv) = &*pair;
            *m.try_lock().expect("the cancelled waiter holds no lock") = 1;
            cv.notify_one(); // must reach `behind`, not the cancelled one
            behind.join().unwrap();
            assert_eq!(*m.lock().unwrap(), 2);
        }
    });
}

#[test]
fn cancel_with_a_pending_cancellation_at_condvar_wait_releases_the_mutex() {
    // The cancellation arrives while the fiber runs, so the wait itself
    // fails to open: the mutex must be released all the same.
    let _w = Watchdog::new("cancel_pending_at_condvar_wait", 60);
    let rt = util::two_workers();
    let pair = Arc::new((Mutex::new(0), Condvar::new(), AtomicBool::new(false)));
    let p = pair.clone();
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = DropFlag(dropped.clone());
    let started = Arc::new(AtomicBool::new(false));
    let s = started.clone();
    let h = rt.spawn(move || {
        let _flag = flag;
        let (m, cv, go) = &*p;
        s.store(true, SeqCst);
        while !go.load(SeqCst) {
            std::hint::spin_loop(); // runs on: the cancellation stays pending
        }
        let g = m.lock().unwrap();
        drop(cv.wait(g).unwrap());
    });
    util::wait_until(PATIENCE, "the fiber runs", || started.load(SeqCst));
    h.cancel();
    pair.2.store(true, SeqCst);
    let err = h.join().unwrap_err();
    assert!(err.is::<Cancelled>());
    assert!(dropped.load(SeqCst));
    assert!(pair.0.try_lock().is_ok(), "the mutex was released");
}

#[test]
fn cancel_in_rwlock_read_and_write() {
    let _w = Watchdog::new("cancel_in_rwlock_read_and_write", 60);
    one_worker().block_on(|| {
        // A reader waits behind a writer.
        let l = Arc::new(RwLock::new(0));
        let w = l.write().unwrap();
        let l2 = l.clone();
        let (h, dropped) = park_fiber(move || *l2.read().unwrap());
        cancel_parked(h, &dropped);
        drop(w);
        assert!(l.try_write().is_ok(), "the cancelled reader holds nothing");

        // A writer waits behind a reader; once it has waited past the
        // lock's bound (1 ms: the sleep is a lower bound), a second reader
        // queues behind it instead of joining the first. Cancelling the
        // writer must admit that reader while the first one still reads.
        let r = l.read().unwrap();
        let l2 = l.clone();
        let (h, dropped) = park_fiber(move || *l2.write().unwrap() += 1);
        fiberio::sleep(std::time::Duration::from_millis(2));
        let l3 = l.clone();
        let (reader, _) = park_fiber(move || *l3.read().unwrap());
        cancel_parked(h, &dropped);
        assert_eq!(reader.join().unwrap(), 0, "admitted next to the first reader");
        drop(r);
        assert_eq!(*l.try_write().expect("free"), 0);
    });
}

#[test]
fn cancel_in_semaphore_acquire() {
    let _w = Watchdog::new("cancel_in_semaphore_acquire", 60);
    one_worker().block_on(|| {
        let sem = Arc::new(Semaphore::new(0));
        let s = sem.clone();
        let (h, dropped) = park_fiber(move || s.acquire().forget());
        let s = sem.clone();
        let (behind, _) = park_fiber(move || s.acquire().forget());
        cancel_parked(h, &dropped);
        sem.add_permits(1);
        behind.join().unwrap();
        assert_eq!(sem.available_permits(), 0, "the one permit went to the live waiter");
        sem.add_permits(1);
        assert!(sem.try_acquire().is_some());
    });
}

#[test]
fn cancel_in_barrier_wait_withdraws_the_arrival() {
    let _w = Watchdog::new("cancel_in_barrier_wait_withdraws_the_arrival", 60);
    one_worker().block_on(|| {
        let barrier = Arc::new(Barrier::new(3));
        let b = barrier.clone();
        let (h, dropped) = park_fiber(move || b.wait().is_leader());
        let b = barrier.clone();
        let (other, _) = park_fiber(move || b.wait().is_leader());
        cancel_parked(h, &dropped);
        // Had the cancelled arrival counted, the third party below would
        // complete the barrier and we would wait alone.
        let b = barrier.clone();
        let (third, _) = park_fiber(move || b.wait().is_leader());
        let leaders = [barrier.wait().is_leader(), other.join().unwrap(), third.join().unwrap()];
        assert_eq!(leaders.iter().filter(|&&l| l).count(), 1);
    });
}

#[test]
fn cancel_in_wait_group_wait() {
    let _w = Watchdog::new("cancel_in_wait_group_wait", 60);
    one_worker().block_on(|| {
        let wg = Arc::new(WaitGroup::new());
        wg.add(1);
        let w = wg.clone();
        let (h, dropped) = park_fiber(move || w.wait());
        let w = wg.clone();
        let woke = Arc::new(AtomicUsize::new(0));
        let k = woke.clone();
        let (behind, _) = park_fiber(move || {
            w.wait();
            k.fetch_add(1, SeqCst);
        });
        cancel_parked(h, &dropped);
        wg.done();
        behind.join().unwrap();
        assert_eq!(woke.load(SeqCst), 1);
    });
}
