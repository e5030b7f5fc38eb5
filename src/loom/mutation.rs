//! Deliberate defects, switched on only by the loom models' broken
//! variants (`loom-tests`), so that a model's teeth are tested on the very
//! source the runtime runs. Outside loom, [`on`] is a constant `false` and
//! the mutated branches compile away.
//!
//! A protocol module plants a defect as `if mutation::on(Mutation::X) {
//! broken } else { correct }` at the one point the defect changes; the
//! model that must catch it switches it on with
//! `fiberio::__loom::mutate(Some(Mutation::X))`.

/// A defect a broken variant can switch on. Grouped by protocol module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(loom), allow(dead_code, unreachable_pub))]
#[non_exhaustive]
pub enum Mutation {
    // fiber/wait_list.rs, sync/, chan/ (race 10)
    /// `Condvar::wait` unlocks the mutex before queuing its waiter.
    CondvarUnlockBeforeRegister,
    /// A `Mutex` locker queues without re-checking for an unlock.
    MutexNoRecheck,
    /// A channel receiver queues without re-checking for a value.
    ChannelRecvNoRecheck,
    /// `Condvar::notify_all` wakes only the first waiter.
    CondvarNotifyAllWakesOne,
    /// `RawMutex::unlock`'s fast path releases with `Relaxed`: the next
    /// holder's data accesses are not ordered after this holder's.
    MutexUnlockRelaxed,
    /// `RawMutex`: a woken locker takes itself for the receiver of a
    /// hand-off, even when it was only woken to retry.
    MutexWokenAssumesHandOff,
    /// `RawMutex`: a cancelled locker that was woken to retry keeps the
    /// `WOKEN` role instead of passing the wake to the next waiter.
    MutexCancelKeepsWake,
    /// `RwLock`: a newcomer reader ignores a writer holding the lock.
    RwLockReaderIgnoresWriter,
    /// `RwLock`: a waiter that leaves (cancelled) neither gives back what
    /// its wait got it nor wakes the next waiter, so those queued behind
    /// it are never admitted.
    RwLockLeaveNoGrant,
    /// `Semaphore`: a cancelled acquirer keeps a grant it got at the same
    /// moment instead of giving it back.
    SemaphoreCancelKeepsGrant,
    /// `Barrier`: the leader does not reset the arrival count.
    BarrierCountNotReset,
    /// `WaitGroup::wait` queues without re-checking the count.
    WaitGroupNoRecheck,
    /// `WaitList::pop` gives up at the first waiter whose wait has ended.
    WaitListPopStopsAtDead,
    /// The last sender's drop wakes one blocked receiver, not all.
    ChannelDisconnectWakesOne,
    /// The last sender's drop wakes no blocked receiver.
    ChannelDisconnectNoWake,
    /// The last receiver's drop wakes one blocked sender, not all.
    ChannelReceiverDropWakesOne,
    /// A cancelled receiver keeps a value granted to it at the same moment.
    ChannelRecvCancelKeepsGrant,
    /// A select whose own wake lost keeps the grant of a ready arm.
    SelectLostWakeKeepsGrant,
    /// `JoinSlot::register` reclaims its slot with a load and a store.
    JoinSlotReclaimByStore,

    // future/ (race 13)
    /// A `block_on` wait registers its waiter without re-checking for a
    /// wake that came before.
    SignalNoRecheck,

    // sched/ (races 7, 8; the worker's commit and shutdown)
    /// `SleepState::prepare_sleep` re-checks for work before announcing.
    SleepRecheckFirst,
    /// `SleepState::notify` claims the wake by load + store, not a CAS.
    SleepNotifyByStore,
    /// `SleepState::prepare_sleep` joins the sleeper count after its re-check.
    SleepCountedAfterRecheck,
    /// `Inbox::drain_into` clears its pending flag after unlocking.
    InboxClearAfterUnlock,
    /// `Workers::submit` wakes the target worker before pushing the fiber.
    SubmitNotifyBeforePush,
    /// The worker files a park whose commit failed as parked (`file`).
    CommitFailureParks,
    /// `UnstartedQueue::close` takes the fibers but leaves the queue open.
    QueueCloseLeavesOpen,

    // fiber/park.rs, reactor/ (races 1-6, 9, 11; cancellation)
    /// `ParkState::commit` stores "parked" instead of a compare-and-swap.
    ParkCommitByStore,
    /// `ParkState::close` as a load and a store instead of a CAS.
    ParkCloseByStore,
    /// `ParkState::wake` ignores the seq: a stale wake ends a later wait.
    ParkWakeIgnoresSeq,
    /// `ParkState::cancel` ends a wait while cancellation is masked.
    ParkCancelIgnoresMask,
    /// `ParkState::begin` reports a pending cancellation but keeps it.
    ParkBeginKeepsCancel,
    /// `Readiness::clear` compares against the current word, not the
    /// snapshot: the tick check is gone.
    ReadinessUntickedClear,
    /// `PollDesc::dispatch` delivers whatever generation the event carries.
    DispatchIgnoresGeneration,
    /// `PollDesc::dispatch` checks the generation before the delivery, not
    /// with it under the waiter lock.
    DispatchChecksGenerationEarly,
    /// `PollDesc::pass_on` does nothing.
    PdNoPassOn,
    /// `PollDesc::close` wakes the queued waiters, then closes the tokens.
    PdWakesBeforeClosing,
    /// `PollDesc::close` wakes only the first waiter of each direction.
    PdCloseWakesFirstOnly,
    /// `PollDesc::deliver` stops at a first waiter whose wait had ended.
    PdDeliverStopsAtDead,
    /// `PollDesc::register_task` stores the task's waker without
    /// re-checking the token: an edge between the task's `EAGAIN` and its
    /// registration is lost.
    PdTaskNoRecheck,
}

#[cfg(loom)]
std::thread_local! {
    // loom runs a model's threads on the test's OS thread: a thread-local
    // reaches every thread of one model, and no other test.
    static ON: std::cell::Cell<Option<Mutation>> = const { std::cell::Cell::new(None) };
}

/// Whether defect `m` is switched on (never, outside loom).
#[inline(always)]
pub(crate) fn on(m: Mutation) -> bool {
    #[cfg(loom)]
    return ON.with(|on| on.get() == Some(m));
    #[cfg(not(loom))]
    {
        let _ = m;
        false
    }
}

/// Switches defect `m` on (or all off) for models run on this thread.
#[cfg(loom)]
pub(crate) fn set(m: Option<Mutation>) {
    ON.with(|on| on.set(m));
}
