//! Race 10 of DESIGN.md section 3: a notify racing a waiter's enqueue in
//! the sync primitives (`src/fiber/wait_list.rs`, `src/sync/raw_mutex.rs`,
//! `condvar.rs`), run on the real `fiberio::sync` code through the user
//! loom mode (fibers are loom threads).
//!
//! The defence: register under the internal lock, re-check there, park;
//! grant under the lock, wake after it. Each model has a broken variant,
//! switched on in the same source (`fiberio::__loom::mutate`): the re-check
//! or the order removed, the wakeup is lost, and loom reports the deadlock.
//!
//! Bound: preemption bound 2. Each lost wakeup needs one preemption (between
//! the waiter's check and its enqueue), the relaxed unlock none; 2 also
//! covers a hand-off racing a second locker. (Bound 3 took 13 s for the
//! mutex model once fibers park through their task's park state, with the
//! commit of the two-phase park.) Measured times are in
//! `loom-tests/README.md`.
#![cfg(loom)]

use std::sync::Arc;

use fiberio::__loom;
use fiberio::sync::{Condvar, Mutex, mpsc};

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    // `LOOM_MAX_PREEMPTIONS` (read by `Builder::new`) overrides, to measure.
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(2);
    }
    builder.check(f);
}

/// Two fibers and the main thread contend for one Mutex; every one gets
/// it (a lost hand-off deadlocks) and the critical sections never overlap.
fn mutex_contention() {
    model(|| {
        let m = Arc::new(Mutex::new(0u32));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let m = m.clone();
                fiberio::spawn(move || {
                    let mut g = m.lock().unwrap();
                    let seen = *g;
                    fiberio::yield_now();
                    *g = seen + 1;
                })
            })
            .collect();
        *m.lock().unwrap() += 1;
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(*m.lock().unwrap(), 3);
    });
}

/// A waiter on a Condvar and a notifier: the notify is never lost.
fn condvar_notify_vs_enqueue() {
    model(|| {
        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        let setter = pair.clone();
        let h = fiberio::spawn(move || {
            *setter.0.lock().unwrap() = true;
            setter.1.notify_all();
        });
        let (flag, cv) = &*pair;
        let mut set = flag.lock().unwrap();
        while !*set {
            set = cv.wait(set).unwrap();
        }
        drop(set);
        h.join().unwrap();
    });
}

/// Two fibers wait on a Condvar for a flag; main sets it and notifies
/// all: both wake (a waiter left queued deadlocks the joins).
fn condvar_notify_all_wakes_every_waiter() {
    model(|| {
        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let pair = pair.clone();
                fiberio::spawn(move || {
                    let (flag, cv) = &*pair;
                    let mut set = flag.lock().unwrap();
                    while !*set {
                        set = cv.wait(set).unwrap();
                    }
                })
            })
            .collect();
        *pair.0.lock().unwrap() = true;
        pair.1.notify_all();
        for h in waiters {
            h.join().unwrap();
        }
    });
}

#[test]
fn condvar_notify_all_reaches_every_waiter() {
    condvar_notify_all_wakes_every_waiter();
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_condvar_notify_all_waking_one_is_caught() {
    __loom::mutate(Some(__loom::Mutation::CondvarNotifyAllWakesOne));
    condvar_notify_all_wakes_every_waiter();
}

#[test]
fn mutex_hands_off_to_every_waiter() {
    mutex_contention();
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_mutex_without_recheck_loses_the_unlock() {
    __loom::mutate(Some(__loom::Mutation::MutexNoRecheck));
    mutex_contention();
}

#[test]
fn condvar_never_loses_a_notify() {
    condvar_notify_vs_enqueue();
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_condvar_unlocking_before_enqueue_loses_the_notify() {
    __loom::mutate(Some(__loom::Mutation::CondvarUnlockBeforeRegister));
    condvar_notify_vs_enqueue();
}

/// A value sent on an mpsc channel while the receiver goes to wait: the
/// receiver always gets it (its re-check under the channel's lock sees the
/// value, or the sender finds it queued), and a rendezvous send returns
/// only once the value was taken.
fn channel_send_vs_recv() {
    model(|| {
        let (tx, rx) = mpsc::channel();
        let (ack_tx, ack_rx) = mpsc::sync_channel(0);
        let h = fiberio::spawn(move || {
            tx.send(7u32).unwrap();
            ack_tx.send(()).unwrap();
        });
        assert_eq!(rx.recv(), Ok(7));
        assert_eq!(ack_rx.recv(), Ok(()));
        h.join().unwrap();
    });
}

#[test]
fn channel_recv_never_misses_a_send() {
    channel_send_vs_recv();
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_channel_recv_without_recheck_misses_the_send() {
    __loom::mutate(Some(__loom::Mutation::ChannelRecvNoRecheck));
    channel_send_vs_recv();
}

/// The Mutex model with the unlock's `Release` weakened to `Relaxed`: the
/// counter still adds up (loom does not invent stale values for plain
/// data), so only the data's cell — loom's `UnsafeCell` under `--cfg
/// loom` — catches the missing happens-before edge between two holders.
#[test]
#[should_panic(expected = "Causality violation")]
fn broken_mutex_unlock_relaxed_is_a_data_race() {
    __loom::mutate(Some(__loom::Mutation::MutexUnlockRelaxed));
    mutex_contention();
}
