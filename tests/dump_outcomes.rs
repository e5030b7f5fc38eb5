//! A fiber dump changes no fiber's outcome: fibers parked on IO, timers,
//! locks, channels and joins all complete as they would have while dumps
//! with backtraces (each a resume of every suspended fiber into a capture
//! and back) run over and over; wakes that arrive during a dump are not
//! lost; a cancellation still lands; and the scheduler does not count a
//! capture as a run or a park.

mod util;

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::time::Duration;

use fiberio::os::unix::net::UnixStream;
use fiberio::sync::{Mutex, mpsc};
use fiberio::{DumpOptions, Runtime};
use util::{Watchdog, one_worker, parked_info, two_workers};

/// Dumps `rt` (with backtraces) on a thread until `stop`; returns how many.
fn dump_until(rt: &Arc<Runtime>, stop: &Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    let (rt, stop) = (rt.clone(), stop.clone());
    std::thread::spawn(move || {
        let mut dumps = 0;
        while !stop.load(SeqCst) {
            let dump = rt.dump_with(DumpOptions::new().timeout(Duration::from_secs(30)));
            assert!(dump.workers.iter().all(|w| w.responding), "{dump}");
            dumps += 1;
        }
        dumps
    })
}

#[test]
fn every_kind_of_wait_completes_under_repeated_dumps() {
    let _watchdog = Watchdog::new("waits under dumps", 120);
    let rt = Arc::new(two_workers());
    let stop = Arc::new(AtomicBool::new(false));
    let dumper = dump_until(&rt, &stop);
    const ROUNDS: u32 = 200;

    // IO: a ping-pong over a socket pair.
    let (a, b) = UnixStream::pair().unwrap();
    let pinger = rt.spawn(move || {
        let mut a = a;
        let mut buf = [0u8; 4];
        for i in 0..ROUNDS {
            a.write_all(&i.to_le_bytes()).unwrap();
            a.read_exact(&mut buf).unwrap();
            assert_eq!(u32::from_le_bytes(buf), i + 1);
        }
    });
    let ponger = rt.spawn(move || {
        let mut b = b;
        let mut buf = [0u8; 4];
        for _ in 0..ROUNDS {
            b.read_exact(&mut buf).unwrap();
            b.write_all(&(u32::from_le_bytes(buf) + 1).to_le_bytes()).unwrap();
        }
    });
    // Timers.
    let sleepers: Vec<_> = (0..8)
        .map(|i| {
            rt.spawn(move || {
                for _ in 0..20 {
                    fiberio::sleep(Duration::from_micros(200 + i * 50));
                }
                i
            })
        })
        .collect();
    // A contended lock: every increment lands.
    let counter = Arc::new(Mutex::new(0u64));
    let lockers: Vec<_> = (0..8)
        .map(|_| {
            let counter = counter.clone();
            rt.spawn(move || {
                for _ in 0..ROUNDS {
                    *counter.lock().unwrap() += 1;
                    fiberio::yield_now();
                }
            })
        })
        .collect();
    // A channel pipeline and a join chain.
    let (tx, rx) = mpsc::sync_channel::<u64>(1);
    let producer = rt.spawn(move || (0..ROUNDS as u64).for_each(|i| tx.send(i).unwrap()));
    let consumer = rt.spawn(move || rx.iter().sum::<u64>());
    let joiner = rt.spawn(move || consumer.join().unwrap());

    pinger.join().unwrap();
    ponger.join().unwrap();
    let ids: Vec<u64> = sleepers.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(ids, (0..8).collect::<Vec<_>>());
    lockers.into_iter().for_each(|h| h.join().unwrap());
    assert_eq!(*counter.lock().unwrap(), 8 * ROUNDS as u64);
    producer.join().unwrap();
    assert_eq!(joiner.join().unwrap(), (0..ROUNDS as u64).sum::<u64>());
    stop.store(true, SeqCst);
    assert!(dumper.join().unwrap() > 0);
}

