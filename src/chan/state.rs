//! The state of one channel and the rules that change it, all under the
//! channel's internal lock: no waiting and no user code here (the values
//! a disconnect discards are handed out to be dropped after unlocking).
//!
//! A channel is a FIFO `queue` of values, an optional capacity, counts of
//! live sending and receiving handles, and two [`WaitList`]s — blocked
//! receivers and blocked senders — on the shared protocol of
//! `fiber/wait_list.rs` (race 10): a waker *grants* to the first waiter
//! whose wait it wins, under this lock, and wakes it after unlocking.
//!
//! - A **receiver's grant** is a reservation: `reserved` counts the values
//!   at the front of the queue promised to receivers that were woken (or
//!   chose to block-then-succeed) but have not run yet. Newcomers only see
//!   the `unreserved` ones, so they cannot barge past waiting receivers. A
//!   woken receiver takes the front value and gives up one reservation; a
//!   receiver that cannot use its grant (cancelled at that moment, a
//!   dropped select) gives the reservation back and the value stays at the
//!   front, for the next waiter.
//! - A **sender's grant** is a delivery: a blocked sender parks its value
//!   in `offers` under a ticket; the waker that wins its wait moves the
//!   value into the queue (buffered) or takes it itself (rendezvous). A
//!   sender whose wait ended otherwise finds its offer still there and
//!   takes it back: a value is never lost nor delivered twice.
//! - **Disconnection** is sticky (no handle can be made from nothing). When
//!   the last sender goes, reservations stop mattering (`reserved = 0`):
//!   every receiver just drains what is left, then sees `Disconnected`.
//!   When the last receiver goes, the queued values are discarded at once
//!   and blocked senders are woken to take their offers back.
//!
//! Every value enters at the back of the queue and leaves from its front
//! (a rendezvous hand-off too), so values leave in the order they entered
//! and each receiver sees each sender's values in send order.
//!
//! Invariants (between calls): `reserved <= queue.len()`; while any live
//! receiver waits, `unreserved() == 0`; senders wait only on a full
//! bounded channel; `senders == 0` implies `reserved == 0`.

use std::collections::VecDeque;
use std::sync::mpsc::{TryRecvError, TrySendError};

use crate::fiber::park::Reason;
use crate::fiber::wait_list::WaitList;
use crate::fiber::waiter::Wakeup;
use crate::loom::mutation::{Mutation, on};
use crate::loom::sync::Arc;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// What a blocked receiver's entry in the wait list carries.
#[derive(Debug)]
pub(crate) enum RecvToken {
    /// A plain `recv`.
    Plain,
    /// One arm of a select: the waker that wins writes the arm's index
    /// into the shared cell, under this channel's lock (the selecting side
    /// reads it after taking every one of its channels' locks).
    Select(Arc<AtomicUsize>, usize),
}

/// Wakeups collected under the lock, run after it is released. One inline,
/// so the common single wake allocates nothing.
#[derive(Debug, Default)]
pub(crate) struct Wakeups {
    first: Option<Wakeup>,
    rest: Vec<Wakeup>,
}

impl Wakeups {
    pub(crate) fn push(&mut self, w: Wakeup) {
        match self.first {
            None => self.first = Some(w),
            Some(_) => self.rest.push(w),
        }
    }

    /// Makes every woken fiber or thread runnable. Call with no lock held.
    pub(crate) fn run(self) {
        if let Some(w) = self.first {
            w.run();
        }
        for w in self.rest {
            w.run();
        }
    }
}

/// One channel's state (see the module docs).
#[derive(Debug)]
pub(crate) struct State<T> {
    /// Values in send order; the first `reserved` are promised to woken
    /// receivers (as a count: whichever value is at the front).
    pub(crate) queue: VecDeque<T>,
    /// Values promised to receivers that have not taken them yet.
    pub(crate) reserved: usize,
    /// `None`: unbounded; `Some(0)`: rendezvous.
    pub(crate) cap: Option<usize>,
    /// Live sending handles.
    pub(crate) senders: usize,
    /// Live receiving handles.
    pub(crate) receivers: usize,
    /// Blocked receivers (and select arms).
    pub(crate) recv_waiters: WaitList<RecvToken>,
    /// Blocked senders; each token is the ticket of its offer.
    pub(crate) send_waiters: WaitList<u64>,
    /// The values of blocked senders, by ticket.
    pub(crate) offers: VecDeque<(u64, T)>,
}

impl<T> State<T> {
    /// A channel with one sender and one receiver.
    pub(crate) fn new(cap: Option<usize>) -> Self {
        Self {
            queue: VecDeque::new(),
            reserved: 0,
            cap,
            senders: 1,
            receivers: 1,
            recv_waiters: WaitList::new(),
            send_waiters: WaitList::new(),
            offers: VecDeque::new(),
        }
    }

