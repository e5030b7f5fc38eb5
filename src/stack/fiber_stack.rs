//! One fiber stack: a single anonymous mapping whose lowest page is a
//! `PROT_NONE` guard.
//!
//! ```text
//!  limit()                 guard().end                           base()
//!    | guard page (1 page) |  usable: size() bytes, grows down  <--|
//!    |      PROT_NONE      |  read-write, MAP_NORESERVE|MAP_STACK |
//! ```
//!
//! Invariants: `size()` is a multiple of the page size and at least
//! [`MIN_STACK_SIZE`]; `base()` and `limit()` are page aligned; the guard
//! stays `PROT_NONE` for the life of the value, so running off the end
//! faults instead of writing into the neighbouring mapping. Each stack
//! costs the kernel two mappings (the split made by the guard), which is
//! what `vm.max_map_count` limits; running out gives an error that says so.
//!
//! Virtual size is cheap: only pages a fiber touches become RSS.
//! [`FiberStack::trim`] gives those pages back, keeping the top
//! [`TRIM_KEEP`] bytes that nearly every fiber touches.

use std::error::Error;
use std::fmt;
use std::io;
use std::ops::Range;

use corosensei::stack::valgrind::ValgrindStackRegistration;
use corosensei::stack::{Stack, StackPointer};
use memmap2::{MmapOptions, MmapRaw};

use super::MIN_STACK_SIZE;
use crate::sys::mmap;

/// Bytes at the top of a stack that [`FiberStack::trim`] leaves resident:
/// a fresh fiber's first frames (entry, catch_unwind, a typical handler)
/// land here, so keeping them avoids refaulting on every reuse.
pub(crate) const TRIM_KEEP: usize = 16 * 1024;

/// A guard-paged stack for one fiber (see the module docs).
pub(crate) struct FiberStack {
    /// Tells Valgrind this range is a stack; dropped (deregistered) before
    /// `map` is unmapped, by field order.
    _valgrind: ValgrindStackRegistration,
    /// The whole mapping, guard page included; unmapped on drop.
    map: MmapRaw,
    /// Length of the guard page at the low end of `map`.
    guard_len: usize,
}

static_assertions::assert_impl_all!(FiberStack: Send, Sync);

