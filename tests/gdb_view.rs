//! The gdb view (`gdb/fiberio.py`): in a live process and in a core file,
//! `fiberio fibers` lists every fiber of every worker, and `fiberio bt N`
//! prints the backtrace of parked fiber N, which shows the user's own
//! function. Runs only where gdb is installed; under CI (`CI=true`) a
//! missing gdb fails the test.

mod util;

use std::io::{BufRead, BufReader, Write};
use std::process::Command;

use fiberio::sync::mpsc;
use util::{is_child, spawn_child};

const PARKED: &str = "parked";

#[inline(never)]
fn gdb_parked_here(rx: mpsc::Receiver<u32>) -> u32 {
    rx.recv().unwrap()
}

/// The child: two workers, a named fiber parked in `gdb_parked_here`,
/// another parked in a sleep; prints the parked fiber's id, then waits for
/// its stdin to close.
fn child() {
    let rt = fiberio::Runtime::builder().workers(2).build().unwrap();
    let (tx, rx) = mpsc::channel::<u32>();
    let h = rt.block_on(|| {
        fiberio::Builder::new().name("gdb-target".into()).spawn(move || gdb_parked_here(rx)).unwrap()
    });
    let sleeper = rt.spawn(|| fiberio::sleep(std::time::Duration::from_secs(3600)));
    util::parked_info(&rt, h.fiber().id());
    util::parked_info(&rt, sleeper.fiber().id());
    println!("ready id={}", h.fiber().id());
    std::io::stdout().flush().unwrap();
    let mut rest = String::new();
    let _ = std::io::stdin().read_line(&mut rest);
    tx.send(1).unwrap();
    assert_eq!(h.join().unwrap(), 1);
    sleeper.cancel();
}

/// Whether gdb can run here; outside CI a missing gdb skips the test
/// (with a message), under CI (`CI=true`) it fails it.
fn have_gdb() -> bool {
    let found = Command::new("gdb").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "CI must install gdb (.ci/run does)");
        eprintln!("gdb_view: SKIPPED: gdb is not installed (apt-get install gdb)");
    }
    found
}

/// Runs gdb in batch mode with the script and `commands`, on `target`
/// (`-p PID`, or a program and a core file); returns its stdout.
fn gdb(target: &[&str], commands: &[&str]) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/gdb/fiberio.py");
    let mut cmd = Command::new("gdb");
    cmd.args(["-nx", "-batch"]).args(target).args(["-x", script]);
    for c in commands {
        cmd.args(["-ex", c]);
    }
    let out = cmd.output().expect("gdb runs");
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// What both views must show of the child's fibers.
fn check(out: &str, id: &str) {
    assert!(out.contains(&format!("fiber {id} \"gdb-target\" [parked on WaitOn::ChanRecv")), "{out}");
    assert!(out.contains("[parked on WaitOn::Sleep]"), "{out}");
    assert!(out.contains("spawned at tests/gdb_view.rs:"), "{out}");
    assert!(out.contains("gdb_view::gdb_parked_here"), "the fiber's own frame: {out}");
}

#[test]
fn parked() {
    if is_child(PARKED) {
        child();
        return;
    }
    if !have_gdb() {
        return;
    }
    let mut child = spawn_child("parked", PARKED, &[]);
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("ready") {
        line.clear();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "the child ended before it was ready");
    }
    let id = util::field(&line, "id=").unwrap().trim().to_string();
    let pid = child.id().to_string();
    let bt = format!("fiberio bt {id}");

    let live = gdb(&["-p", &pid], &["fiberio fibers", &bt]);
    check(&live, &id);
    // Shown with `--nocapture` (the README's gdb section quotes it).
    println!("{live}");

    let core = std::env::temp_dir().join(format!("fiberio-gdb-view-{pid}.core"));
    let core_str = core.to_str().unwrap();
    let saved = gdb(&["-p", &pid], &[&format!("gcore {core_str}")]);
    assert!(core.exists(), "gcore wrote no core file: {saved}");
    let exe = std::env::current_exe().unwrap();
    let offline = gdb(&[exe.to_str().unwrap(), core_str], &["fiberio fibers", &bt]);
    let _ = std::fs::remove_file(&core);
    check(&offline, &id);

    // gdb detached: the child runs on, and its fibers finish.
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
}
