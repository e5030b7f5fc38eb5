//! [`File`] and [`OpenOptions`]: std's file API, each blocking call a job
//! on the helper pool.
//!
//! The std file sits in an `Arc`, and a job gets a clone of the `Arc`,
//! not the file: std implements `Read`, `Write` and `Seek` for `&File`, so
//! a helper can use it while the fiber keeps its handle. Moving the file
//! into the job and back would lose it if the fiber were cancelled
//! mid-call (the file would come back to nobody), and would make the
//! `&self` methods (`metadata`, `sync_all`, `set_len`) impossible. The
//! price is that a cancelled call may still complete on its helper (a
//! write lands, the offset moves) after the fiber has stopped waiting.
//!
//! Data crosses by copy: a read fills a helper-owned buffer of at most
//! [`MAX_BUF`] bytes that is then copied into the caller's (a shorter read
//! is allowed by `Read`), and a write copies the caller's bytes out first.
//! `read_to_end`, `read_to_string` and `write_all` are one job each, not a
//! job per chunk. Off a fiber, reads and writes go straight to std.

use std::fmt;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::Path;

use super::{Metadata, Permissions, run};
use crate::loom::sync::Arc;

/// The most bytes one `read` or `write` call moves through a helper.
pub(crate) const MAX_BUF: usize = 2 * 1024 * 1024;

/// An open file whose blocking calls run on the helper pool, with the API
/// of `std::fs::File` (see the module docs of [`fiberio::fs`](crate::fs)).
///
/// ```
/// use std::io::{Read, Seek, SeekFrom, Write};
/// # fn main() -> std::io::Result<()> {
/// let path = std::env::temp_dir().join(format!("fiberio-file-doc-{}", std::process::id()));
/// let h = fiberio::spawn(move || -> std::io::Result<String> {
///     let mut f = fiberio::fs::File::options().read(true).write(true).create(true).truncate(true).open(&path)?;
///     f.write_all(b"parked, not blocked")?;
///     f.seek(SeekFrom::Start(0))?;
///     let mut s = String::new();
///     f.read_to_string(&mut s)?;
///     assert_eq!(f.metadata()?.len(), 19);
///     fiberio::fs::remove_file(&path)?;
///     Ok(s)
/// });
/// assert_eq!(h.join().unwrap()?, "parked, not blocked");
/// # Ok(())
/// # }
/// ```
pub struct File {
    /// Shared with the jobs of calls in flight (see the module docs).
    inner: Arc<std::fs::File>,
}

impl File {
    /// Opens a file for reading (`std::fs::File::open`).
    ///
    /// # Errors
    ///
    /// As std (`NotFound` for a missing file); also the pool's error when
    /// no helper thread can run ([`try_unblock`](crate::try_unblock)).
    pub fn open<P: AsRef<Path>>(path: P) -> io::Result<File> {
        OpenOptions::new().read(true).open(path)
    }

    /// Creates or truncates a file for writing (`std::fs::File::create`).
    ///
    /// # Errors
    ///
    /// As [`File::open`].
    pub fn create<P: AsRef<Path>>(path: P) -> io::Result<File> {
        OpenOptions::new().write(true).create(true).truncate(true).open(path)
    }

    /// Creates a new file for reading and writing; fails if it exists
    /// (`std::fs::File::create_new`).
    ///
    /// # Errors
    ///
    /// `AlreadyExists` if it exists, else as [`File::open`].
    pub fn create_new<P: AsRef<Path>>(path: P) -> io::Result<File> {
        OpenOptions::new().read(true).write(true).create_new(true).open(path)
    }

    /// Options to open a file with (`std::fs::File::options`).
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Runs `f` on the std file on a helper.
    fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&std::fs::File) -> io::Result<T> + Send + 'static,
    ) -> io::Result<T> {
        let file = self.inner.clone();
        run(move || f(&file))
    }

    /// The file's metadata (`std::fs::File::metadata`).
    ///
    /// # Errors
    ///
    /// As std, and see [`File::open`].
    pub fn metadata(&self) -> io::Result<Metadata> {
        self.call(|f| f.metadata())
    }

    /// Flushes data and metadata to the device (`std::fs::File::sync_all`).
    ///
    /// # Errors
    ///
    /// As std, and see [`File::open`].
    pub fn sync_all(&self) -> io::Result<()> {
        self.call(|f| f.sync_all())
    }

    /// Flushes data to the device (`std::fs::File::sync_data`).
    ///
    /// # Errors
    ///
    /// As std, and see [`File::open`].
    pub fn sync_data(&self) -> io::Result<()> {
        self.call(|f| f.sync_data())
    }

    /// Truncates or extends the file to `size` bytes
    /// (`std::fs::File::set_len`).
    ///
    /// # Errors
    ///
    /// As std, and see [`File::open`].
    pub fn set_len(&self, size: u64) -> io::Result<()> {
        self.call(move |f| f.set_len(size))
    }

    /// Sets the file's permissions (`std::fs::File::set_permissions`).
    ///
    /// # Errors
    ///
    /// As std, and see [`File::open`].
    pub fn set_permissions(&self, perm: Permissions) -> io::Result<()> {
        self.call(move |f| f.set_permissions(perm))
    }

    /// A new handle to the same open file (`dup`; shared offset), as
    /// `std::fs::File::try_clone`.
    ///
    /// # Errors
    ///
    /// As std (`EMFILE`); `dup` does not block, so this runs inline.
    pub fn try_clone(&self) -> io::Result<File> {
        self.inner.try_clone().map(File::from)
    }
}

