//! Sockets: the bound on every wait a lost wakeup would make endless, and
//! outcomes compared by error kind.

use std::io::ErrorKind;
use std::time::Duration;

/// Bounds every wait that a lost wakeup would make endless.
pub const GUARD: Duration = Duration::from_secs(5);

/// An IO result with the error reduced to its kind, for comparing outcomes.
pub fn kind<T>(r: std::io::Result<T>) -> Result<T, ErrorKind> {
    r.map_err(|e| e.kind())
}