    /// Values a newcomer receiver may take.
    pub(crate) fn unreserved(&self) -> usize {
        self.queue.len() - self.reserved
    }

    /// Whether one more value fits in the buffer (reserved values are on
    /// their way out and do not count).
    fn has_room(&self) -> bool {
        self.cap.is_none_or(|cap| self.unreserved() < cap)
    }

    /// Wins the wait of the first live blocked receiver, telling a select
    /// arm that it is the one.
    fn pop_receiver(&mut self) -> Option<Wakeup> {
        let (token, wakeup) = self.recv_waiters.pop(Reason::Notified, |_| true)?;
        if let RecvToken::Select(cell, index) = token {
            // Ordered by this lock, which the selecting side takes before
            // reading (Relaxed suffices).
            cell.store(index, Relaxed);
        }
        Some(wakeup)
    }

    /// Wins the wait of the first live blocked sender and takes its value.
    fn pop_sender(&mut self, w: &mut Wakeups) -> Option<T> {
        let (ticket, wakeup) = self.send_waiters.pop(Reason::Notified, |_| true)?;
        w.push(wakeup);
        Some(self.take_offer(ticket).expect("a blocked sender has an offer"))
    }

    /// Takes back the offer of `ticket`, if no receiver took it.
    pub(crate) fn take_offer(&mut self, ticket: u64) -> Option<T> {
        let i = self.offers.iter().position(|(t, _)| *t == ticket)?;
        self.offers.remove(i).map(|(_, v)| v)
    }

    /// Restores the invariants after the queue shrank, a reservation was
    /// given back or a waiter left: unreserved values go to blocked
    /// receivers, free room to blocked senders.
    pub(crate) fn settle(&mut self, w: &mut Wakeups) {
        if self.senders == 0 {
            return; // nobody can block any more; reservations are off
        }
        loop {
            if self.unreserved() > 0
                && let Some(wakeup) = self.pop_receiver()
            {
                self.reserved += 1;
                w.push(wakeup);
                continue;
            }
            if self.has_room()
                && let Some(v) = self.pop_sender(w)
            {
                self.queue.push_back(v);
                continue;
            }
            return;
        }
    }

    /// Sends without waiting: to a blocked receiver first (the only way
    /// into a rendezvous channel), else into free room behind any blocked
    /// sender.
    pub(crate) fn try_push(&mut self, v: T, w: &mut Wakeups) -> Result<(), TrySendError<T>> {
        if self.receivers == 0 {
            return Err(TrySendError::Disconnected(v));
        }
        if self.unreserved() == 0
            && let Some(wakeup) = self.pop_receiver()
        {
            self.queue.push_back(v);
            self.reserved += 1;
            w.push(wakeup);
            return Ok(());
        }
        if self.send_waiters.is_empty() && self.has_room() {
            self.queue.push_back(v);
            return Ok(());
        }
        Err(TrySendError::Full(v))
    }

    /// Receives without waiting: an unreserved value, else the value of a
    /// blocked sender (rendezvous).
    pub(crate) fn try_pop(&mut self, w: &mut Wakeups) -> Result<T, TryRecvError> {
        if self.unreserved() > 0 {
            let v = self.queue.pop_front().expect("an unreserved value");
            self.settle(w);
            return Ok(v);
        }
        if let Some(v) = self.pop_sender(w) {
            // Through the queue, never around it: values promised to woken
            // receivers were sent earlier, and every receiver takes the
            // front, so each sees each sender's values in order.
            self.queue.push_back(v);
            return Ok(self.queue.pop_front().expect("just pushed"));
        }
        Err(if self.senders == 0 { TryRecvError::Disconnected } else { TryRecvError::Empty })
    }

    /// The re-check of a receiver about to block: `true` if it holds a
    /// grant now — a reserved value, or the disconnect.
    pub(crate) fn try_reserve(&mut self, w: &mut Wakeups) -> bool {
        if self.senders == 0 {
            return true;
        }
        if self.unreserved() == 0 {
            match self.pop_sender(w) {
                Some(v) => self.queue.push_back(v),
                None => return false,
            }
        }
        self.reserved += 1;
        true
    }

    /// Uses a receiver's grant: the front value, or `None` when the
    /// channel is disconnected and drained.
    pub(crate) fn consume(&mut self, w: &mut Wakeups) -> Option<T> {
        if self.senders > 0 {
            self.reserved -= 1;
        }
        let v = self.queue.pop_front();
        debug_assert!(v.is_some() || self.senders == 0, "a reservation covers a value");
        self.settle(w);
        v
    }

