//! A fiber that overflows its stack is reported by name, id and size, and
//! the process aborts — never a bare SIGSEGV. Checked in a child process.

mod util;

use std::os::unix::process::ExitStatusExt;

fn recurse(depth: u64) -> u64 {
    let buf = [depth as u8; 512];
    std::hint::black_box(&buf);
    if depth == u64::MAX { 0 } else { recurse(depth + 1) + u64::from(std::hint::black_box(buf[7])) }
}

#[test]
fn overflow_is_reported_by_name_and_size() {
    if util::is_child("overflow") {
        let h = fiberio::Builder::new()
            .name("deep-recursion".into())
            .stack_size(64 * 1024)
            .spawn(|| {
                // Printed by the fiber itself: the overflow may abort the
                // process before the spawning thread gets to run again.
                println!("id={}", fiberio::current().unwrap().id());
                std::io::Write::flush(&mut std::io::stdout()).unwrap();
                recurse(0)
            })
            .unwrap();
        let _ = h.join();
        unreachable!("the overflow aborts the process");
    }
    let out = util::run_child("overflow_is_reported_by_name_and_size", "overflow", &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let id = util::field(&stdout, "id=").expect("the child printed the fiber id");
    let expected = format!("fiber 'deep-recursion' (id {id}) overflowed its stack of 64 KiB");
    assert!(stderr.contains(&expected), "stderr lacks {expected:?}:\n{stderr}");
    assert_eq!(out.status.signal(), Some(libc::SIGABRT), "status {:?}", out.status);
}

#[test]
fn an_unnamed_fiber_is_reported_too() {
    if util::is_child("overflow-unnamed") {
        let _ = fiberio::spawn(|| recurse(0)).join();
        unreachable!("the overflow aborts the process");
    }
    let out = util::run_child("an_unnamed_fiber_is_reported_too", "overflow-unnamed", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("fiber '<unnamed>' (id "), "{stderr}");
    assert!(stderr.contains("overflowed its stack of"), "{stderr}");
    assert_eq!(out.status.signal(), Some(libc::SIGABRT));
}

#[test]
fn a_segfault_elsewhere_is_still_a_segfault() {
    if util::is_child("segv") {
        // Start the runtime (its handler is installed), then fault on a
        // page that is no fiber's guard page: the handler must chain.
        fiberio::spawn(|| ()).join().unwrap();
        let h = fiberio::spawn(|| {
            let p = std::hint::black_box(16usize) as *mut u8;
            // SAFETY: not safe at all — this deliberately faults.
            unsafe { p.write_volatile(1) };
        });
        let _ = h.join();
        unreachable!("the fault kills the process");
    }
    let out = util::run_child("a_segfault_elsewhere_is_still_a_segfault", "segv", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("overflowed its stack"), "{stderr}");
    assert_eq!(out.status.signal(), Some(libc::SIGSEGV), "status {:?}: {stderr}", out.status);
}
