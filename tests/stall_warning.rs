//! The stall warning: a fiber that holds its worker past the threshold
//! without yielding or parking (a std blocking call, a CPU loop) is named
//! once on stderr and counted in `WorkerMetrics::stalls`; a busy fiber that
//! yields is never reported; turned off, nothing is printed; the watchdog
//! thread exits with its runtime.
//!
//! Each scenario runs in a child process (`util::run_child`) so its stderr
//! and threads are its own. Margins are wide: a 1 s stall against a 50 ms
//! threshold (reported after 50 to 100 ms), and a yielding fiber watched
//! with a 500 ms threshold, far above any OS scheduling delay of a run
//! that lasts microseconds.

mod util;

use std::time::{Duration, Instant};

/// Start of every stall warning line.
const WARNING: &str = "fiberio: fiber '";

/// In a child: a two-worker runtime named `stall` (its watchdog thread is
/// `stall-watchdog`), with `stall_threshold(t)` called when `stall` is
/// `Some(t)`.
fn runtime(stall: Option<Option<Duration>>) -> fiberio::Runtime {
    let builder = fiberio::Runtime::builder().workers(2).name("stall");
    match stall {
        Some(threshold) => builder.stall_threshold(threshold),
        None => builder,
    }
    .build()
    .unwrap()
}

/// In a child: runs `body` on a fiber named `name` of `rt` and prints its
/// id, its worker's thread name, and the total of `stalls` counted.
fn run_named(rt: &fiberio::Runtime, name: &str, body: impl FnOnce() + Send + 'static) {
    let name = name.to_string();
    let (id, worker) = rt.block_on(move || {
        let h = fiberio::Builder::new()
            .name(name)
            .spawn(move || {
                let me = (fiberio::current().unwrap().id(), util::worker_name());
                body();
                me
            })
            .unwrap();
        h.join().unwrap()
    });
    let stalls: u64 = rt.metrics().iter().map(|m| m.stalls).sum();
    println!("id={id}");
    println!("worker={worker}");
    println!("stalls={stalls}");
}

/// The lines of `stderr` that are stall warnings.
fn warnings(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.starts_with(WARNING)).collect()
}

/// Blocks the thread for a second on a futex (a std channel's timed
/// receive): a blocking call the `hook` feature does not turn into a park,
/// unlike `std::thread::sleep`.
fn sleep_a_second() {
    let (_tx, rx) = std::sync::mpsc::channel::<()>();
    let _ = rx.recv_timeout(Duration::from_secs(1));
}

