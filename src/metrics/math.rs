//! Prometheus's arithmetic, for the demo's simulator source (which reads counters
//! without a Prometheus) and to check the numbers a real one returns.

/// Relative difference between neighbouring cumulative counts that Prometheus treats as
/// floating-point noise rather than as a real (non-monotonic) difference.
const SMALL_DELTA: f64 = 1e-12;

/// The `q`-quantile of a classic histogram given as (upper bound `le`, cumulative
/// count) pairs in any order, as PromQL's `histogram_quantile` computes it: linear
/// interpolation inside the bucket holding rank `q * total`, from 0 for the lowest
/// bucket when its bound is positive; in the `+Inf` bucket, the highest finite bound.
/// Buckets with the same bound are added up and counts are forced monotonic, as
/// Prometheus does. `None` where Prometheus gives NaN or an infinity (no `+Inf` bucket,
/// fewer than two buckets, no observations, `q` outside 0..=1), since kshift shows
/// both as unknown.
pub fn histogram_quantile(q: f64, buckets: &[(f64, f64)]) -> Option<f64> {
    if !(0.0..=1.0).contains(&q) {
        return None;
    }
    let mut buckets = buckets.to_vec();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    if buckets.last()?.0 != f64::INFINITY {
        return None;
    }
    buckets.dedup_by(|next, kept| {
        let same = next.0 == kept.0;
        if same {
            kept.1 += next.1;
        }
        same
    });
    monotonic(&mut buckets);
    if buckets.len() < 2 {
        return None;
    }
    let total = buckets[buckets.len() - 1].1;
    if total == 0.0 {
        return None;
    }
    let rank = q * total;
    // The first bucket whose count reaches the rank, searched among the finite ones;
    // none means the rank is in the +Inf bucket.
    let b = buckets[..buckets.len() - 1].partition_point(|&(_, count)| count < rank);
    if b == buckets.len() - 1 {
        return Some(buckets[b - 1].0);
    }
    let (end, count) = buckets[b];
    if b == 0 && end <= 0.0 {
        return Some(end);
    }
    let (start, below) = if b > 0 { buckets[b - 1] } else { (0.0, 0.0) };
    super::parse::finite(start + (end - start) * ((rank - below) / (count - below)))
}

/// Removes decreases between neighbouring buckets (scrapes racing an increment, or
/// float noise after `rate` and `sum`), without moving the reference point past them.
fn monotonic(buckets: &mut [(f64, f64)]) {
    let Some(&(_, mut prev)) = buckets.first() else {
        return;
    };
    for bucket in buckets.iter_mut().skip(1) {
        let current = bucket.1;
        if current == prev {
            continue;
        }
        if almost_equal(prev, current) || current < prev {
            bucket.1 = prev;
            continue;
        }
        prev = current;
    }
}

fn almost_equal(a: f64, b: f64) -> bool {
    let diff = (a - b).abs();
    if a == 0.0 || b == 0.0 {
        return diff < SMALL_DELTA * f64::MIN_POSITIVE;
    }
    diff / (a.abs() + b.abs()).min(f64::MAX) < SMALL_DELTA
}

