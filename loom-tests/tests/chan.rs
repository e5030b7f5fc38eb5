//! Channels beyond race 10's single receiver (DESIGN.md races 10 and 15):
//! an mpmc channel with a buffer, two receivers and a disconnect; a
//! `Select` over two channels; a oneshot whose sender may go unused; and
//! the join slot a fiber's result travels through. Run on the real code
//! (`src/chan/`, `src/fiber/join_slot.rs`) through the user loom mode or
//! `fiberio::__loom`; each model has a broken variant switched on in the
//! same source, which it must catch for the reason its `should_panic`
//! names. Bounds and times: `loom-tests/README.md`.
#![cfg(loom)]

use std::sync::Arc;

use fiberio::__loom::{self, JoinSlot, Mutation, Parker, REASON_NOTIFIED, REASON_TIMED_OUT};
use fiberio::sync::{Select, mpmc, mpsc, oneshot};

fn broken(m: Mutation, model: fn()) {
    __loom::mutate(Some(m));
    model();
}

/// An mpmc channel of capacity 1, two receiving fibers and a sender (main)
/// that sends two values and drops: every value is received exactly once,
/// both receivers end with `Disconnected` (a receiver left blocked is a
/// deadlock), and no reservation is lost on the way.
fn mpmc_two_receivers() {
    loom_tests::check(Some(1), || {
        let (tx, rx) = mpmc::sync_channel::<u32>(1);
        let hs: Vec<_> = (0..2)
            .map(|_| {
                let rx = rx.clone();
                fiberio::spawn(move || rx.iter().collect::<Vec<_>>())
            })
            .collect();
        drop(rx);
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        drop(tx);
        let mut got: Vec<u32> = hs.into_iter().flat_map(|h| h.join().unwrap()).collect();
        got.sort_unstable();
        assert_eq!(got, [1, 2], "every value received exactly once");
    });
}

