//! Memory calls behind fiber stacks: page protection, releasing pages,
//! residency, and the kernel's mapping limit.
//!
//! The mappings themselves are made and unmapped by `memmap2` (in
//! `stack/fiber_stack.rs`); this module only changes what lies inside them.
//! Each function takes an address range that the caller owns: it lies
//! inside one of the caller's own mappings, and nothing else uses it.

use std::fs::File;
use std::io::{self, Read};

/// The size of a virtual memory page (4096 on x86_64 Linux).
pub(crate) fn page_size() -> usize {
    // `sysconf(_SC_PAGESIZE)` reads the auxiliary vector; it cannot fail.
    let size = syscall!(sysconf(libc::_SC_PAGESIZE)).map_or(4096, |s| s as usize);
    debug_assert!(size.is_power_of_two());
    size
}

/// Makes `[addr, addr + len)` inaccessible: any access faults (a guard page).
///
/// Fails with `ENOMEM` when splitting the mapping would exceed
/// `vm.max_map_count` — the usual way that limit shows itself.
pub(crate) fn protect_none(addr: usize, len: usize) -> io::Result<()> {
    syscall!(mprotect(addr as *mut libc::c_void, len, libc::PROT_NONE))?;
    Ok(())
}

/// Gives the physical pages of `[addr, addr + len)` back to the kernel
/// (`MADV_DONTNEED`): the range stays mapped and reads as zeros, each page
/// faulting in afresh when next touched.
///
/// # Safety
///
/// The range must be private anonymous memory the caller owns, and nothing
/// may rely on its contents: no live reference, no frame of a running
/// stack. Afterwards it reads as zeros.
pub(crate) unsafe fn discard(addr: usize, len: usize) -> io::Result<()> {
    if len == 0 {
        return Ok(());
    }
    syscall!(madvise(addr as *mut libc::c_void, len, libc::MADV_DONTNEED))?;
    Ok(())
}

/// How many pages of `[addr, addr + len)` are resident in RAM (`mincore`).
///
/// `addr` must be page aligned and the range mapped.
pub(crate) fn resident_pages(addr: usize, len: usize) -> io::Result<usize> {
    let pages = len.div_ceil(page_size());
    let mut vec = vec![0u8; pages];
    syscall!(mincore(addr as *mut libc::c_void, len, vec.as_mut_ptr()))?;
    Ok(vec.iter().filter(|&&b| b & 1 != 0).count())
}

/// The kernel's limit on memory mappings per process, from
/// `/proc/sys/vm/max_map_count` (`None` if it cannot be read).
pub(crate) fn max_map_count() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/sys/vm/max_map_count").ok()?;
    text.trim().parse().ok()
}

/// How many memory mappings this process has now: the lines of
/// `/proc/self/maps` (`None` if it cannot be read).
///
/// Reads several MiB when the process is near the limit: for error paths
/// only. It reads through a fixed buffer, so it works when memory is short.
pub(crate) fn map_count() -> Option<usize> {
    let mut file = File::open("/proc/self/maps").ok()?;
    let mut buf = [0u8; 16 * 1024];
    let mut lines = 0;
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Some(lines),
            Ok(n) => lines += buf[..n].iter().filter(|&&b| b == b'\n').count(),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discard_drops_residency_and_zeroes() {
        let page = page_size();
        let map = memmap2::MmapOptions::new().len(4 * page).map_anon().unwrap();
        let raw = memmap2::MmapRaw::from(map);
        let base = raw.as_mut_ptr() as usize;
        assert_eq!(resident_pages(base, 4 * page).unwrap(), 0);
        for i in 0..4 {
            // SAFETY: the page lies inside `raw`, which this test owns and
            // nothing else references.
            unsafe { ((base + i * page) as *mut u8).write_volatile(7) };
        }
        assert_eq!(resident_pages(base, 4 * page).unwrap(), 4);
        // SAFETY: the test owns `raw` and holds no reference into it.
        unsafe { discard(base, 3 * page) }.unwrap();
        assert_eq!(resident_pages(base, 4 * page).unwrap(), 1);
        // SAFETY: as above; a discarded page reads back as zero.
        let discarded = unsafe { (base as *const u8).read_volatile() };
        // SAFETY: as above; the kept page kept its contents.
        let kept = unsafe { ((base + 3 * page) as *const u8).read_volatile() };
        assert_eq!((discarded, kept), (0, 7));
    }

    #[test]
    fn map_count_and_limit_are_readable() {
        let max = max_map_count().expect("/proc/sys/vm/max_map_count");
        assert!(max > 1000, "implausible vm.max_map_count {max}");
        let count = map_count().unwrap();
        assert!(count > 0 && count < max);
        // A guard page in the middle splits one mapping into three; the
        // middle one cannot merge with a neighbour (they are read-write).
        let map = memmap2::MmapOptions::new().len(3 * page_size()).map_anon().unwrap();
        let addr = map.as_ptr() as usize;
        protect_none(addr + page_size(), page_size()).unwrap();
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let line = format!("{:x}-{:x} ---p ", addr + page_size(), addr + 2 * page_size());
        assert!(maps.lines().any(|l| l.starts_with(&line)), "{line} not in maps");
    }
}
