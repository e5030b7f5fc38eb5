//! SVG plots in the spirit of the Mio paper's figures: throughput against
//! connections per server (its figures 5 and 13 plot throughput against
//! cores; we also plot 1 vs 2 workers), and latency CDFs under 400
//! connections and for a single client (its figures 14 and 18).
//!
//! plotters' SVG backend with no font feature: text goes into the SVG as
//! `<text>` elements and is laid out with plotters' built-in size estimate,
//! so no system font library is needed.

use std::io;
use std::path::{Path, PathBuf};

use plotters::prelude::*;

use crate::report::thousands;
use crate::runner::Results;
use crate::runner::measure::SimpleRow;
use crate::servers::Kind;

/// Tick labels and legend.
const LABEL: (&str, u32) = ("sans-serif", 16);
/// Axis descriptions.
const AXIS: (&str, u32) = ("sans-serif", 18);

fn color(k: Kind) -> RGBColor {
    match k {
        Kind::Fiberio => RGBColor(214, 39, 40),
        Kind::Tokio => RGBColor(31, 119, 180),
        Kind::May => RGBColor(44, 160, 44),
        Kind::Threads => RGBColor(148, 103, 189),
        Kind::Epoll => RGBColor(80, 80, 80),
    }
}

fn err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("plot: {e}"))
}

/// Writes every plot the results allow into `dir`; returns the files.
pub fn all(r: &Results, dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut files = Vec::new();
    let mut conns: Vec<u64> = r.simple.iter().map(|s| s.conns).collect();
    conns.sort_unstable();
    conns.dedup();
    if conns.len() >= 2 {
        let f = dir.join("throughput.svg");
        lines(&f, "SimpleServer throughput", "connections", &r.simple, |s| s.conns as f64, true)?;
        files.push(f);
    }
    for (c, name, title) in [
        (400, "latency_cdf_400.svg", "Latency CDF, 400 connections (to p99.9)"),
        (1, "latency_cdf_single.svg", "Latency CDF, single client (to p99.9)"),
    ] {
        let rows: Vec<&SimpleRow> = r.simple.iter().filter(|s| s.conns == c).collect();
        if !rows.is_empty() {
            let f = dir.join(name);
            cdf(&f, title, &rows)?;
            files.push(f);
        }
    }
    if !r.cpu.is_empty() {
        let f = dir.join("cpu_workers.svg");
        let title = format!("Throughput with {:.0} µs of CPU work per request", r.cpu[0].work_us);
        lines(&f, &title, "workers", &r.cpu, |s| s.workers as f64, false)?;
        files.push(f);
    }
    Ok(files)
}

/// Requests/s against `x(row)`, one line per server.
fn lines(
    path: &Path,
    title: &str,
    xdesc: &str,
    rows: &[SimpleRow],
    x: fn(&SimpleRow) -> f64,
    log_x: bool,
) -> io::Result<()> {
    let xmax = rows.iter().map(x).fold(1.0, f64::max);
    // Headroom at the top for the legend.
    let ymax = rows.iter().map(|s| s.load.rate()).fold(1.0, f64::max) * 1.4;
    let root = SVGBackend::new(path, (800, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut b = ChartBuilder::on(&root);
    b.caption(title, ("sans-serif", 26)).margin(15).x_label_area_size(45).y_label_area_size(80);
    let series = |k: Kind| {
        let mut p: Vec<(f64, f64)> =
            rows.iter().filter(|s| s.kind == k).map(|s| (x(s), s.load.rate())).collect();
        p.sort_by(|a, b| a.0.total_cmp(&b.0));
        p
    };
    macro_rules! draw {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_desc(xdesc)
                .y_desc("requests/s")
                .label_style(LABEL)
                .axis_desc_style(AXIS)
                .x_label_formatter(&|v| format!("{v}"))
                .y_label_formatter(&|v| thousands(*v))
                .draw()
                .map_err(err)?;
            for k in Kind::ALL {
                let p = series(k);
                if p.is_empty() {
                    continue;
                }
                let c = color(k);
                chart
                    .draw_series(LineSeries::new(p.clone(), c.stroke_width(2)))
                    .map_err(err)?
                    .label(k.name())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
                chart.draw_series(p.into_iter().map(|q| Circle::new(q, 4, c.filled()))).map_err(err)?;
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .border_style(BLACK)
                .background_style(WHITE.mix(0.9))
                .label_font(LABEL)
                .draw()
                .map_err(err)?;
        }};
    }
    if log_x {
        draw!(b.build_cartesian_2d((0.8..xmax * 1.25).log_scale(), 0.0..ymax).map_err(err)?);
    } else {
        draw!(b.build_cartesian_2d(0.5..xmax + 0.5, 0.0..ymax).map_err(err)?);
    }
    root.present().map_err(err)
}

/// Cumulative fraction against latency (µs, log scale), one line per server.
fn cdf(path: &Path, title: &str, rows: &[&SimpleRow]) -> io::Result<()> {
    let us = |ns: u64| (ns.max(1) as f64) / 1000.0;
    let lo = rows.iter().flat_map(|s| s.load.cdf.first()).map(|p| us(p.1)).fold(f64::MAX, f64::min);
    // Up to the 99.9th percentile: the last few samples would squeeze the rest.
    let shown = |s: &SimpleRow| s.load.cdf.iter().filter(|p| p.0 <= 0.999).copied().collect::<Vec<_>>();
    let hi = rows.iter().flat_map(|s| shown(s).last().copied()).map(|p| us(p.1)).fold(0.0, f64::max);
    let root = SVGBackend::new(path, (800, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 26))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d((lo.min(hi) * 0.8..hi.max(lo) * 1.25).log_scale(), 0.0..1.0)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("response time (µs)")
        .y_desc("fraction of requests")
        .label_style(LABEL)
        .axis_desc_style(AXIS)
        .x_label_formatter(&|v| format!("{v}"))
        .draw()
        .map_err(err)?;
    for s in rows {
        let c = color(s.kind);
        let p: Vec<(f64, f64)> = shown(s).into_iter().map(|(q, ns)| (us(ns), q)).collect();
        chart
            .draw_series(LineSeries::new(p, c.stroke_width(2)))
            .map_err(err)?
            .label(s.kind.name())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .border_style(BLACK)
        .background_style(WHITE.mix(0.9))
        .label_font(LABEL)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)
}