#[test]
fn mpmc_two_receivers_get_every_value_and_the_disconnect() {
    mpmc_two_receivers();
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_mpmc_disconnect_waking_one_receiver_strands_the_other() {
    broken(Mutation::ChannelDisconnectWakesOne, mpmc_two_receivers);
}

/// Main selects over two channels while a fiber sends on each: exactly one
/// arm is chosen and yields its value, and the other channel's value is
/// not lost — a plain `recv` gets it afterwards (the senders stay alive,
/// so a leaked reservation would hide it for good: deadlock).
fn select_two_channels() {
    loom_tests::check(Some(2), || {
        let (tx1, rx1) = mpsc::channel::<u32>();
        let (tx2, rx2) = mpsc::channel::<u32>();
        let (t1, t2) = (tx1.clone(), tx2.clone());
        let h = fiberio::spawn(move || {
            t1.send(1).unwrap();
            t2.send(2).unwrap();
        });
        let mut sel = Select::new();
        let i1 = sel.recv(&rx1);
        let i2 = sel.recv(&rx2);
        let op = sel.select();
        let (won, other) = match op.index() {
            i if i == i1 => (op.recv(&rx1), rx2.recv()),
            i if i == i2 => (op.recv(&rx2), rx1.recv()),
            _ => unreachable!("an arm of this select"),
        };
        let (won, other) = (won.unwrap(), other.unwrap());
        assert_eq!(won + other, 3, "each value once");
        h.join().unwrap();
        drop((tx1, tx2));
    });
}

#[test]
fn select_picks_one_arm_and_loses_no_value() {
    select_two_channels();
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_select_keeping_a_grant_after_losing_hides_a_value() {
    broken(Mutation::SelectLostWakeKeepsGrant, select_two_channels);
}

/// A oneshot whose sending fiber sends or drops the sender unused, racing
/// the receiver's wait: the receiver gets the value or `RecvError`, and
/// never waits forever.
fn oneshot_send_or_drop() {
    loom_tests::check(Some(2), || {
        for send in [true, false] {
            let (tx, rx) = oneshot::channel::<u32>();
            let h = fiberio::spawn(move || {
                if send {
                    tx.send(7).unwrap();
                }
            });
            assert_eq!(rx.recv().ok(), send.then_some(7));
            h.join().unwrap();
        }
    });
}

#[test]
fn oneshot_receiver_gets_the_value_or_the_disconnect() {
    oneshot_send_or_drop();
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_oneshot_disconnect_without_wake_strands_the_receiver() {
    broken(Mutation::ChannelDisconnectNoWake, oneshot_send_or_drop);
}

/// The join slot: a fiber completes while its joiner registers, times out
/// (its own wait ends otherwise) and registers again, reclaiming its slot
/// — complete vs register vs re-register. The joiner always gets the
/// result, and the slot's cells are never touched by both sides at once
/// (a reclaim that lets `complete` take the waiter being rewritten is a
/// causality error of loom's cell).
fn join_slot_reregister() {
    loom_tests::check(None, || {
        let slot = Arc::new(JoinSlot::default());
        let s = slot.clone();
        let fiber = loom::thread::spawn(move || s.complete(7));
        let p = Parker::for_current();
        // A first wait, ended by the joiner's own deadline.
        let seq = p.begin().unwrap();
        if let Err(w) = slot.register(p.waiter(seq)) {
            w.wake(REASON_NOTIFIED);
        }
        p.waiter(seq).wake(REASON_TIMED_OUT);
        // Then wait again until the result is there.
        let got = loop {
            if let Some(v) = slot.try_take() {
                break v;
            }
            let seq = p.begin().unwrap();
            if let Err(w) = slot.register(p.waiter(seq)) {
                w.wake(REASON_NOTIFIED);
            }
            p.wait(seq);
        };
        assert_eq!(got, 7);
        fiber.join().unwrap();
    });
}

#[test]
fn join_slot_joiner_always_gets_the_result() {
    join_slot_reregister();
}

#[test]
#[should_panic(expected = "Causality violation")]
fn broken_join_slot_reclaim_by_store_races_on_the_waiter() {
    broken(Mutation::JoinSlotReclaimByStore, join_slot_reregister);
}

/// A receiving fiber is cancelled while main sends: the value is granted
/// to it (and it returns), or the cancel wins — and a value its re-check
/// reserved at that same moment goes back to the front of the channel, so
/// main's own `recv` gets it (the sender stays alive: a leaked reservation
/// would hide the value for good, a deadlock).
fn recv_cancel_vs_send() {
    loom_tests::check(Some(3), || {
        let (tx, rx) = mpmc::channel::<u32>();
        let rx2 = rx.clone();
        let h = fiberio::spawn(move || rx2.recv().unwrap());
        tx.send(1).unwrap();
        h.cancel();
        if h.join().is_err() {
            assert_eq!(rx.recv(), Ok(1), "the value is still there");
        }
        drop(tx);
    });
}

#[test]
fn a_cancelled_receiver_gives_back_its_value() {
    recv_cancel_vs_send();
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_cancelled_receiver_keeping_its_grant_hides_the_value() {
    broken(Mutation::ChannelRecvCancelKeepsGrant, recv_cancel_vs_send);
}

/// Two fibers are blocked sending on a rendezvous channel when its last
/// receiver is dropped: both get their value back as `SendError`.
fn senders_vs_receiver_drop() {
    loom_tests::check(Some(1), || {
        let (tx, rx) = mpmc::sync_channel::<u32>(0);
        let hs: Vec<_> = (0..2u32)
            .map(|i| {
                let tx = tx.clone();
                fiberio::spawn(move || tx.send(i).map_err(|e| e.0))
            })
            .collect();
        drop(tx);
        fiberio::yield_now();
        drop(rx);
        for (i, h) in hs.into_iter().enumerate() {
            assert_eq!(h.join().unwrap(), Err(i as u32), "the value comes back");
        }
    });
}

#[test]
fn blocked_senders_all_see_the_receiver_go() {
    senders_vs_receiver_drop();
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_receiver_drop_waking_one_sender_strands_the_other() {
    broken(Mutation::ChannelReceiverDropWakesOne, senders_vs_receiver_drop);
}
