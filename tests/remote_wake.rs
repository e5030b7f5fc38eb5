//! Wakes from other threads go through the target worker's inbox and cost
//! an eventfd write only when that worker sleeps, once per sleep.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};

#[test]
fn a_busy_worker_is_handed_work_without_eventfd_writes() {
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    let (started, release) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let (s, r) = (started.clone(), release.clone());
    // Keep the only worker busy (no yield) until the main thread is done.
    let busy = rt.spawn(move || {
        s.store(true, SeqCst);
        while !r.load(SeqCst) {
            std::hint::spin_loop();
        }
    });
    while !started.load(SeqCst) {
        std::thread::yield_now();
    }
    let before = rt.metrics()[0].eventfd_writes;
    let handles: Vec<_> = (0..100).map(|i| rt.spawn(move || i)).collect();
    let during = rt.metrics()[0].eventfd_writes - before;
    release.store(true, SeqCst);
    busy.join().unwrap();
    let sum: i32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(sum, 4950);
    assert_eq!(during, 0, "100 spawns to an awake worker wrote its eventfd {during} times");
}

#[test]
fn a_sleeping_worker_is_woken_by_a_spawn_from_another_thread() {
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    // Let the worker go idle, then wake it repeatedly from this thread; each
    // round trip must complete (no lost wakeup) and cost at most one write.
    for i in 0..200 {
        assert_eq!(rt.spawn(move || i * 2).join().unwrap(), i * 2);
    }
    // Whether the worker got to sleep between round trips depends on the
    // machine's load; either way a wake costs at most one eventfd write.
    let m = rt.metrics()[0];
    assert!(m.eventfd_writes <= 200, "{m:?}");
}
