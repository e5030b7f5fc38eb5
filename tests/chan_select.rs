//! `Select` over several receivers (mpsc, mpmc, oneshot) and a timeout:
//! it returns the arm that is ready, times out when none is, sees a
//! disconnect as ready, wakes once for one of several simultaneous sends
//! without losing the others, gives a value back when the selection is
//! dropped, and works from fibers on either worker and from threads.

use std::time::Duration;

use fiberio::sync::{Select, SelectTimeoutError, TrySelectError, mpmc, mpsc, oneshot};

fn runtime() -> fiberio::Runtime {
    fiberio::Runtime::builder().workers(2).build().unwrap()
}

#[test]
fn ready_arms_and_timeouts() {
    let (tx1, rx1) = mpsc::channel::<u32>();
    let (tx2, rx2) = mpmc::sync_channel::<&str>(1);
    let (tx3, rx3) = oneshot::channel::<char>();
    let mut sel = Select::new();
    let (i1, i2, i3) = (sel.recv(&rx1), sel.recv(&rx2), sel.recv(&rx3));
    assert_eq!((i1, i2, i3), (0, 1, 2));
    assert_eq!(sel.try_select().unwrap_err(), TrySelectError);
    assert_eq!(sel.select_timeout(Duration::from_millis(2)).unwrap_err(), SelectTimeoutError);

    tx2.send("two").unwrap();
    let op = sel.select_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(op.index(), i2);
    assert_eq!(op.recv(&rx2), Ok("two"));

    tx3.send('3').unwrap();
    let op = sel.select();
    assert_eq!(op.index(), i3);
    assert_eq!(op.recv(&rx3), Ok('3'));

    // The oneshot's sender is gone: its arm is now always ready (the end).
    tx1.send(1).unwrap();
    let mut seen = Vec::new();
    for _ in 0..4 {
        let op = sel.select();
        match op.index() {
            i if i == i1 => seen.push(op.recv(&rx1).map(|v| v.to_string())),
            i if i == i3 => seen.push(op.recv(&rx3).map(|c| c.to_string())),
            i => panic!("arm {i} is not ready"),
        }
    }
    assert!(seen.contains(&Ok("1".to_string())), "{seen:?}");
    assert!(seen.contains(&Err(mpsc::RecvError)), "{seen:?}");
}

/// A fiber or thread blocked in a select wakes for the arm that becomes
/// ready, whichever worker or thread sends.
#[test]
fn a_blocked_select_wakes_for_the_arm_sent_to() {
    let rt = runtime();
    for (selector_on_thread, sender_on_thread) in [(false, false), (false, true), (true, false), (true, true)]
    {
        for target in 0..3 {
            let (txs, rxs): (Vec<_>, Vec<_>) = (0..3).map(|_| mpmc::sync_channel::<usize>(0)).unzip();
            let select = move || {
                let mut sel = Select::new();
                rxs.iter().for_each(|rx| _ = sel.recv(rx));
                let op = sel.select_timeout(Duration::from_secs(30)).expect("an arm is sent to");
                let i = op.index();
                (i, op.recv(&rxs[i]).unwrap())
            };
            let send = move || {
                std::thread::sleep(Duration::from_millis(1));
                txs[target].send(target * 10).unwrap();
            };
            let selector = if selector_on_thread {
                let h = std::thread::spawn(select);
                Box::new(move || h.join().unwrap()) as Box<dyn FnOnce() -> (usize, usize)>
            } else {
                let h = rt.spawn(select);
                Box::new(move || h.join().unwrap())
            };
            if sender_on_thread {
                std::thread::spawn(send).join().unwrap();
            } else {
                rt.spawn(send).join().unwrap();
            }
            assert_eq!(selector(), (target, target * 10));
        }
    }
}

