//! The dump signal: with `FIBERIO_DUMP_SIGNAL=1` (the global runtime) or
//! `RuntimeBuilder::dump_signal(true)`, SIGQUIT prints a fiber dump of
//! each such runtime to stderr and the program runs on; any other value
//! of the variable is refused with an error that names it.

mod util;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::Command;
use std::sync::mpsc as std_mpsc;

use fiberio::sync::mpsc;
use util::{PATIENCE, is_child, run_child, spawn_child};

const SIGNALLED: &str = "signalled";

/// The child: a global fiber and a fiber of a builder runtime, each parked
/// on a channel; says "ready", waits for its stdin to close, then lets the
/// fibers finish and checks they did.
fn child() {
    let (tx, rx) = mpsc::channel::<u32>();
    let global =
        fiberio::Builder::new().name("global-target".into()).spawn(move || rx.recv().unwrap()).unwrap();
    let rt = fiberio::Runtime::builder().workers(1).name("custom").dump_signal(true).build().unwrap();
    let (tx2, rx2) = mpsc::channel::<u32>();
    let custom = rt.block_on(|| {
        fiberio::Builder::new().name("custom-target".into()).spawn(move || rx2.recv().unwrap()).unwrap()
    });
    println!("ready");
    std::io::stdout().flush().unwrap();
    let mut rest = Vec::new();
    std::io::stdin().read_to_end(&mut rest).unwrap();
    tx.send(1).unwrap();
    tx2.send(2).unwrap();
    assert_eq!(global.join().unwrap(), 1);
    assert_eq!(custom.join().unwrap(), 2);
    println!("finished");
}

#[test]
fn sigquit_prints_a_dump_and_the_program_runs_on() {
    if is_child(SIGNALLED) {
        child();
        return;
    }
    let mut child = spawn_child(
        "sigquit_prints_a_dump_and_the_program_runs_on",
        SIGNALLED,
        &[("FIBERIO_DUMP_SIGNAL", "1")],
    );
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("ready") {
        line.clear();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "the child ended before it was ready");
    }
    // Read stderr on a thread; the test waits for the dump, bounded.
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines) = std_mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            let _ = lines_tx.send(line.clone());
        }
    });
    let status = Command::new("kill").args(["-QUIT", &child.id().to_string()]).status().expect("kill runs");
    assert!(status.success());
    let mut seen = String::new();
    let give_up = std::time::Instant::now() + PATIENCE;
    while !(seen.contains("\"global-target\" [chan receive")
        && seen.contains("\"custom-target\" [chan receive"))
    {
        let left = give_up.saturating_duration_since(std::time::Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                seen.push_str(&line);
                seen.push('\n');
            }
            Err(_) => panic!("no dump of both runtimes on the child's stderr; got:\n{seen}"),
        }
    }
    assert!(seen.contains("fiberio: SIGQUIT: runtime \"fiberio-global\""), "{seen}");
    assert!(seen.contains("fiberio: SIGQUIT: runtime \"custom\""), "{seen}");
    assert!(seen.contains("dump_signal::child"), "the backtrace shows the test's own code: {seen}");
    // The program runs on: the fibers finish once released.
    drop(child.stdin.take());
    let mut out = String::new();
    stdout.read_to_string(&mut out).unwrap();
    assert!(child.wait().unwrap().success());
    assert!(out.contains("finished"), "{out}");
    reader.join().unwrap();
}

const BAD_ENV: &str = "bad-env";

#[test]
fn a_bad_fiberio_dump_signal_is_refused_by_name() {
    if is_child(BAD_ENV) {
        let err = fiberio::Builder::new().spawn(|| ()).unwrap_err();
        println!("error: {err}");
        return;
    }
    let out =
        run_child("a_bad_fiberio_dump_signal_is_refused_by_name", BAD_ENV, &[("FIBERIO_DUMP_SIGNAL", "yes")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("error: fiberio: FIBERIO_DUMP_SIGNAL=\"yes\" is neither 1 nor 0"), "{stdout}");
}
