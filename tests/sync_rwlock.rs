//! `fiberio::sync::RwLock` in the four settings of issue 4: writers
//! exclude everyone (a racy counter bumped with a yield inside stays
//! exact, readers never see a writer inside), and readers really share
//! (two readers meet at a barrier while both hold the read lock).

mod util;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

use fiberio::sync::{Barrier, RwLock, TryLockError};
use util::{Racy, SETTINGS, Watchdog, run_parties, two_workers, yield_any};

const PARTIES: usize = 6;
const ROUNDS: u64 = 100;

#[test]
fn writers_exclude_and_readers_see_no_writer() {
    let _w = Watchdog::new("writers_exclude_and_readers_see_no_writer", 120);
    let rt = two_workers();
    for setting in SETTINGS {
        let shared = Arc::new((RwLock::new(0u64), Racy::new(), AtomicBool::new(false), AtomicUsize::new(0)));
        let s = shared.clone();
        run_parties(&rt, setting, PARTIES, move |i| {
            let (lock, racy, writing, reads) = &*s;
            for r in 0..ROUNDS {
                if (i + r as usize).is_multiple_of(3) {
                    let _g = lock.read().unwrap();
                    assert!(!writing.load(SeqCst), "{setting:?}: a reader next to a writer");
                    yield_any();
                    assert!(!writing.load(SeqCst), "{setting:?}: a reader next to a writer");
                    reads.fetch_add(1, SeqCst);
                } else {
                    let mut g = lock.write().unwrap();
                    assert!(!writing.swap(true, SeqCst), "{setting:?}: two writers at once");
                    racy.bump_slowly();
                    *g += 1;
                    writing.store(false, SeqCst);
                }
            }
        });
        let (lock, racy, _, reads) = &*shared;
        let writes = PARTIES as u64 * ROUNDS - reads.load(SeqCst) as u64;
        assert_eq!(racy.get(), writes, "{setting:?}: lost updates");
        assert_eq!(*lock.try_write().expect("free at the end"), writes, "{setting:?}");
    }
}

#[test]
fn readers_share_the_lock() {
    let _w = Watchdog::new("readers_share_the_lock", 120);
    let rt = two_workers();
    for setting in SETTINGS {
        // Both parties hold a read guard while they wait for each other:
        // only possible if reads are shared.
        let shared = Arc::new((RwLock::new(7), Barrier::new(2)));
        let s = shared.clone();
        let seen = run_parties(&rt, setting, 2, move |_| {
            let (lock, barrier) = &*s;
            let g = lock.read().unwrap();
            barrier.wait();
            assert!(matches!(lock.try_write(), Err(TryLockError::WouldBlock)), "{setting:?}");
            let v = *g;
            drop(g);
            barrier.wait();
            v
        });
        assert_eq!(seen, vec![7, 7]);
        assert!(shared.0.try_write().is_ok(), "{setting:?}: free at the end");
    }
}