/// Values sent to every arm at once: the select takes one, the others
/// stay queued for later (its entries on the other lists are gone).
#[test]
fn simultaneous_sends_lose_nothing() {
    let rt = runtime();
    for round in 0..100u32 {
        let (txa, rxa) = mpmc::channel::<u32>();
        let (txb, rxb) = mpmc::channel::<u32>();
        let (ra, rb) = (rxa.clone(), rxb.clone());
        let selector = rt.spawn(move || {
            let mut sel = Select::new();
            let a = sel.recv(&ra);
            sel.recv(&rb);
            let op = sel.select();
            if op.index() == a { op.recv(&ra) } else { op.recv(&rb) }.unwrap()
        });
        if round % 2 == 0 {
            std::thread::sleep(Duration::from_micros(100));
        }
        let sender = std::thread::spawn(move || txb.send(2).unwrap());
        txa.send(1).unwrap();
        sender.join().unwrap();
        let first = selector.join().unwrap();
        let rest: Vec<u32> = rxa.try_iter().chain(rxb.try_iter()).collect();
        assert_eq!(rest.len(), 1, "round {round}: {first} then {rest:?}");
        assert_eq!(first + rest[0], 3);
    }
}

/// A selection dropped without `recv` leaves its value in the channel,
/// where a blocked receiver gets it.
#[test]
fn a_dropped_selection_gives_the_value_back() {
    let rt = runtime();
    let (tx, rx) = mpmc::sync_channel::<u32>(0);
    let h = rt.spawn(move || tx.send(5));
    let mut sel = Select::new();
    sel.recv(&rx);
    drop(sel.select());
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(5));
    assert_eq!(h.join().unwrap(), Ok(()));
}

/// Many selectors on shared mpmc channels with many senders: each value
/// is selected exactly once.
#[test]
fn many_selectors_share_the_values_exactly_once() {
    let rt = runtime();
    let (txa, rxa) = mpmc::sync_channel::<u32>(2);
    let (txb, rxb) = mpmc::channel::<u32>();
    let senders: Vec<_> = (0..4u32)
        .map(|s| {
            let (txa, txb) = (txa.clone(), txb.clone());
            rt.spawn(move || {
                for i in 0..250 {
                    let v = s * 1000 + i;
                    if i % 2 == 0 { txa.send(v) } else { txb.send(v) }.unwrap();
                }
            })
        })
        .collect();
    drop((txa, txb));
    let selectors: Vec<_> = (0..4)
        .map(|_| {
            let (rxa, rxb) = (rxa.clone(), rxb.clone());
            rt.spawn(move || {
                let mut got = Vec::new();
                let (mut a_open, mut b_open) = (true, true);
                while a_open || b_open {
                    let mut sel = Select::new();
                    let a = a_open.then(|| sel.recv(&rxa));
                    if b_open {
                        sel.recv(&rxb);
                    }
                    let op = sel.select();
                    let (r, open) = if Some(op.index()) == a {
                        (op.recv(&rxa), &mut a_open)
                    } else {
                        (op.recv(&rxb), &mut b_open)
                    };
                    match r {
                        Ok(v) => got.push(v),
                        Err(_) => *open = false,
                    }
                }
                got
            })
        })
        .collect();
    senders.into_iter().for_each(|h| h.join().unwrap());
    let mut all: Vec<u32> = selectors.into_iter().flat_map(|h| h.join().unwrap()).collect();
    all.sort();
    let want: Vec<u32> = (0..4).flat_map(|s| (0..250).map(move |i| s * 1000 + i)).collect();
    assert_eq!(all, want);
}

#[test]
#[should_panic(expected = "not the one of the selected arm")]
fn recv_on_the_wrong_receiver_panics() {
    let (tx1, rx1) = mpsc::channel::<u8>();
    let (_tx2, rx2) = mpsc::channel::<u8>();
    tx1.send(1).unwrap();
    let mut sel = Select::new();
    sel.recv(&rx1);
    let _ = sel.select().recv(&rx2);
}
