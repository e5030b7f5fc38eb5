//! Worker sleep/notify: a remote wake costs a syscall only when the target
//! worker sleeps, and never gets lost (DESIGN.md decision 9; races 7, 8).
//!
//! Each worker has a [`SleepState`]. Before blocking in `epoll_wait` the
//! worker *announces* ([`SleepState::prepare_sleep`]: it counts itself in
//! the runtime's sleeper count, then announces) and re-checks everything
//! that could give it work — its inbox, the unstarted queues, the shutdown
//! flag. A thread that gives it work first publishes the work (inbox push,
//! queue push, shutdown flag), then calls [`SleepState::notify`]; only the
//! notifier whose CAS moves `SLEEPING → NOTIFIED` writes the eventfd, so
//! concurrent wakes of one sleep cost one write. A spawner that queued a
//! fiber any worker may steal wakes one sleeper with [`notify_one`].
//!
//! Why nothing is lost — a store-buffering (Dekker) pattern, made safe by
//! two `SeqCst` fences:
//!
//! ```text
//! worker                            notifier
//! state = SLEEPING      (A)         publish work: inbox, queue, flag (C)
//! fence(SeqCst)         (X)         fence(SeqCst)                    (Y)
//! re-check the work     (B)         load state; CAS if SLEEPING      (D)
//! ```
//!
//! All `SeqCst` fences lie in one total order S. If X precedes Y, the
//! load D observes A or a later value of `state` (the fence rule of C++20
//! [atomics.order]: A sequenced before X, Y before D, X before Y in S):
//! the notifier sees `SLEEPING` and writes the eventfd, which is in the
//! worker's epoll, level-triggered, so `epoll_wait` returns at once. If Y precedes X, the
//! re-check B observes the publication C the same way and the worker does
//! not block. (If D reads `AWAKE` written by a later `wake_up`, the
//! worker's *next* announce fence comes after Y, so its next re-check
//! sees C.) The fences are what make this hold; `SeqCst` on the accesses
//! alone would in C++20 too, but loom models only fences and
//! read-modify-writes as sequentially consistent, not `SeqCst` loads and
//! stores, and it does report the lost wake without the fences
//! (`loom-tests/tests/sleep.rs`). Making `announce` a `swap` would not do:
//! a notifier whose CAS fails writes nothing the worker could synchronise
//! with.
//!
//! The cost on x86-64: announce is a plain store and a full fence (about an
//! `xchg`); notify is a full fence and a plain load, and its CAS runs only
//! when the worker sleeps, so notifying a busy worker never writes its
//! cache line.
//!
//! Race 8 needs no fence of its own: the sleeper counts itself in the
//! sleeper count and announces *before* its re-check takes each unstarted
//! queue's lock, and the spawner pushes under that lock before it reads
//! the count and the states, so the lock's release/acquire orders them
//! (`queue.rs`).
//!
//! The glue around the protocol lives here too, so the models run it as
//! the runtime does: [`Workers`] (the runtime's workers, sleeper count and
//! shutdown flag, as sleep/notify sees them) holds the worker's re-check
//! ([`Workers::prepare_sleep`]), the spawner's submit and wake of a
//! sleeper ([`Workers::submit`]), stealing ([`Workers::steal`]) and the
//! shutdown broadcast; [`wake_remote`] is the remote wake. A worker is
//! seen through the [`Sleeper`] trait: `WorkerShared` in the runtime, a
//! model worker with a counter for an eventfd in the loom models.
//!
//! No context switch and no syscall here: the worker and the notifier do
//! those (the eventfd write is [`Sleeper::write_eventfd`]), so loom checks
//! exactly this code (STYLE.md convention 4).

use super::inbox::Inbox;
use super::queue::UnstartedQueue;
use crate::loom::mutation::{self, Mutation};
use crate::loom::sync::Arc;
use crate::loom::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering::*, fence};