    /// Gives back a receiver's unused grant: its value stays at the front.
    pub(crate) fn release(&mut self, w: &mut Wakeups) {
        if self.senders > 0 {
            self.reserved -= 1;
            self.settle(w);
        }
    }

    /// One sending handle went; the last one disconnects the receivers.
    pub(crate) fn drop_sender(&mut self, w: &mut Wakeups) {
        self.senders -= 1;
        if self.senders == 0 {
            self.reserved = 0;
            if on(Mutation::ChannelDisconnectNoWake) {
                return;
            }
            while let Some(wakeup) = self.pop_receiver() {
                w.push(wakeup);
                if on(Mutation::ChannelDisconnectWakesOne) {
                    break;
                }
            }
        }
    }

    /// One receiving handle went; the last one disconnects the senders and
    /// returns the queued values, to be dropped after unlocking.
    pub(crate) fn drop_receiver(&mut self, w: &mut Wakeups) -> VecDeque<T> {
        self.receivers -= 1;
        if self.receivers > 0 {
            return VecDeque::new();
        }
        self.reserved = 0;
        while let Some((_, wakeup)) = self.send_waiters.pop(Reason::Notified, |_| true) {
            w.push(wakeup);
            if on(Mutation::ChannelReceiverDropWakesOne) {
                break;
            }
        }
        std::mem::take(&mut self.queue)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn state(cap: Option<usize>) -> State<u32> {
        State::new(cap)
    }

    /// No waiters in these tests: nothing may be woken.
    fn none() -> Wakeups {
        Wakeups::default()
    }

    #[test]
    fn a_reservation_hides_a_value_from_newcomers_until_given_back() {
        let mut s = state(None);
        let w = &mut none();
        s.try_push(1, w).unwrap();
        s.try_push(2, w).unwrap();
        assert!(s.try_reserve(w));
        assert_eq!(s.unreserved(), 1);
        assert_eq!(s.try_pop(w), Ok(1), "newcomers take the front; the reservation is a count");
        assert_eq!(s.try_pop(w), Err(TryRecvError::Empty), "the last value is promised");
        // Granted and cancelled at once: the value goes back, to the front.
        s.release(w);
        s.try_push(3, w).unwrap();
        assert_eq!(s.try_pop(w), Ok(2));
        assert_eq!(s.try_pop(w), Ok(3));
        assert!(w.first.is_none());
    }

    #[test]
    fn a_grant_is_consumed_from_the_front() {
        let mut s = state(Some(2));
        let w = &mut none();
        assert!(!s.try_reserve(w), "nothing to grant");
        s.try_push(1, w).unwrap();
        s.try_push(2, w).unwrap();
        assert_eq!(s.try_push(3, w), Err(TrySendError::Full(3)));
        assert!(s.try_reserve(w));
        assert_eq!(s.consume(w), Some(1));
        assert_eq!(s.reserved, 0);
        s.try_push(3, w).unwrap();
        assert_eq!((s.try_pop(w), s.try_pop(w)), (Ok(2), Ok(3)));
    }

    #[test]
    fn the_last_sender_turns_grants_into_draining() {
        let mut s = state(None);
        let w = &mut none();
        s.try_push(1, w).unwrap();
        assert!(s.try_reserve(w));
        s.drop_sender(w);
        assert_eq!(s.reserved, 0, "reservations are off once no sender is left");
        assert!(s.try_reserve(w), "the disconnect is a grant");
        assert_eq!(s.consume(w), Some(1));
        assert_eq!(s.consume(w), None);
        s.release(w); // a no-op after the disconnect
        assert_eq!(s.try_pop(w), Err(TryRecvError::Disconnected));
    }

    #[test]
    fn the_last_receiver_discards_the_queue() {
        let mut s = state(Some(0));
        let w = &mut none();
        assert_eq!(s.try_push(1, w), Err(TrySendError::Full(1)), "rendezvous: nobody waits");
        s.queue.push_back(7); // a value given back by a dropped selection
        s.receivers += 1;
        assert!(s.drop_receiver(w).is_empty(), "one receiver left");
        assert_eq!(s.drop_receiver(w), [7]);
        assert_eq!(s.try_push(2, w), Err(TrySendError::Disconnected(2)));
    }

    #[test]
    fn offers_are_taken_back_by_ticket() {
        let mut s = state(Some(0));
        s.offers.extend([(4, 40), (5, 50)]);
        assert_eq!(s.take_offer(5), Some(50));
        assert_eq!(s.take_offer(5), None);
        assert_eq!(s.take_offer(4), Some(40));
    }
}
