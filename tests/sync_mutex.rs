//! `fiberio::sync::Mutex` in the four settings of issue 4 (same worker,
//! across workers, fiber + thread, threads): mutual exclusion holds with a
//! yield inside every critical section, counts are exact, `try_lock`
//! refuses a held lock, and the lock is free again at the end.

mod util;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};

use fiberio::sync::{Mutex, TryLockError};
use util::{PATIENCE, Racy, SETTINGS, Watchdog, run_parties, two_workers};

const PARTIES: usize = 6;
const ROUNDS: u64 = 200;

#[test]
fn mutual_exclusion_in_every_setting() {
    let _w = Watchdog::new("mutual_exclusion_in_every_setting", 120);
    let rt = two_workers();
    for setting in SETTINGS {
        let shared = Arc::new((Mutex::new(0u64), Racy::new(), AtomicBool::new(false)));
        let s = shared.clone();
        run_parties(&rt, setting, PARTIES, move |_| {
            let (lock, racy, inside) = &*s;
            for _ in 0..ROUNDS {
                let mut guard = lock.lock().unwrap();
                assert!(!inside.swap(true, SeqCst), "{setting:?}: two holders at once");
                racy.bump_slowly();
                *guard += 1;
                inside.store(false, SeqCst);
            }
        });
        let (lock, racy, _) = &*shared;
        let total = PARTIES as u64 * ROUNDS;
        assert_eq!(racy.get(), total, "{setting:?}: lost updates");
        assert_eq!(*lock.try_lock().expect("free at the end"), total, "{setting:?}");
    }
}

#[test]
fn try_lock_refuses_a_held_lock_in_every_setting() {
    let _w = Watchdog::new("try_lock_refuses_a_held_lock_in_every_setting", 120);
    let rt = two_workers();
    for setting in SETTINGS {
        // Party 0 holds the lock until party 1 has seen `WouldBlock`.
        let shared = Arc::new((Mutex::new(()), AtomicBool::new(false), AtomicBool::new(false)));
        let s = shared.clone();
        run_parties(&rt, setting, 2, move |i| {
            let (lock, held, seen) = &*s;
            if i == 0 {
                let _guard = lock.lock().unwrap();
                held.store(true, SeqCst);
                util::wait_until(PATIENCE, "party 1 has seen WouldBlock", || seen.load(SeqCst));
            } else {
                util::wait_until(PATIENCE, "party 0 holds the lock", || held.load(SeqCst));
                assert!(matches!(lock.try_lock(), Err(TryLockError::WouldBlock)), "{setting:?}");
                seen.store(true, SeqCst);
                // Blocks until party 0 lets go.
                drop(lock.lock().unwrap());
            }
        });
        assert!(shared.0.try_lock().is_ok(), "{setting:?}: free at the end");
    }
}

#[test]
fn into_inner_and_get_mut() {
    let mut m = Mutex::new(vec![1]);
    m.get_mut().unwrap().push(2);
    assert_eq!(m.into_inner().unwrap(), vec![1, 2]);
}