const AWAKE: u8 = 0;
const SLEEPING: u8 = 1;
const NOTIFIED: u8 = 2;

/// Whether a worker is running, about to block, or already being woken.
#[derive(Debug)]
pub(crate) struct SleepState {
    state: AtomicU8,
}

impl SleepState {
    pub(crate) fn new() -> Self {
        Self { state: AtomicU8::new(AWAKE) }
    }

    /// Worker: announces that it is about to block. It must re-check for
    /// work afterwards, and call [`wake_up`](Self::wake_up) in any case.
    pub(crate) fn announce(&self) {
        self.state.store(SLEEPING, Relaxed);
        // X of the module docs: orders the announce before the re-check.
        fence(SeqCst);
    }

    /// Worker: back to running (after the re-check found work, or after
    /// `epoll_wait` returned). Returns whether a notifier wrote the eventfd.
    pub(crate) fn wake_up(&self) -> bool {
        self.state.swap(AWAKE, AcqRel) == NOTIFIED
    }

    /// Notifier, after publishing work: `true` if the caller must write the
    /// worker's eventfd (it was sleeping and nobody else has written).
    pub(crate) fn notify(&self) -> bool {
        // Y of the module docs: orders the publication before the load.
        fence(SeqCst);
        if mutation::on(Mutation::SleepNotifyByStore) {
            // BROKEN: check, then store: two notifiers of one sleep both win.
            return self.state.load(Relaxed) == SLEEPING && {
                self.state.store(NOTIFIED, Relaxed);
                true
            };
        }
        // Only the CAS decides who writes the eventfd (coalescing); the
        // load spares a busy worker's cache line.
        self.state.load(Relaxed) == SLEEPING
            && self.state.compare_exchange(SLEEPING, NOTIFIED, AcqRel, Relaxed).is_ok()
    }

    /// Worker, out of work: counts itself in `sleepers` (the runtime's
    /// count, race 8), announces, then runs `recheck` (inbox, unstarted
    /// queues, shutdown). Returns `true` if the worker may block: the
    /// re-check found nothing. Call [`end_sleep`](Self::end_sleep) in any
    /// case.
    pub(crate) fn prepare_sleep(&self, sleepers: &AtomicUsize, recheck: impl FnOnce() -> bool) -> bool {
        if mutation::on(Mutation::SleepRecheckFirst) {
            // BROKEN: work published between the re-check and the announce
            // finds the worker awake, and the worker sleeps on it.
            let work = recheck();
            sleepers.fetch_add(1, SeqCst);
            self.announce();
            return !work;
        }
        if mutation::on(Mutation::SleepCountedAfterRecheck) {
            // BROKEN: a spawner that pushed after the re-check may still
            // read "nobody sleeps" and wake no one (race 8).
            self.announce();
            let work = recheck();
            sleepers.fetch_add(1, SeqCst);
            return !work;
        }
        sleepers.fetch_add(1, SeqCst);
        self.announce();
        !recheck()
    }

    /// Worker: the sleep is over (work found, or `epoll_wait` returned).
    /// Returns whether a notifier wrote the eventfd.
    pub(crate) fn end_sleep(&self, sleepers: &AtomicUsize) -> bool {
        let notified = self.wake_up();
        sleepers.fetch_sub(1, SeqCst);
        notified
    }

    /// Whether the worker has announced a sleep nobody has interrupted yet.
    #[cfg(test)]
    pub(crate) fn is_sleeping(&self) -> bool {
        self.state.load(Relaxed) == SLEEPING
    }
}

/// Spawner, after queueing a fiber any worker may steal: notifies the
/// first sleeping worker, if any sleeps, and returns its index — the caller
/// writes that worker's eventfd.
pub(crate) fn notify_one<'a>(
    sleepers: &AtomicUsize,
    workers: impl IntoIterator<Item = &'a SleepState>,
) -> Option<usize> {
    if sleepers.load(SeqCst) == 0 {
        return None;
    }
    workers.into_iter().position(SleepState::notify)
}

