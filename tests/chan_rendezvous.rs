//! Capacity 0: a send returns only once a receiver has taken the value;
//! `try_send` succeeds only when a receiver is already waiting, and
//! `try_recv` only when a sender is.

mod util;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::time::Duration;

use fiberio::sync::{mpmc, mpsc};
use util::PATIENCE;

#[test]
fn send_returns_only_after_a_receiver_took_the_value() {
    let rt = fiberio::Runtime::builder().workers(2).build().unwrap();
    for receiver_on_thread in [false, true] {
        let (tx, rx) = mpsc::sync_channel::<u32>(0);
        let sent = Arc::new(AtomicBool::new(false));
        let s = sent.clone();
        let sender = rt.spawn(move || {
            tx.send(1).unwrap();
            s.store(true, SeqCst);
            tx.send(2).unwrap();
        });
        let receive = move || {
            // However long we dawdle, the sender cannot have finished a send.
            fiberio::sleep(Duration::from_millis(10));
            assert!(!sent.load(SeqCst), "send returned before any receive");
            assert_eq!(rx.recv(), Ok(1));
            assert_eq!(rx.recv(), Ok(2));
            assert!(sent.load(SeqCst), "the first send returned before the second was taken");
            assert_eq!(rx.recv(), Err(mpsc::RecvError));
        };
        if receiver_on_thread {
            std::thread::spawn(receive).join().unwrap();
        } else {
            rt.spawn(receive).join().unwrap();
        }
        sender.join().unwrap();
    }
}

#[test]
fn try_send_needs_a_waiting_receiver() {
    let rt = fiberio::Runtime::builder().workers(2).build().unwrap();
    let (tx, rx) = mpsc::sync_channel::<u32>(0);
    assert_eq!(tx.try_send(1), Err(mpsc::TrySendError::Full(1)), "nobody is receiving");
    let receiver = rt.spawn(move || rx.recv());
    let mut v = 2;
    util::wait_until(PATIENCE, "the blocked receiver takes a try_send", || match tx.try_send(v) {
        Ok(()) => true,
        Err(mpsc::TrySendError::Full(back)) => {
            v = back;
            false
        }
        Err(e) => panic!("{e:?}"),
    });
    assert_eq!(receiver.join().unwrap(), Ok(2));
}

#[test]
fn try_recv_takes_from_a_waiting_sender() {
    let rt = fiberio::Runtime::builder().workers(2).build().unwrap();
    let (tx, rx) = mpmc::sync_channel::<u32>(0);
    assert_eq!(rx.try_recv(), Err(mpmc::TryRecvError::Empty));
    let sender = rt.spawn(move || tx.send(7));
    let mut got = None;
    util::wait_until(PATIENCE, "try_recv takes from the waiting sender", || {
        got = rx.try_recv().ok();
        got.is_some()
    });
    assert_eq!(got, Some(7));
    assert_eq!(sender.join().unwrap(), Ok(()));
    assert_eq!(rx.try_recv(), Err(mpmc::TryRecvError::Disconnected));
}

/// Many senders and receivers on one rendezvous channel: each value is
/// received exactly once.
#[test]
fn many_parties_pair_up() {
    let rt = fiberio::Runtime::builder().workers(2).build().unwrap();
    let (tx, rx) = mpmc::sync_channel::<usize>(0);
    let senders: Vec<_> = (0..8)
        .map(|s| {
            let tx = tx.clone();
            rt.spawn(move || (0..100).for_each(|i| tx.send(s * 100 + i).unwrap()))
        })
        .collect();
    drop(tx);
    let receivers: Vec<_> = (0..4)
        .map(|_| {
            let rx = rx.clone();
            rt.spawn(move || rx.iter().collect::<Vec<_>>())
        })
        .collect();
    drop(rx);
    senders.into_iter().for_each(|h| h.join().unwrap());
    let mut all: Vec<usize> = receivers.into_iter().flat_map(|h| h.join().unwrap()).collect();
    all.sort();
    assert_eq!(all, (0..800).collect::<Vec<_>>());
}
