//! `current()`, `yield_now()`, fiber-local storage, and `sleep` outside a
//! fiber.

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

fiberio::fiber_local! {
    static COUNTER: Cell<u32> = Cell::new(0);
    static LOG: RefCell<Vec<u32>> = RefCell::new(Vec::new());
}

#[test]
fn each_fiber_has_its_own_locals() {
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    let handles: Vec<_> = (0..50u32)
        .map(|i| {
            rt.spawn(move || {
                for _ in 0..=i {
                    COUNTER.with(|c| c.set(c.get() + 1));
                    LOG.with(|l| l.borrow_mut().push(i));
                    fiberio::yield_now(); // interleave with the others
                }
                (COUNTER.with(Cell::get), LOG.with(|l| l.borrow().iter().all(|&x| x == i)))
            })
        })
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(h.join().unwrap(), (i as u32 + 1, true));
    }
}

#[test]
fn locals_are_dropped_when_the_fiber_ends() {
    struct Noisy(Arc<AtomicUsize>);
    impl Drop for Noisy {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
        }
    }
    fiberio::fiber_local! {
        static NOISY: RefCell<Option<Noisy>> = RefCell::new(None);
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    fiberio::spawn(move || NOISY.with(|n| *n.borrow_mut() = Some(Noisy(d)))).join().unwrap();
    // Dropped inside the fiber, before join returned.
    assert_eq!(drops.load(SeqCst), 1);
}

#[test]
fn on_a_plain_thread_locals_are_per_thread() {
    COUNTER.with(|c| c.set(41));
    COUNTER.with(|c| c.set(c.get() + 1));
    assert_eq!(COUNTER.with(Cell::get), 42);
    assert_eq!(std::thread::spawn(|| COUNTER.with(Cell::get)).join().unwrap(), 0);
    assert_eq!(fiberio::spawn(|| COUNTER.with(Cell::get)).join().unwrap(), 0);
}

#[test]
fn current_names_and_ids() {
    assert!(fiberio::current().is_none());
    let h = fiberio::Builder::new().name("named".into()).spawn(|| fiberio::current().unwrap()).unwrap();
    let id = h.fiber().id();
    let me = h.join().unwrap();
    assert_eq!(me.name(), Some("named"));
    assert_eq!(me.id(), id);
    let other = fiberio::spawn(|| fiberio::current().unwrap().id()).join().unwrap();
    assert_ne!(other, id);
    assert!(fiberio::spawn(|| fiberio::current().unwrap().name().is_none()).join().unwrap());
}

#[test]
fn yield_now_interleaves_fibers_on_one_worker() {
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let o = order.clone();
    rt.block_on(move || {
        // Spawned from a fiber: both queue behind it on the one worker and
        // each `yield_now` hands the worker to the other.
        let hs: Vec<_> = (0..2)
            .map(|id| {
                let order = o.clone();
                fiberio::spawn(move || {
                    for step in 0..3 {
                        order.lock().unwrap().push((id, step));
                        fiberio::yield_now();
                    }
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
    });
    let order = order.lock().unwrap();
    assert_eq!(*order, [(0, 0), (1, 0), (0, 1), (1, 1), (0, 2), (1, 2)]);
}

#[test]
fn sleep_on_a_plain_thread_sleeps_the_thread() {
    let start = Instant::now();
    fiberio::sleep(Duration::from_millis(15));
    assert!(start.elapsed() >= Duration::from_millis(15));
    fiberio::yield_now(); // a plain thread yield; must not panic
}

#[test]
fn sleeping_fibers_do_not_block_their_worker() {
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    let sleeper = rt.spawn(|| fiberio::sleep(Duration::from_secs(30)));
    // While the sleeper waits 30 s, the only worker keeps running fibers.
    for i in 0..100 {
        assert_eq!(rt.spawn(move || i).join().unwrap(), i);
    }
    assert!(!sleeper.is_finished());
    drop(sleeper);
}
