//! [`read_dir`]: a lazy directory iterator that reads on the helper pool in
//! batches.
//!
//! std's `ReadDir` makes a blocking `getdents64` call whenever its buffer
//! runs dry, and a `DirEntry`'s `metadata` is an `fstatat`. Here one job
//! opens the directory and reads the first [`BATCH`] entries; the
//! iterator hands those out with no hand-off, and the next job takes the
//! std `ReadDir` to the helper for the next batch and brings it back. A
//! huge directory is thus never held in memory whole, and a small one
//! costs one hand-off. Each entry's file type (from `d_type`, or an
//! `lstat` where the file system does not give it) is read on the helper
//! too; [`DirEntry::metadata`] is a job of its own.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use super::{FileType, Metadata, run};

/// Entries read per hand-off to a helper.
pub(crate) const BATCH: usize = 128;

/// Reads the entries of a directory (`std::fs::read_dir`); `.` and `..`
/// are skipped, the order is the file system's.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let dir = std::env::temp_dir().join(format!("fiberio-read-dir-doc-{}", std::process::id()));
/// let h = fiberio::spawn(move || -> std::io::Result<Vec<String>> {
///     fiberio::fs::create_dir_all(&dir)?;
///     fiberio::fs::write(dir.join("a"), "")?;
///     fiberio::fs::write(dir.join("b"), "")?;
///     let mut names = fiberio::fs::read_dir(&dir)?
///         .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
///         .collect::<std::io::Result<Vec<_>>>()?;
///     names.sort();
///     fiberio::fs::remove_dir_all(&dir)?;
///     Ok(names)
/// });
/// assert_eq!(h.join().unwrap()?, ["a", "b"]);
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// As std (`NotFound`, `NotADirectory`, ...) when the directory cannot be
/// opened; also the pool's error when no helper thread can run
/// ([`try_unblock`](crate::try_unblock)). The iterator yields std's errors
/// for entries that cannot be read.
pub fn read_dir<P: AsRef<Path>>(path: P) -> io::Result<ReadDir> {
    let path = path.as_ref().to_owned();
    let (inner, batch) = run(move || {
        let mut inner = std::fs::read_dir(path)?;
        let batch = next_batch(&mut inner);
        Ok((inner, batch))
    })?;
    Ok(ReadDir::new(inner, batch))
}

/// The iterator of [`read_dir`]: yields `io::Result<DirEntry>`, reading
/// 128 entries per job on the helper pool.
pub struct ReadDir {
    /// std's iterator, between batches; `None` once it is exhausted (or
    /// was lost to a job that could not run).
    inner: Option<std::fs::ReadDir>,
    /// Entries read and not yet handed out.
    batch: VecDeque<io::Result<DirEntry>>,
}

/// Reads up to [`BATCH`] entries; fewer means the end was reached.
fn next_batch(inner: &mut std::fs::ReadDir) -> Vec<io::Result<DirEntry>> {
    inner.by_ref().take(BATCH).map(|entry| entry.map(DirEntry::from_std)).collect()
}

impl ReadDir {
    fn new(inner: std::fs::ReadDir, batch: Vec<io::Result<DirEntry>>) -> Self {
        let inner = (batch.len() == BATCH).then_some(inner);
        Self { inner, batch: batch.into() }
    }
}

impl Iterator for ReadDir {
    type Item = io::Result<DirEntry>;

    fn next(&mut self) -> Option<io::Result<DirEntry>> {
        if let Some(entry) = self.batch.pop_front() {
            return Some(entry);
        }
        let mut inner = self.inner.take()?;
        match run(move || {
            let batch = next_batch(&mut inner);
            Ok((inner, batch))
        }) {
            Ok((inner, batch)) => {
                *self = ReadDir::new(inner, batch);
                self.batch.pop_front()
            }
            // No helper could run the job (and `inner` went with it).
            Err(e) => Some(Err(e)),
        }
    }
}

impl fmt::Debug for ReadDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadDir")
            .field("buffered", &self.batch.len())
            .field("exhausted", &self.inner.is_none())
            .finish()
    }
}

/// One entry of a directory, as `std::fs::DirEntry`; its path, name and
/// (usually) type were read on the helper with it.
#[derive(Debug, Clone)]
pub struct DirEntry {
    path: PathBuf,
    file_name: OsString,
    /// `None` when std could not tell without an error; asked again then.
    file_type: Option<FileType>,
}

impl DirEntry {
    fn from_std(entry: std::fs::DirEntry) -> Self {
        Self { path: entry.path(), file_name: entry.file_name(), file_type: entry.file_type().ok() }
    }

    /// The directory's path joined with the entry's name.
    pub fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// The entry's name, without any leading path.
    pub fn file_name(&self) -> OsString {
        self.file_name.clone()
    }

    /// The entry's metadata, not following a symlink, as std's
    /// `DirEntry::metadata`; a job on the helper pool.
    ///
    /// # Errors
    ///
    /// As std (`NotFound` if the entry was removed since); also the pool's
    /// error when no helper thread can run.
    pub fn metadata(&self) -> io::Result<Metadata> {
        super::symlink_metadata(&self.path)
    }

    /// The entry's type, not following a symlink. Read with the entry,
    /// so usually without a call; else a job, as [`metadata`](Self::metadata).
    ///
    /// # Errors
    ///
    /// As [`metadata`](Self::metadata).
    pub fn file_type(&self) -> io::Result<FileType> {
        match self.file_type {
            Some(t) => Ok(t),
            None => self.metadata().map(|m| m.file_type()),
        }
    }
}
