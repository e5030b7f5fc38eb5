//! The interposed `getaddrinfo`: on a fiber, glibc's resolver runs on the
//! helper pool (`fiberio::unblock`) while only the fiber parks.
//!
//! The job owns copies of its inputs and returns the result list in an
//! owner that frees it if nobody takes it, so a fiber that stops waiting
//! (cancelled) leaves no dangling pointer on the helper and no leak.

use std::ffi::{CStr, CString, c_char, c_int};

use super::guard;
use crate::sys::raw::{self, GetAddrInfo};

/// A `getaddrinfo` result list, freed on drop unless taken.
struct AddrList(*mut libc::addrinfo);

// SAFETY: the list is heap memory owned by this value alone; glibc's
// `freeaddrinfo` may free it on any thread.
unsafe impl Send for AddrList {}

impl AddrList {
    fn take(mut self) -> *mut libc::addrinfo {
        std::mem::replace(&mut self.0, std::ptr::null_mut())
    }
}

impl Drop for AddrList {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: a list from `getaddrinfo`, owned by `self`, not freed.
            unsafe { raw::freeaddrinfo(self.0) };
        }
    }
}

/// The hint fields `getaddrinfo` reads (the others must be zero).
#[derive(Clone, Copy)]
struct Hints {
    flags: c_int,
    family: c_int,
    socktype: c_int,
    protocol: c_int,
}

/// Runs glibc's resolver on owned inputs: (return code, errno, list).
fn resolve(
    real: GetAddrInfo,
    node: Option<CString>,
    service: Option<CString>,
    hints: Option<Hints>,
) -> (c_int, c_int, AddrList) {
    // SAFETY: an all-zero `addrinfo` is the empty hint glibc expects.
    let mut h: libc::addrinfo = unsafe { std::mem::zeroed() };
    if let Some(x) = hints {
        (h.ai_flags, h.ai_family, h.ai_socktype, h.ai_protocol) = (x.flags, x.family, x.socktype, x.protocol);
    }
    let hp = if hints.is_some() { &h as *const libc::addrinfo } else { std::ptr::null() };
    let ptr = |s: &Option<CString>| s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr());
    let mut res = std::ptr::null_mut();
    // SAFETY: NUL-terminated strings or null, a valid hint or null, and a
    // writable result slot, all living across the call.
    let code = unsafe { real(ptr(&node), ptr(&service), hp, &mut res) };
    let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
    (code, errno, AddrList(res))
}

/// `getaddrinfo(3)`: on a fiber, resolved on the helper pool while only
/// the fiber parks; elsewhere glibc's own.
///
/// # Safety
///
/// libc's contract: `node` and `service` are NUL-terminated strings or
/// null, `hints` a valid `addrinfo` or null, `res` writable.
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn getaddrinfo(
    node: *const c_char,
    service: *const c_char,
    hints: *const libc::addrinfo,
    res: *mut *mut libc::addrinfo,
) -> c_int {
    let Some(real) = raw::real_getaddrinfo() else {
        raw::set_errno(libc::ENOSYS);
        return libc::EAI_SYSTEM;
    };
    if !super::on_fiber() {
        // SAFETY: the caller's contract, passed on.
        return unsafe { real(node, service, hints, res) };
    }
    // SAFETY: non-null strings are NUL-terminated (the caller's contract).
    let own = |s: *const c_char| (!s.is_null()).then(|| unsafe { CStr::from_ptr(s) }.to_owned());
    let (node, service) = (own(node), own(service));
    // SAFETY: a non-null `hints` is a valid `addrinfo` (the caller's contract).
    let hints = unsafe { hints.as_ref() }.map(|h| Hints {
        flags: h.ai_flags,
        family: h.ai_family,
        socktype: h.ai_socktype,
        protocol: h.ai_protocol,
    });
    match guard(|| crate::blocking::try_unblock(move || resolve(real, node, service, hints))) {
        Ok((code, errno, list)) => {
            // SAFETY: `res` is writable (the caller's contract).
            unsafe { *res = list.take() };
            if code == libc::EAI_SYSTEM {
                raw::set_errno(errno);
            }
            code
        }
        Err(e) => {
            raw::set_errno(raw::errno_of(&e));
            libc::EAI_SYSTEM
        }
    }
}