#[test]
fn a_blocking_call_in_a_fiber_is_reported_once() {
    if util::is_child("sleeper") {
        let rt = runtime(Some(Some(Duration::from_millis(50))));
        run_named(&rt, "sleeper", sleep_a_second);
        return;
    }
    let out = util::run_child("a_blocking_call_in_a_fiber_is_reported_once", "sleeper", &[]);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let id = util::field(&stdout, "id=").expect("the child printed the fiber id");
    let worker = util::field(&stdout, "worker=").expect("the child printed the worker");
    let index = worker.rsplit('-').next().unwrap();
    let all = warnings(&stderr);
    let named =
        format!("fiber 'sleeper' (id {id}) has run on worker {index} (thread {worker}) for at least ");
    let ours: Vec<&&str> = all.iter().filter(|l| l.contains(&named)).collect();
    assert_eq!(ours.len(), 1, "one warning naming the fiber, worker and thread {named:?}:\n{stderr}");
    let ms: u64 = ours[0].split(" for at least ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!(ms >= 50, "the duration printed is at least the threshold: {}", ours[0]);
    assert!(ours[0].contains("Stall threshold 50 ms"), "{}", ours[0]);
    // Every warning printed was counted (under a heavy load another short
    // run may also have been held up by the OS past 50 ms, so not `== 1`).
    let stalls: usize = util::field(&stdout, "stalls=").unwrap().parse().unwrap();
    assert_eq!(stalls, all.len(), "stalls counted = warnings printed:\n{stderr}");
}

#[test]
fn a_cpu_loop_is_reported_and_the_env_var_sets_the_global_threshold() {
    if util::is_child("spinner") {
        // The global runtime, configured by FIBERIO_STALL_WARNING_MS only.
        let h = fiberio::Builder::new()
            .name("spinner".into())
            .spawn(|| {
                let end = Instant::now() + Duration::from_secs(1);
                while Instant::now() < end {
                    std::hint::spin_loop();
                }
                fiberio::current().unwrap().id()
            })
            .unwrap();
        println!("id={}", h.join().unwrap());
        return;
    }
    let env = [("FIBERIO_STALL_WARNING_MS", "50"), ("FIBERIO_WORKERS", "2")];
    let out =
        util::run_child("a_cpu_loop_is_reported_and_the_env_var_sets_the_global_threshold", "spinner", &env);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let id = util::field(&stdout, "id=").expect("the child printed the fiber id");
    let named = format!("fiber 'spinner' (id {id}) has run on worker ");
    let ours = warnings(&stderr).into_iter().filter(|l| l.contains(&named)).count();
    assert_eq!(ours, 1, "{stderr}");
    assert!(stderr.contains("Stall threshold 50 ms"), "{stderr}");
}

/// A stream that never runs dry, read with the IO budget off: the fiber
/// holds its worker without a blocking call, and the warning says so —
/// it counts the IO operations of the run and points at the budget
/// instead of blaming std IO or a CPU loop.
#[test]
fn a_stream_that_never_runs_dry_is_reported_as_io_not_as_a_blocking_call() {
    if util::is_child("reader") {
        use std::io::{Read, Write};
        let rt = fiberio::Runtime::builder()
            .workers(1)
            .name("stall")
            .io_budget(0)
            .stall_threshold(Some(Duration::from_millis(20)))
            .build()
            .unwrap();
        // A Unix stream whose buffer is filled before the reader starts:
        // every byte written is readable at once, so the reader finds data
        // on each of its reads, however busy the machine.
        let (reader, mut w) = std::os::unix::net::UnixStream::pair().unwrap();
        w.set_nonblocking(true).unwrap();
        let mut filled = 0;
        while let Ok(n) = w.write(&[7u8; 4096]) {
            filled += n;
        }
        assert!(filled >= 64 << 10, "only {filled} bytes fit in the socket buffer");
        let reader = fiberio::os::unix::net::UnixStream::from(std::os::fd::OwnedFd::from(reader));
        run_named(&rt, "reader", move || {
            let mut s = reader;
            // Small reads with a little work each: tens of thousands of
            // reads, far more than the 20 ms threshold, and never one
            // past the data written.
            let (mut buf, mut left) = ([0u8; 4], filled);
            let end = Instant::now() + Duration::from_millis(300);
            while left >= buf.len() && Instant::now() < end {
                left -= s.read(&mut buf).unwrap();
                let work = Instant::now() + Duration::from_micros(2);
                while Instant::now() < work {
                    std::hint::spin_loop();
                }
            }
        });
        drop(w);
        return;
    }
    let out = util::run_child(
        "a_stream_that_never_runs_dry_is_reported_as_io_not_as_a_blocking_call",
        "reader",
        &[],
    );
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let id = util::field(&stdout, "id=").expect("the child printed the fiber id");
    let named = format!("fiber 'reader' (id {id}) has run on worker ");
    let ours: Vec<_> = warnings(&stderr).into_iter().filter(|l| l.contains(&named)).collect();
    assert_eq!(ours.len(), 1, "{stdout}\n{stderr}");
    assert!(ours[0].contains("not a blocking call: it completed "), "{}", ours[0]);
    assert!(ours[0].contains("IO budget is off (RuntimeBuilder::io_budget(0))"), "{}", ours[0]);
    assert!(!ours[0].contains("std blocking call"), "{}", ours[0]);
}

#[test]
fn a_busy_fiber_that_yields_is_never_reported() {
    if util::is_child("yielder") {
        let rt = runtime(Some(Some(Duration::from_millis(500))));
        run_named(&rt, "yielder", || {
            let end = Instant::now() + Duration::from_secs(2);
            let mut n = 0u64;
            while Instant::now() < end {
                n = std::hint::black_box(n.wrapping_mul(31).wrapping_add(7));
                fiberio::yield_now();
            }
        });
        return;
    }
    let out = util::run_child("a_busy_fiber_that_yields_is_never_reported", "yielder", &[]);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(warnings(&stderr), Vec::<&str>::new());
    assert_eq!(util::field(&stdout, "stalls="), Some("0"), "{stdout}");
}

#[test]
fn turned_off_nothing_is_printed() {
    if util::is_child("off-builder") {
        run_named(&runtime(Some(None)), "sleeper", sleep_a_second);
        return;
    }
    if util::is_child("off-env") {
        // Not set on the builder: FIBERIO_STALL_WARNING_MS=0 applies.
        run_named(&runtime(None), "sleeper", sleep_a_second);
        return;
    }
    for (scenario, env) in [("off-builder", vec![]), ("off-env", vec![("FIBERIO_STALL_WARNING_MS", "0")])] {
        let out = util::run_child("turned_off_nothing_is_printed", scenario, &env);
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{scenario}: {stdout}\n{stderr}");
        assert!(!stderr.contains("fiberio:"), "{scenario}: {stderr}");
        assert_eq!(util::field(&stdout, "stalls="), Some("0"), "{scenario}: {stdout}");
    }
}

#[test]
fn a_bad_threshold_is_rejected_with_what_to_change() {
    if util::is_child("bad-env") {
        println!("err={}", fiberio::Runtime::builder().build().unwrap_err());
        return;
    }
    let out = util::run_child(
        "a_bad_threshold_is_rejected_with_what_to_change",
        "bad-env",
        &[("FIBERIO_STALL_WARNING_MS", "soon")],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let err = util::field(&stdout, "err=").expect(&stdout);
    assert!(err.contains("FIBERIO_STALL_WARNING_MS=\"soon\" is not a number of milliseconds"), "{err}");
    let tiny = Some(Duration::from_micros(10));
    let err = fiberio::Runtime::builder().stall_threshold(tiny).build().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(
        err.to_string().contains("(from `stall_threshold`) would report ordinary fiber runs; pass from 1 ms"),
        "{err}"
    );
}

/// Names of this process's threads (`/proc/self/task/*/comm`).
fn thread_names() -> Vec<String> {
    let tasks = std::fs::read_dir("/proc/self/task").expect("/proc/self/task is readable");
    let comm = |e: std::fs::DirEntry| std::fs::read_to_string(e.path().join("comm")).ok();
    tasks.filter_map(|e| e.ok().and_then(comm)).map(|c| c.trim().to_string()).collect()
}

#[test]
fn the_watchdog_thread_exits_with_its_runtime() {
    if util::is_child("threads") {
        let before = thread_names();
        for _ in 0..3 {
            let rt = runtime(Some(Some(Duration::from_millis(10))));
            rt.block_on(|| fiberio::sleep(Duration::from_millis(30)));
            // A thread names itself once it runs: wait for that.
            let names =
                std::fmt::from_fn(|f| write!(f, "a watchdog thread runs (threads: {:?})", thread_names()));
            util::wait_until(Duration::from_secs(20), names, || {
                thread_names().iter().any(|n| n == "stall-watchdog")
            });
            drop(rt);
        }
        let after = thread_names();
        println!("before={}", before.len());
        println!("after={}", after.len());
        println!("names={after:?}");
        return;
    }
    let out = util::run_child("the_watchdog_thread_exits_with_its_runtime", "threads", &[]);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(util::field(&stdout, "before="), util::field(&stdout, "after="), "{stdout}");
    assert!(!stdout.contains("watchdog\""), "{stdout}");
}
