//! One thread-local word the libc hook (feature `hook`) reads on every
//! hooked call, without a call.
//!
//! Every entry point of the hook first asks "does this thread carry
//! fibers?". std's `thread_local!` in an rlib is compiled for the
//! general-dynamic TLS model: a call to `__tls_get_addr` as far as the
//! compiler knows (the linker relaxes it to one load in an executable,
//! but too late), so each entry point saved and restored the registers
//! holding the call's arguments around it — about 25 instructions on
//! every `read`/`send`/`recv`, half of what the call costs in user space.
//!
//! Here the word is a `.tbss` symbol of our own, read and written with
//! the initial-exec model: `mov` from the GOT entry of its thread-pointer
//! offset, then one `fs:`-relative `mov` — an instruction pair that
//! clobbers one register (x86_64; the linker turns the first into an
//! immediate in an executable). A shared object holding it must be
//! loaded with the executable or fit glibc's static TLS reserve (as any
//! initial-exec TLS); `dlopen` refuses it loudly otherwise.
//!
//! The word mirrors the fiber layer's own thread-local context
//! (`fiber::carrier`), which keeps the truth and writes both; elsewhere
//! than x86_64 it is a plain `thread_local!`.

#[cfg(all(target_arch = "x86_64", not(loom)))]
mod imp {
    // The symbol is hidden (one per executable: the hook's own `read`,
    // `recv`, ... are, too) and 8-byte aligned, zero in every new thread.
    std::arch::global_asm!(
        ".pushsection .tbss.__fiberio_hook_carrier,\"awT\",@nobits",
        ".p2align 3",
        ".globl __fiberio_hook_carrier",
        ".hidden __fiberio_hook_carrier",
        ".type __fiberio_hook_carrier,@object",
        ".size __fiberio_hook_carrier,8",
        "__fiberio_hook_carrier:",
        ".zero 8",
        ".popsection",
    );

    /// This thread's word.
    #[inline(always)]
    pub(crate) fn get() -> *const () {
        let word: *const ();
        // SAFETY: reads this thread's 8-byte, 8-aligned `.tbss` slot
        // defined above, at its thread-pointer offset (initial-exec).
        unsafe {
            std::arch::asm!(
                "mov {off}, qword ptr [rip + __fiberio_hook_carrier@GOTTPOFF]",
                "mov {word}, qword ptr fs:[{off}]",
                off = out(reg) _,
                word = lateout(reg) word,
                options(nostack, readonly, preserves_flags),
            );
        }
        word
    }

    /// Sets this thread's word.
    #[inline]
    pub(crate) fn set(word: *const ()) {
        // SAFETY: writes this thread's slot (see `get`); nothing else
        // refers to it.
        unsafe {
            std::arch::asm!(
                "mov {off}, qword ptr [rip + __fiberio_hook_carrier@GOTTPOFF]",
                "mov qword ptr fs:[{off}], {word}",
                off = out(reg) _,
                word = in(reg) word,
                options(nostack, preserves_flags),
            );
        }
    }
}

#[cfg(not(all(target_arch = "x86_64", not(loom))))]
mod imp {
    use std::cell::Cell;

    crate::loom::carrier_local! {
        static WORD: Cell<*const ()> = const { Cell::new(std::ptr::null()) };
    }

    /// This thread's word.
    #[inline(always)]
    pub(crate) fn get() -> *const () {
        WORD.with(Cell::get)
    }

    /// Sets this thread's word.
    #[inline]
    pub(crate) fn set(word: *const ()) {
        WORD.with(|w| w.set(word));
    }
}

pub(crate) use imp::{get, set};
