//! Unit tests for `Timers`: order, never-early, stale keys, slot reuse,
//! a model test against a `BTreeMap`, and one million pending timers.
//!
//! After every mutation the tests call `check`, which asserts the heap's
//! invariants and invariant 1 of `Timers` (slots occupied exactly when in
//! the heap, free list exactly the vacant slots).

use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::{NIL, Slot, TimerKey, Timers};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Asserts the structural invariants of `t`.
fn check<T>(t: &Timers<T>) {
    t.heap.check();
    let occupied = t.slots.iter().filter(|s| matches!(s, Slot::Occupied { .. })).count();
    assert_eq!(occupied, t.len(), "occupied slots vs heap entries");
    let mut free = 0;
    let mut at = t.free;
    while at != NIL {
        let Slot::Vacant { next, .. } = t.slots[at as usize] else {
            panic!("free list reaches occupied slot {at}");
        };
        free += 1;
        assert!(free <= t.slots.len(), "free list has a cycle");
        at = next;
    }
    assert_eq!(free + occupied, t.slots.len(), "vacant slots off the free list");
}

/// Pops everything expired at `now`, in order.
fn drain<T>(t: &mut Timers<T>, now: Instant) -> Vec<T> {
    let mut out = Vec::new();
    while let Some(v) = t.pop_expired(now) {
        out.push(v);
    }
    check(t);
    out
}

