//! Property tests of the channels.
//!
//! - Sequential: random sequences of `try_send`, `try_recv`,
//!   `recv_timeout(0)`, `len`, clones and drops of either end, applied to
//!   an mpmc channel of random capacity and to a model (a `VecDeque`, the
//!   capacity, live sender and receiver counts); every result must match.
//!   The model drops the queue when the last receiver goes, as fiberio
//!   does; a rendezvous channel has no room unless a receiver waits, which
//!   never happens in a sequential run.
//! - Concurrent: senders and receivers (fibers on two workers, plain
//!   threads) exchange values over a channel of random capacity; every
//!   value sent is received exactly once, and each receiver sees each
//!   sender's values in the order sent.

use std::collections::{HashSet, VecDeque};
use std::sync::OnceLock;
use std::time::Duration;

use fiberio::sync::{Select, mpmc};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    TrySend(usize, u32),
    TryRecv(usize),
    RecvTimeout(usize),
    Len,
    CloneSender(usize),
    CloneReceiver(usize),
    DropSender(usize),
    DropReceiver(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<usize>(), any::<u32>()).prop_map(|(i, v)| Op::TrySend(i, v)),
        3 => any::<usize>().prop_map(Op::TryRecv),
        1 => any::<usize>().prop_map(Op::RecvTimeout),
        1 => Just(Op::Len),
        1 => any::<usize>().prop_map(Op::CloneSender),
        1 => any::<usize>().prop_map(Op::CloneReceiver),
        1 => any::<usize>().prop_map(Op::DropSender),
        1 => any::<usize>().prop_map(Op::DropReceiver),
    ]
}

fn capacity() -> impl Strategy<Value = Option<usize>> {
    prop_oneof![Just(None), (0usize..4).prop_map(Some)]
}

/// What the channel should do.
struct Model {
    queue: VecDeque<u32>,
    cap: Option<usize>,
    senders: usize,
    receivers: usize,
}

impl Model {
    fn try_send(&mut self, v: u32) -> Result<(), mpmc::TrySendError<u32>> {
        if self.receivers == 0 {
            Err(mpmc::TrySendError::Disconnected(v))
        } else if self.cap.is_none_or(|c| self.queue.len() < c) {
            self.queue.push_back(v);
            Ok(())
        } else {
            Err(mpmc::TrySendError::Full(v))
        }
    }

    fn try_recv(&mut self) -> Result<u32, mpmc::TryRecvError> {
        match self.queue.pop_front() {
            Some(v) => Ok(v),
            None if self.senders == 0 => Err(mpmc::TryRecvError::Disconnected),
            None => Err(mpmc::TryRecvError::Empty),
        }
    }
}

/// `cases` cases; no failure files (the seed is in the failure message).
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

