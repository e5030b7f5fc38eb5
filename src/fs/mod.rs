//! Files and directories with std's API, each blocking call run on the
//! helper pool ([`unblock`](crate::unblock)) so only the calling fiber
//! waits.
//!
//! Linux has no readiness for regular files (epoll refuses them, and a
//! read of a cold page blocks in the kernel whatever `O_NONBLOCK` says),
//! so fiberio does what Go and tokio do: it hands the syscall to a helper
//! thread while the fiber parks. Each function here moves its owned
//! arguments (the path, a copy of the data to write) into one job and the
//! std result back, so a call costs one hand-off to a helper and back
//! (two thread wakeups) on top of the syscalls; functions that do several
//! syscalls (`read`, `copy`, `create_dir_all`) still make one hand-off.
//!
//! - The free functions mirror `std::fs` one for one and return std's
//!   types and errors unchanged: a missing file is `ErrorKind::NotFound`,
//!   with std's message.
//! - [`File`] and [`OpenOptions`] mirror std's; see [`File`] for how the
//!   handle is shared with a helper.
//! - [`read_dir`] reads a directory lazily, in batches (see [`ReadDir`]).
//!
//! On a plain OS thread everything runs inline, as std does. A fiber
//! cancelled during a call unwinds at once; the syscall finishes on its
//! helper (it may still create, write or rename — a cancelled `write` is
//! not undone) and its result is dropped there.
//!
//! ```
//! # fn main() -> std::io::Result<()> {
//! let dir = std::env::temp_dir().join(format!("fiberio-fs-doc-{}", std::process::id()));
//! let h = fiberio::spawn(move || -> std::io::Result<String> {
//!     fiberio::fs::create_dir_all(&dir)?;
//!     let path = dir.join("hello.txt");
//!     fiberio::fs::write(&path, "hello from a fiber")?;
//!     let text = fiberio::fs::read_to_string(&path)?;
//!     fiberio::fs::remove_dir_all(&dir)?;
//!     Ok(text)
//! });
//! assert_eq!(h.join().unwrap()?, "hello from a fiber");
//! # Ok(())
//! # }
//! ```

mod file;
mod read_dir;

use std::io;
use std::path::{Path, PathBuf};

pub use file::{File, OpenOptions};
pub use read_dir::{DirEntry, ReadDir, read_dir};
pub use std::fs::{FileType, Metadata, Permissions};

// Handles cross threads on purpose: a job holds the file while it runs.
static_assertions::assert_impl_all!(File: Send, Sync);
static_assertions::assert_impl_all!(ReadDir: Send, Sync);
static_assertions::assert_impl_all!(DirEntry: Send, Sync);
static_assertions::assert_impl_all!(OpenOptions: Send, Sync);

/// Runs a std call on the helper pool and flattens the two errors (no
/// helper could run it; the call failed) into one.
pub(crate) fn run<T: Send + 'static>(f: impl FnOnce() -> io::Result<T> + Send + 'static) -> io::Result<T> {
    crate::blocking::try_unblock(f).and_then(|result| result)
}

/// Reads a whole file (`std::fs::read`).
///
/// # Errors
///
/// As std: `NotFound` for a missing file, and so on; also the pool's
/// error when no helper thread can run ([`try_unblock`](crate::try_unblock)).
pub fn read<P: AsRef<Path>>(path: P) -> io::Result<Vec<u8>> {
    let path = path.as_ref().to_owned();
    run(move || std::fs::read(path))
}

/// Reads a whole file as UTF-8 (`std::fs::read_to_string`).
///
/// # Errors
///
/// As std (`InvalidData` if the file is not UTF-8), and see [`read`].
pub fn read_to_string<P: AsRef<Path>>(path: P) -> io::Result<String> {
    let path = path.as_ref().to_owned();
    run(move || std::fs::read_to_string(path))
}

/// Writes `contents` as the whole file, creating or truncating it
/// (`std::fs::write`). The bytes are copied once, to hand them to the
/// helper.
///
/// # Errors
///
/// As std, and see [`read`].
pub fn write<P: AsRef<Path>, C: AsRef<[u8]>>(path: P, contents: C) -> io::Result<()> {
    let (path, contents) = (path.as_ref().to_owned(), contents.as_ref().to_vec());
    run(move || std::fs::write(path, contents))
}

/// The functions that take one path and return std's value, each a
/// single job on the helper pool.
macro_rules! path_fns {
    ($($(#[$doc:meta])* $name:ident -> $ret:ty;)*) => {$(
        $(#[$doc])*
        ///
        /// # Errors
        ///
        /// As std's function of the same name; also the pool's error when
        /// no helper thread can run ([`try_unblock`](crate::try_unblock)).
        pub fn $name<P: AsRef<Path>>(path: P) -> io::Result<$ret> {
            let path = path.as_ref().to_owned();
            run(move || std::fs::$name(path))
        }
    )*};
}

path_fns! {
    /// The metadata of a file or directory, following symlinks
    /// (`std::fs::metadata`).
    metadata -> Metadata;
    /// The metadata of a path itself, not following a final symlink
    /// (`std::fs::symlink_metadata`).
    symlink_metadata -> Metadata;
    /// Creates one directory (`std::fs::create_dir`).
    create_dir -> ();
    /// Creates a directory and all its missing parents
    /// (`std::fs::create_dir_all`).
    create_dir_all -> ();
    /// Removes a file (`std::fs::remove_file`).
    remove_file -> ();
    /// Removes an empty directory (`std::fs::remove_dir`).
    remove_dir -> ();
    /// Removes a directory and everything in it (`std::fs::remove_dir_all`).
    remove_dir_all -> ();
    /// The absolute path with every symlink resolved
    /// (`std::fs::canonicalize`).
    canonicalize -> PathBuf;
    /// The target of a symlink (`std::fs::read_link`).
    read_link -> PathBuf;
    /// Whether the path exists; `Err` when that cannot be known
    /// (`std::fs::exists`).
    exists -> bool;
}

/// Renames `from` to `to`, replacing `to` if it is a file
/// (`std::fs::rename`).
///
/// # Errors
///
/// As std, and see [`read`].
pub fn rename<P: AsRef<Path>, Q: AsRef<Path>>(from: P, to: Q) -> io::Result<()> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    run(move || std::fs::rename(from, to))
}

/// Copies the contents and permissions of `from` to `to`; returns the
/// bytes copied (`std::fs::copy`).
///
/// # Errors
///
/// As std, and see [`read`].
pub fn copy<P: AsRef<Path>, Q: AsRef<Path>>(from: P, to: Q) -> io::Result<u64> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    run(move || std::fs::copy(from, to))
}

/// Makes `link` a hard link to `original` (`std::fs::hard_link`).
///
/// # Errors
///
/// As std, and see [`read`].
pub fn hard_link<P: AsRef<Path>, Q: AsRef<Path>>(original: P, link: Q) -> io::Result<()> {
    let (original, link) = (original.as_ref().to_owned(), link.as_ref().to_owned());
    run(move || std::fs::hard_link(original, link))
}

/// Sets the permissions of a file or directory
/// (`std::fs::set_permissions`).
///
/// # Errors
///
/// As std, and see [`read`].
pub fn set_permissions<P: AsRef<Path>>(path: P, perm: Permissions) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    run(move || std::fs::set_permissions(path, perm))
}
