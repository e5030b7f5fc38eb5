//! Runs the loom models of `loom-tests/` as part of `cargo test`: fiberio
//! rebuilt with `--cfg loom` (every atomic and lock from loom), in a target
//! directory of its own so it never disturbs this build. Each model must
//! pass on the runtime's protocol and catch its broken variant.

use std::io::Write;
use std::process::Command;

/// The `#[test]`s in `loom-tests/tests/`: models, broken variants, user
/// mode. Counted from the sources, so a model that compiles away (they are
/// `cfg(loom)`) or is skipped shows up as a mismatch.
fn declared_models(root: &str) -> usize {
    let dir = format!("{root}/loom-tests/tests");
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .map(|path| std::fs::read_to_string(&path).expect("readable").matches("#[test]").count())
        .sum()
}

#[test]
fn loom_models_pass_and_catch_their_broken_variants() {
    let root = env!("CARGO_MANIFEST_DIR");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // Straight to stderr, past libtest's capture: the nested build is silent
    // and, cold, takes about a minute (README, "Running the tests").
    let _ = writeln!(
        std::io::stderr(),
        "tests/loom.rs: building fiberio with --cfg loom in target/loom and running the loom models \
         of loom-tests/ (a minute or more on a cold build; the output comes when it ends)"
    );
    let out = Command::new(cargo)
        .args(["test", "-p", "loom-tests", "--release", "--", "--test-threads=1"])
        .env("RUSTFLAGS", "--cfg loom")
        .env("CARGO_TARGET_DIR", format!("{root}/target/loom"))
        .current_dir(root)
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the loom suite failed:\n{stdout}\n{stderr}");
    // The models ran rather than compiled away (they are `cfg(loom)`).
    let passed: usize = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("test result: ok. ")?.split(' ').next()?.parse::<usize>().ok())
        .sum();
    assert_eq!(passed, declared_models(root), "not every loom model ran:\n{stdout}");
}
