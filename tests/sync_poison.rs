//! Poisoning follows std: a panic while a `Mutex` guard or an `RwLock`
//! write guard is held poisons the lock (`lock` returns `Err` holding the
//! guard, `into_inner` and `get_mut` report it, `clear_poison` clears it);
//! a read guard does not poison. A *cancelled* fiber holding a guard does
//! not poison, and the lock is released. A fiber that caught a
//! cancellation and later really panics with a guard held does poison.

mod util;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::time::Duration;

use fiberio::sync::{Mutex, RwLock};
use util::{PATIENCE, Watchdog, two_workers};

#[test]
fn a_panic_in_a_fiber_poisons_a_mutex() {
    let rt = two_workers();
    let m = Arc::new(Mutex::new(1));
    let m2 = m.clone();
    let r = rt.spawn(move || {
        let _g = m2.lock().unwrap();
        panic!("boom");
    });
    assert!(r.join().is_err());
    assert!(m.is_poisoned());
    let err = m.lock().unwrap_err();
    assert_eq!(**err.get_ref(), 1, "the error holds the guard");
    let mut g = err.into_inner();
    *g = 2;
    drop(g);
    m.clear_poison();
    assert!(!m.is_poisoned());
    assert_eq!(*m.lock().unwrap(), 2);
    // Poison again, from a plain thread this time; into_inner reports it.
    let m2 = m.clone();
    let _ = std::thread::spawn(move || {
        let _g = m2.lock().unwrap();
        panic!("boom");
    })
    .join();
    let mut m = Arc::try_unwrap(m).unwrap();
    assert!(m.get_mut().is_err());
    assert_eq!(m.into_inner().unwrap_err().into_inner(), 2);
}

#[test]
fn a_panic_while_writing_poisons_an_rwlock_but_not_while_reading() {
    let rt = two_workers();
    let l = Arc::new(RwLock::new(5));
    let l2 = l.clone();
    assert!(
        rt.spawn(move || {
            let _g = l2.read().unwrap();
            panic!("reader");
        })
        .join()
        .is_err()
    );
    assert!(!l.is_poisoned(), "a read guard does not poison");
    let l2 = l.clone();
    assert!(
        rt.spawn(move || {
            let _g = l2.write().unwrap();
            panic!("writer");
        })
        .join()
        .is_err()
    );
    assert!(l.is_poisoned());
    assert_eq!(*l.read().unwrap_err().into_inner(), 5);
    assert_eq!(*l.write().unwrap_err().into_inner(), 5);
    l.clear_poison();
    assert_eq!(*l.write().unwrap(), 5);
    let l = Arc::try_unwrap(l).unwrap();
    assert_eq!(l.into_inner().unwrap(), 5);
}

#[test]
fn a_cancelled_holder_releases_without_poisoning() {
    let _w = Watchdog::new("a_cancelled_holder_releases_without_poisoning", 60);
    let rt = two_workers();
    let m = Arc::new(Mutex::new(0));
    let l = Arc::new(RwLock::new(0));
    let (m2, l2) = (m.clone(), l.clone());
    let holding = Arc::new(AtomicBool::new(false));
    let h2 = holding.clone();
    let h = rt.spawn(move || {
        let mut g = m2.lock().unwrap();
        let mut w = l2.write().unwrap();
        *g += 1;
        *w += 1;
        h2.store(true, SeqCst);
        fiberio::sleep(Duration::from_secs(3600));
    });
    util::wait_until(PATIENCE, "the fiber holds both locks", || holding.load(SeqCst));
    h.cancel();
    assert!(h.join().unwrap_err().is::<fiberio::Cancelled>());
    assert!(!m.is_poisoned());
    assert!(!l.is_poisoned());
    assert_eq!(*m.try_lock().expect("released"), 1);
    assert_eq!(*l.try_write().expect("released"), 1);
}

#[test]
fn a_real_panic_after_a_caught_cancellation_poisons() {
    let _w = Watchdog::new("a_real_panic_after_a_caught_cancellation_poisons", 60);
    let rt = two_workers();
    let m = Arc::new(Mutex::new(0));
    let m2 = m.clone();
    let sleeping = Arc::new(AtomicBool::new(false));
    let s2 = sleeping.clone();
    let h = rt.spawn(move || {
        let caught = catch_unwind(|| {
            s2.store(true, SeqCst);
            fiberio::sleep(Duration::from_secs(3600));
        });
        assert!(caught.unwrap_err().is::<fiberio::Cancelled>());
        // Carries on; a genuine failure now must poison as usual.
        let _ = catch_unwind(AssertUnwindSafe(|| {
            let _g = m2.lock().unwrap();
            panic!("a real failure");
        }));
    });
    util::wait_until(PATIENCE, "the fiber goes to sleep", || sleeping.load(SeqCst));
    h.cancel();
    h.join().unwrap();
    assert!(m.is_poisoned(), "a panic after a caught cancellation is still a panic");
}