impl FiberStack {
    /// Maps a stack with at least `size` usable bytes: `size` rounded up to
    /// the page size and to at least [`MIN_STACK_SIZE`], plus a guard page.
    ///
    /// # Errors
    ///
    /// When the kernel refuses the mapping or the guard page. Out of
    /// mappings (`vm.max_map_count`) and out of memory give an error of
    /// kind `OutOfMemory` whose message names the limit and how to raise
    /// it; its `source()` is the OS error.
    pub(crate) fn new(size: usize) -> io::Result<Self> {
        let size = Self::usable_size(size)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "fiber stack size too large"))?;
        let page = mmap::page_size();
        let map = MmapOptions::new()
            .len(size + page)
            .stack()
            .no_reserve_swap()
            .map_anon()
            .map_err(|e| map_error(size, e, Step::Map))?;
        let map = MmapRaw::from(map);
        let lo = map.as_mut_ptr() as usize;
        // On failure `map` is dropped (unmapped) as the error returns.
        mmap::protect_none(lo, page).map_err(|e| map_error(size, e, Step::Guard))?;
        live::inc();
        let _valgrind = ValgrindStackRegistration::new(map.as_mut_ptr(), map.len());
        Ok(Self { _valgrind, map, guard_len: page })
    }

    /// The usable size [`FiberStack::new`] gives for a request of `size`
    /// bytes (`None` if it overflows). Pools compare sizes rounded this way.
    pub(crate) fn usable_size(size: usize) -> Option<usize> {
        let page = mmap::page_size();
        let size = size.max(MIN_STACK_SIZE).checked_next_multiple_of(page)?;
        size.checked_add(page)?;
        Some(size)
    }

    /// Usable bytes, guard page excluded.
    pub(crate) fn size(&self) -> usize {
        self.map.len() - self.guard_len
    }

    /// The guard page's address range (the low end of the mapping).
    pub(crate) fn guard(&self) -> Range<usize> {
        let lo = self.map.as_ptr() as usize;
        lo..lo + self.guard_len
    }

    /// The highest address: where the stack starts, growing down.
    fn top(&self) -> usize {
        self.map.as_ptr() as usize + self.map.len()
    }

    /// Gives back the RSS of every page below the top [`TRIM_KEEP`] bytes
    /// (`MADV_DONTNEED`): they stay mapped and fault in again, zeroed, when
    /// a deep fiber next uses them. Costs one `madvise` call (figures
    /// in `stack/mod.rs`).
    pub(crate) fn trim(&mut self) {
        let lo = self.guard().end;
        let hi = self.top() - TRIM_KEEP.min(self.size());
        // `[lo, hi)` lies in this stack's own mapping, above the guard, and
        // `&mut self` proves no coroutine runs on it (a coroutine owns its
        // stack, or borrows it mutably, while it exists).
        // SAFETY: so no frame lives in the discarded pages.
        let res = unsafe { mmap::discard(lo, hi - lo) };
        // madvise on our own page-aligned private mapping cannot fail.
        debug_assert!(res.is_ok(), "madvise: {res:?}");
    }

    /// Writes one byte on each page of the top `depth` bytes, as a fiber
    /// `depth` bytes deep would (benchmarks and tests).
    pub(crate) fn touch(&mut self, depth: usize) {
        let page = mmap::page_size();
        let depth = depth.min(self.size());
        let mut addr = self.top() - page;
        while addr >= self.top() - depth {
            // SAFETY: `addr` is in the usable part of this stack's mapping
            // and `&mut self` proves nothing runs on it.
            unsafe { (addr as *mut u8).write_volatile(1) };
            addr -= page;
        }
    }

    /// Bytes of the usable range resident in RAM (`mincore`).
    pub(crate) fn resident(&self) -> io::Result<usize> {
        let pages = mmap::resident_pages(self.guard().end, self.size())?;
        Ok(pages * mmap::page_size())
    }
}

impl fmt::Debug for FiberStack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FiberStack")
            .field("guard", &format_args!("{:#x}..{:#x}", self.guard().start, self.guard().end))
            .field("top", &format_args!("{:#x}", self.top()))
            .field("size", &HumanSize(self.size()))
            .finish()
    }
}

impl Drop for FiberStack {
    fn drop(&mut self) {
        live::dec();
    }
}

// `base()` and `limit()` are the page-aligned (hence 16-byte aligned) ends
// of one mapping owned by `self` for its whole life; the lowest page is
// PROT_NONE (set in `new`, never changed) and the usable part above it is
// at least MIN_STACK_SIZE, more than corosensei's 4 KiB.
// SAFETY: those are the guarantees `Stack` requires.
unsafe impl Stack for FiberStack {
    #[inline]
    fn base(&self) -> StackPointer {
        StackPointer::new(self.top()).expect("mapping ends above address 0")
    }

    #[inline]
    fn limit(&self) -> StackPointer {
        StackPointer::new(self.map.as_ptr() as usize).expect("mmap never returns address 0")
    }
}

/// A byte count for people: `256 KiB`, `8 MiB`, `3000 bytes`. Formats
/// without allocating, so the overflow handler may use it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HumanSize(pub(crate) usize);

impl fmt::Display for HumanSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        for (unit, name) in [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")] {
            if n >= unit && n.is_multiple_of(unit) {
                return write!(f, "{} {name}", n / unit);
            }
        }
        write!(f, "{n} bytes")
    }
}

/// Which call failed while making a stack.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    /// `mmap`: the mapping itself.
    Map,
    /// `mprotect` of the guard page, which splits the mapping in two.
    Guard,
}

