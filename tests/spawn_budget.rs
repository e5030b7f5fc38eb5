//! The spawn budget: a fiber that spawns in a loop yields to its worker's
//! other fibers every 128 spawns of one run, so it neither holds up its
//! worker nor trips the stall warning; that yield is not a cancellation
//! point.
//!
//! On a 1-worker runtime nothing but the spawner's own yields can start the
//! fibers it spawns, so what ran before its loop ended is exact, not timing.

mod util;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

use fiberio::sync::mpsc;

/// The spawns of one run that the spawner makes before it yields.
const BUDGET: usize = 128;

#[test]
fn a_spawning_loop_lets_its_fibers_run_before_it_ends() {
    let rt = util::one_worker();
    let (ran_during_loop, ran_total) = rt.block_on(|| {
        let ran = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..1000)
            .map(|_| {
                let ran = ran.clone();
                fiberio::spawn(move || {
                    ran.fetch_add(1, SeqCst);
                })
            })
            .collect();
        let during = ran.load(SeqCst);
        handles.into_iter().for_each(|h| h.join().unwrap());
        (during, ran.load(SeqCst))
    });
    // Yields after spawn 128, 256, ..., 896: each ran every fiber queued
    // before it.
    assert_eq!(ran_during_loop, 1000 / BUDGET * BUDGET, "fibers run while the spawner looped");
    assert_eq!(ran_total, 1000);
}

#[test]
fn the_budget_yield_is_not_a_cancellation_point() {
    let rt = util::one_worker();
    let slot: Arc<Mutex<Option<fiberio::JoinHandle<()>>>> = Arc::default();
    let spawned = Arc::new(AtomicUsize::new(0));
    let (ready_tx, ready_rx) = mpsc::channel::<()>();
    let (back_tx, back_rx) = mpsc::channel();
    let spawner = {
        let (slot, spawned) = (slot.clone(), spawned.clone());
        rt.spawn(move || {
            ready_rx.recv().unwrap();
            // The first fiber cancels its spawner; it runs at the
            // spawner's first budget yield, mid-loop.
            let back_tx = back_tx.clone();
            let slot = slot.clone();
            fiberio::spawn(move || {
                let me = slot.lock().unwrap().take().unwrap();
                me.cancel();
                back_tx.send(me).unwrap();
            });
            for _ in 1..3 * BUDGET {
                fiberio::spawn(|| ());
            }
            spawned.store(3 * BUDGET, SeqCst);
            fiberio::yield_now(); // a cancellation point: unwinds here
            unreachable!("the cancelled spawner went past yield_now");
        })
    };
    *slot.lock().unwrap() = Some(spawner);
    ready_tx.send(()).unwrap();
    let spawner = back_rx.recv().unwrap();
    let err = spawner.join().unwrap_err();
    assert!(err.is::<fiberio::Cancelled>(), "the spawner ended by cancellation");
    assert_eq!(spawned.load(SeqCst), 3 * BUDGET, "every spawn returned although cancelled");
}
