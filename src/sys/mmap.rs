//! PLACEHOLDER: memory protection helpers for stacks.

use std::io;

/// Makes `[addr, addr+len)` inaccessible (a guard page).
pub(crate) fn protect_none(addr: usize, len: usize) -> io::Result<()> {
    syscall!(mprotect(addr as *mut libc::c_void, len, libc::PROT_NONE))?;
    Ok(())
}