/// A failure to map a stack: the explanation, with the OS error as source.
#[derive(Debug)]
struct StackMapError {
    message: String,
    os: io::Error,
}

impl fmt::Display for StackMapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for StackMapError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.os)
    }
}

/// Mappings a process may be short of the limit and still be refused: the
/// limit check races with other threads mapping and unmapping.
const MAP_COUNT_SLACK: usize = 16;

/// Explains why a stack of `size` usable bytes could not be made.
///
/// `ENOMEM` from `mprotect` after `mmap` succeeded is the map-count limit
/// (the guard splits the mapping). `ENOMEM` from `mmap` is the limit when
/// the process's mapping count is at it, and a real shortage of memory or
/// address space otherwise.
fn map_error(size: usize, os: io::Error, step: Step) -> io::Error {
    let kind = os.kind();
    let size = HumanSize(size);
    let live = live::count();
    let message = if kind != io::ErrorKind::OutOfMemory {
        format!("fiberio: cannot map a {size} fiber stack: {os}")
    } else {
        let limit = mmap::max_map_count();
        let at_limit = match (mmap::map_count(), limit) {
            (Some(count), Some(limit)) => count + MAP_COUNT_SLACK >= limit,
            _ => false,
        };
        if step == Step::Guard || at_limit {
            // 262144 is what large deployments (e.g. Elasticsearch) use.
            let raise = limit.map_or(262_144, |l| l.saturating_mul(4).max(262_144));
            let limit = limit.map_or_else(|| "unknown".to_owned(), |l| l.to_string());
            format!(
                "fiberio: cannot map a {size} fiber stack: out of memory mappings \
                 (vm.max_map_count = {limit}, each fiber stack uses 2, {live} fiber stacks \
                 are live); raise it with `sysctl -w vm.max_map_count={raise}`, or reduce \
                 the number of live fibers"
            )
        } else {
            format!(
                "fiberio: cannot map a {size} fiber stack: out of memory or address space \
                 ({live} fiber stacks are live); use smaller stacks or fewer live fibers, or \
                 raise `ulimit -v`"
            )
        }
    };
    io::Error::new(kind, StackMapError { message, os })
}

/// The count of live [`FiberStack`]s, for error messages.
///
/// Process-wide bookkeeping, not a protocol: a std atomic in every build.
mod live {
    use crate::loom::static_atomic::{AtomicUsize, Ordering::Relaxed};

    static LIVE: AtomicUsize = AtomicUsize::new(0);

    /// A stack was mapped.
    pub(super) fn inc() {
        LIVE.fetch_add(1, Relaxed);
    }

    /// A stack was unmapped.
    pub(super) fn dec() {
        LIVE.fetch_sub(1, Relaxed);
    }

