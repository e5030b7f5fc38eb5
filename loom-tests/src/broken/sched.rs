//! Broken copies of worker sleep/notify (`src/sched/idle.rs`), one defect
//! each. Everything else is the runtime's protocol as it stands: announce
//! then `fence(SeqCst)`, `fence(SeqCst)` then notify's load and CAS.

use loom::sync::atomic::{AtomicU8, AtomicUsize, Ordering::*, fence};

const AWAKE: u8 = 0;
const SLEEPING: u8 = 1;
const NOTIFIED: u8 = 2;

fn announce(state: &AtomicU8) {
    state.store(SLEEPING, Relaxed);
    fence(SeqCst);
}

fn notify(state: &AtomicU8) -> bool {
    fence(SeqCst);
    state.load(Relaxed) == SLEEPING && state.compare_exchange(SLEEPING, NOTIFIED, AcqRel, Relaxed).is_ok()
}

fn end_sleep(state: &AtomicU8, sleepers: &AtomicUsize) -> bool {
    let notified = state.swap(AWAKE, AcqRel) == NOTIFIED;
    sleepers.fetch_sub(1, SeqCst);
    notified
}

/// As `idle::notify_one`, over any of the broken states.
pub fn notify_one<'a, S: 'a>(
    sleepers: &AtomicUsize,
    workers: impl IntoIterator<Item = &'a S>,
    notify: impl Fn(&S) -> bool,
) -> Option<usize> {
    if sleepers.load(SeqCst) == 0 {
        return None;
    }
    workers.into_iter().position(notify)
}

macro_rules! sleep_state {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name {
            state: AtomicU8,
        }

        impl Default for $name {
            fn default() -> Self {
                Self { state: AtomicU8::new(AWAKE) }
            }
        }

        impl $name {
            /// As the real `end_sleep`.
            pub fn end_sleep(&self, sleepers: &AtomicUsize) -> bool {
                end_sleep(&self.state, sleepers)
            }
        }
    };
}

sleep_state! {
    /// BROKEN: re-checks for work *before* announcing, the classic lost
    /// wakeup: work published between the re-check and the announce finds
    /// the worker awake (no eventfd write), and the worker then sleeps on
    /// it (race 7).
    SleepRecheckFirst
}

impl SleepRecheckFirst {
    /// BROKEN: re-check, then count and announce.
    pub fn prepare_sleep(&self, sleepers: &AtomicUsize, recheck: impl FnOnce() -> bool) -> bool {
        let work = recheck();
        sleepers.fetch_add(1, SeqCst);
        announce(&self.state);
        !work
    }
    /// As the real `notify`.
    pub fn notify(&self) -> bool {
        notify(&self.state)
    }
}

sleep_state! {
    /// BROKEN: the notifier claims the wake with a load and a store instead
    /// of a CAS, so two notifiers of one sleep both write the eventfd (race
    /// 7: the coalescing flag).
    SleepNotifyByStore
}

impl SleepNotifyByStore {
    /// As the real `prepare_sleep`.
    pub fn prepare_sleep(&self, sleepers: &AtomicUsize, recheck: impl FnOnce() -> bool) -> bool {
        sleepers.fetch_add(1, SeqCst);
        announce(&self.state);
        !recheck()
    }
    /// BROKEN: check, then store.
    pub fn notify(&self) -> bool {
        fence(SeqCst);
        if self.state.load(Relaxed) != SLEEPING {
            return false;
        }
        self.state.store(NOTIFIED, Relaxed);
        true
    }
}

sleep_state! {
    /// BROKEN: the worker joins the sleeper count only after its re-check,
    /// so a spawner that pushed after the re-check can still read "nobody
    /// sleeps" and wake no one (race 8).
    SleepCountedAfterRecheck
}

impl SleepCountedAfterRecheck {
    /// BROKEN: announce, re-check, then count.
    pub fn prepare_sleep(&self, sleepers: &AtomicUsize, recheck: impl FnOnce() -> bool) -> bool {
        announce(&self.state);
        let work = recheck();
        sleepers.fetch_add(1, SeqCst);
        !work
    }
    /// As the real `notify`.
    pub fn notify(&self) -> bool {
        notify(&self.state)
    }
}
