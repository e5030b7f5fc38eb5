//! Deliberately broken copies of fiberio's protocols, one defect each, for
//! the models to reject. Each names its defect; the model that runs it must
//! fail for that reason (its `should_panic` message says which).

mod sched;

pub use sched::{SleepCountedAfterRecheck, SleepNotifyByStore, SleepRecheckFirst, notify_one};
