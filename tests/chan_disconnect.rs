//! Disconnection: every send error hands the value back (std's error
//! types, so code matching on them ports unchanged), receivers drain what
//! was sent before seeing the end, blocked parties wake up, and dropping
//! the last receiver drops the queued values at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use fiberio::sync::{mpmc, mpsc, oneshot};

fn runtime() -> fiberio::Runtime {
    fiberio::Runtime::builder().workers(2).build().unwrap()
}

#[test]
fn send_to_a_dropped_receiver_returns_the_value() {
    let (tx, rx) = mpsc::channel();
    drop(rx);
    let std::sync::mpsc::SendError(back) = tx.send(String::from("v")).unwrap_err();
    assert_eq!(back, "v");

    let (tx, rx) = mpsc::sync_channel(1);
    drop(rx);
    assert_eq!(tx.send(1), Err(std::sync::mpsc::SendError(1)));
    assert_eq!(tx.try_send(2), Err(std::sync::mpsc::TrySendError::Disconnected(2)));

    let (tx, rx) = mpmc::channel();
    let rx2 = rx.clone();
    drop(rx);
    assert_eq!(tx.send(3), Ok(()), "one receiver is left");
    drop(rx2);
    assert_eq!(tx.send(4), Err(mpmc::SendError(4)));

    let (tx, rx) = oneshot::channel();
    drop(rx);
    assert_eq!(tx.send(5), Err(5));
}

#[test]
fn receivers_drain_then_see_the_end() {
    let (tx, rx) = mpsc::sync_channel(3);
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    drop(tx);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(2));
    assert_eq!(rx.try_recv(), Err(mpsc::TryRecvError::Disconnected));
    assert_eq!(rx.recv(), Err(mpsc::RecvError));
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Err(mpsc::RecvTimeoutError::Disconnected));

    let (tx, rx) = mpsc::channel();
    (0..5).for_each(|i| tx.send(i).unwrap());
    drop(tx);
    assert_eq!(rx.into_iter().collect::<Vec<_>>(), [0, 1, 2, 3, 4]);

    let (tx, rx) = oneshot::channel::<u8>();
    drop(tx);
    assert_eq!(rx.try_recv(), Err(oneshot::TryRecvError::Disconnected));
    assert_eq!(rx.recv(), Err(oneshot::RecvError));
}

/// A receiver blocked in a fiber (or a thread) wakes with `Disconnected`
/// when the last sender goes; a clone keeps the channel open.
#[test]
fn blocked_receivers_wake_when_the_last_sender_goes() {
    let rt = runtime();
    let (tx, rx) = mpmc::channel::<u8>();
    let waiters: Vec<_> = (0..4)
        .map(|_| {
            let rx = rx.clone();
            rt.spawn(move || rx.recv())
        })
        .collect();
    let on_thread = std::thread::spawn(move || rx.recv());
    let tx2 = tx.clone();
    drop(tx);
    fiberio::sleep(Duration::from_millis(5)); // nothing may end while tx2 lives
    assert!(waiters.iter().all(|h| !h.is_finished()));
    drop(tx2);
    for h in waiters {
        assert_eq!(h.join().unwrap(), Err(mpmc::RecvError));
    }
    assert_eq!(on_thread.join().unwrap(), Err(mpmc::RecvError));
}

/// A sender blocked on a full channel (or a rendezvous) gets its value
/// back when the receiver goes.
#[test]
fn blocked_senders_get_their_value_back() {
    let rt = runtime();
    for cap in [0, 1] {
        let (tx, rx) = mpsc::sync_channel(cap);
        if cap == 1 {
            tx.send(String::from("queued")).unwrap();
        }
        let fibers: Vec<_> = (0..3)
            .map(|i| {
                let tx = tx.clone();
                rt.spawn(move || tx.send(format!("fiber {i}")))
            })
            .collect();
        let thread = std::thread::spawn(move || tx.send(String::from("thread")));
        // Wait until all four are blocked: none can finish while rx lives.
        std::thread::sleep(Duration::from_millis(20));
        drop(rx);
        let mut back: Vec<String> = fibers.into_iter().map(|h| h.join().unwrap().unwrap_err().0).collect();
        back.push(thread.join().unwrap().unwrap_err().0);
        back.sort();
        assert_eq!(back, ["fiber 0", "fiber 1", "fiber 2", "thread"], "capacity {cap}");
    }
}

struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn dropping_the_last_receiver_drops_queued_values() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel();
    for _ in 0..3 {
        tx.send(Counted(dropped.clone())).unwrap();
    }
    drop(rx);
    assert_eq!(dropped.load(SeqCst), 3, "dropped with the receiver, while a sender lives");
    let std::sync::mpsc::SendError(back) = tx.send(Counted(dropped.clone())).unwrap_err();
    drop(back);
    assert_eq!(dropped.load(SeqCst), 4);

    // A sender sent through its own channel does not keep it alive (with
    // std's mpsc this cycle leaks).
    struct Msg(#[allow(dead_code)] mpsc::Sender<Msg>, #[allow(dead_code)] Arc<()>);
    let probe = Arc::new(());
    let (tx, rx) = mpsc::channel::<Msg>();
    tx.send(Msg(tx.clone(), probe.clone())).unwrap();
    drop(tx);
    drop(rx);
    assert_eq!(Arc::strong_count(&probe), 1);
}

#[test]
fn iterators_stop_at_the_end() {
    let (tx, rx) = mpmc::sync_channel(2);
    let h = std::thread::spawn(move || (0..10).for_each(|i| tx.send(i).unwrap()));
    let got: Vec<i32> = rx.iter().collect();
    h.join().unwrap();
    assert_eq!(got, (0..10).collect::<Vec<_>>());
    assert_eq!(rx.try_iter().next(), None);
}
