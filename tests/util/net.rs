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

/// A fresh directory for this test process and `name`, and the path of a
/// socket in it (removed first if a previous run left it).
pub fn temp_socket_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("fiberio-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("sock")
}
