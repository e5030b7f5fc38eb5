//! A panicking fiber: `join` returns its payload; the worker and every
//! other fiber live on.

mod util;

use std::time::Duration;

#[test]
fn a_panic_comes_back_from_join_and_the_worker_lives_on() {
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    let bystander = rt.spawn(|| {
        for _ in 0..10 {
            fiberio::sleep(Duration::from_millis(1));
        }
        "still here"
    });
    let worker = rt.spawn(util::worker_name).join().unwrap();
    let code = std::hint::black_box(42);
    let bad = rt.spawn(move || -> u32 { panic!("fiber failed: {code}") });
    let payload = bad.join().unwrap_err();
    assert_eq!(payload.downcast_ref::<String>().map(String::as_str), Some("fiber failed: 42"));
    assert_eq!(bystander.join().unwrap(), "still here");
    // The same (only) worker thread keeps running fibers.
    assert_eq!(rt.spawn(util::worker_name).join().unwrap(), worker);
    let m = rt.metrics();
    assert_eq!(m[0].finished, 4);
}

#[test]
fn a_panic_with_a_custom_payload_keeps_its_type() {
    #[derive(Debug, PartialEq)]
    struct Oops(u8);
    let h = fiberio::spawn(|| std::panic::panic_any(Oops(3)));
    let payload: Box<dyn std::any::Any + Send> = h.join().unwrap_err();
    assert_eq!(payload.downcast_ref::<Oops>(), Some(&Oops(3)));
}

#[test]
fn block_on_resumes_the_panic() {
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(|| panic!("inside block_on"));
    }));
    let payload = caught.unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"inside block_on"));
    assert_eq!(rt.block_on(|| 5), 5, "the runtime still works");
}