/// Per-second increase of a counter read `seconds` apart. A counter that went down was
/// reset (its process restarted), so everything it counted since is the increase, as
/// Prometheus assumes. `None` without a positive interval.
pub fn rate(c0: f64, c1: f64, seconds: f64) -> Option<f64> {
    if seconds.is_nan() || seconds <= 0.0 {
        return None;
    }
    let increase = if c1 < c0 { c1 } else { c1 - c0 };
    super::parse::finite(increase / seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUCKETS: [(f64, f64); 4] = [
        (10.0, 20.0),
        (50.0, 60.0),
        (100.0, 90.0),
        (f64::INFINITY, 100.0),
    ];

    fn close(a: Option<f64>, b: f64) {
        let a = a.expect("a value");
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    #[test]
    fn interpolates_inside_the_bucket() {
        // rank 50 falls in (10, 50] holding 20..60: 10 + (50-20)/(60-20) * 40.
        close(histogram_quantile(0.5, &BUCKETS), 40.0);
        // rank 95 is past 100's 90: in +Inf, so the highest finite bound.
        close(histogram_quantile(0.95, &BUCKETS), 100.0);
        close(histogram_quantile(0.99, &BUCKETS), 100.0);
        // rank 75 in (50, 100] holding 60..90: 50 + 15/30 * 50.
        close(histogram_quantile(0.75, &BUCKETS), 75.0);
        // rank 10 in the first bucket, from 0: 10 * 10/20.
        close(histogram_quantile(0.1, &BUCKETS), 5.0);
        // rank exactly at a bound's count stays in that bucket.
        close(histogram_quantile(0.9, &BUCKETS), 100.0);
        close(histogram_quantile(0.6, &BUCKETS), 50.0);
        close(histogram_quantile(0.0, &BUCKETS), 0.0);
        close(histogram_quantile(1.0, &BUCKETS), 100.0);
    }

    #[test]
    fn order_duplicates_and_decreases_are_handled_as_prometheus_does() {
        let shuffled = [BUCKETS[3], BUCKETS[1], BUCKETS[0], BUCKETS[2]];
        close(histogram_quantile(0.5, &shuffled), 40.0);
        // Two series with the same bound (e.g. from two pods, not summed) add up.
        let split = [
            (10.0, 10.0),
            (10.0, 10.0),
            (50.0, 60.0),
            (100.0, 90.0),
            (f64::INFINITY, 100.0),
        ];
        close(histogram_quantile(0.5, &split), 40.0);
        // A dip (50 → 55 below 60 of the previous bucket) is lifted to 60.
        let dip = [
            (10.0, 20.0),
            (50.0, 60.0),
            (75.0, 55.0),
            (100.0, 90.0),
            (f64::INFINITY, 100.0),
        ];
        // rank 75 in (75, 100] holding 60..90: 75 + 15/30 * 25.
        close(histogram_quantile(0.75, &dip), 87.5);
    }

    #[test]
    fn negative_and_zero_bounds() {
        // The lowest bucket's bound is returned as is when it is not above 0.
        let buckets = [(-5.0, 10.0), (5.0, 20.0), (f64::INFINITY, 20.0)];
        close(histogram_quantile(0.25, &buckets), -5.0);
        // Above it, interpolation starts at the lower bucket's bound: -5 + 5/10 * 10.
        close(histogram_quantile(0.75, &buckets), 0.0);
    }

    #[test]
    fn unknown_where_prometheus_gives_nan_or_infinity() {
        assert_eq!(histogram_quantile(0.5, &[]), None);
        assert_eq!(histogram_quantile(0.5, &[(f64::INFINITY, 10.0)]), None);
        assert_eq!(histogram_quantile(0.5, &[(10.0, 5.0), (100.0, 10.0)]), None);
        assert_eq!(
            histogram_quantile(0.5, &[(10.0, 0.0), (f64::INFINITY, 0.0)]),
            None
        );
        assert_eq!(histogram_quantile(1.5, &BUCKETS), None);
        assert_eq!(histogram_quantile(-0.1, &BUCKETS), None);
        assert_eq!(histogram_quantile(f64::NAN, &BUCKETS), None);
    }

    #[test]
    fn rates() {
        close(rate(100.0, 160.0, 60.0), 1.0);
        close(rate(100.0, 100.0, 60.0), 0.0);
        // Reset: 100 then 30 means 30 since the restart.
        close(rate(100.0, 30.0, 30.0), 1.0);
        assert_eq!(rate(1.0, 2.0, 0.0), None);
        assert_eq!(rate(1.0, 2.0, f64::NAN), None);
        assert_eq!(rate(f64::NAN, 2.0, 1.0), None);
    }
}
