//! A fiber that catches shutdown's forced unwind and returns a value
//! completes once: its joiner gets that value, nothing is dropped twice.
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc;
use std::time::Duration;

static RESULT_DROPS: AtomicUsize = AtomicUsize::new(0);
struct Res(u32);
impl Drop for Res {
    fn drop(&mut self) {
        RESULT_DROPS.fetch_add(1, SeqCst);
    }
}

#[test]
fn a_fiber_that_catches_the_forced_unwind_is_completed_once() {
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    let (tx, rx) = mpsc::channel();
    let h = rt.spawn(move || {
        tx.send(()).unwrap();
        let _ = std::panic::catch_unwind(|| fiberio::sleep(Duration::from_secs(3600)));
        Res(42)
    });
    rx.recv().unwrap();
    std::thread::sleep(Duration::from_millis(50));
    rt.shutdown();
    let drops_before_join = RESULT_DROPS.load(SeqCst);
    let r = h.join();
    assert_eq!(drops_before_join, 0, "the fiber's result was dropped by the runtime (second complete)");
    assert_eq!(r.expect("the result the fiber produced was overwritten").0, 42);
}

fn join_with_timeout<T: Send + 'static>(h: fiberio::JoinHandle<T>) -> Option<std::thread::Result<T>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(h.join());
    });
    rx.recv_timeout(Duration::from_secs(3)).ok()
}

/// A fiber that catches the forced unwind and then panics: the panic must
/// not reach the worker, and the other fibers' joiners still get answers.
#[test]
fn panic_after_caught_forced_unwind() {
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    let (tx, rx) = mpsc::channel();
    let tx2 = tx.clone();
    let _x = rt.spawn(move || {
        tx.send(()).unwrap();
        let _ = std::panic::catch_unwind(|| fiberio::sleep(Duration::from_secs(3600)));
        panic!("after the caught unwind");
    });
    let y = rt.spawn(move || {
        tx2.send(()).unwrap();
        fiberio::sleep(Duration::from_secs(3600));
    });
    rx.recv().unwrap();
    rx.recv().unwrap();
    rt.shutdown();
    assert!(join_with_timeout(y).is_some(), "joiner of an innocent fiber hangs after shutdown");
}
