//! The waiting-time bound of `fiberio::sync::Mutex`, counted rather than
//! timed: a holder that re-takes the lock the moment it releases it (it
//! runs, the woken waiter does not yet) can barge ahead of a waiter only
//! until that waiter has waited 1 ms; then the lock switches to FIFO
//! hand-off and the waiter is served before the holder's next turn
//! (`src/sync/raw_mutex.rs`).
//!
//! The holder keeps each critical section for at least 2 ms (a sleep with
//! the lock held), so by its second release after a waiter arrived, that
//! waiter has waited past the bound whatever the scheduling. One worker
//! makes the order of events fixed: the holder releases and re-locks
//! before any woken waiter runs. Each waiter counts the holder's
//! acquisitions that began after it called `lock`: at most 2. A lock
//! without the bound lets the holder take all of its turns first.

mod util;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::time::Duration;

use fiberio::sync::Mutex;
use util::{Watchdog, one_worker};

const TURNS: u64 = 8;
const WAITERS: usize = 4;
const HOLD: Duration = Duration::from_millis(2);

#[test]
fn a_barging_holder_gets_at_most_two_turns_past_a_waiter() {
    let _w = Watchdog::new("a_barging_holder_gets_at_most_two_turns_past_a_waiter", 60);
    let rt = one_worker();
    let lock = Arc::new(Mutex::new(()));
    let turns = Arc::new(AtomicU64::new(0));
    let (l, t) = (lock.clone(), turns.clone());
    let holder = rt.spawn(move || {
        for _ in 0..TURNS {
            let _g = l.lock().unwrap();
            t.fetch_add(1, SeqCst);
            fiberio::sleep(HOLD);
        }
    });
    let waiters: Vec<_> = (0..WAITERS)
        .map(|_| {
            let (l, t) = (lock.clone(), turns.clone());
            rt.spawn(move || {
                let before = t.load(SeqCst);
                let _g = l.lock().unwrap();
                t.load(SeqCst) - before
            })
        })
        .collect();
    let passed: Vec<u64> = waiters.into_iter().map(|w| w.join().unwrap()).collect();
    holder.join().unwrap();
    println!("holder turns begun while each waiter waited: {passed:?}");
    for (i, &p) in passed.iter().enumerate() {
        assert!(p <= 2, "waiter {i} waited through {p} of the holder's turns ({passed:?})");
    }
}

/// The same bound for `RwLock`: two readers whose read holds overlap, so
/// the lock is never free for a writer unless readers stop barging in. A
/// writer that has waited past the bound holds new readers back: each
/// reader begins at most two holds after the writer arrived (without the
/// bound, every one of its turns).
#[test]
fn overlapping_readers_hold_a_writer_back_for_at_most_two_turns() {
    use fiberio::sync::RwLock;
    let _w = Watchdog::new("overlapping_readers_hold_a_writer_back_for_at_most_two_turns", 60);
    let rt = one_worker();
    let lock = Arc::new(RwLock::new(()));
    let turns = Arc::new(AtomicU64::new(0));
    let readers: Vec<_> = (0..2)
        .map(|i| {
            let (l, t) = (lock.clone(), turns.clone());
            rt.spawn(move || {
                // Staggered by half a hold, so one always reads.
                fiberio::sleep(HOLD / 2 * i);
                for _ in 0..TURNS {
                    let _g = l.read().unwrap();
                    t.fetch_add(1, SeqCst);
                    fiberio::sleep(HOLD);
                }
            })
        })
        .collect();
    let (l, t) = (lock.clone(), turns.clone());
    let writer = rt.spawn(move || {
        fiberio::sleep(HOLD);
        let before = t.load(SeqCst);
        let _g = l.write().unwrap();
        t.load(SeqCst) - before
    });
    let passed = writer.join().unwrap();
    readers.into_iter().for_each(|r| r.join().unwrap());
    println!("reader holds begun while the writer waited: {passed}");
    assert!(passed <= 4, "the writer waited through {passed} reader holds (2 readers, at most 2 each)");
}
