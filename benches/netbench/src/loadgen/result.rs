//! What one load-generator run measured, as one `result key=value ...`
//! line the runner parses back.

use hdrhistogram::Histogram;

/// Quantiles written for latency CDF plots.
pub fn cdf_quantiles() -> Vec<f64> {
    let mut q: Vec<f64> = (0..100).map(|i| f64::from(i) / 100.0).collect();
    q.extend((1..10).map(|i| 0.99 + f64::from(i) / 1000.0));
    q.extend([0.9995, 0.9999, 1.0]);
    q
}

/// One run's figures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadResult {
    /// Requests answered during the measurement.
    pub measured: u64,
    /// Requests the server answered from the start of the measurement until
    /// drained (measured plus those in flight at its end).
    pub served: u64,
    /// Measurement length, seconds.
    pub secs: f64,
    /// The generator's own CPU time over the window, µs.
    pub client_cpu_us: u64,
    /// Wrong replies.
    pub errors: u64,
    /// Latency quantiles, ns.
    pub p50: u64,
    /// 99th percentile, ns.
    pub p99: u64,
    /// 99.9th percentile, ns.
    pub p999: u64,
    /// Largest, ns.
    pub max: u64,
    /// `(quantile, ns)` at [`cdf_quantiles`].
    pub cdf: Vec<(f64, u64)>,
}

impl LoadResult {
    /// Figures from counters and the merged histogram.
    pub fn new(
        measured: u64,
        served: u64,
        secs: f64,
        client_cpu_us: u64,
        errors: u64,
        h: &Histogram<u64>,
    ) -> Self {
        let cdf = cdf_quantiles().into_iter().map(|q| (q, h.value_at_quantile(q))).collect();
        Self {
            measured,
            served,
            secs,
            client_cpu_us,
            errors,
            p50: h.value_at_quantile(0.5),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
            cdf,
        }
    }

    /// Requests per second.
    pub fn rate(&self) -> f64 {
        if self.secs > 0.0 { self.measured as f64 / self.secs } else { 0.0 }
    }

    /// The `result ...` line.
    pub fn to_line(&self) -> String {
        let cdf: Vec<String> = self.cdf.iter().map(|(q, v)| format!("{q}:{v}")).collect();
        format!(
            "result measured={} served={} secs={} client_cpu_us={} errors={} p50={} p99={} p999={} max={} cdf={}",
            self.measured,
            self.served,
            self.secs,
            self.client_cpu_us,
            self.errors,
            self.p50,
            self.p99,
            self.p999,
            self.max,
            cdf.join(",")
        )
    }

    /// Parses [`LoadResult::to_line`].
    pub fn parse(line: &str) -> Option<Self> {
        let mut r = Self::default();
        for kv in line.strip_prefix("result ")?.split_whitespace() {
            let (k, v) = kv.split_once('=')?;
            let n = || v.parse::<u64>().ok();
            match k {
                "measured" => r.measured = n()?,
                "served" => r.served = n()?,
                "secs" => r.secs = v.parse().ok()?,
                "client_cpu_us" => r.client_cpu_us = n()?,
                "errors" => r.errors = n()?,
                "p50" => r.p50 = n()?,
                "p99" => r.p99 = n()?,
                "p999" => r.p999 = n()?,
                "max" => r.max = n()?,
                "cdf" => {
                    r.cdf = v
                        .split(',')
                        .filter(|p| !p.is_empty())
                        .map(|p| {
                            let (q, ns) = p.split_once(':')?;
                            Some((q.parse().ok()?, ns.parse().ok()?))
                        })
                        .collect::<Option<_>>()?;
                }
                _ => return None,
            }
        }
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_line_round_trips() {
        let mut h = crate::loadgen::client::histogram();
        for v in [1_000, 2_000, 50_000] {
            h.record(v).unwrap();
        }
        let r = LoadResult::new(3, 4, 1.5, 77, 0, &h);
        assert_eq!(LoadResult::parse(&r.to_line()), Some(r.clone()));
        assert!(r.p50 >= 1_999 && r.p50 <= 2_001, "{}", r.p50);
        assert_eq!(LoadResult::parse("result bogus=1"), None);
    }
}
