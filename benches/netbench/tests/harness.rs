//! The harness works: every server starts on an ephemeral port and answers
//! a short counted load correctly (each reply checked, including the work
//! hash), its usage can be read, the chain runs on every runtime, and bad
//! input gets a clear error. Counts, not timings: nothing here depends on
//! how fast this machine is.

use std::path::Path;
use std::process::Command;

use netbench::runner::procs::{LoadProc, LoadSpec, ServerProc};
use netbench::servers::Kind;

fn exe() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_netbench"))
}

fn spec(conns: u64, requests: u64, work: u32) -> LoadSpec {
    LoadSpec {
        conns,
        first_conn: 0,
        threads: 2,
        warmup: 0.05,
        duration: 60.0,
        requests: Some(requests),
        work,
        check_work: true,
        idle: false,
    }
}

#[test]
fn every_server_answers_a_counted_load_correctly() {
    for kind in Kind::ALL {
        for work in [0, 5] {
            let mut srv = ServerProc::start(exe(), kind, 2, work).unwrap();
            let mut load = LoadProc::start(exe(), srv.addr, &spec(20, 2_000, work)).unwrap();
            load.wait_warm().unwrap();
            let before = srv.usage().unwrap();
            let r = load.measure().unwrap();
            let after = srv.usage().unwrap();
            load.finish().unwrap();
            srv.check_alive().unwrap();
            let name = kind.name();
            assert_eq!(r.errors, 0, "{name}: wrong replies");
            assert_eq!(r.measured, 2_000, "{name}: every measured request counted once");
            assert!(r.served >= r.measured, "{name}: served {} < measured {}", r.served, r.measured);
            assert!(r.p50 > 0 && r.p50 <= r.p99 && r.p99 <= r.max, "{name}: latency quantiles in order");
            assert!(
                after.cpu_us >= before.cpu_us && after.rss_kib > 0,
                "{name}: usage {before:?} -> {after:?}"
            );
        }
    }
}

#[test]
fn idle_connections_are_held_until_released() {
    let srv = ServerProc::start(exe(), Kind::Fiberio, 1, 0).unwrap();
    let s = LoadSpec { idle: true, ..spec(50, 0, 0) };
    LoadProc::start(exe(), srv.addr, &s).unwrap().finish().unwrap();
}

#[test]
fn the_chain_runs_on_every_runtime() {
    for kind in Kind::ALL {
        let o = Command::new(exe())
            .args(["chain-run", "--server", kind.name(), "--workers", "2", "--hops", "20", "--rounds", "10"])
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{}: {}", kind.name(), String::from_utf8_lossy(&o.stderr));
        assert!(out.starts_with("chain elapsed_ns="), "{}: {out}", kind.name());
    }
}

#[test]
fn bad_input_gets_a_clear_error() {
    let run = |args: &[&str]| {
        let o = Command::new(exe()).args(args).output().unwrap();
        (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let (code, err) = run(&["simple", "--conns", "many"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--conns: \"many\" is not a number"), "{err}");
    let (code, err) = run(&["simple", "--server", "node"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("unknown server \"node\""), "{err}");
    let (code, err) = run(&["load", "--addr", "127.0.0.1:9", "--conns", "4000000000"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("open-file limit"), "{err}");
    // A port held without SO_REUSEPORT cannot be taken by any server.
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = held.local_addr().unwrap().to_string();
    for kind in Kind::ALL {
        let (code, err) = run(&["serve", "--server", kind.name(), "--addr", &addr]);
        assert_eq!(code, Some(1), "{}: {err}", kind.name());
        assert!(err.contains(&addr) && err.to_lowercase().contains("in use"), "{}: {err}", kind.name());
    }
}