/// A worker as the threads that give it work see it: its sleep state,
/// inbox and unstarted queue, and its eventfd (`WorkerShared`; a model
/// worker in the loom models, whose eventfd is a counter).
pub(crate) trait Sleeper {
    /// What its unstarted queue holds (`Unstarted`; numbers in the models).
    type Fiber;
    /// Its sleep state.
    fn sleep_state(&self) -> &SleepState;
    /// Its remote inbox.
    fn inbox(&self) -> &Inbox;
    /// Its queue of unstarted fibers.
    fn unstarted(&self) -> &UnstartedQueue<Self::Fiber>;
    /// Writes its eventfd, waking its `epoll_wait`. Called only by the
    /// notifier that won [`SleepState::notify`] against its sleep.
    fn write_eventfd(&self);
}

/// Notifier, after publishing work for `w`: wakes it if it sleeps, at
/// most one eventfd write per sleep. Returns whether this call wrote.
#[inline]
pub(crate) fn notify<W: Sleeper>(w: &W) -> bool {
    if !w.sleep_state().notify() {
        return false;
    }
    w.write_eventfd();
    true
}

/// Any thread but `w`'s own: hands it woken fiber `slot` — inbox push,
/// then notify (race 7). Returns whether this call wrote the eventfd.
#[inline]
pub(crate) fn wake_remote<W: Sleeper>(w: &W, slot: u32) -> bool {
    w.inbox().push(slot);
    notify(w)
}

/// What a thief got from [`Workers::steal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stolen {
    /// Every other worker's queue was empty.
    Nothing,
    /// This many fibers, now in the thief's own queue.
    Queued(usize),
    /// This many, refused by the thief's closed queue and abandoned.
    Refused(usize),
}

/// A runtime's workers as sleep/notify sees them: each worker's shared
/// half, the count of announced sleepers, the shutdown flag and the cursor
/// of spawns from outside. A view over `RuntimeShared`'s fields (or a
/// model's), built for each call.
#[derive(Debug)]
pub(crate) struct Workers<'a, W> {
    /// Every worker, by index.
    pub(crate) workers: &'a [Arc<W>],
    /// Workers that have announced sleep (race 8: spawners read it).
    pub(crate) sleepers: &'a AtomicUsize,
    /// Set once when the runtime begins to shut down.
    pub(crate) shutdown: &'a AtomicBool,
    /// Round-robin cursor for fibers spawned from outside the runtime.
    pub(crate) next_remote: &'a AtomicUsize,
}

