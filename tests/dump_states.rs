//! The fiber dump says what each fiber waits on — an fd and direction, a
//! timer, each lock, a channel, a select, a join, the helper pool, a
//! future — that a fiber that yields is runnable, where each was spawned,
//! and shows the user's own function in a parked fiber's backtrace.

mod util;

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::time::{Duration, Instant};

use fiberio::os::unix::net::UnixStream;
use fiberio::sync::{Barrier, Condvar, Mutex, RwLock, Select, Semaphore, WaitGroup, mpsc};
use fiberio::{FiberState, WaitReason};
use util::{PATIENCE, one_worker, parked_info, state_of, two_workers, wait_until};

/// Whether `address` lies inside `object` (a primitive's state may sit at
/// an offset within it).
fn inside<T>(address: usize, object: &T) -> bool {
    let start = object as *const T as usize;
    (start..start + size_of::<T>().max(1)).contains(&address)
}

fn on(state: FiberState) -> WaitReason {
    match state {
        FiberState::Parked { on, .. } => on,
        other => panic!("not parked: {other:?}"),
    }
}

#[inline(never)]
fn parked_in_user_code(rx: mpsc::Receiver<u32>) -> u32 {
    rx.recv().expect("a value")
}

#[test]
fn a_channel_receive_shows_the_channel_the_spawn_site_and_the_users_frame() {
    let rt = one_worker();
    let (tx, rx) = mpsc::channel::<u32>();
    let (h, line) = (rt.spawn(move || parked_in_user_code(rx)), line!());
    let info = parked_info(&rt, h.fiber().id());
    assert!(matches!(on(info.state), WaitReason::Recv { .. }), "{info}");
    assert_eq!(info.spawned_at.file(), file!());
    assert_eq!(info.spawned_at.line(), line);
    assert_eq!(info.worker, 0);
    let bt = info.backtrace().expect("a parked fiber's backtrace").to_string();
    assert!(bt.contains("parked_in_user_code"), "{bt}");
    let text = info.to_string();
    assert!(text.contains("parked_in_user_code") && text.contains("chan receive"), "{text}");
    tx.send(7).unwrap();
    assert_eq!(h.join().unwrap(), 7);
}

#[test]
fn io_waits_name_the_fd_and_direction() {
    let rt = two_workers();
    let (a, b) = UnixStream::pair().unwrap();
    let fd = a.as_raw_fd();
    let reader = rt.spawn(move || {
        let mut a = a;
        let mut buf = [0u8; 8];
        a.read(&mut buf).unwrap()
    });
    assert_eq!(on(parked_info(&rt, reader.fiber().id()).state), WaitReason::Read { fd });
    let (c, d) = UnixStream::pair().unwrap();
    let wfd = c.as_raw_fd();
    let writer = rt.spawn(move || {
        let mut c = c;
        c.write_all(&vec![0u8; 1 << 24]).unwrap();
        1 << 24
    });
    assert_eq!(on(parked_info(&rt, writer.fiber().id()).state), WaitReason::Write { fd: wfd });
    (&b).write_all(b"hi").unwrap();
    assert_eq!(reader.join().unwrap(), 2);
    let drain = rt.spawn(move || {
        let mut d = d;
        let mut buf = vec![0u8; 1 << 24];
        d.read_exact(&mut buf).unwrap();
    });
    assert_eq!(writer.join().unwrap(), 1 << 24);
    drain.join().unwrap();
}

#[test]
fn a_sleep_shows_its_deadline() {
    let rt = one_worker();
    let before = Instant::now();
    let h = rt.spawn(|| fiberio::sleep(Duration::from_secs(3600)));
    let info = parked_info(&rt, h.fiber().id());
    match info.state {
        FiberState::Parked { on: WaitReason::Sleep, deadline: Some(d) } => {
            assert!(d >= before + Duration::from_secs(3600), "{info}")
        }
        other => panic!("not a sleep with a deadline: {other:?}"),
    }
    assert!(info.to_string().contains("times out in"), "{info}");
    h.cancel();
    assert!(h.join().unwrap_err().is::<fiberio::Cancelled>());
}

