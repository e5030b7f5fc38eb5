//! The markdown report: one table per workload, then the goals of
//! DESIGN.md section 5 with measured ratios (see [`crate::goals`]).

use std::fmt::Write;

use crate::runner::Results;
use crate::runner::measure::SimpleRow;
use crate::servers::Kind;

/// `1234567` as `1,234,567`.
pub fn thousands(n: f64) -> String {
    let s = format!("{:.0}", n.max(0.0));
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn us(ns: u64) -> String {
    format!("{:.1}", ns as f64 / 1000.0)
}

/// Syscall names grouped into the table's columns.
const GROUPS: [(&str, &[&str]); 5] = [
    ("read", &["read", "recvfrom", "recvmsg", "readv"]),
    ("write", &["write", "sendto", "sendmsg", "writev"]),
    ("epoll_wait", &["epoll_wait", "epoll_pwait", "epoll_pwait2"]),
    ("epoll_ctl", &["epoll_ctl"]),
    ("futex", &["futex"]),
];

fn simple_table(out: &mut String, rows: &[&SimpleRow]) {
    out.push_str(
        "| server | conns | workers | requests/s | server CPU µs/req | vol. cs/req | invol. cs/req | \
         RSS MiB (peak) | p50 µs | p99 µs | p99.9 µs | loadgen CPU µs/req |\n",
    );
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.2} | {:.4} | {:.4} | {:.1} ({:.1}) | {} | {} | {} | {:.2} |",
            r.kind.name(),
            thousands(r.conns as f64),
            r.workers,
            thousands(r.load.rate()),
            r.cpu_us,
            r.nvcsw,
            r.nivcsw,
            r.rss_kib as f64 / 1024.0,
            r.hwm_kib as f64 / 1024.0,
            us(r.load.p50),
            us(r.load.p99),
            us(r.load.p999),
            r.client_cpu_us,
        );
    }
}

/// The best speedup two shared cores allow over one worker when the load
/// generator runs on the same machine: one worker saturates a core at `s`
/// µs per request; two cores must also pay the generator's `c` µs, so at
/// most `2s / (s + c)`.
pub fn speedup_ceiling(one_worker: &SimpleRow) -> f64 {
    let (s, c) = (one_worker.cpu_us, one_worker.client_cpu_us);
    if s <= 0.0 { 0.0 } else { (2.0 * s / (s + c)).min(2.0) }
}

