//! Beta posteriors of error probabilities, and how likely one exceeds another by a margin.
//!
//! A version that served `n` requests with `e` errors has, from a uniform prior, the
//! posterior Beta(1 + e, 1 + n − e) for its error probability. Both shape parameters are
//! therefore at least 1: every density here is bounded and log-concave, which is what
//! lets a fixed quadrature over a few standard deviations capture all of its mass.
//!
//! Densities are evaluated in log space, so that counts like 100,000 requests (shape
//! parameters whose Beta function underflows any `f64`) stay accurate, to about 1e-9 at
//! a million requests. The
//! distribution function is the regularized incomplete beta function Iₓ(a, b), computed
//! by its continued fraction with Lentz's method. `statrs` has the same function, but it
//! stops after 140 terms, which is too few beyond about 100,000 requests (its result is
//! already off by 0.1 % at a million, and negative at a hundred million); `ln_gamma` is
//! taken from it.

use statrs::function::gamma::ln_gamma;

/// Counts above this many requests are scaled down to it at the same error rate. A
/// posterior from ten million requests is narrower than ±0.02 percentage points at any
/// rate, far below a useful margin, and the continued fraction then needs at most a few
/// hundred terms (it needs about 0.2·√max(a, b)).
const MAX_REQUESTS: f64 = 1e7;

/// Terms of the continued fraction before giving up (ten times what `MAX_REQUESTS`
/// needs).
const MAX_TERMS: u32 = 10_000;

/// When a term changes the continued fraction by less than this, it has converged.
const TOLERANCE: f64 = 1e-15;

/// Stands in for a zero denominator in Lentz's method.
const TINY: f64 = 1e-300;

/// Simpson intervals over the integration range (even). At ±`SPREAD` standard
/// deviations, each interval is 0.08 standard deviations wide.
const INTERVALS: u32 = 512;

/// The integration range, in standard deviations each side of the mean. Beyond 20, a
/// Beta density with both parameters at least 1 has less than 1e-9 of its mass (the
/// exponential density, its limit as b grows with a = 1, has e⁻²¹).
const SPREAD: f64 = 20.0;

/// Grid points where the density is this many times below its value at the mean are
/// left out: together they weigh less than 1e-17 of the mass (far below what a verdict
/// shows, and below the quadrature's own error), and leaving them out spares most of
/// the incomplete beta evaluations, which are the cost of a verdict.
const NEGLIGIBLE: f64 = 1e-20;

/// The Beta(a, b) posterior of one version's error probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Posterior {
    a: f64,
    b: f64,
    /// ln B(a, b), the log of the normalizing constant.
    ln_beta: f64,
}

impl Posterior {
    /// The posterior after `errors` errors in `requests` requests, from a uniform prior.
    /// Counts should be finite with 0 ≤ errors ≤ requests; anything else is brought into
    /// that range (NaN and infinities count as zero) rather than trusted. Counts above
    /// `MAX_REQUESTS` are scaled down to it at the same rate.
    pub(super) fn from_counts(requests: f64, errors: f64) -> Posterior {
        let requests = if requests.is_finite() {
            requests.max(0.0)
        } else {
            0.0
        };
        let errors = if errors.is_finite() {
            errors.max(0.0).min(requests)
        } else {
            0.0
        };
        let scale = if requests > MAX_REQUESTS {
            MAX_REQUESTS / requests
        } else {
            1.0
        };
        Posterior::new(1.0 + errors * scale, 1.0 + (requests - errors) * scale)
    }

    /// P(p > x): how sure the posterior is that the rate is above `x`; `None` when it
    /// cannot be computed.
    pub(super) fn above(&self, x: f64) -> Option<f64> {
        self.tails(x).map(|(_, upper)| upper)
    }

