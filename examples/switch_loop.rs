//! A fixed amount of switching work, for counting instructions with
//! callgrind (`benches/callgrind.sh` runs it at two sizes and takes the
//! difference, so start-up cost cancels out).
//!
//! `cargo run --release --example switch_loop -- <mode> <n>` where mode is
//! `yield2` (n yield_now round trips between two fibers), `yield1` (n
//! yields of a lone fiber), `raw` (n corosensei resume+suspend pairs) or
//! `spawn` (n spawn+join of an empty fiber).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map(String::as_str).unwrap_or("yield2");
    let n: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    if mode == "raw" {
        let mut co = corosensei::Coroutine::new(|y, ()| {
            loop {
                y.suspend(());
            }
        });
        for _ in 0..n {
            std::hint::black_box(co.resume(()));
        }
        return;
    }
    let workers = std::env::var("SWITCH_WORKERS").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    let rt = fiberio::Runtime::builder().workers(workers).build().unwrap();
    rt.block_on(|| match mode {
        "yield1" => (0..n).for_each(|_| fiberio::yield_now()),
        "yield2" => {
            let stop = Arc::new(AtomicBool::new(false));
            let s = stop.clone();
            let partner = fiberio::spawn(move || {
                while !s.load(Relaxed) {
                    fiberio::yield_now();
                }
            });
            (0..n).for_each(|_| fiberio::yield_now());
            stop.store(true, Relaxed);
            partner.join().unwrap();
        }
        "spawn" => (0..n).for_each(|_| fiberio::spawn(|| ()).join().unwrap()),
        other => panic!("unknown mode {other}; use yield1, yield2, raw or spawn"),
    });
}
