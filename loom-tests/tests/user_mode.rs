//! The user loom mode: a program written against fiberio's public API,
//! model-checked by loom (README "Model-checking your code with loom").
//!
//! Under `RUSTFLAGS="--cfg loom"`, `fiberio::spawn` starts a loom thread,
//! `JoinHandle::join`, `yield_now` and every `fiberio::sync` primitive park
//! through loom, so `loom::model` explores every interleaving of the
//! user's fibers. The counter below is the classic check-then-act bug:
//! read under one lock acquisition, write under another. Loom finds the
//! interleaving that loses an increment; the fixed version holds the lock
//! across the read-modify-write, and loom proves it for every schedule.
#![cfg(loom)]

use std::sync::Arc;

use fiberio::Cancelled;
use fiberio::sync::{Condvar, Mutex, Semaphore, mpsc};

/// Runs `f` under loom with a preemption bound of 2: every schedule with
/// at most two preemptions is explored. The lost update needs one (a
/// switch between the read and the write); the bound keeps each model to
/// seconds — the unbounded search of `the_fixed_counter...` took over a
/// minute on a 2-core machine.
fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(f);
}

/// Two fibers each add one to a shared counter, in two lock acquisitions.
fn racy_increment(counter: &Mutex<u32>) {
    let seen = *counter.lock().unwrap();
    // The lock is released here: another fiber can read the same value.
    *counter.lock().unwrap() = seen + 1;
}

/// The fix: one acquisition around the whole read-modify-write.
fn atomic_increment(counter: &Mutex<u32>) {
    *counter.lock().unwrap() += 1;
}

fn two_fibers_increment(increment: fn(&Mutex<u32>)) {
    model(move || {
        let counter = Arc::new(Mutex::new(0));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let counter = counter.clone();
                fiberio::spawn(move || increment(&counter))
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(*counter.lock().unwrap(), 2, "an increment was lost");
    });
}

#[test]
#[should_panic(expected = "an increment was lost")]
fn loom_finds_the_check_then_act_race() {
    two_fibers_increment(racy_increment);
}

#[test]
fn the_fixed_counter_holds_in_every_schedule() {
    two_fibers_increment(atomic_increment);
}

/// A flag handed over with a Condvar: no lost wakeup in any schedule.
#[test]
fn condvar_handoff_never_loses_the_notify() {
    model(|| {
        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        let setter = pair.clone();
        let h = fiberio::spawn(move || {
            *setter.0.lock().unwrap() = true;
            setter.1.notify_one();
        });
        let (flag, cv) = &*pair;
        let guard = cv.wait_while(flag.lock().unwrap(), |set| !*set).unwrap();
        assert!(*guard);
        drop(guard);
        h.join().unwrap();
    });
}

/// A semaphore with one permit is a lock: the two critical sections never
/// overlap.
#[test]
fn a_one_permit_semaphore_excludes() {
    model(|| {
        let sem = Arc::new(Semaphore::new(1));
        let inside = Arc::new(loom::sync::atomic::AtomicBool::new(false));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let (sem, inside) = (sem.clone(), inside.clone());
                fiberio::spawn(move || {
                    let _permit = sem.acquire();
                    assert!(!inside.swap(true, loom::sync::atomic::Ordering::SeqCst), "overlap");
                    inside.store(false, loom::sync::atomic::Ordering::SeqCst);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(sem.available_permits(), 1);
    });
}

/// A fiber blocked in `recv` is cancelled: however the cancel meets the
/// fiber (before it starts, before or after it parks), its wait ends, it
/// unwinds, and `join` returns `Cancelled`.
#[test]
fn a_cancelled_receiver_joins_as_cancelled() {
    model(|| {
        let (tx, rx) = mpsc::channel::<u32>();
        let h = fiberio::spawn(move || rx.recv());
        h.cancel();
        let err = h.join().expect_err("nothing is ever sent: only the cancel ends the fiber");
        assert!(err.is::<Cancelled>(), "join returns the Cancelled payload");
        drop(tx);
    });
}

/// A fiber queued for a Mutex is cancelled while the holder unlocks: the
/// hand-off and the cancel race (DESIGN.md race 15). The fiber either got
/// the lock first (it finishes) or is cancelled without it; either way
/// the lock is free afterwards and its data consistent.
#[test]
fn a_cancelled_locker_never_keeps_the_lock() {
    model(|| {
        let m = Arc::new(Mutex::new(0u32));
        let guard = m.lock().unwrap();
        let m2 = m.clone();
        let h = fiberio::spawn(move || *m2.lock().unwrap() += 1);
        drop(guard);
        h.cancel();
        let expected = match h.join() {
            Ok(()) => 1,
            Err(e) => {
                assert!(e.is::<Cancelled>());
                0
            }
        };
        assert_eq!(*m.try_lock().expect("the lock is free"), expected);
    });
}

/// A pool of connections: a worker checks one out, waits for a job, and
/// puts the connection back. Written with the give-back after the wait, a
/// cancellation of the waiting worker skips it: the connection leaks.
fn worker_with_pool(cancel_safe: bool) {
    model(move || {
        let pool = Arc::new(Mutex::new(vec!["conn"]));
        let (jobs, job_rx) = mpsc::channel::<u32>();
        let p = pool.clone();
        let h = fiberio::spawn(move || {
            let conn = p.lock().unwrap().pop().expect("a free connection");
            if cancel_safe {
                // The fix: a guard gives the connection back, even on unwind.
                struct CheckedOut(Arc<Mutex<Vec<&'static str>>>, &'static str);
                impl Drop for CheckedOut {
                    fn drop(&mut self) {
                        self.0.lock().unwrap().push(self.1);
                    }
                }
                let _conn = CheckedOut(p.clone(), conn);
                let _ = job_rx.recv();
            } else {
                let _ = job_rx.recv(); // a cancellation point ...
                p.lock().unwrap().push(conn); // ... that skips this
            }
        });
        jobs.send(1).unwrap();
        h.cancel();
        let _ = h.join();
        assert_eq!(pool.lock().unwrap().len(), 1, "a connection leaked");
    });
}

#[test]
#[should_panic(expected = "a connection leaked")]
fn loom_finds_the_cleanup_a_cancellation_skips() {
    worker_with_pool(false);
}

#[test]
fn a_guard_gives_the_connection_back_when_cancelled() {
    worker_with_pool(true);
}
