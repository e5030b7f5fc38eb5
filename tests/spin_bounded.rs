//! Idle workers spin on their inbox only while cross-worker wakes come
//! (`src/sched/spin.rs`): a ping-pong between fibers on two workers makes
//! them spin, and once it is over an idle runtime spins no more — each
//! worker at most once more, then it sleeps until something wakes it.
//! Counted with the workers' metrics, not timed.

mod util;

use std::time::Duration;

use fiberio::sync::mpsc;
use util::{Watchdog, spawn_on, two_workers};

const ROUND_TRIPS: u32 = 2_000;

/// This process's CPU time so far (user + system), in clock ticks (10 ms).
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // Past the command name in parentheses: fields 14 and 15 of the line.
    let rest = &stat[stat.rfind(')').expect("the comm field") + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn spins(rt: &fiberio::Runtime) -> u64 {
    rt.metrics().iter().map(|m| m.spins).sum()
}

#[test]
fn cross_worker_wakes_spin_and_an_idle_runtime_stops() {
    let _w = Watchdog::new("cross_worker_wakes_spin_and_an_idle_runtime_stops", 120);
    let rt = two_workers();
    let (req_tx, req_rx) = mpsc::channel::<u32>();
    let (rep_tx, rep_rx) = mpsc::channel::<u32>();
    let echo = spawn_on(&rt, 1, move || {
        for n in req_rx {
            rep_tx.send(n).unwrap();
        }
    });
    let ping = spawn_on(&rt, 0, move || {
        for n in 0..ROUND_TRIPS {
            req_tx.send(n).unwrap();
            assert_eq!(rep_rx.recv().unwrap(), n);
        }
    });
    ping.join().unwrap();
    echo.join().unwrap();
    let after_load = spins(&rt);
    assert!(after_load > 0, "cross-worker wakes made an idle worker spin");
    // Nothing wakes the workers now: however long this idles, each spins
    // at most once more (a spin already decided on) and then sleeps.
    // And it burns no CPU: a worker stuck spinning would use most of the
    // window (the bound is half of it; correct code uses about none, and
    // a loaded machine only gives a spinner less).
    let cpu_before = cpu_ticks();
    std::thread::sleep(Duration::from_millis(200));
    let cpu = cpu_ticks() - cpu_before;
    let idle = spins(&rt) - after_load;
    println!("spins: {after_load} during {ROUND_TRIPS} round trips, {idle} while idle; idle CPU {cpu} ticks");
    assert!(idle <= rt.workers() as u64, "an idle runtime kept spinning: {idle} spins");
    assert!(cpu <= 10, "an idle runtime used {cpu} ticks of CPU in 20");
}
