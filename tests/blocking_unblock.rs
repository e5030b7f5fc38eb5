//! `fiberio::unblock`: the closure runs on a helper thread while only the
//! calling fiber parks; panics come back to the caller; off a fiber it runs
//! inline.

mod util;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::SeqCst};

use util::PATIENCE;

#[test]
fn four_unblocks_on_one_worker_leave_it_serving_others() {
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    let (count, stop) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicBool::new(false)));
    let counter = util::spawn_counter(&rt, &count, &stop);
    let in_flight = Arc::new(AtomicUsize::new(0));
    let blocked: Vec<_> = (0..4)
        .map(|_| {
            let (count, in_flight) = (count.clone(), in_flight.clone());
            rt.spawn(move || {
                fiberio::unblock(move || {
                    // Blocks its thread until all four are in flight at once
                    // and the counter fiber has run 1,000 more times: neither
                    // can happen if a worker, not a helper, runs this.
                    in_flight.fetch_add(1, SeqCst);
                    util::wait_until(PATIENCE, "the four closures run at the same time", || {
                        in_flight.load(SeqCst) == 4
                    });
                    let start = count.load(SeqCst);
                    util::wait_until(PATIENCE, "the counter fiber runs while the closure blocks", || {
                        count.load(SeqCst) >= start + 1000
                    });
                    util::worker_name()
                })
            })
        })
        .collect();
    for h in blocked {
        // A closure that gave up waiting panicked; the panic comes back here.
        assert_eq!(h.join().unwrap(), "fiberio-helper");
    }
    stop.store(true, SeqCst);
    counter.join().unwrap();
}

#[test]
fn unblock_from_fibers_on_every_worker() {
    let rt = fiberio::Runtime::builder().workers(2).build().unwrap();
    let handles: Vec<_> = (0..16u64)
        .map(|i| {
            util::spawn_on(&rt, (i % 2) as usize, move || {
                let worker = util::worker_name();
                let (value, helper) = fiberio::unblock(move || (i * i, util::worker_name()));
                // The fiber resumes on its own worker after the helper is done.
                (value, helper, worker == util::worker_name(), worker)
            })
        })
        .collect();
    let mut workers = std::collections::BTreeSet::new();
    for (i, h) in handles.into_iter().enumerate() {
        let (value, helper, same_worker, worker) = h.join().unwrap();
        assert_eq!(value, (i * i) as u64);
        assert_eq!(helper, "fiberio-helper");
        assert!(same_worker, "a fiber came back on another thread");
        workers.insert(worker);
    }
    assert_eq!(workers.len(), 2, "fibers on both workers: {workers:?}");
}

#[test]
fn off_a_fiber_the_closure_runs_inline() {
    let me = std::thread::current().id();
    assert_eq!(fiberio::unblock(move || std::thread::current().id()), me);
    assert_eq!(fiberio::try_unblock(|| 5).unwrap(), 5);
}

#[test]
fn a_panic_comes_back_to_the_fiber_with_its_payload() {
    let h = fiberio::spawn(|| fiberio::unblock(|| -> u32 { panic!("helper boom") }));
    assert_eq!(h.join().unwrap_err().downcast_ref::<&str>(), Some(&"helper boom"));

    // Caught in the fiber, which carries on; the helper survived too.
    let h = fiberio::spawn(|| {
        let caught = std::panic::catch_unwind(|| {
            fiberio::unblock(|| -> u32 { std::panic::panic_any(String::from("owned payload")) })
        });
        let payload = caught.unwrap_err().downcast::<String>().map(|s| *s);
        (payload.ok(), fiberio::unblock(|| 7))
    });
    assert_eq!(h.join().unwrap(), (Some("owned payload".to_string()), 7));
}

#[test]
fn try_unblock_returns_the_value() {
    let h = fiberio::spawn(|| fiberio::try_unblock(|| vec![1u8; 3]));
    assert_eq!(h.join().unwrap().unwrap(), vec![1, 1, 1]);
}
