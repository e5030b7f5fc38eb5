//! Fiber dumps in tests: waiting until a fiber shows a state in its
//! runtime's dump (a dump without backtraces, polled), then taking the
//! full one.

use fiberio::{DumpOptions, FiberId, FiberInfo, FiberState, Runtime};

use super::wait::{PATIENCE, wait_until};

/// The state of fiber `id` in a dump of `rt` without backtraces.
pub fn state_of(rt: &Runtime, id: FiberId) -> Option<FiberState> {
    rt.dump_with(DumpOptions::new().backtraces(false)).fiber(id).map(|f| f.state)
}

/// Waits until fiber `id` of `rt` is parked, then returns its entry in a
/// full dump (with its backtrace), which must still show it parked.
#[track_caller]
pub fn parked_info(rt: &Runtime, id: FiberId) -> FiberInfo {
    wait_until(PATIENCE, format!("fiber {id} parks"), || {
        matches!(state_of(rt, id), Some(FiberState::Parked { .. }))
    });
    let dump = rt.dump();
    let info = dump.workers.into_iter().flat_map(|w| w.fibers).find(|f| f.id == id).expect("still there");
    assert!(matches!(info.state, FiberState::Parked { .. }), "still parked: {info}");
    info
}