#[test]
fn locks_name_the_primitive() {
    let rt = two_workers();
    let mutex = Arc::new(Mutex::new(()));
    let rw = Arc::new(RwLock::new(()));
    let sem = Arc::new(Semaphore::new(0));
    let barrier = Arc::new(Barrier::new(2));
    let wg = Arc::new(WaitGroup::new());
    let guard = mutex.lock().unwrap();
    let read_guard = rw.read().unwrap();
    wg.add(1);
    let m = mutex.clone();
    let on_mutex = rt.spawn(move || drop(m.lock().unwrap()));
    let r = rw.clone();
    let on_write = rt.spawn(move || drop(r.write().unwrap()));
    let s = sem.clone();
    let on_sem = rt.spawn(move || drop(s.acquire()));
    let b = barrier.clone();
    let on_barrier = rt.spawn(move || b.wait().is_leader());
    let w = wg.clone();
    let on_wg = rt.spawn(move || w.wait());
    let reason = |fiber: fiberio::Fiber| on(parked_info(&rt, fiber.id()).state);
    assert!(matches!(reason(on_mutex.fiber()), WaitReason::Mutex { address } if inside(address, &*mutex)));
    assert!(matches!(reason(on_write.fiber()), WaitReason::RwLockWrite { address } if inside(address, &*rw)));
    assert!(matches!(reason(on_sem.fiber()), WaitReason::Semaphore { address } if inside(address, &*sem)));
    assert!(
        matches!(reason(on_barrier.fiber()), WaitReason::Barrier { address } if inside(address, &*barrier))
    );
    assert!(matches!(reason(on_wg.fiber()), WaitReason::WaitGroup { address } if inside(address, &*wg)));
    drop(read_guard);
    drop(guard);
    sem.add_permits(1);
    barrier.wait();
    wg.done();
    on_mutex.join().unwrap();
    on_write.join().unwrap();
    on_sem.join().unwrap();
    on_barrier.join().unwrap();
    on_wg.join().unwrap();
    // A read lock behind a writer, and a condvar.
    let held = rw.write().unwrap();
    let r = rw.clone();
    let on_read = rt.spawn(move || drop(r.read().unwrap()));
    assert!(matches!(reason(on_read.fiber()), WaitReason::RwLockRead { address } if inside(address, &*rw)));
    drop(held);
    on_read.join().unwrap();
    let pair = Arc::new((Mutex::new(false), Condvar::new()));
    let p = pair.clone();
    let on_cv = rt.spawn(move || {
        let mut ready = p.0.lock().unwrap();
        while !*ready {
            ready = p.1.wait(ready).unwrap();
        }
    });
    assert!(matches!(reason(on_cv.fiber()), WaitReason::Condvar { address } if inside(address, &pair.1)));
    *pair.0.lock().unwrap() = true;
    pair.1.notify_all();
    on_cv.join().unwrap();
}

#[test]
fn channels_select_join_and_the_helper_pool() {
    let rt = two_workers();
    let (tx, rx) = mpsc::sync_channel::<u32>(0);
    let sender = rt.spawn(move || tx.send(1).unwrap());
    assert!(matches!(on(parked_info(&rt, sender.fiber().id()).state), WaitReason::Send { .. }));
    assert_eq!(rx.recv().unwrap(), 1);
    sender.join().unwrap();

    let (tx1, rx1) = mpsc::channel::<u32>();
    let (_tx2, rx2) = mpsc::channel::<u32>();
    let selecting = rt.spawn(move || {
        let mut sel = Select::new();
        sel.recv(&rx1);
        sel.recv(&rx2);
        sel.select().index()
    });
    assert_eq!(on(parked_info(&rt, selecting.fiber().id()).state), WaitReason::Select);
    tx1.send(5).unwrap();
    assert_eq!(selecting.join().unwrap(), 0);

    let (tx, rx) = mpsc::channel::<u32>();
    let target = rt.spawn(move || rx.recv().unwrap());
    let target_id = target.fiber().id();
    let joiner = rt.spawn(move || target.join().unwrap());
    assert_eq!(on(parked_info(&rt, joiner.fiber().id()).state), WaitReason::Join { fiber: target_id });
    tx.send(9).unwrap();
    assert_eq!(joiner.join().unwrap(), 9);

    let (release, held) = std::sync::mpsc::channel::<()>();
    let unblocked = rt.spawn(move || fiberio::unblock(move || held.recv().unwrap()));
    assert_eq!(on(parked_info(&rt, unblocked.fiber().id()).state), WaitReason::Blocking);
    release.send(()).unwrap();
    unblocked.join().unwrap();

    let polling = rt.spawn(|| fiberio::future::block_on(std::future::pending::<()>()));
    assert_eq!(on(parked_info(&rt, polling.fiber().id()).state), WaitReason::Future);
    polling.cancel();
    assert!(polling.join().unwrap_err().is::<fiberio::Cancelled>());
}

#[test]
fn a_fiber_that_yields_is_runnable_and_a_dumping_fiber_waits_on_the_dump() {
    let rt = two_workers();
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let line = line!() + 1;
    let spinner = rt.spawn(move || {
        while !s.load(SeqCst) {
            fiberio::yield_now();
        }
    });
    let id = spinner.fiber().id();
    wait_until(PATIENCE, "the yielding fiber shows as runnable", || {
        state_of(&rt, id) == Some(FiberState::Runnable)
    });
    let dump = rt.dump();
    let info = dump.fiber(id).expect("the spinner");
    assert_eq!(info.spawned_at.line(), line);
    // Its worker answered between two of its runs: it is runnable still,
    // with no backtrace (only parked fibers are captured: a yield pays
    // nothing for the dump) and no `since`.
    assert_eq!(info.state, FiberState::Runnable);
    assert!(info.backtrace().is_none());
    assert_eq!(info.since, None);
    // A fiber of the runtime that takes a dump shows itself waiting on it.
    let seen = rt.block_on(|| {
        let me = fiberio::current().unwrap().id();
        rt.dump_with(fiberio::DumpOptions::new().backtraces(false)).fiber(me).map(|f| f.state)
    });
    assert!(matches!(seen, Some(FiberState::Parked { on: WaitReason::Dump, deadline: Some(_) })), "{seen:?}");
    stop.store(true, SeqCst);
    spinner.join().unwrap();
}
