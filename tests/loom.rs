//! Runs the loom models of `loom-tests/` as part of `cargo test`: fiberio
//! rebuilt with `--cfg loom` (every atomic and lock from loom), in a target
//! directory of its own so it never disturbs this build. Each model must
//! pass on the runtime's protocol and catch its broken variant.

use std::process::Command;

/// Models and broken variants in `loom-tests/tests/`, user mode included.
const MODELS: usize = 29;

#[test]
fn loom_models_pass_and_catch_their_broken_variants() {
    let root = env!("CARGO_MANIFEST_DIR");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["test", "-p", "loom-tests", "--release", "--", "--test-threads=2"])
        .env("RUSTFLAGS", "--cfg loom")
        .env("CARGO_TARGET_DIR", format!("{root}/target/loom"))
        .current_dir(root)
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the loom suite failed:\n{stdout}\n{stderr}");
    // The models ran rather than compiled away (they are `cfg(loom)`):
    // update the count when a model is added.
    let passed: usize = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("test result: ok. ")?.split(' ').next()?.parse::<usize>().ok())
        .sum();
    assert_eq!(passed, MODELS, "not every loom model ran:\n{stdout}");
}