/// The whole report.
pub fn markdown(r: &Results, header: &str) -> String {
    let mut out = String::new();
    out.push_str(header);
    if !r.simple.is_empty() {
        out.push_str("\n### SimpleServer: closed loop, 32-byte requests and replies\n\n");
        simple_table(&mut out, &r.simple.iter().collect::<Vec<_>>());
    }
    let single: Vec<_> = r.simple.iter().filter(|s| s.conns == 1).collect();
    if !single.is_empty() {
        out.push_str("\n### Single client round trip (1 connection)\n\n");
        out.push_str(
            "| server | p50 µs | p99 µs | p99.9 µs | p50 / threads' p50 |\n|---|---:|---:|---:|---:|\n",
        );
        let base = single.iter().find(|s| s.kind == Kind::Threads).map(|s| s.load.p50 as f64);
        for s in &single {
            let ratio = base.map_or("–".into(), |b| format!("{:.2}", s.load.p50 as f64 / b));
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {ratio} |",
                s.kind.name(),
                us(s.load.p50),
                us(s.load.p99),
                us(s.load.p999)
            );
        }
    }
    if !r.syscalls.is_empty() {
        let s0 = &r.syscalls[0];
        let _ = write!(
            out,
            "\n### Syscalls per request (`strace -c -f` on the server over ~{} requests)\n\n",
            thousands(s0.requests as f64)
        );
        out.push_str("| server | conns | total | read | write | epoll_wait | epoll_ctl | futex | other |\n");
        out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for s in &r.syscalls {
            let per = |c: u64| c as f64 / s.requests.max(1) as f64;
            let mut row = format!("| {} | {} | {:.3} |", s.kind.name(), s.conns, per(s.calls.total()));
            for (_, names) in GROUPS {
                let _ = write!(row, " {:.3} |", per(names.iter().map(|n| s.calls.calls(n)).sum()));
            }
            let other: Vec<String> = s
                .calls
                .by_name
                .iter()
                .filter(|(n, ..)| !GROUPS.iter().any(|(_, names)| names.contains(&n.as_str())))
                .take(4)
                .map(|(n, c, _)| format!("{n} {:.3}", per(*c)))
                .collect();
            let _ = writeln!(out, "{row} {} |", other.join(", "));
        }
        out.push_str("\nThe three most frequent calls per request (of which failed, mostly `EAGAIN`): ");
        let names: Vec<String> = r
            .syscalls
            .iter()
            .map(|s| {
                let per = |c: u64| c as f64 / s.requests.max(1) as f64;
                let top: Vec<String> = s
                    .calls
                    .by_name
                    .iter()
                    .take(3)
                    .map(|(n, c, e)| format!("{n} {:.3} ({:.3} failed)", per(*c), per(*e)))
                    .collect();
                format!("{}: {}", s.kind.name(), top.join(", "))
            })
            .collect();
        out.push_str(&names.join("; "));
        out.push_str(".\n");
    }
    if !r.chain.is_empty() {
        let _ = write!(
            out,
            "\n### Chain of {} hops over Unix socketpairs (one byte, around and around)\n\n",
            r.chain[0].hops
        );
        out.push_str(
            "| runtime | ns per transfer | syscalls per transfer | by type |\n|---|---:|---:|---|\n",
        );
        for c in &r.chain {
            let (total, by) = match &c.calls_per_hop {
                Some(v) => (
                    format!("{:.2}", v.iter().map(|x| x.1).sum::<f64>()),
                    v.iter()
                        .filter(|x| x.1 >= 0.005)
                        .map(|(n, x)| format!("{n} {x:.2}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                None => ("–".into(), "not traced".into()),
            };
            let _ = writeln!(out, "| {} | {:.0} | {total} | {by} |", c.kind.name(), c.ns_per_hop);
        }
    }
    if !r.idle.is_empty() {
        let mut sizes: Vec<u64> = r.idle.iter().map(|i| i.conns).collect();
        sizes.sort_unstable();
        sizes.dedup();
        out.push_str("\n### Idle memory: server RSS added per idle connection (KiB)\n\n| server |");
        for s in &sizes {
            let _ = write!(out, " {} conns |", thousands(*s as f64));
        }
        out.push_str(" RSS at the largest (MiB) |\n|---|");
        out.push_str(&"---:|".repeat(sizes.len() + 1));
        out.push('\n');
        for k in Kind::ALL {
            let rows: Vec<_> = r.idle.iter().filter(|i| i.kind == k).collect();
            if rows.is_empty() {
                continue;
            }
            let _ = write!(out, "| {} |", k.name());
            for s in &sizes {
                let cell = rows
                    .iter()
                    .find(|i| i.conns == *s)
                    .map_or("failed".into(), |i| format!("{:.1}", i.per_conn()));
                let _ = write!(out, " {cell} |");
            }
            let last = rows.iter().max_by_key(|i| i.conns).map_or(0, |i| i.after_kib);
            let _ = writeln!(out, " {:.1} |", last as f64 / 1024.0);
        }
    }
    if !r.cpu.is_empty() {
        let _ = write!(
            out,
            "\n### CPU work: {:.0} µs of hashing per request, {} connections, 1 vs {} workers\n\n",
            r.cpu[0].work_us,
            r.cpu[0].conns,
            r.cpu.iter().map(|c| c.workers).max().unwrap_or(2)
        );
        out.push_str(
            "| server | 1 worker req/s | more workers req/s | speedup | ceiling here | server CPU µs/req (1 / more) |\n",
        );
        out.push_str("|---|---:|---:|---:|---:|---:|\n");
        for k in Kind::ALL {
            let one = r.cpu.iter().find(|c| c.kind == k && c.workers == 1);
            let more = r.cpu.iter().find(|c| c.kind == k && c.workers > 1);
            if let (Some(a), Some(b)) = (one, more) {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {:.2}x | {:.2}x | {:.1} / {:.1} |",
                    k.name(),
                    thousands(a.load.rate()),
                    thousands(b.load.rate()),
                    b.load.rate() / a.load.rate().max(1.0),
                    speedup_ceiling(a),
                    a.cpu_us,
                    b.cpu_us
                );
            }
        }
    }
    out.push_str(&crate::goals::table(r));
    if !r.notes.is_empty() {
        out.push_str("\n### Cases that failed or were skipped\n\n");
        for n in &r.notes {
            let _ = writeln!(out, "- {n}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_separators() {
        assert_eq!(super::thousands(1234567.4), "1,234,567");
        assert_eq!(super::thousands(999.0), "999");
        assert_eq!(super::thousands(0.0), "0");
    }
}
