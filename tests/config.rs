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
