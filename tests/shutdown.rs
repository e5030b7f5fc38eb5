//! Runtime shutdown unwinds every suspended fiber (destructors run), drops
//! fibers that never started, and reports both to their joiners.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

/// Counts its drops.
struct Guard(Arc<AtomicUsize>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn is_shutdown_error(payload: &(dyn std::any::Any + Send)) -> bool {
    payload.downcast_ref::<&str>().is_some_and(|m| m.contains("runtime shut down"))
}

#[test]
fn shutdown_unwinds_suspended_fibers_and_runs_their_destructors() {
    let rt = fiberio::Runtime::builder().workers(2).build().unwrap();
    let dropped = Arc::new(AtomicUsize::new(0));
    let (started_tx, started_rx) = mpsc::channel();
    let mut handles = Vec::new();
    for i in 0..100 {
        let guard = Guard(dropped.clone());
        let started = started_tx.clone();
        handles.push(rt.spawn(move || {
            let _guard = guard;
            let _on_stack = Guard(_guard.0.clone());
            started.send(()).unwrap();
            if i % 2 == 0 {
                fiberio::sleep(Duration::from_secs(3600));
            } else {
                // Parked in a join that never completes.
                fiberio::spawn(|| fiberio::sleep(Duration::from_secs(3600))).join().ok();
            }
            unreachable!("a suspended fiber is unwound, never resumed");
        }));
    }
    for _ in 0..100 {
        started_rx.recv().unwrap();
    }
    assert_eq!(dropped.load(SeqCst), 0);
    rt.shutdown();
    // Two guards per fiber: the captured one and the one on its stack.
    assert_eq!(dropped.load(SeqCst), 200);
    for h in handles {
        assert!(is_shutdown_error(&*h.join().unwrap_err()));
    }
}

#[test]
fn shutdown_drops_fibers_that_never_started() {
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    let rt = Arc::new(Mutex::new(Some(rt)));
    let dropped = Arc::new(AtomicUsize::new(0));
    let ran = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel();
    let spawner = {
        let (rt2, dropped, ran) = (rt.clone(), dropped.clone(), ran.clone());
        rt.lock().unwrap().as_ref().unwrap().spawn(move || {
            // Queue 100 fibers on this (only) worker; they cannot start
            // while this fiber runs without yielding.
            let handles: Vec<_> = (0..100)
                .map(|_| {
                    let (guard, ran) = (Guard(dropped.clone()), ran.clone());
                    fiberio::spawn(move || {
                        let _guard = guard;
                        ran.fetch_add(1, SeqCst);
                    })
                })
                .collect();
            tx.send(handles).unwrap();
            // Shut the runtime down from inside: the worker notices as soon
            // as this fiber returns, before starting any queued fiber.
            drop(rt2.lock().unwrap().take());
        })
    };
    let handles = rx.recv().unwrap();
    for h in handles {
        assert!(is_shutdown_error(&*h.join().unwrap_err()));
    }
    assert_eq!(ran.load(SeqCst), 0);
    assert_eq!(dropped.load(SeqCst), 100);
    spawner.join().unwrap();
}

#[test]
fn a_fiber_being_unwound_may_still_sleep_and_spawn() {
    // Destructors that block or spawn during shutdown must not hang it.
    struct Stubborn;
    impl Drop for Stubborn {
        fn drop(&mut self) {
            fiberio::sleep(Duration::from_secs(3600));
            fiberio::yield_now();
            let h = fiberio::spawn(|| 1);
            assert!(h.join().is_err(), "nothing new runs during shutdown");
        }
    }
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    let (tx, rx) = mpsc::channel();
    let h = rt.spawn(move || {
        let _s = Stubborn;
        tx.send(()).unwrap();
        fiberio::sleep(Duration::from_secs(3600));
    });
    rx.recv().unwrap();
    rt.shutdown();
    assert!(is_shutdown_error(&*h.join().unwrap_err()));
}