impl From<std::fs::File> for File {
    fn from(file: std::fs::File) -> Self {
        Self { inner: Arc::new(file) }
    }
}

impl AsFd for File {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl AsRawFd for File {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl Read for &File {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !crate::fiber::in_fiber() {
            return (&*self.inner).read(buf);
        }
        let len = buf.len().min(MAX_BUF);
        let data = self.call(move |mut f| {
            let mut data = vec![0; len];
            let n = f.read(&mut data)?;
            data.truncate(n);
            Ok(data)
        })?;
        buf[..data.len()].copy_from_slice(&data);
        Ok(data.len())
    }

    /// One job; as std, the bytes read before an error are kept in `buf`.
    fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        if !crate::fiber::in_fiber() {
            return (&*self.inner).read_to_end(buf);
        }
        let (data, result) = self.call(|mut f| {
            let mut data = Vec::new();
            let result = f.read_to_end(&mut data);
            Ok((data, result))
        })?;
        if buf.is_empty() {
            *buf = data;
        } else {
            buf.extend_from_slice(&data);
        }
        result
    }

    /// One job; as std, `buf` is unchanged on an error (`InvalidData` for
    /// bytes that are not UTF-8).
    fn read_to_string(&mut self, buf: &mut String) -> io::Result<usize> {
        if !crate::fiber::in_fiber() {
            return (&*self.inner).read_to_string(buf);
        }
        let text = self.call(|mut f| {
            let mut text = String::new();
            f.read_to_string(&mut text).map(|_| text)
        })?;
        buf.push_str(&text);
        Ok(text.len())
    }
}

impl Write for &File {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !crate::fiber::in_fiber() {
            return (&*self.inner).write(buf);
        }
        let data = buf[..buf.len().min(MAX_BUF)].to_vec();
        self.call(move |mut f| f.write(&data))
    }

    /// One job for the whole buffer (copied once).
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if !crate::fiber::in_fiber() {
            return (&*self.inner).write_all(buf);
        }
        let data = buf.to_vec();
        self.call(move |mut f| f.write_all(&data))
    }

    /// A no-op, as std's: a `File` has no user-space buffer.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for &File {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.call(move |mut f| f.seek(pos))
    }
}

impl Read for File {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }

    fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        (&*self).read_to_end(buf)
    }

    fn read_to_string(&mut self, buf: &mut String) -> io::Result<usize> {
        (&*self).read_to_string(buf)
    }
}

impl Write for File {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        (&*self).write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        (&*self).flush()
    }
}

impl Seek for File {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        (&*self).seek(pos)
    }
}

/// Options to open a [`File`] with, as `std::fs::OpenOptions`; `open` runs
/// on the helper pool. Unix options (`mode`, `custom_flags`) come through
/// `std::os::unix::fs::OpenOptionsExt`, or a std `OpenOptions` converted
/// with `From`.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let path = std::env::temp_dir().join(format!("fiberio-options-doc-{}", std::process::id()));
/// let h = fiberio::spawn(move || -> std::io::Result<()> {
///     let _f = fiberio::fs::OpenOptions::new().write(true).create_new(true).open(&path)?;
///     let again = fiberio::fs::OpenOptions::new().write(true).create_new(true).open(&path);
///     assert_eq!(again.unwrap_err().kind(), std::io::ErrorKind::AlreadyExists);
///     fiberio::fs::remove_file(&path)
/// });
/// h.join().unwrap()?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct OpenOptions(std::fs::OpenOptions);

impl Default for OpenOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl OpenOptions {
    /// All options off, as std's.
    pub fn new() -> Self {
        Self(std::fs::OpenOptions::new())
    }

    /// Opens for reading.
    pub fn read(&mut self, read: bool) -> &mut Self {
        self.0.read(read);
        self
    }

    /// Opens for writing.
    pub fn write(&mut self, write: bool) -> &mut Self {
        self.0.write(write);
        self
    }

    /// Opens for appending.
    pub fn append(&mut self, append: bool) -> &mut Self {
        self.0.append(append);
        self
    }

    /// Truncates the file to 0 bytes on open.
    pub fn truncate(&mut self, truncate: bool) -> &mut Self {
        self.0.truncate(truncate);
        self
    }

    /// Creates the file if it does not exist.
    pub fn create(&mut self, create: bool) -> &mut Self {
        self.0.create(create);
        self
    }

    /// Creates the file, failing if it exists.
    pub fn create_new(&mut self, create_new: bool) -> &mut Self {
        self.0.create_new(create_new);
        self
    }

    /// Opens `path` with these options on a helper
    /// (`std::fs::OpenOptions::open`).
    ///
    /// # Errors
    ///
    /// As std; also the pool's error when no helper thread can run
    /// ([`try_unblock`](crate::try_unblock)).
    pub fn open<P: AsRef<Path>>(&self, path: P) -> io::Result<File> {
        let (options, path) = (self.0.clone(), path.as_ref().to_owned());
        run(move || options.open(path)).map(File::from)
    }
}

impl From<std::fs::OpenOptions> for OpenOptions {
    fn from(options: std::fs::OpenOptions) -> Self {
        Self(options)
    }
}

impl std::os::unix::fs::OpenOptionsExt for OpenOptions {
    fn mode(&mut self, mode: u32) -> &mut Self {
        self.0.mode(mode);
        self
    }

    fn custom_flags(&mut self, flags: i32) -> &mut Self {
        self.0.custom_flags(flags);
        self
    }
}
