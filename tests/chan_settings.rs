//! Every channel kind works in each of the four settings of issue 4 item
//! 3: two fibers on the same worker, fibers on different workers, a fiber
//! and a plain OS thread, two plain threads (which block). Each pair
//! streams values (in order, then disconnection) and plays ping-pong; the
//! mpmc case also checks that several consumers get each value once.

mod util;

use std::collections::HashSet;
use std::thread;

use fiberio::sync::{mpmc, mpsc, oneshot};
use util::spawn_on;

fn thread_id() -> thread::ThreadId {
    thread::current().id()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Setting {
    SameWorker,
    CrossWorker,
    FiberThread,
    Threads,
}

const SETTINGS: [Setting; 4] =
    [Setting::SameWorker, Setting::CrossWorker, Setting::FiberThread, Setting::Threads];

/// A closure started on one side of a setting.
enum Placed {
    Fiber(util::Placed<thread::ThreadId>),
    Thread(thread::JoinHandle<thread::ThreadId>),
}

impl Placed {
    fn join(self) -> thread::ThreadId {
        match self {
            Placed::Fiber(h) => h.join().unwrap(),
            Placed::Thread(h) => h.join().unwrap(),
        }
    }
}

/// Starts `f` on side `side` (0 or 1) of `setting`: side 0 is worker 0
/// (a thread in `Threads`), side 1 is worker 0, worker 1 or a thread.
fn place(rt: &fiberio::Runtime, setting: Setting, side: usize, f: impl FnOnce() + Send + 'static) -> Placed {
    let f = move || {
        let id = thread_id();
        f();
        assert_eq!(id, thread_id(), "a fiber never changes thread");
        id
    };
    match (setting, side) {
        (Setting::Threads, _) | (Setting::FiberThread, 1) => Placed::Thread(thread::spawn(f)),
        (Setting::CrossWorker, 1) => Placed::Fiber(spawn_on(rt, 1, f)),
        _ => Placed::Fiber(spawn_on(rt, 0, f)),
    }
}

/// Checks that the two sides ran where `setting` says.
fn check_placement(setting: Setting, a: thread::ThreadId, b: thread::ThreadId) {
    match setting {
        Setting::SameWorker => assert_eq!(a, b),
        _ => assert_ne!(a, b),
    }
}

/// Runs `a` and `b` concurrently, on the two sides of `setting`.
fn run2<A, B>(rt: &fiberio::Runtime, setting: Setting, a: A, b: B)
where
    A: FnOnce() + Send + 'static,
    B: FnOnce() + Send + 'static,
{
    let (ha, hb) = (place(rt, setting, 0, a), place(rt, setting, 1, b));
    check_placement(setting, ha.join(), hb.join());
}

fn runtime() -> fiberio::Runtime {
    fiberio::Runtime::builder().workers(2).build().unwrap()
}

/// A channel kind under test, with blocking send and receive.
trait Kind {
    type Tx: Send + 'static;
    type Rx: Send + 'static;
    fn pair() -> (Self::Tx, Self::Rx);
    fn send(tx: &Self::Tx, v: u64);
    fn recv(rx: &Self::Rx) -> Option<u64>;
}

macro_rules! kind {
    ($name:ident, $tx:ty, $rx:ty, $pair:expr) => {
        struct $name;
        impl Kind for $name {
            type Tx = $tx;
            type Rx = $rx;
            fn pair() -> ($tx, $rx) {
                $pair
            }
            fn send(tx: &$tx, v: u64) {
                tx.send(v).unwrap()
            }
            fn recv(rx: &$rx) -> Option<u64> {
                rx.recv().ok()
            }
        }
    };
}

kind!(MpscUnbounded, mpsc::Sender<u64>, mpsc::Receiver<u64>, mpsc::channel());
kind!(MpscRendezvous, mpsc::SyncSender<u64>, mpsc::Receiver<u64>, mpsc::sync_channel(0));
kind!(MpscBounded, mpsc::SyncSender<u64>, mpsc::Receiver<u64>, mpsc::sync_channel(3));
kind!(MpmcUnbounded, mpmc::Sender<u64>, mpmc::Receiver<u64>, mpmc::channel());
kind!(MpmcRendezvous, mpmc::Sender<u64>, mpmc::Receiver<u64>, mpmc::sync_channel(0));
kind!(MpmcBounded, mpmc::Sender<u64>, mpmc::Receiver<u64>, mpmc::sync_channel(2));

const N: u64 = 2000;

/// `a` streams 0..N and hangs up; `b` gets them in order, then the end.
fn stream<K: Kind>(rt: &fiberio::Runtime, setting: Setting) {
    let (tx, rx) = K::pair();
    run2(
        rt,
        setting,
        move || {
            for i in 0..N {
                K::send(&tx, i);
            }
        },
        move || {
            for i in 0..N {
                assert_eq!(K::recv(&rx), Some(i), "{setting:?}");
            }
            assert_eq!(K::recv(&rx), None, "disconnected once the sender is gone ({setting:?})");
        },
    );
}

/// Request/reply round trips over two channels.
fn ping_pong<K: Kind>(rt: &fiberio::Runtime, setting: Setting) {
    let (ping_tx, ping_rx) = K::pair();
    let (pong_tx, pong_rx) = K::pair();
    run2(
        rt,
        setting,
        move || {
            for i in 0..300 {
                K::send(&ping_tx, i);
                assert_eq!(K::recv(&pong_rx), Some(i + 1));
            }
        },
        move || {
            while let Some(i) = K::recv(&ping_rx) {
                K::send(&pong_tx, i + 1);
            }
        },
    );
}

fn all<K: Kind>() {
    let rt = runtime();
    for setting in SETTINGS {
        stream::<K>(&rt, setting);
        ping_pong::<K>(&rt, setting);
    }
}

#[test]
fn mpsc_unbounded() {
    all::<MpscUnbounded>();
}

#[test]
fn mpsc_rendezvous() {
    all::<MpscRendezvous>();
}

#[test]
fn mpsc_bounded() {
    all::<MpscBounded>();
}

#[test]
fn mpmc_unbounded() {
    all::<MpmcUnbounded>();
}

#[test]
fn mpmc_rendezvous() {
    all::<MpmcRendezvous>();
}

#[test]
fn mpmc_bounded() {
    all::<MpmcBounded>();
}

#[test]
fn oneshot_either_side_first() {
    let rt = runtime();
    for setting in SETTINGS {
        for receiver_first in [false, true] {
            let (tx, rx) = oneshot::channel::<String>();
            run2(
                &rt,
                setting,
                move || {
                    if receiver_first {
                        fiberio::sleep(std::time::Duration::from_millis(2));
                    }
                    tx.send("hello".to_string()).unwrap();
                },
                move || assert_eq!(rx.recv().as_deref(), Ok("hello"), "{setting:?}"),
            );
        }
    }
}

/// Two producers on one side, two consumers on the other: every value
/// is received exactly once.
#[test]
fn mpmc_consumers_share_the_values_exactly_once() {
    let rt = runtime();
    for cap in [None, Some(0), Some(4)] {
        for setting in SETTINGS {
            let (tx, rx) = match cap {
                None => mpmc::channel::<u64>(),
                Some(c) => mpmc::sync_channel(c),
            };
            let (done_tx, done_rx) = mpsc::channel::<Vec<u64>>();
            let mut sides = Vec::new();
            for p in 0..2 {
                let tx = tx.clone();
                sides.push(place(&rt, setting, 0, move || {
                    (p * 500..p * 500 + 500).for_each(|i| tx.send(i).unwrap())
                }));
            }
            for _ in 0..2 {
                let (rx, done_tx) = (rx.clone(), done_tx.clone());
                sides.push(place(&rt, setting, 1, move || done_tx.send(rx.iter().collect()).unwrap()));
            }
            drop((tx, rx, done_tx));
            let ids: Vec<_> = sides.into_iter().map(Placed::join).collect();
            check_placement(setting, ids[0], ids[2]);
            let got: Vec<u64> = done_rx.iter().flatten().collect();
            let unique: HashSet<u64> = got.iter().copied().collect();
            assert_eq!((got.len(), unique.len()), (1000, 1000), "{cap:?} {setting:?}");
        }
    }
}
