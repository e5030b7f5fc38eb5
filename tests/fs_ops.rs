//! `fiberio::fs` from fibers: std's results and errors, the work done on
//! helpers while the worker serves other fibers, and cancellation.

mod util;

use std::ffi::CString;
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};

use fiberio::fs;
use util::PATIENCE;

/// A fresh directory under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> Self {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("fiberio-{test}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A named pipe: opening it for reading blocks until a writer opens it.
fn mkfifo(path: &Path) {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

/// Opens `fifo` for writing once a reader has it open (without ever
/// blocking this thread), writes `data` and closes it.
fn feed_fifo(fifo: &Path, data: &[u8]) {
    let open = || std::fs::OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(fifo);
    let mut writer = None;
    util::wait_until(PATIENCE, "a reader opens the fifo", || {
        writer = open().ok();
        writer.is_some()
    });
    writer.unwrap().write_all(data).unwrap();
}

#[test]
fn round_trip_from_a_fiber() {
    let dir = TempDir::new("round-trip");
    let base = dir.0.clone();
    let h = fiberio::spawn(move || -> std::io::Result<()> {
        let nested = base.join("a/b/c");
        fs::create_dir_all(&nested)?;
        let file = nested.join("one.txt");
        fs::write(&file, b"first line\n")?;
        assert_eq!(fs::read(&file)?, b"first line\n");
        assert_eq!(fs::read_to_string(&file)?, "first line\n");
        assert_eq!(fs::metadata(&file)?.len(), 11);
        assert!(fs::metadata(&nested)?.is_dir());
        assert!(fs::exists(&file)?);
        assert_eq!(fs::copy(&file, nested.join("two.txt"))?, 11);
        fs::rename(&file, nested.join("three.txt"))?;
        assert!(!fs::exists(&file)?);
        let mut names: Vec<String> =
            fs::read_dir(&nested)?.map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        assert_eq!(names, ["three.txt", "two.txt"]);
        fs::remove_file(nested.join("two.txt"))?;
        assert_eq!(fs::canonicalize(nested.join("three.txt"))?, fs::canonicalize(&nested)?.join("three.txt"));
        fs::remove_dir_all(base.join("a"))?;
        assert!(fs::read_dir(&base)?.next().is_none());
        Ok(())
    });
    h.join().unwrap().unwrap();
}

#[test]
fn a_missing_file_is_not_found_as_in_std() {
    let dir = TempDir::new("missing");
    let missing = dir.0.join("no-such-file");
    let h = fiberio::spawn(move || {
        let std_err = std::fs::read(&missing).unwrap_err();
        let kinds = [
            fs::read(&missing).unwrap_err(),
            fs::read_to_string(&missing).unwrap_err(),
            fs::metadata(&missing).unwrap_err(),
            fs::File::open(&missing).unwrap_err(),
            fs::remove_file(&missing).unwrap_err(),
            fs::read_dir(&missing).unwrap_err(),
            fs::rename(&missing, missing.with_extension("x")).unwrap_err(),
        ]
        .map(|e| (e.kind(), e.to_string()));
        (std_err.to_string(), kinds)
    });
    let (std_message, errors) = h.join().unwrap();
    for (kind, message) in errors {
        assert_eq!(kind, ErrorKind::NotFound);
        assert_eq!(message, std_message, "std's message, unchanged");
    }
}

#[test]
fn file_api_from_a_fiber() {
    let dir = TempDir::new("file");
    let path = dir.0.join("data.bin");
    let h = fiberio::spawn(move || -> std::io::Result<()> {
        let mut f = fs::File::create(&path)?;
        f.write_all(b"hello world")?;
        assert_eq!(f.write(b"!")?, 1);
        f.sync_all()?;
        assert_eq!(f.metadata()?.len(), 12);
        let mut f = fs::File::options().read(true).write(true).open(&path)?;
        assert_eq!(f.seek(SeekFrom::Start(6))?, 6);
        let mut small = [0u8; 5];
        f.read_exact(&mut small)?;
        assert_eq!(&small, b"world");
        f.set_len(5)?;
        f.seek(SeekFrom::Start(0))?;
        let mut s = String::from(">");
        assert_eq!(f.read_to_string(&mut s)?, 5);
        assert_eq!(s, ">hello");
        let clone = f.try_clone()?;
        (&clone).write_all(b", again")?; // shared offset: appended at 5
        let mut all = Vec::new();
        fs::File::open(&path)?.read_to_end(&mut all)?;
        assert_eq!(all, b"hello, again");
        let mut log = fs::OpenOptions::new().append(true).open(&path)?;
        log.write_all(b"!")?;
        assert_eq!(fs::read(&path)?, b"hello, again!");
        let again = fs::File::create_new(&path).unwrap_err();
        assert_eq!(again.kind(), ErrorKind::AlreadyExists);
        Ok(())
    });
    h.join().unwrap().unwrap();
}

#[test]
fn read_dir_reads_a_big_directory_in_batches() {
    let dir = TempDir::new("read-dir");
    for i in 0..300 {
        std::fs::write(dir.0.join(format!("f{i:03}")), [0u8; 3]).unwrap();
    }
    std::fs::create_dir(dir.0.join("sub")).unwrap();
    let base = dir.0.clone();
    let h = fiberio::spawn(move || -> std::io::Result<(Vec<String>, usize)> {
        let (mut names, mut dirs) = (Vec::new(), 0);
        for entry in fs::read_dir(&base)? {
            let entry = entry?;
            assert_eq!(entry.path(), base.join(entry.file_name()));
            if entry.file_type()?.is_dir() {
                dirs += 1;
            } else {
                assert_eq!(entry.metadata()?.len(), 3);
                names.push(entry.file_name().into_string().unwrap());
            }
        }
        names.sort();
        Ok((names, dirs))
    });
    let (names, dirs) = h.join().unwrap().unwrap();
    let expected: Vec<String> = (0..300).map(|i| format!("f{i:03}")).collect();
    assert_eq!((names, dirs), (expected, 1));
}

#[test]
fn a_blocked_fs_call_leaves_the_worker_serving_other_fibers() {
    let dir = TempDir::new("fifo-progress");
    let fifo = dir.0.join("pipe");
    mkfifo(&fifo);
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    let (count, stop, done) =
        (Arc::new(AtomicU64::new(0)), Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let counter = util::spawn_counter(&rt, &count, &stop);
    let reader = {
        let (fifo, done) = (fifo.clone(), done.clone());
        rt.spawn(move || {
            // Blocks in open(2) until the test opens the writing end.
            let data = fs::read(&fifo);
            done.store(true, SeqCst);
            data
        })
    };
    // The counter fiber shares the only worker with the blocked reader. No
    // panic before the fifo is fed: a worker blocked in open(2) would hang
    // the runtime's drop instead of failing the test.
    let served = util::holds_within(PATIENCE, || count.load(SeqCst) >= 1000);
    let still_blocked = !done.load(SeqCst);
    feed_fifo(&fifo, b"through the pipe");
    assert_eq!(reader.join().unwrap().unwrap(), b"through the pipe");
    stop.store(true, SeqCst);
    counter.join().unwrap();
    assert!(still_blocked, "the read had no writer yet");
    assert!(served, "the worker stalled while a fiber read a file");
}

#[test]
fn cancelling_a_fiber_blocked_in_an_fs_call() {
    let dir = TempDir::new("fifo-cancel");
    let fifo = dir.0.join("pipe");
    mkfifo(&fifo);
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    let path = fifo.clone();
    let h = rt.spawn(move || fs::read(&path));
    // The fiber's one wait has begun: its job is submitted, and its helper
    // blocks in open(2) until a writer comes.
    let waits = || rt.metrics()[0].parks + rt.metrics()[0].park_races;
    let waiting = util::holds_within(PATIENCE, || waits() >= 1);
    h.cancel();
    // The helper is still blocked in open(2): a writer can meet it (and
    // frees the worker, should a broken build have blocked it instead).
    feed_fifo(&fifo, b"x");
    assert!(waiting, "the fiber never parked");
    assert!(h.join().unwrap_err().is::<fiberio::Cancelled>());
}

#[test]
fn off_a_fiber_fs_runs_inline() {
    let dir = TempDir::new("thread");
    let path = dir.0.join("t.txt");
    fs::write(&path, "plain thread").unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), "plain thread");
    let mut f = fs::File::open(&path).unwrap();
    let mut buf = [0u8; 5];
    f.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"plain");
}
