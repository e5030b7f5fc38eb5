//! Timed waits: `recv_timeout`/`recv_deadline` and `send_timeout` give up
//! with the right error (a send hands its value back), return early when
//! the channel becomes ready, and leave the channel fully working: an
//! expired waiter never swallows a later value.

use std::time::{Duration, Instant};

use fiberio::sync::{mpmc, mpsc, oneshot};

fn runtime() -> fiberio::Runtime {
    fiberio::Runtime::builder().workers(2).build().unwrap()
}

/// Runs `f` once in a fiber and once on a plain thread.
fn fiber_and_thread(rt: &fiberio::Runtime, f: impl Fn() + Send + Sync + Copy + 'static) {
    rt.spawn(f).join().unwrap();
    std::thread::spawn(f).join().unwrap();
}

#[test]
fn recv_timeout_on_an_empty_channel_times_out() {
    fiber_and_thread(&runtime(), || {
        let (tx, rx) = mpsc::channel::<u8>();
        let start = Instant::now();
        assert_eq!(rx.recv_timeout(Duration::from_millis(5)), Err(mpsc::RecvTimeoutError::Timeout));
        assert!(start.elapsed() >= Duration::from_millis(5), "it waited");
        assert_eq!(
            rx.recv_deadline(Instant::now() + Duration::from_millis(1)),
            Err(mpsc::RecvTimeoutError::Timeout)
        );
        tx.send(1).unwrap();
        assert_eq!(rx.recv_timeout(Duration::ZERO), Ok(1), "a ready value beats a zero timeout");
        drop(tx);
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Err(mpsc::RecvTimeoutError::Disconnected));

        let (_tx, rx) = oneshot::channel::<u8>();
        assert_eq!(rx.recv_timeout(Duration::from_millis(1)), Err(oneshot::RecvTimeoutError::Timeout));
    });
}

#[test]
fn recv_timeout_returns_a_value_sent_while_waiting() {
    let rt = runtime();
    let (tx, rx) = mpmc::channel::<u8>();
    let waiter = rt.spawn(move || rx.recv_timeout(Duration::from_secs(30)));
    let thread = {
        let (tx2, rx2) = oneshot::channel::<u8>();
        let h = std::thread::spawn(move || rx2.recv_timeout(Duration::from_secs(30)));
        fiberio::sleep(Duration::from_millis(2));
        tx2.send(9).unwrap();
        h
    };
    tx.send(4).unwrap();
    assert_eq!(waiter.join().unwrap(), Ok(4));
    assert_eq!(thread.join().unwrap(), Ok(9));
}

#[test]
fn send_timeout_on_a_full_channel_hands_the_value_back() {
    fiber_and_thread(&runtime(), || {
        for cap in [0, 1] {
            let (tx, rx) = mpmc::sync_channel(cap);
            if cap == 1 {
                tx.send(String::from("first")).unwrap();
            }
            let err = tx.send_timeout(String::from("late"), Duration::from_millis(2)).unwrap_err();
            assert_eq!(err, mpmc::SendTimeoutError::Timeout(String::from("late")));
            if cap == 1 {
                assert_eq!(rx.recv().as_deref(), Ok("first"));
            }
            assert_eq!(
                rx.try_recv(),
                Err(mpmc::TryRecvError::Empty),
                "the timed-out value is not in the channel"
            );
            drop(rx);
            assert!(matches!(
                tx.send_timeout(String::new(), Duration::from_secs(1)),
                Err(mpmc::SendTimeoutError::Disconnected(_))
            ));
        }
        let (tx, _rx) = mpsc::sync_channel(0);
        assert_eq!(tx.send_timeout(3, Duration::from_millis(1)), Err(mpsc::SendTimeoutError::Timeout(3)));
    });
}

/// Receivers and senders whose waits expired leave their entries behind
/// only until they return: the next value goes to a live waiter.
#[test]
fn expired_waiters_do_not_swallow_values() {
    let rt = runtime();
    let (tx, rx) = mpmc::sync_channel::<u32>(1);
    let expiring: Vec<_> = (0..20)
        .map(|i| {
            let rx = rx.clone();
            rt.spawn(move || rx.recv_timeout(Duration::from_micros(50 * i)))
        })
        .collect();
    for h in expiring {
        assert_eq!(h.join().unwrap(), Err(mpmc::RecvTimeoutError::Timeout));
    }
    let patient = {
        let rx = rx.clone();
        rt.spawn(move || rx.recv())
    };
    tx.send(1).unwrap();
    assert_eq!(patient.join().unwrap(), Ok(1));

    // Senders: fill the channel, let some time out, then drain: only the
    // values of live sends arrive, in order.
    tx.send(2).unwrap();
    let expiring: Vec<_> = (0..10)
        .map(|i| {
            let tx = tx.clone();
            rt.spawn(move || tx.send_timeout(100 + i, Duration::from_micros(50 * i as u64)))
        })
        .collect();
    for h in expiring {
        assert!(matches!(h.join().unwrap(), Err(mpmc::SendTimeoutError::Timeout(_))));
    }
    let live = {
        let tx = tx.clone();
        rt.spawn(move || tx.send(3))
    };
    assert_eq!(rx.recv(), Ok(2));
    assert_eq!(rx.recv(), Ok(3));
    live.join().unwrap().unwrap();
    assert_eq!(rx.try_recv(), Err(mpmc::TryRecvError::Empty));
}