fn check_sequential(cap: Option<usize>, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let (tx, rx) = match cap {
        None => mpmc::channel(),
        Some(c) => mpmc::sync_channel(c),
    };
    let (mut txs, mut rxs) = (vec![tx], vec![rx]);
    let mut model = Model { queue: VecDeque::new(), cap, senders: 1, receivers: 1 };
    for op in ops {
        match op {
            Op::TrySend(i, v) if !txs.is_empty() => {
                prop_assert_eq!(txs[i % txs.len()].try_send(v), model.try_send(v));
            }
            Op::TryRecv(i) if !rxs.is_empty() => {
                prop_assert_eq!(rxs[i % rxs.len()].try_recv(), model.try_recv());
            }
            Op::RecvTimeout(i) if !rxs.is_empty() => {
                let want = model.try_recv().map_err(|e| match e {
                    mpmc::TryRecvError::Empty => mpmc::RecvTimeoutError::Timeout,
                    mpmc::TryRecvError::Disconnected => mpmc::RecvTimeoutError::Disconnected,
                });
                prop_assert_eq!(rxs[i % rxs.len()].recv_timeout(Duration::ZERO), want);
            }
            Op::Len if !rxs.is_empty() => prop_assert_eq!(rxs[0].len(), model.queue.len()),
            Op::CloneSender(i) if !txs.is_empty() => {
                txs.push(txs[i % txs.len()].clone());
                model.senders += 1;
            }
            Op::CloneReceiver(i) if !rxs.is_empty() => {
                rxs.push(rxs[i % rxs.len()].clone());
                model.receivers += 1;
            }
            Op::DropSender(i) if !txs.is_empty() => {
                txs.swap_remove(i % txs.len());
                model.senders -= 1;
            }
            Op::DropReceiver(i) if !rxs.is_empty() => {
                rxs.swap_remove(i % rxs.len());
                model.receivers -= 1;
                if model.receivers == 0 {
                    model.queue.clear();
                }
            }
            _ => {}
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn sequential_matches_the_model(cap in capacity(), ops in prop::collection::vec(op(), 0..120)) {
        check_sequential(cap, ops)?;
    }
}

fn rt() -> &'static fiberio::Runtime {
    static RT: OnceLock<fiberio::Runtime> = OnceLock::new();
    RT.get_or_init(|| fiberio::Runtime::builder().workers(2).build().unwrap())
}

/// How a party of the concurrent test runs, and how it receives.
#[derive(Debug, Clone, Copy)]
struct Party {
    on_thread: bool,
    /// Receivers: 0 = `recv`, 1 = `recv_timeout` polling, 2 = `Select`.
    style: u8,
}

fn party() -> impl Strategy<Value = Party> {
    (prop::bool::weighted(0.3), 0u8..3).prop_map(|(on_thread, style)| Party { on_thread, style })
}

fn start<T: Send + 'static>(p: Party, f: impl FnOnce() -> T + Send + 'static) -> Box<dyn FnOnce() -> T> {
    if p.on_thread {
        let h = std::thread::spawn(f);
        Box::new(move || h.join().unwrap())
    } else {
        let h = rt().spawn(f);
        Box::new(move || h.join().unwrap())
    }
}

fn receive(rx: &mpmc::Receiver<(usize, u32)>, style: u8) -> Option<(usize, u32)> {
    match style {
        0 => rx.recv().ok(),
        1 => loop {
            match rx.recv_timeout(Duration::from_micros(300)) {
                Ok(v) => return Some(v),
                Err(mpmc::RecvTimeoutError::Timeout) => continue,
                Err(mpmc::RecvTimeoutError::Disconnected) => return None,
            }
        },
        _ => {
            let mut sel = Select::new();
            sel.recv(rx);
            sel.select().recv(rx).ok()
        }
    }
}

fn check_concurrent(cap: Option<usize>, senders: Vec<(Party, u32)>, receivers: Vec<Party>) {
    let (tx, rx) = match cap {
        None => mpmc::channel::<(usize, u32)>(),
        Some(c) => mpmc::sync_channel(c),
    };
    let send_joins: Vec<_> = senders
        .iter()
        .enumerate()
        .map(|(id, &(p, n))| {
            let tx = tx.clone();
            start(p, move || (0..n).for_each(|seq| tx.send((id, seq)).unwrap()))
        })
        .collect();
    drop(tx);
    let recv_joins: Vec<_> = receivers
        .iter()
        .map(|&p| {
            let rx = rx.clone();
            start(p, move || std::iter::from_fn(|| receive(&rx, p.style)).collect::<Vec<_>>())
        })
        .collect();
    drop(rx);
    send_joins.into_iter().for_each(|j| j());
    let mut seen = HashSet::new();
    for got in recv_joins.into_iter().map(|j| j()) {
        let mut last = vec![None; senders.len()];
        for (id, seq) in got {
            assert!(last[id] < Some(seq), "sender {id}: {seq} after {:?}", last[id]);
            last[id] = Some(seq);
            assert!(seen.insert((id, seq)), "({id}, {seq}) received twice");
        }
    }
    let sent: usize = senders.iter().map(|&(_, n)| n as usize).sum();
    assert_eq!(seen.len(), sent, "every value sent was received");
}

proptest! {
    #![proptest_config(config(40))]

    #[test]
    fn concurrent_exactly_once_in_order(
        cap in capacity(),
        senders in prop::collection::vec((party(), 0u32..300), 1..5),
        receivers in prop::collection::vec(party(), 1..4),
    ) {
        check_concurrent(cap, senders, receivers);
    }
}
