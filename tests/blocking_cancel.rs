//! Cancelling a fiber that waits in `unblock`: it stops waiting and
//! unwinds; the closure runs to its end on the helper, which drops the
//! result.

mod util;

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

use util::{DropFlag, PATIENCE};

/// Records the thread that drops it.
struct DropRecorder(Arc<Mutex<Option<String>>>);

impl Drop for DropRecorder {
    fn drop(&mut self) {
        let name = std::thread::current().name().unwrap_or("<unnamed>").to_string();
        *self.0.lock().unwrap() = Some(name);
    }
}

#[test]
fn a_cancelled_fiber_stops_waiting_and_the_helper_drops_the_result() {
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    let started = Arc::new(AtomicBool::new(false));
    let release = Arc::new(AtomicBool::new(false));
    let unwound = Arc::new(AtomicBool::new(false));
    let dropped_on = Arc::new(Mutex::new(None));
    let h = {
        let (started, release, unwound, dropped_on) =
            (started.clone(), release.clone(), unwound.clone(), dropped_on.clone());
        rt.spawn(move || {
            let _guard = DropFlag(unwound); // a destructor on the cancelled fiber
            drop(fiberio::unblock(move || {
                started.store(true, SeqCst);
                // Cannot be interrupted: runs until the test releases it.
                util::wait_until(PATIENCE, "the test releases the job", || release.load(SeqCst));
                DropRecorder(dropped_on)
            }));
        })
    };
    util::wait_until(PATIENCE, "the job starts on a helper", || started.load(SeqCst));
    h.cancel();
    let err = h.join().unwrap_err();
    assert!(err.is::<fiberio::Cancelled>(), "join reports the cancellation");
    assert!(unwound.load(SeqCst), "the fiber's destructors ran");
    // The join returned while the closure still runs: it was not waited for.
    assert!(dropped_on.lock().unwrap().is_none());

    release.store(true, SeqCst);
    util::wait_until(PATIENCE, "the helper drops the result", || dropped_on.lock().unwrap().is_some());
    assert_eq!(dropped_on.lock().unwrap().as_deref(), Some("fiberio-helper"));
    // The worker serves on.
    assert_eq!(rt.spawn(|| fiberio::unblock(|| 1 + 1)).join().unwrap(), 2);
}

#[test]
fn a_cancellation_pending_before_unblock_stops_the_fiber_before_the_job_runs() {
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    let (running, go, ran) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let h = {
        let (running, go, ran) = (running.clone(), go.clone(), ran.clone());
        rt.spawn(move || {
            running.store(true, SeqCst);
            // No blocking point here: the cancellation stays pending.
            while !go.load(SeqCst) {
                std::hint::spin_loop();
            }
            fiberio::unblock(move || ran.store(true, SeqCst));
        })
    };
    util::wait_until(PATIENCE, "the fiber runs", || running.load(SeqCst));
    h.cancel();
    go.store(true, SeqCst);
    assert!(h.join().unwrap_err().is::<fiberio::Cancelled>());
    assert!(!ran.load(SeqCst), "the closure of a cancelled fiber was submitted");
}
