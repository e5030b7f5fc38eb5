//! `fiberio::sync::Barrier` in the four settings of issue 4: over several
//! rounds, nobody leaves a round before everyone has arrived, exactly one
//! leader per round, and the barrier is reusable.

mod util;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use fiberio::sync::Barrier;
use util::{SETTINGS, Watchdog, run_parties, two_workers, yield_any};

const N: usize = 5;
const ROUNDS: usize = 30;

#[test]
fn rounds_with_one_leader_each() {
    let _w = Watchdog::new("rounds_with_one_leader_each", 120);
    let rt = two_workers();
    for setting in SETTINGS {
        let shared = Arc::new((Barrier::new(N), AtomicUsize::new(0)));
        let s = shared.clone();
        let leaders = run_parties(&rt, setting, N, move |_| {
            let (barrier, arrived) = &*s;
            let mut led = 0;
            for round in 0..ROUNDS {
                arrived.fetch_add(1, SeqCst);
                yield_any();
                if barrier.wait().is_leader() {
                    led += 1;
                }
                // Everyone of this round arrived before anyone left it; no
                // one can have arrived for round + 2 yet.
                let seen = arrived.load(SeqCst);
                assert!(seen >= (round + 1) * N, "{setting:?}: left round {round} early ({seen})");
                assert!(seen <= (round + 2) * N, "{setting:?}: round {round} overtaken ({seen})");
            }
            led
        });
        assert_eq!(leaders.iter().sum::<usize>(), ROUNDS, "{setting:?}: one leader per round");
    }
}

#[test]
fn barriers_of_zero_and_one_never_wait() {
    assert!(Barrier::new(0).wait().is_leader());
    let one = Barrier::new(1);
    assert!(one.wait().is_leader());
    assert!(one.wait().is_leader());
}