    fn new(a: f64, b: f64) -> Posterior {
        Posterior {
            a,
            b,
            ln_beta: ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b),
        }
    }

    fn mean(&self) -> f64 {
        self.a / (self.a + self.b)
    }

    fn standard_deviation(&self) -> f64 {
        let sum = self.a + self.b;
        (self.a * self.b / (sum * sum * (sum + 1.0))).sqrt()
    }

    /// The density at `x`, computed as the exponential of its logarithm.
    fn density(&self, x: f64) -> f64 {
        if !(0.0..=1.0).contains(&x) {
            return 0.0;
        }
        (power_log(self.a - 1.0, x.ln()) + power_log(self.b - 1.0, (-x).ln_1p()) - self.ln_beta)
            .exp()
    }

    /// P(p ≤ x) and P(p > x): below (a+1)/(a+b+2), near the mean, the first is computed
    /// and the second is 1 − it; above, the other way round, so that the tail away from
    /// the mean is never the difference of two numbers near 1. `None` if the
    /// continued fraction did not converge, or `x` is NaN.
    fn tails(&self, x: f64) -> Option<(f64, f64)> {
        if x.is_nan() {
            return None;
        }
        if x <= 0.0 {
            return Some((0.0, 1.0));
        }
        if x >= 1.0 {
            return Some((1.0, 0.0));
        }
        let y = 1.0 - x;
        // xᵃ·yᵇ / B(a, b), the factor in front of both continued fractions.
        let front = (self.a * x.ln() + self.b * (-x).ln_1p() - self.ln_beta).exp();
        if x < (self.a + 1.0) / (self.a + self.b + 2.0) {
            let lower = (front * continued_fraction(self.a, self.b, x)? / self.a).clamp(0.0, 1.0);
            Some((lower, 1.0 - lower))
        } else {
            // I_x(a, b) = 1 − I_{1−x}(b, a), whose continued fraction converges here.
            let upper = (front * continued_fraction(self.b, self.a, y)? / self.b).clamp(0.0, 1.0);
            Some((1.0 - upper, upper))
        }
    }
}

/// k·ln(v), taking 0·ln(0) as 0 (the density of a shape parameter of 1 at an end).
fn power_log(k: f64, ln_v: f64) -> f64 {
    if k == 0.0 { 0.0 } else { k * ln_v }
}

/// The continued fraction of Iₓ(a, b) (Numerical Recipes, `betacf`): 1/(1+ d₁/(1+ d₂/(1+
/// …))) with d₂ₘ₊₁ = −(a+m)(a+b+m)x / ((a+2m)(a+2m+1)) and d₂ₘ = m(b−m)x /
/// ((a+2m−1)(a+2m)), evaluated by the modified Lentz method. It converges quickly for x <
/// (a+1)/(a+b+2), the only place it is used.
fn continued_fraction(a: f64, b: f64, x: f64) -> Option<f64> {
    let nonzero = |v: f64| if v.abs() < TINY { TINY } else { v };
    let mut c = 1.0;
    let mut d = 1.0 / nonzero(1.0 - (a + b) * x / (a + 1.0));
    let mut h = d;
    for m in 1..=MAX_TERMS {
        let m = f64::from(m);
        let even = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        d = 1.0 / nonzero(1.0 + even * d);
        c = nonzero(1.0 + even / c);
        h *= d * c;
        let odd = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        d = 1.0 / nonzero(1.0 + odd * d);
        c = nonzero(1.0 + odd / c);
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < TOLERANCE {
            return Some(h);
        }
    }
    None
}

/// P(p_canary > p_stable + margin) for independent posteriors:
///
/// ∫ f_stable(x) · P(p_canary > x + margin) dx = ∫ f_canary(y) · P(p_stable < y − margin) dy.
///
/// The integral runs over the narrower of the two densities (so that the grid resolves
/// both it and the other's distribution function), over ±20 of its standard deviations
/// clipped to [0, 1], by composite Simpson's rule; it is divided by the same rule's
/// integral of the density alone, which corrects both the truncation and the quadrature
/// error of the normalization. Where the other's distribution function reaches an end of
/// [0, 1] (x + margin = 1, y − margin = 0) it has a kink, so the range is split there.
/// `None` if an incomplete beta function failed to converge or the margin is NaN.
pub(super) fn probability_worse(
    canary: &Posterior,
    stable: &Posterior,
    margin: f64,
) -> Option<f64> {
    if stable.standard_deviation() <= canary.standard_deviation() {
        expectation(stable, 1.0 - margin, |x| {
            canary.tails(x + margin).map(|(_, above)| above)
        })
    } else {
        expectation(canary, margin, |y| {
            stable.tails(y - margin).map(|(below, _)| below)
        })
    }
}

