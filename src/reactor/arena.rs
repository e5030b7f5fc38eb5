//! The poll descriptors of every fd, indexed by fd number.
//!
//! fds are process-wide and small, so a [`PollDesc`] is found by indexing,
//! with no hashing and no lock: a fixed table of chunk pointers, each chunk
//! 1,024 descriptors allocated the first time an fd in its range is
//! opened. Memory follows the fds actually used — about 150 KiB per 1,024
//! fds — never the fd limit (Crystal's first arena mapped one giant array
//! sized by `RLIMIT_NOFILE`, and failed on machines with huge limits).
//!
//! Chunks are never freed, so lookups hand out `&'static PollDesc`; an fd
//! number that is closed and reused gets the same descriptor with a new
//! generation (race 6).

use std::io;
use std::os::fd::RawFd;

use super::poll_desc::PollDesc;
use crate::loom::static_atomic::{AtomicPtr, Ordering::*};

const CHUNK_SHIFT: u32 = 10;
const CHUNK: usize = 1 << CHUNK_SHIFT;
/// fds up to 2^20 (1,048,576): Linux's default `fs.nr_open` limit.
const MAX_CHUNKS: usize = 1 << 10;

static CHUNKS: [AtomicPtr<PollDesc>; MAX_CHUNKS] =
    [const { AtomicPtr::new(std::ptr::null_mut()) }; MAX_CHUNKS];

fn split(fd: RawFd) -> Option<(usize, usize)> {
    let fd = usize::try_from(fd).ok()?;
    let chunk = fd >> CHUNK_SHIFT;
    (chunk < MAX_CHUNKS).then_some((chunk, fd & (CHUNK - 1)))
}

/// The descriptor of `fd`, if its chunk exists.
pub(crate) fn get(fd: RawFd) -> Option<&'static PollDesc> {
    get_inlined(fd)
}

/// [`get`], always inlined: for the libc hook's lookup on every hooked
/// call (`reactor::hooked`), without changing what the compiler makes of
/// the other callers.
#[inline(always)]
pub(crate) fn get_inlined(fd: RawFd) -> Option<&'static PollDesc> {
    let (chunk, index) = split(fd)?;
    let base = CHUNKS[chunk].load(Acquire);
    // SAFETY: a non-null chunk pointer points to CHUNK initialised
    // descriptors that are never freed.
    (!base.is_null()).then(|| unsafe { &*base.add(index) })
}

/// The descriptor of `fd`, allocating its chunk if needed.
pub(crate) fn get_or_create(fd: RawFd) -> io::Result<&'static PollDesc> {
    let (chunk, index) = split(fd).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("fiberio: fd {fd} is beyond the 2^20 fds fiberio tracks"),
        )
    })?;
    let mut base = CHUNKS[chunk].load(Acquire);
    if base.is_null() {
        let fresh: Box<[PollDesc]> = (0..CHUNK).map(|_| PollDesc::new()).collect();
        let fresh = Box::into_raw(fresh) as *mut PollDesc;
        base = match CHUNKS[chunk].compare_exchange(std::ptr::null_mut(), fresh, AcqRel, Acquire) {
            Ok(_) => fresh,
            Err(winner) => {
                // SAFETY: `fresh` came from `Box::into_raw` of a CHUNK-long
                // slice just above and was never shared.
                drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(fresh, CHUNK)) });
                winner
            }
        };
    }
    // SAFETY: as in `get`.
    Ok(unsafe { &*base.add(index) })
}
