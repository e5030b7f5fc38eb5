//! The global runtime's fiber dump is reachable from the public API: none
//! before the global runtime starts (asking does not start it), then its
//! fibers, as for any runtime.

mod util;

use fiberio::sync::mpsc;
use fiberio::{FiberState, Runtime, WaitReason};
use util::{PATIENCE, wait_until};

#[test]
fn the_global_runtime_has_a_dump_once_started() {
    assert!(Runtime::global_dump().is_none(), "nothing started the global runtime yet");
    assert!(Runtime::global_dump().is_none(), "asking does not start it");
    let (tx, rx) = mpsc::channel::<u32>();
    let line = line!() + 1;
    let h = fiberio::Builder::new().name("global-waiter".into()).spawn(move || rx.recv().unwrap()).unwrap();
    let id = h.fiber().id();
    wait_until(PATIENCE, "the global fiber parks", || {
        let dump = Runtime::global_dump().expect("started by the spawn");
        matches!(
            dump.fiber(id).map(|f| f.state),
            Some(FiberState::Parked { on: WaitReason::Recv { .. }, .. })
        )
    });
    let dump = Runtime::global_dump().unwrap();
    let workers = Runtime::global_metrics().unwrap().len();
    assert_eq!(dump.workers.len(), workers);
    let info = dump.fiber(id).unwrap();
    assert_eq!(info.name.as_deref(), Some("global-waiter"));
    assert!(info.worker < workers);
    assert_eq!((info.spawned_at.file(), info.spawned_at.line()), (file!(), line));
    let text = dump.to_string();
    assert!(text.contains("\"global-waiter\" [chan receive"), "{text}");
    tx.send(1).unwrap();
    assert_eq!(h.join().unwrap(), 1);
}
