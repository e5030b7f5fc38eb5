//! A value the runtime drops on a worker's own stack — an unjoined fiber's
//! result, a never-started fiber's closure — that panics in its destructor
//! aborts the process with a message, as std does for a thread result that
//! panics on drop. (Unwinding would kill the worker and strand its fibers.)

mod util;

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

struct PanicsOnDrop;
impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("a destructor panics");
        }
    }
}

fn assert_aborted_with_message(out: std::process::Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.signal(), Some(libc::SIGABRT), "status {:?}: {stderr}", out.status);
    assert!(stderr.contains("fiberio: a value dropped by a worker"), "{stderr}");
}

#[test]
fn an_unjoined_result_that_panics_on_drop_aborts() {
    if util::is_child("detached-result") {
        let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
        drop(rt.spawn(|| PanicsOnDrop)); // detached: the worker drops the result
        std::thread::sleep(Duration::from_secs(10));
        unreachable!("the abort ends the process first");
    }
    assert_aborted_with_message(util::run_child(
        "an_unjoined_result_that_panics_on_drop_aborts",
        "detached-result",
        &[],
    ));
}

#[test]
fn an_abandoned_closure_that_panics_on_drop_aborts() {
    if util::is_child("abandoned") {
        let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        // Occupies the only worker so the next fiber never starts.
        let _busy = rt.spawn(move || {
            tx.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(300));
        });
        rx.recv().unwrap();
        let p = PanicsOnDrop;
        let _never = rt.spawn(move || drop(p));
        rt.shutdown(); // drops the never-started closure on the worker
        unreachable!("the abort ends the process first");
    }
    assert_aborted_with_message(util::run_child(
        "an_abandoned_closure_that_panics_on_drop_aborts",
        "abandoned",
        &[],
    ));
}