/// xorshift64: deterministic pseudo-random numbers without a dependency.
fn rng(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn pops_earliest_first_and_only_when_expired() {
    let mut t = Timers::new();
    let t0 = Instant::now();
    for (i, d) in [30, 10, 50, 20, 40, 0].into_iter().enumerate() {
        t.insert(t0 + ms(d), i);
    }
    check(&t);
    assert_eq!(t.next_deadline(), Some(t0));
    assert_eq!(drain(&mut t, t0 + ms(25)), vec![5, 1, 3]);
    assert_eq!(t.len(), 3);
    assert_eq!(t.next_deadline(), Some(t0 + ms(30)));
    assert_eq!(drain(&mut t, t0 + ms(100)), vec![0, 4, 2]);
    assert!(t.is_empty());
    assert_eq!(t.next_deadline(), None);
    assert_eq!(t.pop_expired(t0 + ms(100)), None);
}

#[test]
fn never_fires_a_nanosecond_early() {
    let mut t = Timers::new();
    let deadline = Instant::now() + ms(5);
    t.insert(deadline, "x");
    assert_eq!(t.pop_expired(deadline - Duration::from_nanos(1)), None);
    assert_eq!(t.next_deadline(), Some(deadline));
    assert_eq!(t.pop_expired(deadline), Some("x"));
}

#[test]
fn deadline_before_creation_fires_at_creation() {
    let early = Instant::now();
    let mut t = Timers::new();
    let late = Instant::now() + ms(1);
    t.insert(late, 2);
    t.insert(early, 1);
    assert_eq!(t.next_deadline(), Some(t.base));
    assert_eq!(t.pop_expired(early), None, "a now before the base expires nothing");
    let base = t.base;
    assert_eq!(drain(&mut t, base), vec![1]);
}

#[test]
fn deadline_beyond_range_never_fires() {
    let mut t = Timers::new();
    let far = t.base + Duration::from_secs(u64::MAX / 1_000_000_000 + 1);
    t.insert(far, 1);
    assert_eq!(t.pop_expired(far), None);
    assert_eq!(t.len(), 1);
}

#[test]
fn equal_deadlines_leave_in_insertion_order() {
    let mut t = Timers::new();
    let t0 = Instant::now();
    // Interleave three deadlines so the heap has to reorder them.
    for i in 0..300u32 {
        t.insert(t0 + ms(u64::from(2 - i % 3)), i);
    }
    let got = drain(&mut t, t0 + ms(2));
    let mut want: Vec<u32> = (0..300).collect();
    want.sort_by_key(|i| 2 - i % 3);
    assert_eq!(got, want);
}

#[test]
fn ties_survive_cancels_in_the_middle() {
    let mut t = Timers::new();
    let d = Instant::now();
    let keys: Vec<TimerKey> = (0..100).map(|i| t.insert(d, i)).collect();
    for k in keys.iter().skip(1).step_by(3) {
        t.cancel(*k).unwrap();
    }
    let want: Vec<i32> = (0..100).filter(|i| i % 3 != 1).collect();
    assert_eq!(drain(&mut t, d), want);
}

#[test]
fn stale_keys_are_harmless() {
    let mut t = Timers::new();
    let t0 = Instant::now();
    let fired = t.insert(t0, "fired");
    assert_eq!(t.pop_expired(t0), Some("fired"));
    assert_eq!(t.cancel(fired), None, "cancel of a fired timer");

    let cancelled = t.insert(t0 + ms(1), "cancelled");
    assert_eq!(cancelled.slot, fired.slot, "slot reused");
    assert_eq!(t.cancel(cancelled), Some("cancelled"));
    assert_eq!(t.cancel(cancelled), None, "second cancel");

    let live = t.insert(t0 + ms(2), "live");
    assert_eq!(live.slot, fired.slot, "slot reused again");
    assert_eq!(t.cancel(fired), None);
    assert_eq!(t.cancel(cancelled), None);
    assert_eq!(t.len(), 1, "stale keys left the live timer alone");
    check(&t);
    assert_eq!(t.cancel(live), Some("live"));
    assert!(t.is_empty());
}

#[test]
fn key_from_another_set_out_of_range_is_none() {
    let mut big = Timers::new();
    let t0 = Instant::now();
    let keys: Vec<TimerKey> = (0..10).map(|i| big.insert(t0, i)).collect();
    let mut small: Timers<i32> = Timers::new();
    assert_eq!(small.cancel(keys[9]), None);
}

#[test]
fn cancel_at_every_position() {
    let mut seed = 0x9e37_79b9_7f4a_7c15;
    // 1 + 4 + 16 + 64 = 85 entries fill four levels; go one past.
    for n in [1, 2, 4, 5, 6, 20, 21, 22, 85, 86] {
        for victim in 0..n {
            let mut t = Timers::new();
            let t0 = t.base;
            let delays: Vec<u64> = (0..n).map(|_| rng(&mut seed) % 50).collect();
            let keys: Vec<TimerKey> =
                delays.iter().enumerate().map(|(i, d)| t.insert(t0 + ms(*d), i)).collect();
            assert_eq!(t.cancel(keys[victim]), Some(victim));
            check(&t);
            let mut want: Vec<(u64, usize)> =
                delays.iter().copied().zip(0..n).filter(|&(_, i)| i != victim).collect();
            want.sort();
            let want: Vec<usize> = want.into_iter().map(|(_, i)| i).collect();
            assert_eq!(drain(&mut t, t0 + ms(50)), want, "n = {n}, victim = {victim}");
        }
    }
}

#[test]
fn slots_are_reused() {
    let mut t = Timers::new();
    let t0 = Instant::now();
    let pending: Vec<TimerKey> = (0..8).map(|i| t.insert(t0 + ms(i), i)).collect();
    for i in 0..1000 {
        let k = t.insert(t0 + ms(i % 13), 100);
        assert_eq!(t.cancel(k), Some(100));
    }
    assert_eq!(t.slots.len(), 9, "insert+cancel reused one slot");
    for k in &pending {
        t.cancel(*k).unwrap();
    }
    for i in 0..8 {
        t.insert(t0, i);
    }
    assert_eq!(t.slots.len(), 9, "freed slots reused before growing");
    check(&t);
}

#[test]
fn dropping_the_set_drops_pending_values() {
    let drops = Rc::new(Cell::new(0));
    struct Counted(Rc<Cell<u32>>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    let mut t = Timers::new();
    let t0 = Instant::now();
    let k = t.insert(t0, Counted(drops.clone()));
    for _ in 0..4 {
        t.insert(t0, Counted(drops.clone()));
    }
    drop(t.cancel(k));
    assert_eq!(drops.get(), 1);
    drop(t);
    assert_eq!(drops.get(), 5);
}

#[test]
fn debug_prints_len() {
    let mut t = Timers::new();
    t.insert(Instant::now(), ());
    assert_eq!(format!("{t:?}"), "Timers { len: 1, .. }");
}

#[test]
fn one_million_pending_pop_in_order() {
    const N: usize = 1_000_000;
    let mut t = Timers::new();
    let t0 = t.base;
    let mut seed = 42;
    // Deadlines within 0..65536 µs: about 15 per microsecond, to test FIFO too.
    let delays: Vec<u64> = (0..N).map(|_| rng(&mut seed) % 65_536).collect();
    for (i, d) in delays.iter().enumerate() {
        t.insert(t0 + Duration::from_micros(*d), i);
    }
    assert_eq!(t.len(), N);
    let end = t0 + Duration::from_micros(65_536);
    let mut count = 0;
    let mut prev: Option<(u64, usize)> = None;
    while let Some(i) = t.pop_expired(end) {
        let cur = (delays[i], i);
        if let Some(p) = prev {
            assert!(p < cur, "out of order: {p:?} then {cur:?}");
        }
        prev = Some(cur);
        count += 1;
    }
    assert_eq!(count, N);
    assert!(t.is_empty());
}

/// One step of the model test.
#[derive(Debug, Clone)]
enum Op {
    /// Arm a timer `ms` after the current time.
    Insert(u64),
    /// Cancel the key issued `k`-th (mod the number issued), live or stale.
    Cancel(usize),
    /// Advance the current time by `ms` and pop one expired timer.
    Pop(u64),
}

/// A xorshift64* generator: the model test's source of random operations,
/// seeded per case so a failure names the case that reproduces it.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A random operation, weighted 4 : 3 : 3 (insert, cancel, pop).
fn op(rng: &mut Rng) -> Op {
    match rng.below(10) {
        0..4 => Op::Insert(rng.below(20)),
        4..7 => Op::Cancel(rng.next() as usize),
        _ => Op::Pop(rng.below(4)),
    }
}

/// `Timers` behaves like a `BTreeMap` keyed by (deadline, insertion), over
/// 512 random sequences of 1 to 299 operations.
#[test]
fn behaves_like_a_btreemap() {
    for case in 0..512u64 {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (case + 1).wrapping_mul(0xbf58_476d_1ce4_e5b9));
        let ops: Vec<Op> = (0..1 + rng.below(299)).map(|_| op(&mut rng)).collect();
        model_run(case, &ops);
    }
}

/// Applies `ops` to a `Timers` and to the model; every result must match.
fn model_run(case: u64, ops: &[Op]) {
    let mut t = Timers::new();
    let mut now = t.base;
    let mut model: BTreeMap<(Instant, usize), usize> = BTreeMap::new();
    let mut keys: Vec<(TimerKey, (Instant, usize))> = Vec::new();
    for (step, op) in ops.iter().enumerate() {
        let at = || format!("case {case}, step {step}: {op:?}");
        match *op {
            Op::Insert(d) => {
                let id = keys.len();
                let deadline = now + ms(d);
                keys.push((t.insert(deadline, id), (deadline, id)));
                model.insert((deadline, id), id);
            }
            Op::Cancel(k) if !keys.is_empty() => {
                let (key, mkey) = keys[k % keys.len()];
                assert_eq!(t.cancel(key), model.remove(&mkey), "{}", at());
            }
            Op::Cancel(_) => {}
            Op::Pop(d) => {
                now += ms(d);
                let want = match model.first_key_value() {
                    Some((&(deadline, id), _)) if deadline <= now => model.remove(&(deadline, id)),
                    _ => None,
                };
                assert_eq!(t.pop_expired(now), want, "{}", at());
            }
        }
        check(&t);
        assert_eq!(t.len(), model.len(), "{}", at());
        assert_eq!(t.next_deadline(), model.keys().next().map(|k| k.0), "{}", at());
    }
}