impl<W: Sleeper> Workers<'_, W> {
    /// Worker `me`, out of work: counts itself a sleeper, announces, and
    /// re-checks everything that could have given it work meanwhile — its
    /// inbox (race 7), every worker's unstarted queue under its lock (race
    /// 8), the shutdown flag. `true` if it may block in `epoll_wait`; call
    /// [`end_sleep`](Self::end_sleep) in any case.
    pub(crate) fn prepare_sleep(&self, me: &W) -> bool {
        me.sleep_state().prepare_sleep(self.sleepers, || {
            me.inbox().is_pending()
                || self.workers.iter().any(|w| !w.unstarted().is_empty_locked())
                || self.shutdown.load(SeqCst)
        })
    }

    /// Worker `me`: the sleep is over; whether a notifier wrote its eventfd.
    pub(crate) fn end_sleep(&self, me: &W) -> bool {
        me.sleep_state().end_sleep(self.sleepers)
    }

    /// Spawner: queues `fiber` and wakes whom it must (race 8). From one of
    /// the runtime's fibers, `push_local` is its worker's own push
    /// (`Worker::push_local`: its `runnext` slot, else its queue; `true` if
    /// it spilled into the queue behind another fiber). From outside, the
    /// fiber goes to the next worker in turn, which is woken if it sleeps.
    /// A fiber queued where another already waits (spilled, crowded), or on
    /// a worker that is awake — and may be busy for long — is work another
    /// core could do now: one sleeping worker is woken to steal it (Go's
    /// `wakep`). A fiber refused by a closed queue (shutdown) goes to
    /// `abandon`, which completes it with the shutdown error.
    #[inline(always)]
    pub(crate) fn submit(
        &self,
        fiber: W::Fiber,
        push_local: Option<impl FnOnce(W::Fiber) -> Result<bool, W::Fiber>>,
        abandon: impl FnOnce(W::Fiber),
    ) {
        let (pushed, target) = match push_local {
            Some(push) => (push(fiber), None),
            None => {
                let n = self.next_remote.fetch_add(1, SeqCst) % self.workers.len();
                let target = &*self.workers[n];
                if mutation::on(Mutation::SubmitNotifyBeforePush) {
                    // BROKEN: the wakes come before the fiber they announce;
                    // a worker that re-checks in between sleeps on it.
                    if !notify(target) {
                        self.notify_one();
                    }
                    return target.unstarted().push(fiber).map_or_else(abandon, drop);
                }
                (target.unstarted().push(fiber).map(|before| before >= 1), Some(target))
            }
        };
        match pushed {
            Err(fiber) => abandon(fiber),
            Ok(crowded) => {
                let target_awake = target.is_some_and(|t| !notify(t));
                if crowded || target_awake {
                    self.notify_one();
                }
            }
        }
    }

    /// Wakes one sleeping worker, if any sleeps, so it can steal.
    pub(crate) fn notify_one(&self) {
        if let Some(i) = notify_one(self.sleepers, self.workers.iter().map(|w| w.sleep_state())) {
            self.workers[i].write_eventfd();
        }
    }

    /// Thief `me`: takes half the unstarted fibers of the first other
    /// worker that has some, into its own queue; if that is closed (its
    /// shutdown), hands them to `abandon`.
    pub(crate) fn steal(&self, me: usize, abandon: impl FnMut(W::Fiber)) -> Stolen {
        let n = self.workers.len();
        for i in 1..n {
            let stolen = self.workers[(me + i) % n].unstarted().steal_half();
            if stolen.is_empty() {
                continue;
            }
            let count = stolen.len();
            return match self.workers[me].unstarted().push_batch(stolen) {
                Ok(()) => Stolen::Queued(count),
                Err(back) => {
                    back.into_iter().for_each(abandon);
                    Stolen::Refused(count)
                }
            };
        }
        Stolen::Nothing
    }

    /// Begins the shutdown: sets the flag, then wakes every sleeping
    /// worker, whose re-check sees the flag if it announced too late.
    pub(crate) fn begin_shutdown(&self) {
        self.shutdown.store(true, SeqCst);
        for w in self.workers {
            notify(&**w);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn notify_only_a_sleeping_worker_and_only_once() {
        let s = SleepState::new();
        assert!(!s.notify(), "an awake worker needs no eventfd write");
        s.announce();
        assert!(s.is_sleeping());
        assert!(s.notify());
        assert!(!s.notify(), "wakes of one sleep are coalesced");
        assert!(s.wake_up(), "the worker learns it was notified");
        assert!(!s.wake_up());
    }

    #[test]
    fn notify_one_skips_awake_workers_and_nobody_when_none_sleeps() {
        let sleepers = AtomicUsize::new(0);
        let ws = [SleepState::new(), SleepState::new()];
        assert_eq!(notify_one(&sleepers, &ws), None);
        assert!(ws[1].prepare_sleep(&sleepers, || false));
        assert_eq!(notify_one(&sleepers, &ws), Some(1));
        assert_eq!(notify_one(&sleepers, &ws), None, "already notified");
        assert!(ws[1].end_sleep(&sleepers));
        assert_eq!(sleepers.load(SeqCst), 0);
    }
}
