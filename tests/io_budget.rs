//! The IO budget: a fiber whose reads keep succeeding without parking
//! yields to its worker's other fibers after `io_budget` of them in one
//! run; with `io_budget(0)` it never does. Counted on one worker with a
//! stream that is all there before the reader starts (it never parks).
//! With the `hook` feature, the same for std's own `UnixStream` read on a
//! fiber (its `recv` is the hook's).

mod util;

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};

use fiberio::os::unix::net::UnixStream;
use util::{Watchdog, spawn_counter};

const MESSAGES: u64 = 64;
const SIZE: usize = 16;

/// Reads the whole stream in `SIZE`-byte reads on a 1-worker runtime with
/// `budget`, beside a counting fiber; returns the budget yields and how
/// far the counter advanced while the reader read.
fn read_beside_counter(budget: u32) -> (u64, u64) {
    let (tx, rx) = UnixStream::pair().unwrap();
    read_beside_counter_from(budget, tx, rx)
}

/// [`read_beside_counter`] on a given pair of stream ends.
fn read_beside_counter_from<S: Read + Write + Send + 'static>(budget: u32, mut tx: S, rx: S) -> (u64, u64) {
    let rt = fiberio::Runtime::builder().workers(1).io_budget(budget).build().unwrap();
    for _ in 0..MESSAGES {
        tx.write_all(&[5; SIZE]).unwrap();
    }
    drop(tx);
    let (count, stop) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicBool::new(false)));
    let counter = spawn_counter(&rt, &count, &stop);
    let c = count.clone();
    let reader = rt.spawn(move || {
        // Once the counter runs, both fibers are in the run queue.
        while c.load(SeqCst) == 0 {
            fiberio::yield_now();
        }
        let mut rx = rx;
        let mut buf = [0; SIZE];
        let first = c.load(SeqCst);
        let mut total = 0;
        loop {
            let n = rx.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            total += n;
        }
        assert_eq!(total, MESSAGES as usize * SIZE);
        c.load(SeqCst) - first
    });
    let advanced = reader.join().unwrap();
    stop.store(true, SeqCst);
    counter.join().unwrap();
    (rt.metrics()[0].io_yields, advanced)
}

#[test]
fn a_reader_that_never_parks_yields_every_budget() {
    let _w = Watchdog::new("a_reader_that_never_parks_yields_every_budget", 60);
    let (yields, advanced) = read_beside_counter(8);
    // 65 reads (64 messages and the end) in runs of 8.
    assert_eq!(yields, (MESSAGES + 1) / 8, "one yield per 8 reads");
    assert!(advanced >= yields, "the counter ran at each yield: {advanced} < {yields}");
}

#[test]
fn without_a_budget_the_reader_keeps_its_worker() {
    let _w = Watchdog::new("without_a_budget_the_reader_keeps_its_worker", 60);
    let (yields, advanced) = read_beside_counter(0);
    assert_eq!((yields, advanced), (0, 0), "no budget: the reader never yielded");
}

#[cfg(feature = "hook")]
#[test]
fn a_hooked_std_reader_that_never_parks_yields_every_budget() {
    let _w = Watchdog::new("a_hooked_std_reader_that_never_parks_yields_every_budget", 60);
    let (tx, rx) = std::os::unix::net::UnixStream::pair().unwrap();
    let (yields, advanced) = read_beside_counter_from(8, tx, rx);
    assert_eq!(yields, (MESSAGES + 1) / 8, "one yield per 8 hooked reads");
    assert!(advanced >= yields, "the counter ran at each yield: {advanced} < {yields}");
}
