//! PLACEHOLDER: one guard-paged mapping per stack.

use std::io;
use std::ops::Range;

use corosensei::stack::{Stack, StackPointer};

/// A guard-paged stack.
#[derive(Debug)]
pub(crate) struct FiberStack {
    map: memmap2::MmapMut,
    guard: usize,
}

impl FiberStack {
    pub(crate) fn new(size: usize) -> io::Result<Self> {
        let page = 4096;
        let size = size.div_ceil(page) * page;
        let map = memmap2::MmapOptions::new().len(size + page).stack().map_anon()?;
        crate::sys::mmap::protect_none(map.as_ptr() as usize, page)?;
        Ok(Self { map, guard: page })
    }
    pub(crate) fn size(&self) -> usize {
        self.map.len() - self.guard
    }
    pub(crate) fn guard(&self) -> Range<usize> {
        let lo = self.map.as_ptr() as usize;
        lo..lo + self.guard
    }
}

// SAFETY: the mapping has a PROT_NONE guard page at its low end and at
// least MIN_STACK_SIZE usable bytes above it; base and limit are page aligned.
unsafe impl Stack for FiberStack {
    fn base(&self) -> StackPointer {
        StackPointer::new(self.map.as_ptr() as usize + self.map.len()).unwrap()
    }
    fn limit(&self) -> StackPointer {
        StackPointer::new(self.map.as_ptr() as usize).unwrap()
    }
}
