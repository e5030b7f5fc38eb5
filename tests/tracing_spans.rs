//! Feature `tracing`: a fiber's span (`Builder::span`) is entered for each
//! of its runs and exited when it parks, so events of other fibers that
//! run meanwhile on the same worker are not inside it; stall reports are
//! `WARN` events of target `fiberio::stall` naming the fiber and where it
//! was spawned, rate-limited per fiber.
#![cfg(feature = "tracing")]

mod util;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use fiberio::sync::mpsc;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use util::one_worker;

/// What the subscriber saw of one event: its message (or target), the
/// span current on its thread, and its fields.
#[derive(Debug, Clone)]
struct Seen {
    target: String,
    message: String,
    span: Option<String>,
    fields: HashMap<String, String>,
}

/// A subscriber that keeps, per thread, the stack of entered spans, and
/// records every event with the innermost one.
#[derive(Default)]
struct Recorder {
    next: AtomicU64,
    names: Mutex<HashMap<u64, String>>,
    events: Mutex<Vec<Seen>>,
}

thread_local! {
    static STACK: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_string(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, SeqCst) + 1;
        self.names.lock().unwrap().insert(id, span.metadata().name().to_string());
        Id::from_u64(id)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = HashMap::new();
        event.record(&mut Fields(&mut fields));
        let span = STACK.with(|s| s.borrow().last().copied());
        let span = span.and_then(|id| self.names.lock().unwrap().get(&id).cloned());
        let message = fields.get("message").cloned().unwrap_or_default();
        let target = event.metadata().target().to_string();
        self.events.lock().unwrap().push(Seen { target, message, span, fields });
    }
    fn enter(&self, span: &Id) {
        STACK.with(|s| s.borrow_mut().push(span.into_u64()));
    }
    fn exit(&self, span: &Id) {
        STACK.with(|s| {
            let mut s = s.borrow_mut();
            let top = s.pop();
            assert_eq!(top, Some(span.into_u64()), "spans exit in the order they were entered");
        });
    }
}

/// The process-wide recorder (worker threads see only the global default).
fn recorder() -> &'static Recorder {
    static REC: OnceLock<&'static Recorder> = OnceLock::new();
    REC.get_or_init(|| {
        let rec: &'static Recorder = Box::leak(Box::default());
        struct Global(&'static Recorder);
        impl Subscriber for Global {
            fn enabled(&self, m: &Metadata<'_>) -> bool {
                self.0.enabled(m)
            }
            fn new_span(&self, s: &Attributes<'_>) -> Id {
                self.0.new_span(s)
            }
            fn record(&self, i: &Id, r: &Record<'_>) {
                self.0.record(i, r)
            }
            fn record_follows_from(&self, a: &Id, b: &Id) {
                self.0.record_follows_from(a, b)
            }
            fn event(&self, e: &Event<'_>) {
                self.0.event(e)
            }
            fn enter(&self, s: &Id) {
                self.0.enter(s)
            }
            fn exit(&self, s: &Id) {
                self.0.exit(s)
            }
        }
        tracing::subscriber::set_global_default(Global(rec)).expect("the only subscriber");
        rec
    })
}

fn events_with(message: &str) -> Vec<Seen> {
    recorder().events.lock().unwrap().iter().filter(|e| e.message == message).cloned().collect()
}

#[test]
fn a_fibers_span_does_not_leak_to_the_fibers_that_run_while_it_is_parked() {
    recorder();
    let rt = one_worker();
    let (to_a, a_rx) = mpsc::channel::<()>();
    let (a_parked, parked) = mpsc::channel::<()>();
    let a = rt.block_on(|| {
        fiberio::Builder::new()
            .span(tracing::info_span!("span_a"))
            .spawn(move || {
                tracing::info!("a before park");
                a_parked.send(()).unwrap();
                a_rx.recv().unwrap();
                tracing::info!("a after park");
            })
            .unwrap()
    });
    parked.recv().unwrap();
    util::parked_info(&rt, a.fiber().id());
    // Fiber B, with a span, and fiber C, without, run on the same (only)
    // worker while A is parked.
    let b = rt.block_on(|| {
        fiberio::Builder::new()
            .span(tracing::info_span!("span_b"))
            .spawn(|| tracing::info!("b runs"))
            .unwrap()
    });
    b.join().unwrap();
    rt.block_on(|| fiberio::spawn(|| tracing::info!("c runs")).join().unwrap());
    to_a.send(()).unwrap();
    a.join().unwrap();

    let span_of = |m: &str| {
        let seen = events_with(m);
        assert_eq!(seen.len(), 1, "{m}: {seen:?}");
        seen[0].span.clone()
    };
    assert_eq!(span_of("a before park").as_deref(), Some("span_a"));
    assert_eq!(span_of("b runs").as_deref(), Some("span_b"));
    assert_eq!(span_of("c runs"), None, "nothing leaked from span_a or span_b");
    assert_eq!(span_of("a after park").as_deref(), Some("span_a"), "re-entered on resume");
}

#[test]
fn stall_reports_are_events_with_the_spawn_location_and_are_rate_limited() {
    recorder();
    let rt = fiberio::Runtime::builder()
        .workers(1)
        .stall_threshold(Some(Duration::from_millis(20)))
        .build()
        .unwrap();
    let line = line!() + 2;
    let h = rt.block_on(|| {
        fiberio::Builder::new().name("tracing-staller".into()).spawn(|| {
            // Two runs that each block the worker far past the threshold.
            std::thread::sleep(Duration::from_millis(300));
            fiberio::yield_now();
            std::thread::sleep(Duration::from_millis(300));
        })
    });
    h.unwrap().join().unwrap();
    let stalls: u64 = rt.metrics().iter().map(|m| m.stalls).sum();
    assert_eq!(stalls, 2, "both runs are counted");
    let ours: Vec<Seen> = recorder()
        .events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| {
            e.target == "fiberio::stall"
                && e.fields.get("fiber_name").map(String::as_str) == Some("tracing-staller")
        })
        .cloned()
        .collect();
    assert_eq!(ours.len(), 1, "one report per fiber per 10 s: {ours:?}");
    let at = &ours[0].fields["spawned_at"];
    assert!(at.starts_with(&format!("{}:{line}:", file!())), "{ours:?}");
}
