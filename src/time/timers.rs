//! PLACEHOLDER: per-worker timers (BTreeMap), replaced by the real structure.

use std::collections::BTreeMap;
use std::time::Instant;

/// Identifies an armed timer for [`Timers::cancel`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerKey(Instant, u64);

/// A set of pending timers owned by one worker.
#[derive(Debug)]
pub struct Timers<T> {
    map: BTreeMap<(Instant, u64), T>,
    next: u64,
}

impl<T> Default for Timers<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Timers<T> {
    /// An empty set.
    pub fn new() -> Self {
        Self { map: BTreeMap::new(), next: 0 }
    }
    /// Arms a timer.
    pub fn insert(&mut self, deadline: Instant, value: T) -> TimerKey {
        self.next += 1;
        self.map.insert((deadline, self.next), value);
        TimerKey(deadline, self.next)
    }
    /// Disarms a timer; `None` if it already fired or was cancelled.
    pub fn cancel(&mut self, key: TimerKey) -> Option<T> {
        self.map.remove(&(key.0, key.1))
    }
    /// The earliest deadline.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.map.keys().next().map(|k| k.0)
    }
    /// Removes and returns one timer whose deadline is `<= now`.
    pub fn pop_expired(&mut self, now: Instant) -> Option<T> {
        let (&k, _) = self.map.iter().next()?;
        if k.0 <= now { self.map.remove(&k) } else { None }
    }
    /// Number of pending timers.
    pub fn len(&self) -> usize {
        self.map.len()
    }
    /// Whether no timer is pending.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}