    /// Stacks mapped now.
    pub(super) fn count() -> usize {
        LIVE.load(Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::overflow::tests::{child_mode, run_child};
    use corosensei::{Coroutine, CoroutineResult};
    use std::hint::black_box;

    #[test]
    fn new_rounds_up_and_guards_the_low_page() {
        let page = mmap::page_size();
        let s = FiberStack::new(100_000).unwrap();
        assert_eq!(s.size(), 100_000usize.next_multiple_of(page));
        assert_eq!(s.guard().len(), page);
        assert_eq!(s.limit().get(), s.guard().start);
        assert_eq!(s.base().get() - s.limit().get(), s.size() + page);
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let line = format!("{:x}-{:x} ---p ", s.guard().start, s.guard().end);
        assert!(maps.lines().any(|l| l.starts_with(&line)), "no PROT_NONE guard {line}");
        assert_eq!(FiberStack::new(1).unwrap().size(), MIN_STACK_SIZE);
    }

    #[test]
    fn a_coroutine_runs_on_it_and_gives_it_back() {
        let stack = FiberStack::new(64 * 1024).unwrap();
        let (guard, top) = (stack.guard(), stack.top());
        let mut co = Coroutine::with_stack(stack, |y, x: u64| {
            let local = black_box([x; 512]);
            let sp = &local as *const _ as usize;
            y.suspend(sp);
            local[511] * 2
        });
        match co.resume(21) {
            CoroutineResult::Yield(sp) => assert!(guard.end < sp && sp < top, "{sp:#x}"),
            CoroutineResult::Return(_) => panic!("returned early"),
        }
        assert!(matches!(co.resume(0), CoroutineResult::Return(42)));
        assert_eq!(co.into_stack().guard(), guard);
    }

    #[test]
    fn trim_keeps_the_top_and_drops_the_rest() {
        let mut s = FiberStack::new(256 * 1024).unwrap();
        assert_eq!(s.resident().unwrap(), 0);
        s.touch(s.size());
        assert_eq!(s.resident().unwrap(), s.size());
        s.trim();
        assert_eq!(s.resident().unwrap(), TRIM_KEEP);
        s.touch(64 * 1024);
        assert_eq!(s.resident().unwrap(), 64 * 1024);
    }

    #[test]
    fn human_sizes() {
        let f = |n| HumanSize(n).to_string();
        assert_eq!(f(256 * 1024), "256 KiB");
        assert_eq!(f(8 << 20), "8 MiB");
        assert_eq!(f(3 << 30), "3 GiB");
        assert_eq!(f(1536 * 1024), "1536 KiB");
        assert_eq!(f(3000), "3000 bytes");
    }

    #[test]
    fn out_of_address_space_says_out_of_memory_with_the_size() {
        // More than the 128 TiB user address space of x86_64.
        let err = FiberStack::new(1 << 47).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::OutOfMemory);
        let msg = err.to_string();
        assert!(msg.contains("cannot map a 131072 GiB fiber stack: out of memory"), "{msg}");
        assert!(!msg.contains("max_map_count"), "{msg}");
        let os = err.get_ref().and_then(|e| e.source()).and_then(|e| e.downcast_ref::<io::Error>());
        assert_eq!(os.map(io::Error::kind), Some(io::ErrorKind::OutOfMemory));
        let err = FiberStack::new(usize::MAX - 4096).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    /// Fills this process's mappings with stacks until the kernel refuses.
    /// Run in a child: every other test would fail at the limit too.
    #[test]
    fn running_out_of_mappings_names_max_map_count() {
        let max = mmap::max_map_count().expect("read /proc/sys/vm/max_map_count");
        if max > 1 << 20 {
            eprintln!("skipped: vm.max_map_count = {max} is too large to fill in a test");
            return;
        }
        if child_mode() == Some("fill-maps") {
            let mut stacks = Vec::with_capacity(max);
            let err = loop {
                match FiberStack::new(MIN_STACK_SIZE) {
                    Ok(s) => stacks.push(s),
                    Err(e) => break e,
                }
            };
            // A line of its own: libtest printed "test NAME ... " without one.
            println!("\ncreated={}", stacks.len());
            println!("kind={:?}", err.kind());
            println!("message={err}");
            drop(stacks);
            FiberStack::new(MIN_STACK_SIZE).expect("mapping works again after unmapping");
            return;
        }
        let out =
            run_child("stack::fiber_stack::tests::running_out_of_mappings_names_max_map_count", "fill-maps");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "child failed: {out:?}");
        let created: usize = stdout
            .lines()
            .find_map(|l| l.strip_prefix("created="))
            .and_then(|n| n.parse().ok())
            .expect("child printed created=N");
        assert!(created > 1000 && 2 * created <= max, "created {created} of max {max}");
        assert!(stdout.contains("kind=OutOfMemory"), "{stdout}");
        let want = [
            format!("out of memory mappings (vm.max_map_count = {max}, each fiber stack uses 2"),
            format!("{created} fiber stacks are live"),
            "raise it with `sysctl -w vm.max_map_count=".to_owned(),
        ];
        for w in want {
            assert!(stdout.contains(&w), "missing {w:?} in {stdout}");
        }
    }
}
