//! `FIBERIO_MAX_HELPERS` sets the helper pool's cap; a malformed value is
//! an `InvalidInput` error that says what to change. Each case runs in a
//! child process: the pool reads the variable once per process.

mod util;

#[test]
fn max_helpers_from_the_environment() {
    if util::is_child("max-helpers") {
        let max = fiberio::spawn(|| fiberio::try_unblock(|| fiberio::blocking_pool_metrics().max));
        println!("max={}", max.join().unwrap().unwrap());
        return;
    }
    let out =
        util::run_child("max_helpers_from_the_environment", "max-helpers", &[("FIBERIO_MAX_HELPERS", "3")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(util::field(&stdout, "max=").map(str::trim), Some("3"));
}

#[test]
fn a_malformed_max_is_a_clear_error() {
    if util::is_child("bad-max") {
        let err = fiberio::spawn(|| fiberio::try_unblock(|| ()).unwrap_err()).join().unwrap();
        println!("kind={:?} message={err}", err.kind());
        return;
    }
    for bad in ["0", "lots", "-1"] {
        let out =
            util::run_child("a_malformed_max_is_a_clear_error", "bad-max", &[("FIBERIO_MAX_HELPERS", bad)]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains("kind=InvalidInput"), "{stdout}");
        assert!(stdout.contains("FIBERIO_MAX_HELPERS") && stdout.contains("positive"), "{stdout}");
    }
}
