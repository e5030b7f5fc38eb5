//! Stress of `Mutex` and `Condvar` together: a bounded queue built from
//! `Mutex<VecDeque>` and two condvars (not full / not empty), with many
//! producer and consumer fibers across two workers plus plain threads on
//! both sides. Every item is accounted for exactly (count and sum), and
//! the queue never exceeds its bound.

mod util;

use std::collections::VecDeque;
use std::sync::Arc;

use fiberio::sync::{Condvar, Mutex};
use util::{Party, Watchdog, spawn_on, two_workers};

const CAPACITY: usize = 8;
const PRODUCER_FIBERS: u64 = 12;
const CONSUMER_FIBERS: u64 = 12;
const PRODUCER_THREADS: u64 = 2;
const CONSUMER_THREADS: u64 = 2;
const PER_PRODUCER: u64 = 2_000;

struct Queue {
    items: Mutex<(VecDeque<u64>, bool)>,
    not_full: Condvar,
    not_empty: Condvar,
}

impl Queue {
    fn push(&self, v: u64) {
        let mut q = self.not_full.wait_while(self.items.lock().unwrap(), |q| q.0.len() >= CAPACITY).unwrap();
        q.0.push_back(v);
        drop(q);
        self.not_empty.notify_one();
    }

    /// `None` once the queue is closed and drained.
    fn pop(&self) -> Option<u64> {
        let mut q =
            self.not_empty.wait_while(self.items.lock().unwrap(), |q| q.0.is_empty() && !q.1).unwrap();
        let v = q.0.pop_front();
        assert!(q.0.len() < CAPACITY);
        drop(q);
        if v.is_some() {
            self.not_full.notify_one();
        }
        v
    }

    fn close(&self) {
        self.items.lock().unwrap().1 = true;
        self.not_empty.notify_all();
    }
}

fn item(producer: u64, i: u64) -> u64 {
    producer * 1_000_000 + i
}

#[test]
fn bounded_queue_counts_every_item() {
    let _w = Watchdog::new("bounded_queue_counts_every_item", 120);
    let rt = two_workers();
    let queue = Arc::new(Queue {
        items: Mutex::new((VecDeque::new(), false)),
        not_full: Condvar::new(),
        not_empty: Condvar::new(),
    });
    let producers = PRODUCER_FIBERS + PRODUCER_THREADS;
    let producer_handles: Vec<Party<()>> = (0..producers)
        .map(|p| {
            let q = queue.clone();
            let body = move || {
                for i in 0..PER_PRODUCER {
                    q.push(item(p, i));
                    if i % 64 == 0 {
                        fiberio::yield_now();
                    }
                }
            };
            if p < PRODUCER_FIBERS {
                Party::Fiber(spawn_on(&rt, p as usize % 2, body))
            } else {
                Party::Thread(std::thread::spawn(body))
            }
        })
        .collect();
    let consumer_handles: Vec<Party<(u64, u64)>> = (0..CONSUMER_FIBERS + CONSUMER_THREADS)
        .map(|c| {
            let q = queue.clone();
            let body = move || {
                let (mut count, mut sum) = (0u64, 0u64);
                while let Some(v) = q.pop() {
                    count += 1;
                    sum = sum.wrapping_add(v);
                }
                (count, sum)
            };
            if c < CONSUMER_FIBERS {
                Party::Fiber(spawn_on(&rt, c as usize % 2, body))
            } else {
                Party::Thread(std::thread::spawn(body))
            }
        })
        .collect();
    for h in producer_handles {
        h.join().unwrap();
    }
    queue.close();
    let (mut count, mut sum) = (0u64, 0u64);
    for h in consumer_handles {
        let (c, s) = h.join().unwrap();
        count += c;
        sum = sum.wrapping_add(s);
    }
    let expected_sum =
        (0..producers).flat_map(|p| (0..PER_PRODUCER).map(move |i| item(p, i))).fold(0u64, u64::wrapping_add);
    assert_eq!(count, producers * PER_PRODUCER, "items lost or duplicated");
    assert_eq!(sum, expected_sum, "items corrupted");
    assert!(queue.items.lock().unwrap().0.is_empty());
}
