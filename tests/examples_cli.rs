//! The examples as a new user meets them: what they cannot parse is refused
//! with a usage message (exit status 2), errors print in `Display` form
//! (`<name>: error: ...`, exit status 1), counts are pluralised, and the
//! demo does not trip the runtime's own stall warning.
//!
//! The examples are built once per run by a nested `cargo build --examples`
//! in a target directory of their own (`target/examples-cli`), so this test
//! also works alone (`cargo test --test examples_cli`) and never runs stale
//! binaries; then each runs as a child process.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

/// Where the nested build puts the example binaries.
fn examples_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = env!("CARGO_MANIFEST_DIR");
        let target = format!("{root}/target/examples-cli");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .args(["build", "--examples", "-p", "fiberio"])
            .env("CARGO_TARGET_DIR", &target)
            .current_dir(root)
            .output()
            .expect("cargo runs");
        assert!(
            out.status.success(),
            "building the examples failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(target).join("debug/examples")
    })
}

/// Runs example `name` with `args` and `env`; returns its output.
fn run(name: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(examples_dir().join(name));
    cmd.args(args).env_remove("FIBERIO_WORKERS").env_remove("FIBERIO_STALL_WARNING_MS");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap_or_else(|e| panic!("example {name} runs: {e}"))
}

/// Asserts `out` is a usage refusal (exit status 2) whose stderr mentions
/// `says` and the usage line of `name`.
fn assert_refused(out: &Output, name: &str, says: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{name} refuses with status 2: {stderr}");
    assert!(stderr.contains(says), "{name}: {stderr}");
    assert!(stderr.contains("usage:"), "{name} prints its usage: {stderr}");
    assert!(out.stdout.is_empty(), "{name} did nothing: {}", String::from_utf8_lossy(&out.stdout));
}

/// Asserts `out` is an error exit (status 1) printed in `Display` form.
fn assert_error(out: &Output, prefix: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with(prefix), "expected {prefix:?}: {stderr}");
    assert!(!stderr.contains("Custom {") && !stderr.contains("kind:"), "Debug form: {stderr}");
}

#[test]
fn what_the_examples_cannot_parse_is_refused_with_their_usage() {
    assert_refused(&run("demo", &["abc"], &[]), "demo", "\"abc\" is not a number of fibers");
    assert_refused(&run("demo", &["0"], &[]), "demo", "\"0\" is not a number of fibers");
    assert_refused(&run("demo", &["1", "2"], &[]), "demo", "at most one argument");
    for chat in ["chat_fiberio", "chat_std"] {
        assert_refused(&run(chat, &["--bogus"], &[]), chat, "unknown argument \"--bogus\"");
        assert_refused(&run(chat, &["--addr"], &[]), chat, "--addr needs a value");
        assert_refused(&run(chat, &["--exit-after-clients", "x"], &[]), chat, "\"x\" is not a number");
    }
    let server = "simple_server";
    assert_refused(
        &run(server, &["--clients", "0"], &[]),
        server,
        "--clients \"0\" is not a whole number from 1 up",
    );
    assert_refused(&run(server, &["--seconds", "0"], &[]), server, "--seconds \"0\"");
    assert_refused(&run(server, &["--mode", "fast"], &[]), server, "--mode \"fast\" is not one of");
    assert_refused(&run(server, &["--bogus"], &[]), server, "unknown option \"--bogus\"");
    assert_refused(&run("echo_server", &["a", "b"], &[]), "echo_server", "at most one argument");
}

#[test]
fn errors_print_in_display_form_naming_what_was_set() {
    let bad_env = [("FIBERIO_WORKERS", "abc")];
    assert_error(&run("demo", &["10"], &bad_env), "demo: error: fiberio: FIBERIO_WORKERS=\"abc\"");
    assert_error(
        &run("simple_server", &[], &bad_env),
        "simple_server: error: fiberio: FIBERIO_WORKERS=\"abc\"",
    );
    // 192.0.2.1 (TEST-NET-1) is no address of this machine: bind fails.
    let addr = ["--addr", "192.0.2.1:7000"];
    assert_error(&run("chat_fiberio", &addr, &[]), "chat: error: cannot listen on 192.0.2.1:7000: ");
    assert_error(&run("chat_std", &addr, &[]), "chat: error: cannot listen on 192.0.2.1:7000: ");
    assert_error(
        &run("echo_server", &["192.0.2.1:7000"], &[]),
        "echo_server: error: cannot listen on 192.0.2.1:7000: ",
    );
    let server = ["--mode", "server", "--addr", "192.0.2.1:7000"];
    assert_error(
        &run("simple_server", &server, &[]),
        "simple_server: error: cannot listen on 192.0.2.1:7000: ",
    );
}

#[test]
fn counts_of_one_are_singular() {
    let one = [("FIBERIO_WORKERS", "1")];
    let out = run("simple_server", &["--mode", "server", "--addr", "127.0.0.1:0", "--seconds", "1"], &one);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("on 1 worker for 1s"), "{stdout}");
    let out = run("demo", &["1"], &one);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("fiberio demo: 1 fiber on 1 worker ("), "{stdout}");
}

/// The demo's spawner, which starts 20,000 fibers in a loop, is the first
/// fiber of the process (`block_on`'s), and fiber ids count from 1. Before
/// the spawn budget it could run for over 100 ms without yielding and be
/// named by the stall warning. Other fibers are not checked: on a machine
/// busy with other processes a worker thread can be kept off the CPU for
/// 100 ms, and the watchdog, which measures wall time, reports the fiber it
/// was running.
#[test]
fn the_demo_on_its_defaults_does_not_blame_its_spawner() {
    let out = run("demo", &[], &[]);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("fiberio demo: 20000 fibers on "), "{stdout}");
    assert!(!stderr.contains("(id 1) has run"), "the stall warning named the spawner:\n{stderr}");
}
