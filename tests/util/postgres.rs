//! A private PostgreSQL server for the tests of tokio-postgres on fibers
//! (`benches/tests/postgres.rs`): a fresh cluster in a temporary
//! directory, trust authentication, a free TCP port on 127.0.0.1 and its
//! unix socket in that directory; stopped and removed on drop.
//!
//! Needs Debian's `postgresql` package (`/usr/lib/postgresql/*/bin/`;
//! `.ci/run` installs it). Under CI (`CI` set) a missing server fails the
//! test; elsewhere the test says so on stderr and returns. PostgreSQL
//! refuses to run as root: as root, the server runs as the `postgres`
//! user (which the package creates) through `setpriv`.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

/// How long initdb and the server's start may take on a loaded machine:
/// a hang guard, not a timing assertion.
const STARTUP: Duration = Duration::from_secs(120);

/// A running private PostgreSQL server; stopped, and its directory
/// removed, on drop.
pub struct Postgres {
    child: Child,
    dir: PathBuf,
    /// Its TCP port on 127.0.0.1 (and the number in its socket's name).
    pub port: u16,
}

impl Postgres {
    /// Starts one, or `None` (outside CI) if PostgreSQL is not installed.
    ///
    /// # Panics
    ///
    /// When PostgreSQL is missing under CI, or is installed but `initdb`
    /// or the server fails (with their output).
    pub fn start() -> Option<Self> {
        let Some(bin) = bin_dir() else {
            let why = "no /usr/lib/postgresql/*/bin/initdb";
            if std::env::var_os("CI").is_some() {
                panic!("PostgreSQL is missing ({why}): .ci/run installs Debian's postgresql");
            }
            eprintln!("SKIPPED: PostgreSQL is missing ({why}); install Debian's postgresql");
            return None;
        };
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let name = format!("fiberio-pg-{}-{}", std::process::id(), STARTED.fetch_add(1, Relaxed));
        let dir = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&dir).expect("a temporary directory for PostgreSQL");
        let as_root = std::fs::metadata("/proc/self").expect("/proc/self").uid() == 0;
        if as_root {
            let chown = Command::new("chown").arg("postgres:postgres").arg(&dir).status();
            assert!(
                chown.is_ok_and(|s| s.success()),
                "chown postgres {}: is there a postgres user?",
                dir.display()
            );
        }
        let data = dir.join("data");
        let initdb = command(as_root, &bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "--no-instructions"])
            .output()
            .expect("initdb runs");
        assert!(
            initdb.status.success(),
            "initdb failed: {}\n{}",
            String::from_utf8_lossy(&initdb.stdout),
            String::from_utf8_lossy(&initdb.stderr)
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = dir.join("server.log");
        let child = command(as_root, &bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
            .arg("-k")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("the server's log file"))
            .spawn()
            .expect("postgres runs");
        let mut server = Self { child, dir, port };
        let ready = super::holds_within(STARTUP, || {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            text.contains("ready to accept connections") || server.child.try_wait().unwrap().is_some()
        });
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(ready && text.contains("ready to accept connections"), "postgres did not start:\n{text}");
        Some(server)
    }

    /// The directory of its unix socket (`.s.PGSQL.<port>`).
    pub fn socket_dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // SIGINT: "fast shutdown" (ends the sessions, then exits).
        let _ = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The `bin` directory of the newest PostgreSQL Debian installed.
fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// `program`, run as the `postgres` user when this process is root.
fn command(as_root: bool, program: &Path) -> Command {
    if as_root {
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid=postgres", "--regid=postgres", "--init-groups", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}