/// E[g(p)] under `posterior`, by the quadrature described at `probability_worse`, with
/// the range split at `kink` if it falls inside.
fn expectation(posterior: &Posterior, kink: f64, g: impl Fn(f64) -> Option<f64>) -> Option<f64> {
    let (mean, spread) = (posterior.mean(), SPREAD * posterior.standard_deviation());
    let (low, high) = ((mean - spread).max(0.0), (mean + spread).min(1.0));
    let split = if low < kink && kink < high {
        kink
    } else {
        high
    };
    let floor = posterior.density(mean) * NEGLIGIBLE;
    let (mut weighted, mut mass) = (0.0, 0.0);
    for (start, end) in [(low, split), (split, high)] {
        let step = (end - start) / f64::from(INTERVALS);
        for i in 0..=INTERVALS {
            let weight = match i {
                0 | INTERVALS => 1.0,
                odd if odd % 2 == 1 => 4.0,
                _ => 2.0,
            };
            let x = start + step * f64::from(i);
            let density = posterior.density(x);
            if density < floor {
                continue;
            }
            let density = step * weight * density;
            weighted += density * g(x)?;
            mass += density;
        }
    }
    let expectation = weighted / mass;
    expectation.is_finite().then(|| expectation.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64, tolerance: f64) {
        assert!(
            (actual - expected).abs() <= tolerance,
            "{actual} is not within {tolerance} of {expected}"
        );
    }

    fn cdf(a: f64, b: f64, x: f64) -> f64 {
        Posterior::new(a, b).tails(x).unwrap().0
    }

    /// Iₓ(a, b) for whole a, b: P(Binomial(a+b−1, x) ≥ a), summed term by term.
    fn binomial_cdf(a: u32, b: u32, x: f64) -> f64 {
        let n = a + b - 1;
        let mut term = (1.0 - x).powi(n as i32);
        let mut below = 0.0;
        for j in 0..a {
            below += term;
            term *= f64::from(n - j) / f64::from(j + 1) * x / (1.0 - x);
        }
        1.0 - below
    }

    #[test]
    fn incomplete_beta_matches_closed_forms() {
        for x in [1e-9, 0.001, 0.1, 0.37, 0.5, 0.9, 0.999] {
            // I_x(1, b) = 1 − (1 − x)^b and I_x(a, 1) = x^a.
            for k in [1.0, 2.0, 7.5, 300.0] {
                close(cdf(1.0, k, x), 1.0 - (1.0 - x).powf(k), 1e-13);
                close(cdf(k, 1.0, x), x.powf(k), 1e-13);
            }
            for (a, b) in [(2, 3), (4, 58), (10, 10), (31, 200), (3, 150)] {
                close(
                    cdf(f64::from(a), f64::from(b), x),
                    binomial_cdf(a, b, x),
                    1e-12,
                );
            }
        }
    }

    #[test]
    fn incomplete_beta_matches_known_values_for_large_counts() {
        // Reference values from mpmath at 50 digits (as the binomial sums above).
        for (a, b, x, expected) in [
            (31.0, 5971.0, 0.005, 0.4520124192975053),
            (501.0, 99501.0, 0.005, 0.48819825610849),
            (601.0, 99401.0, 0.0055, 0.01640843826634981),
            (25001.0, 75001.0, 0.2495, 0.3565303362208692),
            (25001.0, 75001.0, 0.25, 0.4990288518642006),
            (50001.0, 50001.0, 0.499, 0.2635428725368423),
            (250001.0, 750001.0, 0.2498, 0.3217780205288873),
            (2500001.0, 7500001.0, 0.25, 0.4999028845899721),
        ] {
            close(cdf(a, b, x), expected, 1e-8);
        }
        close(cdf(50001.0, 50001.0, 0.5), 0.5, 1e-9);
    }

    #[test]
    fn tails_add_up_and_handle_the_ends() {
        let posterior = Posterior::new(4.0, 58.0);
        for x in [0.01, 0.05, 0.0645, 0.2] {
            let (below, above) = posterior.tails(x).unwrap();
            close(below + above, 1.0, 1e-15);
            close(
                above,
                Posterior::new(58.0, 4.0).tails(1.0 - x).unwrap().0,
                1e-13,
            );
        }
        assert_eq!(posterior.tails(-0.5), Some((0.0, 1.0)));
        assert_eq!(posterior.tails(1.5), Some((1.0, 0.0)));
        assert_eq!(posterior.tails(f64::NAN), None);
        assert_eq!(posterior.density(-0.1), 0.0);
        close(Posterior::new(1.0, 1.0).density(0.0), 1.0, 1e-12);
        close(Posterior::new(1.0, 5.0).density(0.0), 5.0, 1e-12);
        assert_eq!(Posterior::new(2.0, 5.0).density(0.0), 0.0);
    }

    #[test]
    fn probability_matches_closed_forms_with_a_margin() {
        let uniform = Posterior::from_counts(0.0, 0.0);
        // Beta(2, 1): one error in one request.
        let rising = Posterior::from_counts(1.0, 1.0);
        for m in [0.0, 0.01, 0.1, 0.5] {
            // Two uniforms: P(Y > X + m) = (1 − m)² / 2.
            close(
                probability_worse(&uniform, &uniform, m).unwrap(),
                (1.0 - m) * (1.0 - m) / 2.0,
                1e-5,
            );
            // Y ~ Beta(2, 1), X uniform: ∫₀^{1−m} (1 − (x + m)²) dx = (1 − m) − (1 − m³)/3.
            close(
                probability_worse(&rising, &uniform, m).unwrap(),
                (1.0 - m) - (1.0 - m * m * m) / 3.0,
                1e-5,
            );
        }
    }

    /// P(p_B > p_A) for whole α_B (Evan Miller, "Formulas for Bayesian A/B testing"):
    /// Σ_{i<α_B} B(α_A + i, β_A + β_B) / ((β_B + i) · B(1 + i, β_B) · B(α_A, β_A)), with B the
    /// canary and A stable, each (requests, errors).
    fn closed_form_worse(canary: (u32, u32), stable: (u32, u32)) -> f64 {
        let ln_beta = |a: f64, b: f64| ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b);
        let (alpha_b, beta_b) = (canary.1 + 1, f64::from(canary.0 - canary.1 + 1));
        let (alpha_a, beta_a) = (f64::from(stable.1 + 1), f64::from(stable.0 - stable.1 + 1));
        (0..alpha_b)
            .map(f64::from)
            .map(|i| {
                (ln_beta(alpha_a + i, beta_a + beta_b)
                    - (beta_b + i).ln()
                    - ln_beta(1.0 + i, beta_b)
                    - ln_beta(alpha_a, beta_a))
                .exp()
            })
            .sum()
    }

    #[test]
    fn probability_matches_the_closed_form_from_small_to_large_counts() {
        // (requests, errors) of canary and stable.
        for (canary, stable) in [
            ((60, 3), (6000, 30)),
            ((20, 1), (30, 0)),
            ((1000, 12), (100, 1)),
            ((100_000, 600), (100_000, 500)),
            ((100_000, 520), (100_000, 500)),
            ((100_000, 5000), (2000, 90)),
            ((5000, 0), (100_000, 1)),
        ] {
            let worse = probability_worse(
                &Posterior::from_counts(f64::from(canary.0), f64::from(canary.1)),
                &Posterior::from_counts(f64::from(stable.0), f64::from(stable.1)),
                0.0,
            )
            .unwrap();
            close(worse, closed_form_worse(canary, stable), 1e-6);
        }
    }

    #[test]
    fn probability_is_exact_across_a_kink() {
        // Stable without errors has Beta(1, n + 1), whose distribution function is
        // 1 − (1 − t)^(n+1) from t = 0: a kink at y = margin under a narrow canary. The
        // references are mpmath quadratures split at the kink (30 digits).
        for (canary, stable_requests, expected) in [
            ((1e6, 1e4), 1000.0, 0.037825747394),
            ((1e5, 1e3), 300.0, 0.0370090810355),
        ] {
            let worse = probability_worse(
                &Posterior::from_counts(canary.0, canary.1),
                &Posterior::from_counts(stable_requests, 0.0),
                0.01,
            )
            .unwrap();
            close(worse, expected, 1e-8);
        }
    }

    #[test]
    fn huge_and_odd_counts_stay_finite_and_fast() {
        let huge = Posterior::from_counts(1e15, 2e13);
        close(huge.a, 200_001.0, 1e-6);
        close(huge.b, 9_800_001.0, 1e-6);
        let small = Posterior::from_counts(1e12, 1e10);
        let worse = probability_worse(&huge, &small, 0.005).unwrap();
        close(worse, 1.0, 1e-9);
        close(probability_worse(&small, &huge, 0.0).unwrap(), 0.0, 1e-9);
        for (requests, errors) in [
            (f64::NAN, 1.0),
            (-5.0, 2.0),
            (10.0, 20.0),
            (f64::INFINITY, f64::NAN),
        ] {
            let odd = Posterior::from_counts(requests, errors);
            assert!(odd.a >= 1.0 && odd.b >= 1.0, "{odd:?}");
            assert!(probability_worse(&odd, &huge, 0.01).is_some_and(|p| (0.0..=1.0).contains(&p)));
        }
        assert_eq!(probability_worse(&huge, &small, f64::NAN), None);
    }
}
