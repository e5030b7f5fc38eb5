//! Bad configuration is an `Err` that says what to change.

mod util;

#[test]
fn zero_workers_is_rejected() {
    let err = fiberio::Runtime::builder().workers(0).build().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("at least 1 worker"), "{err}");
}

#[test]
fn too_many_workers_is_rejected() {
    let err = fiberio::Runtime::builder().workers(100_000).build().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("at most 1024"), "{err}");
}

#[test]
fn a_stack_under_the_minimum_is_rejected() {
    let err = fiberio::Runtime::builder().stack_size(1024).build().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("under the minimum"), "{err}");
    let err = fiberio::Builder::new().stack_size(100).spawn(|| ()).unwrap_err();
    assert!(err.to_string().contains("under the minimum"), "{err}");
}

#[test]
fn a_bad_fiberio_workers_is_rejected() {
    if util::is_child("bad-env") {
        let err = fiberio::Runtime::builder().build().unwrap_err();
        println!("builder={err}");
        let err = fiberio::Builder::new().spawn(|| ()).unwrap_err();
        println!("spawn={err}");
        return;
    }
    let out = util::run_child("a_bad_fiberio_workers_is_rejected", "bad-env", &[("FIBERIO_WORKERS", "two")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    for prefix in ["builder=", "spawn="] {
        let line = util::field(&stdout, prefix).expect(prefix);
        assert!(line.contains("FIBERIO_WORKERS=\"two\" is not a worker count"), "{line}");
    }
}

#[test]
fn fiberio_workers_sets_the_worker_count() {
    if util::is_child("env-3") {
        println!("workers={}", fiberio::Runtime::new().unwrap().workers());
        return;
    }
    let out = util::run_child("fiberio_workers_sets_the_worker_count", "env-3", &[("FIBERIO_WORKERS", "3")]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("workers=3"));
}

/// In a child with `var=value` set: the error of a runtime on the defaults,
/// and of a spawn on the global runtime; returns both lines.
fn env_errors(scenario: &str, var: &str, value: &str) -> (String, String) {
    let out = util::run_child("bad_environment_values_name_their_variable", scenario, &[(var, value)]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}");
    let field = |key| util::field(&stdout, key).unwrap_or_else(|| panic!("{key} in {stdout}")).to_string();
    (field("builder="), field("spawn="))
}

#[test]
fn bad_environment_values_name_their_variable() {
    if std::env::var("FIBERIO_TEST_CHILD").is_ok_and(|s| s.starts_with("env:")) {
        let err = fiberio::Runtime::builder().build().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        println!("builder={err}");
        let err = fiberio::Builder::new().spawn(|| ()).unwrap_err();
        println!("spawn={err}");
        return;
    }
    let cases = [
        ("FIBERIO_WORKERS", "0", "FIBERIO_WORKERS=\"0\" asks for 0 workers"),
        ("FIBERIO_WORKERS", "100000", "FIBERIO_WORKERS=\"100000\" asks for 100000 workers"),
        ("FIBERIO_WORKERS", "abc", "FIBERIO_WORKERS=\"abc\" is not a worker count"),
        ("FIBERIO_STALL_WARNING_MS", "abc", "FIBERIO_STALL_WARNING_MS=\"abc\" is not a number"),
        ("FIBERIO_STALL_WARNING_MS", "-5", "FIBERIO_STALL_WARNING_MS=\"-5\" is not a number"),
        (
            "FIBERIO_STALL_WARNING_MS",
            "100000000000",
            "(from FIBERIO_STALL_WARNING_MS=\"100000000000\") is over",
        ),
    ];
    for (var, value, says) in cases {
        let (builder, spawn) = env_errors(&format!("env:{var}={value}"), var, value);
        for line in [builder, spawn] {
            assert!(line.contains(says), "{var}={value}: {line}");
            assert!(line.contains(&format!("set {var} to")), "says how to fix it: {line}");
        }
    }
}

#[test]
fn builder_values_name_the_method() {
    let err = fiberio::Runtime::builder().workers(0).build().unwrap_err();
    assert!(err.to_string().contains("`workers(0)` asks for 0 workers"), "{err}");
    let day = std::time::Duration::from_secs(24 * 3600);
    let err = fiberio::Runtime::builder().stall_threshold(Some(day * 2)).build().unwrap_err();
    assert!(err.to_string().contains("(from `stall_threshold`) is over the maximum"), "{err}");
    assert!(fiberio::Runtime::builder().stall_threshold(Some(day)).build().is_ok());
}
