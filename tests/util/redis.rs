//! A private `redis-server` for the hook tests, on a free port.
//!
//! Needs the `redis-server` binary (Debian's `redis-server` package;
//! `.ci/run` installs it). Under CI (`CI` set) a missing binary fails the
//! test; elsewhere the test says so on stderr and returns.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};

/// A running `redis-server`, killed on drop.
pub struct Redis {
    child: Child,
    pub port: u16,
}

impl Redis {
    /// Starts one, or `None` (outside CI) if `redis-server` is missing.
    pub fn start() -> Option<Self> {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let spawned = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(e) if std::env::var_os("CI").is_some() => {
                panic!("redis-server could not start ({e}): .ci/run installs Debian's redis-server")
            }
            Err(e) => {
                eprintln!("SKIPPED: redis-server could not start ({e}); install Debian's redis-server");
                return None;
            }
        };
        super::wait_until(super::PATIENCE, "redis-server accepts connections", || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Some(Self { child, port })
    }

    /// The URL clients connect to.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