#[test]
fn wakes_that_arrive_during_dumps_are_not_lost() {
    let _watchdog = Watchdog::new("wakes during dumps", 120);
    let rt = Arc::new(one_worker());
    let stop = Arc::new(AtomicBool::new(false));
    // Dumps from two threads at once, so they also overlap each other.
    let dumpers = [dump_until(&rt, &stop), dump_until(&rt, &stop)];
    const MESSAGES: u64 = 2_000;
    let (tx, rx) = mpsc::channel::<u64>();
    let receivers: Vec<_> = {
        let rx = Arc::new(Mutex::new(rx));
        (0..4)
            .map(|_| {
                let rx = rx.clone();
                rt.spawn(move || {
                    let mut got = 0u64;
                    while let Ok(v) = rx.lock().unwrap().recv() {
                        got += v;
                    }
                    got
                })
            })
            .collect()
    };
    // Sent from a plain thread: every wake is a remote wake, racing the
    // worker's captures.
    for i in 1..=MESSAGES {
        tx.send(i).unwrap();
        if i % 64 == 0 {
            std::thread::yield_now();
        }
    }
    drop(tx);
    let total: u64 = receivers.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(total, MESSAGES * (MESSAGES + 1) / 2);
    stop.store(true, SeqCst);
    for d in dumpers {
        d.join().unwrap();
    }
}

#[test]
fn a_dump_is_neither_a_run_nor_a_park_and_leaves_the_wait_open() {
    let rt = one_worker();
    let (tx, rx) = mpsc::channel::<u32>();
    let h = rt.spawn(move || rx.recv().unwrap());
    parked_info(&rt, h.fiber().id());
    let before = rt.metrics()[0];
    for _ in 0..10 {
        let dump = rt.dump();
        assert!(dump.fiber(h.fiber().id()).and_then(|f| f.backtrace()).is_some(), "{dump}");
    }
    let after = rt.metrics()[0];
    assert_eq!(after.switches, before.switches, "a capture is not a fiber run");
    assert_eq!(after.parks, before.parks, "a capture commits no park");
    assert_eq!(after.park_races, before.park_races);
    assert!(!h.is_finished());
    tx.send(3).unwrap();
    assert_eq!(h.join().unwrap(), 3);
}

#[test]
fn a_cancellation_still_lands_after_dumps() {
    let rt = one_worker();
    let h = rt.spawn(|| fiberio::sleep(Duration::from_secs(3600)));
    parked_info(&rt, h.fiber().id());
    for _ in 0..5 {
        rt.dump();
    }
    h.cancel();
    assert!(h.join().unwrap_err().is::<fiberio::Cancelled>());
}

#[test]
fn a_worker_stuck_in_one_run_is_reported_with_its_fiber() {
    let rt = Runtime::builder().workers(2).stall_threshold(None).build().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let spins = Arc::new(AtomicU64::new(0));
    let (s, n) = (stop.clone(), spins.clone());
    let line = line!() + 1;
    let spinner = rt.spawn(move || {
        while !s.load(SeqCst) {
            n.fetch_add(1, SeqCst);
            std::hint::spin_loop();
        }
    });
    util::wait_until(util::PATIENCE, "the spinner runs", || spins.load(SeqCst) > 0);
    let dump = rt.dump_with(DumpOptions::new().timeout(Duration::from_millis(200)));
    let stuck: Vec<_> = dump.workers.iter().filter(|w| !w.responding).collect();
    assert_eq!(stuck.len(), 1, "{dump}");
    let running = &stuck[0].fibers;
    assert_eq!(running.len(), 1, "{dump}");
    assert_eq!(running[0].id, spinner.fiber().id());
    assert_eq!(running[0].state, fiberio::FiberState::Running);
    assert_eq!(running[0].spawned_at.line(), line);
    let text = dump.to_string();
    assert!(text.contains("did not answer") && text.contains("[running"), "{text}");
    stop.store(true, SeqCst);
    spinner.join().unwrap();
    // Once free, the worker answers again (the stale request is answered
    // late and dropped).
    let dump = rt.dump();
    assert!(dump.workers.iter().all(|w| w.responding), "{dump}");
}
