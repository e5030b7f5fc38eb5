//! Race 9: several fibers wait on one fd and direction — acceptors on one
//! listener — some of them with a timeout. The poll descriptor
//! (`src/reactor/poll_desc.rs`: its IO loop, the event dispatch, the FIFO
//! of waiters, the hand-over of readiness), the park protocol and the
//! waiters are the runtime's; model threads stand in for the acceptor
//! fibers and the poller, and a loom counter for the kernel's backlog of
//! connections. Each broken variant switches on one defect planted in
//! that code.
#![cfg(loom)]

use std::io;
// std's `Arc`: see `models.rs`.
use std::sync::Arc;

use fiberio::__loom::{Dir, Mutation, PollDesc, Ready, mutate};
use loom::sync::atomic::{AtomicUsize, Ordering::*};
use loom_tests::check;

/// A listener: its poll descriptor and the kernel's backlog.
#[derive(Default)]
struct Listener {
    pd: PollDesc,
    backlog: AtomicUsize,
}

impl Listener {
    /// One acceptor: `IoSource::run` for `accept(2)`, which takes a
    /// pending connection or says `EAGAIN`; a success does not use up the
    /// readiness, so it is passed on. Returns how many times the acceptor
    /// called `accept(2)`, or the error of its wait.
    fn accept(&self, timed: bool) -> io::Result<usize> {
        let mut calls = 0;
        self.pd.run_io(
            Dir::Read,
            timed,
            || {
                calls += 1;
                match self.backlog.fetch_update(AcqRel, Acquire, |n| n.checked_sub(1)) {
                    Ok(_) => Ok(()),
                    Err(_) => Err(io::ErrorKind::WouldBlock.into()),
                }
            },
            |_| false,
        )?;
        Ok(calls)
    }

    /// The kernel queues `n` connections, and epoll reports one edge.
    fn connect(&self, generation: u32, n: usize) {
        self.backlog.fetch_add(n, Release);
        self.pd.dispatch(generation, Ready { read: true, ..Ready::default() });
    }
}

/// The preemption bound of [`accept_model`] (see there).
const ACCEPT_BOUND: Option<usize> = Some(3);

/// Race 9: two fibers accept on one listener whose backlog is empty; two
/// connections land and epoll reports one edge for both. The edge goes to
/// the longest-waiting acceptor, or stays in the token if none waits yet;
/// an acceptor whose accept succeeds hands the readiness on to the next
/// waiter. Asserts: both connections are accepted and both acceptors
/// return — no acceptor stays parked while the token is set (a lost
/// wakeup shows as loom's "deadlock": the acceptor parked for good,
/// everyone else waiting to join it) — and none is woken again and again
/// for nothing.
///
/// Bound: 3 preemptions (switches at blocking points — a park, a held
/// lock, a join — come free). The lost hand-over needs both acceptors
/// parked before the edge, which takes the poller interrupted after it
/// spawned them: the broken variant is caught from bound 2. 3 leaves one
/// of margin at a few seconds (README.md).
fn accept_model(m: Option<Mutation>) {
    mutate(m);
    check(ACCEPT_BOUND, || {
        let l = Arc::new(Listener::default());
        let generation = l.pd.open();
        let acceptors: Vec<_> = (0..2)
            .map(|_| {
                let l = l.clone();
                loom::thread::spawn(move || l.accept(false))
            })
            .collect();
        l.connect(generation, 2);
        let calls: Vec<usize> = acceptors.into_iter().map(|h| h.join().unwrap().unwrap()).collect();
        assert_eq!(l.backlog.load(Acquire), 0, "accept: a connection left in the backlog");
        assert!(
            calls.iter().all(|&c| c <= 3),
            "accept: an acceptor woken again and again for nothing: {calls:?}"
        );
    });
}

#[test]
fn one_edge_reaches_every_acceptor_it_should() {
    accept_model(None);
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_no_pass_on_is_caught() {
    accept_model(Some(Mutation::PdNoPassOn));
}

/// The preemption bound of [`timed_accept_model`] (see there).
const TIMED_ACCEPT_BOUND: Option<usize> = Some(3);

/// Dead waiters: two fibers accept on one listener whose backlog is
/// empty, the first with a timeout (`set_read_timeout`; under loom its
/// deadline has passed, so its wait races the edge with its timeout at
/// once), the second without; one connection lands, one edge. A timed-out
/// acceptor's waiter stays queued until an edge or a registration prunes
/// it. Asserts: the connection is accepted by exactly one acceptor; the
/// timed acceptor either got it or timed out; the patient one is never
/// left parked with the connection in the backlog — an edge popped for a
/// waiter whose wait had ended goes on to the next (`deliver`,
/// `wake_next`), and the pruning (`register_waiter`'s `retain`) drops
/// only ended waits. A patient acceptor left parked shows as "deadlock".
///
/// Bound: 3 preemptions. The swallowed edge needs the timed acceptor
/// queued first and timed out before the edge: the broken variant is
/// caught from bound 2. 3 leaves one of margin at about ten seconds.
fn timed_accept_model(m: Option<Mutation>) {
    mutate(m);
    check(TIMED_ACCEPT_BOUND, || {
        let l = Arc::new(Listener::default());
        let generation = l.pd.open();
        let spawn = |timed| {
            let l = l.clone();
            loom::thread::spawn(move || l.accept(timed))
        };
        let (timed, patient) = (spawn(true), spawn(false));
        l.connect(generation, 1);
        // The patient acceptor waits for a second connection if the timed
        // one took the first: it gets one then, as from a second client.
        match timed.join().unwrap() {
            Ok(_) => l.connect(generation, 1),
            Err(e) => assert_eq!(e.kind(), io::ErrorKind::TimedOut),
        }
        let patient = patient.join().unwrap();
        assert!(patient.is_ok(), "timed accept: the patient acceptor failed");
        assert_eq!(l.backlog.load(Acquire), 0, "timed accept: a connection left in the backlog");
    });
}

#[test]
fn a_timed_out_acceptor_never_swallows_an_edge() {
    timed_accept_model(None);
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_deliver_stopping_at_a_dead_waiter_is_caught() {
    timed_accept_model(Some(Mutation::PdDeliverStopsAtDead));
}
