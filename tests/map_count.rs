//! Running out of memory mappings (`vm.max_map_count`; 2 per fiber stack)
//! makes `Builder::spawn` return an error that names the limit and how to
//! raise it, and `fiberio::spawn` panic with that message. Checked in a
//! child process that fills its own mapping count.

mod util;

use std::time::Duration;

/// Maps single pages with alternating protections (so the kernel cannot
/// merge them) until mmap fails; returns them.
fn fill_mappings() -> Vec<usize> {
    let mut maps = Vec::new();
    loop {
        let prot = if maps.len() % 2 == 0 { libc::PROT_READ } else { libc::PROT_NONE };
        // SAFETY: a fresh anonymous private mapping; nothing else is affected.
        let p = unsafe {
            libc::mmap(std::ptr::null_mut(), 4096, prot, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0)
        };
        if p == libc::MAP_FAILED {
            return maps;
        }
        maps.push(p as usize);
    }
}

fn unmap(addr: usize) {
    // SAFETY: `addr` is a page this test mapped and no longer uses.
    unsafe { libc::munmap(addr as *mut libc::c_void, 4096) };
}

#[test]
fn exhausting_map_count_is_a_clear_error() {
    if util::is_child("mapcount") {
        // Start the global runtime (its workers, their first allocations)
        // before the mapping table is full; the spawns below go to it.
        fiberio::spawn(|| ()).join().unwrap();
        let mut maps = fill_mappings();
        // Room for a few stacks, then spawn parked fibers until it fails.
        for _ in 0..20 {
            unmap(maps.pop().unwrap());
        }
        let mut live = Vec::new();
        let err = loop {
            let spawned = fiberio::Builder::new().spawn(|| fiberio::sleep(Duration::from_secs(3600)));
            match spawned {
                Ok(h) => live.push(h),
                Err(e) => break e,
            }
            assert!(live.len() < 100, "20 free mappings cannot hold 100 stacks");
        };
        println!("spawned={} kind={:?}", live.len(), err.kind());
        println!("error={err}");
        // `fiberio::spawn` panics with the same message.
        let panic = std::panic::catch_unwind(|| fiberio::spawn(|| ())).unwrap_err();
        println!("panic={}", panic.downcast_ref::<String>().unwrap());
        for m in maps {
            unmap(m);
        }
        std::process::exit(0); // the parked fibers would keep the runtime busy
    }
    let out = util::run_child("exhausting_map_count_is_a_clear_error", "mapcount", &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let error = util::field(&stdout, "error=").expect("an error line");
    assert!(error.contains("vm.max_map_count"), "{error}");
    assert!(error.contains("sysctl -w vm.max_map_count="), "{error}");
    let panic = util::field(&stdout, "panic=").expect("a panic line");
    assert!(panic.contains("vm.max_map_count"), "{panic}");
    let spawned = util::field(&stdout, "spawned=").unwrap();
    assert!(spawned.starts_with(|c: char| c.is_ascii_digit()), "{spawned}");
}
