//! A fiber queued from outside behind a busy worker (CPU work, no yield) is
//! taken by an idle worker: the spawn wakes a sleeper to steal it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::time::{Duration, Instant};

#[test]
fn an_idle_worker_takes_a_fiber_queued_behind_a_busy_one() {
    let rt = fiberio::Runtime::builder().workers(2).build().unwrap();
    let (busy_started, queued_ran) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let (started, ran) = (busy_started.clone(), queued_ran.clone());
    // Spins until the queued fiber has run — which only another worker can
    // do. The bound is a safety net so a regression fails instead of hanging.
    let busy = rt.spawn(move || {
        started.store(true, SeqCst);
        let give_up = Instant::now() + Duration::from_secs(10);
        while !ran.load(SeqCst) && Instant::now() < give_up {
            std::hint::spin_loop();
        }
        (ran.load(SeqCst), std::thread::current().name().map(String::from))
    });
    while !busy_started.load(SeqCst) {
        std::thread::yield_now();
    }
    // Fibers spawned from outside go to the workers in turn: the busy one
    // took worker 0, this one goes to worker 1 (and returns), so the next
    // is queued behind the busy worker 0. Only worker 1 stealing it runs it.
    rt.spawn(|| ()).join().unwrap();
    // Give worker 1 time to block in epoll_wait: on its way there it would
    // steal the fiber by itself (its re-check), and prove nothing.
    std::thread::sleep(Duration::from_millis(50));
    let ran = queued_ran.clone();
    let behind = rt.spawn(move || {
        ran.store(true, SeqCst);
        std::thread::current().name().map(String::from)
    });
    let ran_on = behind.join().unwrap();
    let (saw_it, busy_on) = busy.join().unwrap();
    assert!(saw_it, "no queued fiber ran while one worker was busy and the other idle");
    assert_ne!(ran_on, busy_on, "the queued fiber ran on the busy worker");
}
