//! The traffic model, pure: how many requests a release gets, how they split over its
//! versions, and how each one fares (status code and latency).

use rand::Rng;
use serde_json::Value;

/// Upper bounds of the latency buckets, in milliseconds; `+Inf` follows.
pub const BOUNDS_MS: [f64; 12] = [
    1.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0,
];
/// Buckets counting `+Inf`.
pub const BUCKETS: usize = BOUNDS_MS.len() + 1;

/// Requests per second per release, before jitter.
pub const RATE_PER_S: f64 = 60.0;
/// The rate varies by up to this fraction from one tick to the next.
const JITTER: f64 = 0.1;

pub const ERROR_RATE: &str = "demo.kshift.dev/error-rate";
pub const LATENCY_MS: &str = "demo.kshift.dev/latency-ms";
pub const DEFAULT_LATENCY_MS: f64 = 40.0;
/// A proxy with no ready endpoint answers at once.
const UNAVAILABLE_LATENCY_MS: f64 = 1.0;

pub const OK: u16 = 200;
pub const FAILED: u16 = 500;
pub const UNAVAILABLE: u16 = 503;

/// The faults of a version's pods.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Faults {
    /// Fraction of requests that fail with a 500.
    pub error_rate: f64,
    /// The median latency.
    pub latency_ms: f64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            error_rate: 0.0,
            latency_ms: DEFAULT_LATENCY_MS,
        }
    }
}

impl Faults {
    /// The fault annotations of a workload: its pod template's first (what the pods run),
    /// then its own. Values that do not parse are the defaults.
    pub fn of(workload: &Value) -> Faults {
        let read = |key: &str| {
            [&workload["spec"]["template"], workload]
                .into_iter()
                .find_map(|o| number(&o["metadata"]["annotations"][key]))
        };
        let defaults = Faults::default();
        Faults {
            error_rate: read(ERROR_RATE).map_or(defaults.error_rate, |r| r.clamp(0.0, 1.0)),
            latency_ms: read(LATENCY_MS)
                .filter(|l| *l > 0.0)
                .unwrap_or(defaults.latency_ms),
        }
    }
}

fn number(value: &Value) -> Option<f64> {
    value
        .as_str()
        .and_then(|s| s.trim().parse().ok())
        .or_else(|| value.as_f64())
        .filter(|n: &f64| n.is_finite())
}

/// Latency observations: a count per bucket (not cumulative; the last is above every
/// bound) and their sum.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Observations {
    pub buckets: [u64; BUCKETS],
    pub sum_ms: f64,
}

impl Observations {
    pub fn observe(&mut self, ms: f64) {
        // `le` is inclusive, as Prometheus counts.
        let bucket = BOUNDS_MS
            .iter()
            .position(|bound| ms <= *bound)
            .unwrap_or(BOUNDS_MS.len());
        self.buckets[bucket] += 1;
        self.sum_ms += ms;
    }

    pub fn add(&mut self, other: &Observations) {
        for (into, from) in self.buckets.iter_mut().zip(other.buckets) {
            *into += from;
        }
        self.sum_ms += other.sum_ms;
    }

    pub fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }

    /// Counts at or below each bound, then the total (`+Inf`).
    pub fn cumulative(&self) -> [u64; BUCKETS] {
        let mut total = 0;
        self.buckets.map(|count| {
            total += count;
            total
        })
    }
}

/// What one version served in one tick.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Outcome {
    pub ok: u64,
    pub failed: u64,
    pub unavailable: u64,
    pub latency: Observations,
}

