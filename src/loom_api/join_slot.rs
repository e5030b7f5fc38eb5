//! The join slot of `src/fiber/join_slot.rs` — a fiber's result and its
//! joiner — for the loom models; results are plain numbers.

use super::park::Waiter;
use crate::fiber::join_slot;

/// Where a fiber's result waits for its joiner.
#[derive(Debug)]
pub struct JoinSlot(join_slot::JoinSlot);

impl Default for JoinSlot {
    fn default() -> Self {
        Self(join_slot::JoinSlot::new())
    }
}

impl JoinSlot {
    /// The fiber's side: stores `result` and wakes the registered joiner.
    pub fn complete(&self, result: u32) {
        self.0.complete(Ok(Box::new(result)));
    }
    /// The joiner's side: publishes `waiter` (replacing an earlier one);
    /// `Err` gives it back when the result is already there.
    pub fn register(&self, waiter: Waiter) -> Result<(), Waiter> {
        self.0.register(waiter.0).map_err(Waiter)
    }
    /// The joiner's side: takes the result if it is there.
    pub fn try_take(&self) -> Option<u32> {
        let result = self.0.try_take()?;
        Some(*result.expect("models complete with Ok").downcast::<u32>().expect("a u32"))
    }
}
