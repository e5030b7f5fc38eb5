//! Child processes: scenarios that must crash the process or exhaust a
//! process-wide resource run in a re-executed copy of the test binary.

use std::process::{Command, Output};

/// The environment variable that tells a re-executed test binary which
/// child scenario to run.
const CHILD_ENV: &str = "FIBERIO_TEST_CHILD";

/// Whether this process is the child for `scenario` (see [`run_child`]).
pub fn is_child(scenario: &str) -> bool {
    std::env::var(CHILD_ENV).as_deref() == Ok(scenario)
}

/// Re-runs this test binary with only `test` selected and the child
/// scenario `scenario` switched on; returns its output once it exits.
/// Scenarios that must crash the process (stack overflow) or exhaust a
/// process-wide resource (memory mappings) run there.
pub fn run_child(test: &str, scenario: &str, env: &[(&str, &str)]) -> Output {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut cmd = Command::new(exe);
    cmd.args([test, "--exact", "--nocapture", "--test-threads=1"]).env(CHILD_ENV, scenario);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the test binary runs as a child")
}

/// The value after `key` on the first line of `output` that has it (a
/// child's first line follows libtest's `test name ... ` on the same line).
pub fn field<'a>(output: &'a str, key: &str) -> Option<&'a str> {
    output.lines().find_map(|l| l.split_once(key).map(|(_, rest)| rest))
}

/// Starts this test binary as a child running `test` with the child
/// scenario `scenario`, its stdin, stdout and stderr piped, for a test that
/// talks to it while it runs (sends it a signal, say).
pub fn spawn_child(test: &str, scenario: &str, env: &[(&str, &str)]) -> std::process::Child {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut cmd = Command::new(exe);
    cmd.args([test, "--exact", "--nocapture", "--test-threads=1"]).env(CHILD_ENV, scenario);
    for (k, v) in env {
        cmd.env(k, v);
    }
    use std::process::Stdio;
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.spawn().expect("the test binary runs as a child")
}
