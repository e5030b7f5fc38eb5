//! `block_on` on a fiber never returns — not even by unwinding when the
//! caller's runtime shuts down — while its body still runs and borrows the
//! caller's frame.
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::time::Duration;

struct Canary(AtomicBool);
impl Drop for Canary {
    fn drop(&mut self) {
        self.0.store(false, SeqCst);
    }
}

#[test]
fn block_on_does_not_return_before_its_body_by_unwinding() {
    let rt_b: &'static fiberio::Runtime =
        Box::leak(Box::new(fiberio::Runtime::builder().workers(1).build().unwrap()));
    let rt_a = fiberio::Runtime::builder().workers(1).build().unwrap();
    let saw_dropped = Arc::new(AtomicBool::new(false));
    let (started_tx, started_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    let saw = saw_dropped.clone();
    let _h = rt_a.spawn(move || {
        let canary = Canary(AtomicBool::new(true));
        let c = &canary;
        rt_b.block_on(|| {
            started_tx.send(()).unwrap();
            for _ in 0..200 {
                if !c.0.load(SeqCst) {
                    // Reading through a live borrow of a dropped value.
                    saw.store(true, SeqCst);
                    break;
                }
                fiberio::sleep(Duration::from_millis(5));
            }
            done_tx.send(()).unwrap();
        });
    });
    started_rx.recv().unwrap();
    drop(rt_a); // unwinds the fiber parked in block_on's join
    done_rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(!saw_dropped.load(SeqCst), "block_on's body saw its borrowed data dropped under it");
}