impl Outcome {
    /// Requests by status code, those that happened.
    pub fn codes(&self) -> impl Iterator<Item = (u16, u64)> {
        [
            (OK, self.ok),
            (FAILED, self.failed),
            (UNAVAILABLE, self.unavailable),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
    }

    pub fn errors(&self) -> u64 {
        self.failed + self.unavailable
    }
}

/// Latencies of a log-logistic distribution (shape 4: p95 is about 2.1 and p99 about
/// 3.2 times the median), a long tail like real services'. It is sampled from a table of
/// its quantiles, one lookup per request, so that 10,000 releases stay cheap.
pub struct LatencyTable {
    /// Quantiles of the distribution with median 1, at evenly spaced probabilities.
    quantiles: Vec<f64>,
}

/// A power of two, so that a random index is a mask.
const TABLE: usize = 4096;
const SHAPE: f64 = 4.0;

impl Default for LatencyTable {
    fn default() -> Self {
        let quantiles = (0..TABLE)
            .map(|i| {
                let p = (i as f64 + 0.5) / TABLE as f64;
                (p / (1.0 - p)).powf(1.0 / SHAPE)
            })
            .collect();
        LatencyTable { quantiles }
    }
}

impl LatencyTable {
    fn sample(&self, rng: &mut impl Rng, median_ms: f64) -> f64 {
        median_ms * self.quantiles[rng.random::<u32>() as usize & (TABLE - 1)]
    }
}

/// How many requests a release gets in `seconds`.
pub fn arrivals(rng: &mut impl Rng, seconds: f64) -> u64 {
    let expected = RATE_PER_S * seconds * (1.0 + rng.random_range(-JITTER..=JITTER));
    let whole = expected.floor();
    // Rounding at random keeps the mean exact.
    whole as u64 + u64::from(rng.random::<f64>() < expected - whole)
}

/// Splits `n` requests by the versions' weights (percent). Weights that sum below 100
/// leave the rest unrouted; above 100 they are scaled down.
pub fn split(rng: &mut impl Rng, n: u64, weights: &[f64]) -> Vec<u64> {
    let weights: Vec<f64> = weights.iter().map(|w| w.max(0.0)).collect();
    let mut counts = vec![0; weights.len()];
    let total: f64 = weights.iter().sum();
    let scale = if total > 100.0 { 100.0 / total } else { 1.0 };
    let mut positive = weights.iter().enumerate().filter(|(_, w)| **w > 0.0);
    // One version takes everything: the common case at scale, without a draw per request.
    if let (Some((only, weight)), None) = (positive.next(), positive.next())
        && *weight * scale >= 100.0
    {
        counts[only] = n;
        return counts;
    }
    for _ in 0..n {
        let mut pick = rng.random::<f64>() * 100.0 / scale;
        for (count, weight) in counts.iter_mut().zip(&weights) {
            if pick < *weight {
                *count += 1;
                break;
            }
            pick -= weight;
        }
    }
    counts
}

/// Serves `n` requests on a version: `error_rate` of them fail with a 500; with no ready
/// pod all of them fail with a 503, as the proxy has nowhere to send them.
pub fn serve(
    rng: &mut impl Rng,
    table: &LatencyTable,
    n: u64,
    faults: Faults,
    ready: bool,
    out: &mut Outcome,
) {
    for _ in 0..n {
        let median = if !ready {
            out.unavailable += 1;
            UNAVAILABLE_LATENCY_MS
        } else if faults.error_rate > 0.0 && rng.random::<f64>() < faults.error_rate {
            out.failed += 1;
            faults.latency_ms
        } else {
            out.ok += 1;
            faults.latency_ms
        };
        out.latency.observe(table.sample(rng, median));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use serde_json::json;

    #[test]
    fn faults_prefer_the_pod_template_and_ignore_nonsense() {
        let workload = json!({
            "metadata": {"annotations": {ERROR_RATE: "0.5", LATENCY_MS: "90"}},
            "spec": {"template": {"metadata": {"annotations": {ERROR_RATE: " 0.25 "}}}},
        });
        let faults = Faults::of(&workload);
        assert_eq!((faults.error_rate, faults.latency_ms), (0.25, 90.0));
        let odd = json!({"metadata": {"annotations": {ERROR_RATE: "7", LATENCY_MS: "-3"}}});
        assert_eq!(Faults::of(&odd).error_rate, 1.0);
        assert_eq!(Faults::of(&odd).latency_ms, DEFAULT_LATENCY_MS);
        assert_eq!(Faults::of(&json!(null)), Faults::default());
    }

    #[test]
    fn arrivals_stay_near_the_rate() {
        let mut rng = StdRng::seed_from_u64(1);
        let ticks: Vec<u64> = (0..1000).map(|_| arrivals(&mut rng, 1.0)).collect();
        assert!(ticks.iter().all(|n| (54..=66).contains(n)), "{ticks:?}");
        let mean = ticks.iter().sum::<u64>() as f64 / ticks.len() as f64;
        assert!((mean - RATE_PER_S).abs() < 0.5, "{mean}");
    }

    #[test]
    fn split_follows_weights_and_leaves_missing_weight_unrouted() {
        let mut rng = StdRng::seed_from_u64(2);
        assert_eq!(split(&mut rng, 60, &[100.0, 0.0]), [60, 0]);
        let counts = split(&mut rng, 100_000, &[80.0, 10.0]);
        let share = |c: u64| c as f64 / 100_000.0;
        assert!((share(counts[0]) - 0.8).abs() < 0.01, "{counts:?}");
        assert!((share(counts[1]) - 0.1).abs() < 0.01, "{counts:?}");
        let over = split(&mut rng, 100_000, &[150.0, 50.0]);
        assert_eq!(over.iter().sum::<u64>(), 100_000);
        assert!((share(over[0]) - 0.75).abs() < 0.01, "{over:?}");
    }

    #[test]
    fn cumulative_buckets_end_at_the_count() {
        let mut observed = Observations::default();
        for ms in [0.5, 1.0, 7.0, 99.0, 20_000.0] {
            observed.observe(ms);
        }
        let cumulative = observed.cumulative();
        assert_eq!(&cumulative[..6], [2, 2, 3, 3, 3, 4]);
        assert_eq!(cumulative[BUCKETS - 1], observed.count());
        assert_eq!(observed.count(), 5);
        assert_eq!(observed.sum_ms, 20_107.5);
    }
}
