//! Switches for the deliberate defects of `crate::loom::mutation`, which
//! some broken variants (race 10) turn on in the runtime's own source.

use crate::loom::mutation::{self, Mutation};

/// Switches on, for the models run on this thread, `Condvar::wait`
/// unlocking its mutex before queuing (race 10's broken variant).
pub fn break_condvar_order() {
    mutation::set(Some(Mutation::CondvarUnlockBeforeRegister));
}

/// Switches on a `Mutex` locker that queues without re-checking for an
/// unlock (race 10's broken variant).
pub fn break_mutex_recheck() {
    mutation::set(Some(Mutation::MutexNoRecheck));
}

/// Switches on a channel receiver that queues without re-checking for a
/// value under the lock: it misses a value sent in between (race 10).
pub fn break_channel_recheck() {
    mutation::set(Some(Mutation::ChannelRecvNoRecheck));
}

/// Switches every deliberate defect off again.
pub fn unbreak() {
    mutation::set(None);
}
