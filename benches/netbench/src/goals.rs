//! The goals of DESIGN.md section 5 that netbench measures, each as a
//! measured ratio against its bound, from one run's [`Results`].

use std::fmt::Write;

use crate::runner::Results;
use crate::runner::measure::SimpleRow;
use crate::servers::Kind;

/// One goal's verdict.
#[derive(Clone, Debug)]
pub struct Goal {
    /// What DESIGN.md asks.
    pub goal: &'static str,
    /// The measured figure(s).
    pub measured: String,
    /// `Some(true)` met, `Some(false)` missed, `None` not measured.
    pub met: Option<bool>,
}

fn at(rows: &[SimpleRow], kind: Kind, conns: u64) -> Option<&SimpleRow> {
    rows.iter().find(|r| r.kind == kind && r.conns == conns)
}

fn ratio_goal(
    goal: &'static str,
    what: &str,
    a: Option<f64>,
    b: Option<f64>,
    ok: impl Fn(f64) -> bool,
) -> Goal {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => {
            let x = a / b;
            Goal { goal, measured: format!("{x:.2}x ({what}: {a:.3} vs {b:.3})"), met: Some(ok(x)) }
        }
        _ => Goal { goal, measured: "not measured".into(), met: None },
    }
}

/// Every goal netbench measures.
pub fn evaluate(r: &Results) -> Vec<Goal> {
    let s = &r.simple;
    let cpu = |k| at(s, k, 400).map(|x| x.cpu_us);
    let rate = |k| at(s, k, 400).map(|x| x.load.rate());
    let mut g = vec![
        ratio_goal(
            "server CPU/request at 400 conns ≤ 0.95x tokio",
            "µs/req",
            cpu(Kind::Fiberio),
            cpu(Kind::Tokio),
            |x| x <= 0.95,
        ),
        ratio_goal(
            "server CPU/request at 400 conns ≤ 1.05x epoll",
            "µs/req",
            cpu(Kind::Fiberio),
            cpu(Kind::Epoll),
            |x| x <= 1.05,
        ),
        ratio_goal(
            "throughput at 400 conns ≥ tokio",
            "req/s",
            rate(Kind::Fiberio),
            rate(Kind::Tokio),
            |x| x >= 1.0,
        ),
        ratio_goal("throughput at 400 conns ≥ may", "req/s", rate(Kind::Fiberio), rate(Kind::May), |x| {
            x >= 1.0
        }),
    ];
    let sys = r.syscalls.iter().find(|x| x.kind == Kind::Fiberio && x.conns == 400);
    let per = |name: Option<&str>| {
        sys.map(|x| {
            let c = name.map_or(x.calls.total(), |n| x.calls.calls(n));
            c as f64 / x.requests.max(1) as f64
        })
    };
    let bound = |goal, v: Option<f64>, ok: &dyn Fn(f64) -> bool| match v {
        Some(v) => Goal { goal, measured: format!("{v:.4}"), met: Some(ok(v)) },
        None => Goal { goal, measured: "not measured".into(), met: None },
    };
    g.push(bound("syscalls/request at saturation ≤ 2.2", per(None), &|v| v <= 2.2));
    g.push(bound("epoll_ctl/request = 0", per(Some("epoll_ctl")), &|v| v < 0.0005));
    g.push(bound(
        "voluntary context switches/request < 0.01 (400 conns)",
        at(s, Kind::Fiberio, 400).map(|x| x.nvcsw),
        &|v| v < 0.01,
    ));
    let p50 = |k| at(s, k, 1).map(|x| x.load.p50 as f64 / 1000.0);
    g.push(ratio_goal(
        "single-client p50 ≤ 1.10x a thread blocked in read",
        "µs",
        p50(Kind::Fiberio),
        p50(Kind::Threads),
        |x| x <= 1.10,
    ));
    let idle: Vec<_> = r.idle.iter().filter(|i| i.kind == Kind::Fiberio).collect();
    g.push(if idle.is_empty() {
        Goal { goal: "≤ 8 KiB RSS per parked fiber/connection", measured: "not measured".into(), met: None }
    } else {
        let worst = idle.iter().map(|i| i.per_conn()).fold(0.0, f64::max);
        let each: Vec<String> = idle.iter().map(|i| format!("{:.1} at {}", i.per_conn(), i.conns)).collect();
        Goal {
            goal: "≤ 8 KiB RSS per parked fiber/connection",
            measured: format!("{} KiB", each.join(", ")),
            met: Some(worst <= 8.0),
        }
    });
    g.push(match at(s, Kind::Fiberio, 10_000) {
        Some(x) => Goal {
            goal: "10k concurrent connections",
            measured: format!("{:.0} req/s at 10,000", x.load.rate()),
            met: Some(true),
        },
        None => {
            Goal { goal: "10k concurrent connections", measured: "not measured or failed".into(), met: None }
        }
    });
    let cpu_row = |w: fn(usize) -> bool| r.cpu.iter().find(|c| c.kind == Kind::Fiberio && w(c.workers));
    let rate = |w| cpu_row(w).map(|c| c.load.rate());
    let mut speedup =
        ratio_goal("2 workers ≥ 1.8x one with CPU work", "req/s", rate(|w| w > 1), rate(|w| w == 1), |x| {
            x >= 1.8
        });
    if let Some(one) = cpu_row(|w| w == 1) {
        let ceiling = crate::report::speedup_ceiling(one);
        let _ = write!(speedup.measured, "; ceiling with the load generator on the same cores {ceiling:.2}x");
    }
    g.push(speedup);
    g
}

/// The goals as a markdown table.
pub fn table(r: &Results) -> String {
    let mut out = String::from(
        "\n### DESIGN.md section 5 goals (fiberio)\n\n| goal | measured | verdict |\n|---|---|---|\n",
    );
    for g in evaluate(r) {
        let v = match g.met {
            Some(true) => "met",
            Some(false) => "**missed**",
            None => "–",
        };
        let _ = writeln!(out, "| {} | {} | {v} |", g.goal, g.measured);
    }
    out
}
