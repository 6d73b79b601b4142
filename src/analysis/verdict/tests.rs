//! Verdicts from counts with hand-computed expectations.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;

fn sample(requests: f64, errors: f64) -> Sample {
    Sample {
        requests,
        errors,
        p99_ms: None,
    }
}

fn timed(requests: f64, errors: f64, p99_ms: f64) -> Sample {
    Sample {
        requests,
        errors,
        p99_ms: Some(p99_ms),
    }
}

fn defaults() -> Thresholds {
    Thresholds::default()
}

/// Draws from Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b), the gammas by
/// Marsaglia and Tsang's method (shape ≥ 1) on Box–Muller normals: an estimate that
/// shares nothing with the quadrature it checks.
struct Draws(StdRng);

impl Draws {
    fn normal(&mut self) -> f64 {
        let (u, v) = (1.0 - self.0.random::<f64>(), self.0.random::<f64>());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    fn gamma(&mut self, shape: f64) -> f64 {
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v > 0.0 && self.0.random::<f64>().ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }

    fn beta(&mut self, a: f64, b: f64) -> f64 {
        let x = self.gamma(a);
        x / (x + self.gamma(b))
    }

    /// P(p_canary > p_stable + margin) over `n` pairs of posterior draws.
    fn worse(&mut self, canary: (f64, f64), stable: (f64, f64), margin: f64, n: u32) -> f64 {
        let posterior = |(requests, errors): (f64, f64)| (1.0 + errors, 1.0 + requests - errors);
        let ((ca, cb), (sa, sb)) = (posterior(canary), posterior(stable));
        let hits = (0..n)
            .filter(|_| self.beta(ca, cb) > self.beta(sa, sb) + margin)
            .count();
        hits as f64 / f64::from(n)
    }
}

fn monte_carlo(canary: (f64, f64), stable: (f64, f64), margin: f64) -> f64 {
    Draws(StdRng::seed_from_u64(20_260_601)).worse(canary, stable, margin, 50_000)
}

#[test]
fn no_traffic_is_never_healthy() {
    let verdict = judge(None, None, &defaults());
    assert_eq!(verdict.state, State::Inconclusive);
    assert_eq!(verdict.reason, "no metrics for the canary in the window");
    assert_eq!(
        (verdict.canary_requests, verdict.probability_worse),
        (0.0, None)
    );

    let busy = sample(6000.0, 30.0);
    let verdict = judge(Some(&sample(0.0, 0.0)), Some(&busy), &defaults());
    assert_eq!(verdict.state, State::Inconclusive);
    assert_eq!(
        verdict.reason,
        "the canary served no requests in the window"
    );
    assert_eq!(verdict.canary_error_rate, None);
    assert_eq!(verdict.stable_error_rate, Some(0.005));

    let verdict = judge(Some(&busy), Some(&sample(0.0, 0.0)), &defaults());
    assert_eq!(verdict.state, State::Inconclusive);
    assert_eq!(verdict.reason, "stable served no requests in the window");
    assert_eq!(
        judge(Some(&busy), None, &defaults()).reason,
        "no metrics for stable in the window"
    );

    // Not even with no minimum at all.
    let anything = Thresholds {
        min_requests: 0.0,
        ..defaults()
    };
    let verdict = judge(Some(&sample(0.0, 0.0)), Some(&sample(0.0, 0.0)), &anything);
    assert_eq!(verdict.state, State::Inconclusive);
}

#[test]
fn too_few_requests_is_inconclusive() {
    let verdict = judge(
        Some(&sample(12.0, 0.0)),
        Some(&sample(6000.0, 30.0)),
        &defaults(),
    );
    assert_eq!(verdict.state, State::Inconclusive);
    assert_eq!(
        verdict.reason,
        "the canary served 12 requests in the window, fewer than the 50 needed"
    );
    let verdict = judge(
        Some(&sample(6000.0, 30.0)),
        Some(&sample(49.5, 0.0)),
        &defaults(),
    );
    assert_eq!(
        verdict.reason,
        "stable served 49.5 requests in the window, fewer than the 50 needed"
    );
    // Even all errors: too few requests to tell.
    assert_eq!(
        judge(
            Some(&sample(10.0, 10.0)),
            Some(&sample(6000.0, 30.0)),
            &defaults()
        )
        .state,
        State::Inconclusive
    );
}

#[test]
fn equal_rates_are_healthy() {
    let same = sample(5000.0, 50.0);
    let verdict = judge(Some(&same), Some(&same), &defaults());
    assert_eq!(verdict.state, State::Healthy);
    // The difference of two posteriors with sd √(0.01·0.99/5000) = 0.0014 each: a 1 pt
    // margin is 5 standard deviations of the difference, P ≈ 3e-7 (9.0e-7 exactly).
    let worse = verdict.probability_worse.unwrap();
    assert!(worse < 1e-5, "{worse}");
    assert_eq!(
        verdict.reason,
        "canary errors 1.0% vs stable 1.0%: P(worse by >1pt) = 0.00 < 0.95"
    );
    assert_eq!(
        (verdict.canary_error_rate, verdict.stable_error_rate),
        (Some(0.01), Some(0.01))
    );

    // With no margin, two identical posteriors: one is above the other half the time.
    let no_margin = Thresholds {
        margin: 0.0,
        ..defaults()
    };
    let worse = judge(Some(&same), Some(&same), &no_margin)
        .probability_worse
        .unwrap();
    assert!((worse - 0.5).abs() < 1e-9, "{worse}");
}

#[test]
fn a_small_canary_with_a_few_errors() {
    let stable = (6000.0, 30.0);
    // 3 errors in 60 (5 %, exactly at the ceiling, not above it) against 0.5 %:
    // Beta(4, 58) against Beta(31, 5971). The canary's chance of being worse than
    // 0.5 % + 1 pt is P(Binomial(61, ~0.015) ≤ 3) ≈ 0.98 (0.9859 by mpmath): failing.
    let verdict = judge(
        Some(&sample(60.0, 3.0)),
        Some(&sample(stable.0, stable.1)),
        &defaults(),
    );
    let worse = verdict.probability_worse.unwrap();
    let expected = monte_carlo((60.0, 3.0), stable, 0.01);
    assert!(
        (worse - expected).abs() < 0.01,
        "quadrature {worse}, Monte Carlo {expected}"
    );
    assert!((worse - 0.9859).abs() < 0.001, "{worse}");
    assert_eq!(verdict.state, State::Failing);
    assert_eq!(
        verdict.reason,
        "canary errors 5.0% vs stable 0.5%: P(worse by >1pt) = 0.99 ≥ 0.95"
    );

    // 1 error in 60: Beta(2, 60), P(worse) ≈ 0.76: healthy.
    let verdict = judge(
        Some(&sample(60.0, 1.0)),
        Some(&sample(stable.0, stable.1)),
        &defaults(),
    );
    let worse = verdict.probability_worse.unwrap();
    let expected = monte_carlo((60.0, 1.0), stable, 0.01);
    assert!(
        (worse - expected).abs() < 0.01,
        "quadrature {worse}, Monte Carlo {expected}"
    );
    assert!((worse - 0.7635).abs() < 0.001, "{worse}");
    assert_eq!(verdict.state, State::Healthy);
    assert_eq!(
        verdict.reason,
        "canary errors 1.7% vs stable 0.5%: P(worse by >1pt) = 0.76 < 0.95"
    );

    // And with a minimum of 100 requests, 60 is too few to say either.
    let strict = Thresholds {
        min_requests: 100.0,
        ..defaults()
    };
    let verdict = judge(
        Some(&sample(60.0, 3.0)),
        Some(&sample(stable.0, stable.1)),
        &strict,
    );
    assert_eq!(verdict.state, State::Inconclusive);
    assert_eq!(verdict.probability_worse, None);
    assert_eq!(verdict.canary_error_rate, Some(0.05));
}

#[test]
fn a_clearly_bad_canary_fails_on_both_rules() {
    let verdict = judge(
        Some(&sample(4000.0, 1000.0)),
        Some(&sample(4000.0, 20.0)),
        &defaults(),
    );
    assert_eq!(verdict.state, State::Failing);
    assert!(verdict.probability_worse.unwrap() > 0.999);
    assert_eq!(
        verdict.reason,
        "canary errors 25.0% exceed the 5.0% ceiling; \
         canary errors 25.0% vs stable 0.5%: P(worse by >1pt) = 1.00 ≥ 0.95"
    );
}

#[test]
fn the_absolute_ceiling_alone() {
    // 6 % against 5.5 %: half a point worse, P(worse by >1pt) ≈ 0.065, but above 5 %.
    let verdict = judge(
        Some(&sample(10_000.0, 600.0)),
        Some(&sample(10_000.0, 550.0)),
        &defaults(),
    );
    assert_eq!(verdict.state, State::Failing);
    let worse = verdict.probability_worse.unwrap();
    assert!(
        (worse - monte_carlo((10_000.0, 600.0), (10_000.0, 550.0), 0.01)).abs() < 0.01,
        "{worse}"
    );
    assert_eq!(verdict.reason, "canary errors 6.0% exceed the 5.0% ceiling");
    // With a ceiling of 10 %, healthy.
    let lenient = Thresholds {
        max_error_rate: 0.1,
        ..defaults()
    };
    let verdict = judge(
        Some(&sample(10_000.0, 600.0)),
        Some(&sample(10_000.0, 550.0)),
        &lenient,
    );
    assert_eq!(verdict.state, State::Healthy);
    assert_eq!(
        verdict.reason,
        "canary errors 6.0% vs stable 5.5%: P(worse by >1pt) = 0.06 < 0.95"
    );
    // The ceiling needs no stable to compare with.
    let verdict = judge(
        Some(&sample(1000.0, 300.0)),
        Some(&sample(3.0, 0.0)),
        &defaults(),
    );
    assert_eq!(verdict.state, State::Failing);
    assert_eq!(
        verdict.reason,
        "canary errors 30.0% exceed the 5.0% ceiling; \
         stable not compared: stable served 3 requests in the window, fewer than the 50 needed"
    );
    assert_eq!(verdict.probability_worse, None);
}

#[test]
fn latency_alone_can_fail_a_canary() {
    let ceiling = Thresholds {
        max_p99_ms: Some(500.0),
        ..defaults()
    };
    let verdict = judge(
        Some(&timed(5000.0, 5.0, 800.0)),
        Some(&timed(5000.0, 5.0, 780.0)),
        &ceiling,
    );
    assert_eq!(verdict.state, State::Failing);
    assert_eq!(
        verdict.reason,
        "canary p99 800 ms exceeds the 500 ms ceiling"
    );
    assert_eq!(
        (verdict.canary_p99_ms, verdict.stable_p99_ms),
        (Some(800.0), Some(780.0))
    );

    let verdict = judge(
        Some(&timed(5000.0, 5.0, 700.0)),
        Some(&timed(5000.0, 5.0, 400.0)),
        &defaults(),
    );
    assert_eq!(verdict.state, State::Failing);
    assert_eq!(
        verdict.reason,
        "canary p99 700 ms is over 1.5 × stable's 400 ms (600 ms)"
    );

    let verdict = judge(
        Some(&timed(5000.0, 5.0, 590.5)),
        Some(&timed(5000.0, 5.0, 400.0)),
        &defaults(),
    );
    assert_eq!(verdict.state, State::Healthy);
    assert_eq!(
        verdict.reason,
        "canary errors 0.1% vs stable 0.1%: P(worse by >1pt) = 0.00 < 0.95; p99 590.5 ms vs stable 400 ms"
    );

    // Both, and the ceiling without stable.
    let verdict = judge(
        Some(&timed(5000.0, 5.0, 900.0)),
        Some(&timed(5000.0, 5.0, 400.0)),
        &ceiling,
    );
    assert_eq!(
        verdict.reason,
        "canary p99 900 ms exceeds the 500 ms ceiling; canary p99 900 ms is over 1.5 × stable's 400 ms (600 ms)"
    );
    let verdict = judge(Some(&timed(5000.0, 5.0, 900.0)), None, &ceiling);
    assert_eq!(verdict.state, State::Failing);
    assert_eq!(
        verdict.reason,
        "canary p99 900 ms exceeds the 500 ms ceiling; stable not compared: no metrics for stable in the window"
    );
}

/// The flake this rule came from: a healthy canary's 90 requests read a p99 of 357.5 ms
/// (one slow request in the (250, 500] bucket) against stable's 187.3 ms.
#[test]
fn a_p99_from_too_few_requests_is_not_judged() {
    let ceiling = Thresholds {
        max_p99_ms: Some(300.0),
        ..defaults()
    };
    let verdict = judge(
        Some(&timed(90.0, 0.0, 357.5)),
        Some(&timed(800.0, 0.0, 187.3)),
        &ceiling,
    );
    assert_eq!(verdict.state, State::Healthy);
    assert_eq!(
        verdict.reason,
        // P ≈ P(p_canary > 1.125 %) under Beta(1, 91) = 0.98875^91 ≈ 0.357.
        "canary errors 0.0% vs stable 0.0%: P(worse by >1pt) = 0.36 < 0.95; p99 not judged: \
         the canary served 90 requests, fewer than the 1000 a p99 needs"
    );
    // The numbers are still shown.
    assert_eq!(verdict.canary_p99_ms, Some(357.5));
    // Enough canary requests but too few for stable: the ceiling is judged, the
    // comparison is not.
    let verdict = judge(
        Some(&timed(1000.0, 0.0, 357.5)),
        Some(&timed(999.0, 0.0, 187.3)),
        &defaults(),
    );
    assert_eq!(verdict.state, State::Healthy, "{}", verdict.reason);
    let verdict = judge(
        Some(&timed(1000.0, 0.0, 357.5)),
        Some(&timed(999.0, 0.0, 187.3)),
        &ceiling,
    );
    assert_eq!(
        verdict.reason,
        "canary p99 357.5 ms exceeds the 300 ms ceiling"
    );
    // The threshold comes from the config.
    let fewer = Thresholds {
        min_p99_requests: 50.0,
        ..defaults()
    };
    let verdict = judge(
        Some(&timed(90.0, 0.0, 357.5)),
        Some(&timed(800.0, 0.0, 187.3)),
        &fewer,
    );
    assert_eq!(verdict.state, State::Failing);
}

#[test]
fn unknown_latency_skips_the_comparison_but_not_a_ceiling() {
    let verdict = judge(
        Some(&sample(5000.0, 5.0)),
        Some(&timed(5000.0, 5.0, 400.0)),
        &defaults(),
    );
    assert_eq!(verdict.state, State::Healthy);
    let verdict = judge(
        Some(&timed(5000.0, 5.0, 300.0)),
        Some(&sample(5000.0, 5.0)),
        &defaults(),
    );
    assert_eq!(verdict.state, State::Healthy);
    assert!(
        verdict.reason.ends_with("< 0.95; p99 300 ms"),
        "{}",
        verdict.reason
    );
    let ceiling = Thresholds {
        max_p99_ms: Some(500.0),
        ..defaults()
    };
    let verdict = judge(
        Some(&sample(5000.0, 5.0)),
        Some(&timed(5000.0, 5.0, 400.0)),
        &ceiling,
    );
    assert_eq!(verdict.state, State::Inconclusive);
    assert_eq!(
        verdict.reason,
        "canary p99 is unknown, so its 500 ms ceiling can't be checked"
    );
}

#[test]
fn nan_and_negative_figures_are_unknown_not_a_panic() {
    let stable = sample(6000.0, 30.0);
    for odd in [
        sample(f64::NAN, 0.0),
        sample(100.0, f64::NAN),
        sample(-100.0, 0.0),
        sample(100.0, -1.0),
        sample(f64::INFINITY, 0.0),
        sample(f64::NEG_INFINITY, f64::INFINITY),
    ] {
        for verdict in [
            judge(Some(&odd), Some(&stable), &defaults()),
            judge(Some(&stable), Some(&odd), &defaults()),
        ] {
            assert_eq!(verdict.state, State::Inconclusive, "{odd:?}");
            assert!(
                verdict.reason.contains("unusable figures"),
                "{}",
                verdict.reason
            );
            assert!(verdict.canary_requests.is_finite() && verdict.stable_requests.is_finite());
        }
    }
    assert_eq!(
        judge(Some(&sample(f64::NAN, -1.0)), Some(&stable), &defaults()).reason,
        "the canary has unusable figures (NaN requests, -1 errors)"
    );
    // More errors than requests (scrapes a moment apart): capped at the requests.
    let verdict = judge(Some(&sample(100.0, 130.0)), Some(&stable), &defaults());
    assert_eq!(
        (verdict.state, verdict.canary_error_rate),
        (State::Failing, Some(1.0))
    );
    // A NaN or negative p99 is unknown.
    let verdict = judge(
        Some(&timed(6000.0, 30.0, f64::NAN)),
        Some(&timed(6000.0, 30.0, -5.0)),
        &defaults(),
    );
    assert_eq!(
        (verdict.state, verdict.canary_p99_ms, verdict.stable_p99_ms),
        (State::Healthy, None, None)
    );
}

#[test]
fn unusable_thresholds_fall_back_to_defaults() {
    let nan = Thresholds {
        max_error_rate: f64::NAN,
        max_p99_ms: Some(f64::NAN),
        margin: f64::INFINITY,
        min_requests: f64::NAN,
        failure_probability: f64::NAN,
        p99_tolerance: f64::NEG_INFINITY,
        min_p99_requests: f64::NAN,
    };
    let (canary, stable) = (timed(4000.0, 1000.0, 100.0), timed(4000.0, 20.0, 100.0));
    assert_eq!(
        judge(Some(&canary), Some(&stable), &nan),
        judge(Some(&canary), Some(&stable), &defaults())
    );
    let few = sample(10.0, 0.0);
    assert_eq!(
        judge(Some(&few), Some(&few), &nan).state,
        State::Inconclusive
    );
    // Out of range: clamped (a margin of 2 is a margin of 1, which nothing exceeds).
    let wide = Thresholds {
        margin: 2.0,
        min_requests: -4.0,
        ..defaults()
    };
    let verdict = judge(Some(&sample(10.0, 0.0)), Some(&sample(10.0, 0.0)), &wide);
    assert_eq!(
        (verdict.state, verdict.probability_worse),
        (State::Healthy, Some(0.0))
    );
}

#[test]
fn probabilities_near_the_threshold_read_apart() {
    assert_eq!(probability(0.9496, 0.95), "0.9496");
    assert_eq!(probability(0.95, 0.95), "0.95");
    assert_eq!(probability(0.999_999_9, 1.0), "1.000000");
    assert_eq!(probability(0.5, 0.95), "0.50");
    assert_eq!(percent(0.0004), "0.04%");
    assert_eq!(percent(0.0), "0.0%");
    assert_eq!(number(0.005 * 100.0, 2), "0.5");
}

#[test]
fn samples_come_from_rates_over_the_window() {
    let window = Duration::from_secs(60);
    let health = Health {
        requests_per_s: Some(10.0),
        error_rate: Some(0.02),
        p99_ms: Some(120.0),
        ..Health::default()
    };
    let sample = Sample::from_health(&health, window).unwrap();
    assert_eq!(
        sample,
        Sample {
            requests: 600.0,
            errors: 12.0,
            p99_ms: Some(120.0)
        }
    );

    // No traffic, so no error rate: zero requests, which judge calls inconclusive.
    let idle = Health {
        requests_per_s: Some(0.0),
        ..Health::default()
    };
    assert_eq!(
        Sample::from_health(&idle, window),
        Some(Sample {
            requests: 0.0,
            errors: 0.0,
            p99_ms: None
        })
    );

    for unknown in [
        Health::default(),
        Health {
            requests_per_s: Some(f64::NAN),
            error_rate: Some(0.0),
            ..Health::default()
        },
        Health {
            requests_per_s: Some(-1.0),
            error_rate: Some(0.0),
            ..Health::default()
        },
        Health {
            requests_per_s: Some(f64::INFINITY),
            error_rate: Some(0.0),
            ..Health::default()
        },
        Health {
            requests_per_s: Some(f64::MAX),
            error_rate: Some(0.0),
            ..Health::default()
        },
        Health {
            requests_per_s: Some(5.0),
            error_rate: None,
            ..Health::default()
        },
        Health {
            requests_per_s: Some(5.0),
            error_rate: Some(f64::NAN),
            ..Health::default()
        },
    ] {
        assert_eq!(Sample::from_health(&unknown, window), None, "{unknown:?}");
    }
    let skewed = Health {
        requests_per_s: Some(5.0),
        error_rate: Some(1.2),
        p99_ms: Some(f64::NAN),
        ..Health::default()
    };
    assert_eq!(
        Sample::from_health(&skewed, window),
        Some(Sample {
            requests: 300.0,
            errors: 300.0,
            p99_ms: None
        })
    );
    let negative = Health {
        requests_per_s: Some(5.0),
        error_rate: Some(-0.1),
        ..Health::default()
    };
    assert_eq!(
        Sample::from_health(&negative, window).map(|s| s.errors),
        Some(0.0)
    );
    assert_eq!(
        Sample::from_health(&health, Duration::ZERO).map(|s| s.requests),
        Some(0.0)
    );
}

fn annotations(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|&(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn annotations_take_precedence_over_the_base() {
    let base = Thresholds {
        max_p99_ms: Some(800.0),
        min_requests: 20.0,
        ..defaults()
    };
    let (thresholds, warnings) = thresholds_for(&BTreeMap::new(), &base);
    assert_eq!((thresholds, warnings), (base, vec![]));

    let (thresholds, warnings) = thresholds_for(
        &annotations(&[
            (MAX_ERROR_RATE, "2%"),
            (MAX_P99_MS, "250ms"),
            (ERROR_MARGIN, " 0.005 "),
            (MIN_REQUESTS, "200"),
            ("kshift.dev/steps", "10,50,100"),
        ]),
        &base,
    );
    assert_eq!(warnings, Vec::<String>::new());
    assert_eq!(
        thresholds,
        Thresholds {
            max_error_rate: 0.02,
            max_p99_ms: Some(250.0),
            margin: 0.005,
            min_requests: 200.0,
            ..base
        }
    );
    let (thresholds, _) = thresholds_for(&annotations(&[(MAX_P99_MS, "None")]), &base);
    assert_eq!(thresholds.max_p99_ms, None);
    let (thresholds, _) = thresholds_for(&annotations(&[(MAX_ERROR_RATE, "0.1")]), &base);
    assert_eq!(thresholds.max_error_rate, 0.1);

    // The annotation decides the verdict: 3 % errors pass at a 5 % ceiling, not at 2 %.
    let (canary, stable) = (sample(10_000.0, 300.0), sample(10_000.0, 290.0));
    assert_eq!(
        judge(Some(&canary), Some(&stable), &defaults()).state,
        State::Healthy
    );
    let (strict, _) = thresholds_for(&annotations(&[(MAX_ERROR_RATE, "0.02")]), &defaults());
    assert_eq!(
        judge(Some(&canary), Some(&stable), &strict).state,
        State::Failing
    );
}

#[test]
fn bad_annotations_are_ignored_with_a_warning() {
    let base = Thresholds {
        max_p99_ms: Some(800.0),
        ..defaults()
    };
    let (thresholds, warnings) = thresholds_for(
        &annotations(&[
            (MAX_ERROR_RATE, "lots"),
            (MAX_P99_MS, "-3"),
            (ERROR_MARGIN, "150%"),
            (MIN_REQUESTS, "NaN"),
        ]),
        &base,
    );
    assert_eq!(thresholds, base);
    assert_eq!(
        warnings,
        [
            "kshift.dev/max-error-rate: \"lots\" is not a rate such as 0.05 or 5%; using 5.0%",
            "kshift.dev/max-p99-ms: \"-3\" is not milliseconds such as 500 or 500ms, or none; using 800 ms",
            "kshift.dev/error-margin: \"150%\" is not a rate such as 0.05 or 5%; using 1.0%",
            "kshift.dev/min-requests: \"NaN\" is not a number of requests such as 100; using 50",
        ]
    );
    for bad in ["", "inf", "1e400", "-0.1", "0.05.1", "5 %%"] {
        let (thresholds, warnings) = thresholds_for(&annotations(&[(MAX_ERROR_RATE, bad)]), &base);
        assert_eq!((thresholds, warnings.len()), (base, 1), "{bad:?}");
    }
    let (_, warnings) = thresholds_for(&annotations(&[(MAX_P99_MS, "0")]), &defaults());
    assert_eq!(
        warnings,
        [
            "kshift.dev/max-p99-ms: \"0\" is not milliseconds such as 500 or 500ms, or none; using no ceiling"
        ]
    );
}

#[test]
fn verdicts_serialize_with_lowercase_states() {
    let verdict = judge(
        Some(&timed(4000.0, 1000.0, 120.0)),
        Some(&sample(4000.0, 20.0)),
        &defaults(),
    );
    let json = serde_json::to_value(&verdict).unwrap();
    assert_eq!(json["state"], "failing");
    assert_eq!(json["canary_error_rate"], 0.25);
    assert_eq!(json["stable_p99_ms"], serde_json::Value::Null);
    assert_eq!(json["canary_requests"], 4000.0);
    assert!(json["probability_worse"].as_f64().unwrap() > 0.999);
    let states = [State::Healthy, State::Inconclusive, State::Failing]
        .map(|s| serde_json::to_value(s).unwrap());
    assert_eq!(states, ["healthy", "inconclusive", "failing"]);
}

#[test]
fn no_input_panics_or_passes_without_data() {
    let requests = [f64::NAN, -1.0, 0.0, 0.5, 60.0, 1e5, 1e300, f64::INFINITY];
    let errors = [f64::NAN, -1.0, 0.0, 3.0, 1e5, f64::INFINITY];
    let p99s = [
        None,
        Some(f64::NAN),
        Some(-1.0),
        Some(0.0),
        Some(250.0),
        Some(f64::INFINITY),
    ];
    let samples: Vec<Sample> = requests
        .iter()
        .flat_map(|&r| errors.iter().map(move |&e| (r, e)))
        .enumerate()
        .map(|(i, (requests, errors))| Sample {
            requests,
            errors,
            p99_ms: p99s[(i + i / p99s.len()) % p99s.len()],
        })
        .collect();
    let extremes = [
        defaults(),
        Thresholds {
            max_error_rate: 0.0,
            max_p99_ms: Some(0.0),
            margin: 0.0,
            min_requests: 0.0,
            failure_probability: 0.0,
            p99_tolerance: 0.0,
            min_p99_requests: 0.0,
        },
        Thresholds {
            max_error_rate: -1.0,
            max_p99_ms: Some(f64::INFINITY),
            margin: 1.0,
            min_requests: f64::INFINITY,
            failure_probability: 2.0,
            p99_tolerance: f64::NAN,
            min_p99_requests: -1.0,
        },
    ];
    let known = |s: &Sample| {
        s.requests.is_finite() && s.requests > 0.0 && s.errors.is_finite() && s.errors >= 0.0
    };
    for thresholds in &extremes {
        for canary in samples.iter().map(Some).chain([None]) {
            for stable in samples.iter().map(Some).chain([None]) {
                let verdict = judge(canary, stable, thresholds);
                assert!(!verdict.reason.is_empty());
                assert!(verdict.canary_requests.is_finite() && verdict.stable_requests.is_finite());
                if let Some(worse) = verdict.probability_worse {
                    assert!((0.0..=1.0).contains(&worse), "{verdict:?}");
                }
                if verdict.state == State::Healthy {
                    assert!(
                        canary.is_some_and(known) && stable.is_some_and(known),
                        "{verdict:?}"
                    );
                    assert!(verdict.probability_worse.is_some(), "{verdict:?}");
                }
            }
        }
    }
}

/// One version's window drawn at random: `n` requests failing with probability `p`,
/// latencies log-normal around 100 ms (σ 0.5), the p99 read off the sorted draws.
fn drawn(rng: &mut StdRng, n: usize, p: f64) -> Sample {
    let errors = (0..n).filter(|_| rng.random::<f64>() < p).count();
    let mut latencies: Vec<f64> = (0..n)
        .map(|_| {
            // Box–Muller: a standard normal from two uniforms.
            let (u, v) = (
                rng.random::<f64>().max(f64::MIN_POSITIVE),
                rng.random::<f64>(),
            );
            let z = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
            100.0 * (0.5 * z).exp()
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    let index = ((n as f64 * 0.99).ceil() as usize).clamp(1, n) - 1;
    timed(n as f64, errors as f64, latencies[index])
}

#[test]
fn equal_versions_fail_no_more_often_than_the_false_alarm_rate_at_any_size() {
    // Stable and canary alike (same error probability, same latency distribution):
    // whatever the number of requests, `failing` is a false alarm, and must come no
    // more often than 1 − failure_probability (5 %), within the noise of the trials.
    let thresholds = defaults();
    let allowed = 1.0 - thresholds.failure_probability;
    const TRIALS: usize = 300;
    let slack = 3.0 * (allowed * (1.0 - allowed) / TRIALS as f64).sqrt();
    let mut rng = StdRng::seed_from_u64(10);
    for n in [50, 100, 300, 1000, 3000] {
        for p in [0.0, 0.01, 0.03, 0.045] {
            let failing = (0..TRIALS)
                .filter(|_| {
                    let (canary, stable) = (drawn(&mut rng, n, p), drawn(&mut rng, n, p));
                    judge(Some(&canary), Some(&stable), &thresholds).state == State::Failing
                })
                .count();
            let rate = failing as f64 / TRIALS as f64;
            assert!(
                rate <= allowed + slack,
                "{n} requests at {p}: failing in {failing} of {TRIALS} windows"
            );
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    /// The cheap screen never misses a failing canary: `may_fail` false means
    /// `judge` is not `failing`, whatever the counts, latencies and thresholds.
    #[test]
    fn the_screen_never_misses_a_failing_canary(
        canary in (0.0..20_000.0f64, 0.0..1.0f64, proptest::option::of(1.0..2_000.0f64)),
        stable in (0.0..20_000.0f64, 0.0..0.2f64, proptest::option::of(1.0..2_000.0f64)),
        ceiling in 0.001..0.2f64,
        margin in 0.0..0.05f64,
        max_p99 in proptest::option::of(50.0..1_000.0f64),
        min_requests in 0.0..200.0f64,
        min_p99_requests in 0.0..2_000.0f64,
    ) {
        let sample = |(requests, rate, p99): (f64, f64, Option<f64>)| Sample {
            requests,
            errors: (requests * rate).round(),
            p99_ms: p99,
        };
        let (canary, stable) = (sample(canary), sample(stable));
        let thresholds = Thresholds {
            max_error_rate: ceiling,
            margin,
            max_p99_ms: max_p99,
            min_requests,
            min_p99_requests,
            ..defaults()
        };
        if !may_fail(Some(&canary), Some(&stable), &thresholds) {
            let verdict = judge(Some(&canary), Some(&stable), &thresholds);
            proptest::prop_assert_ne!(verdict.state, State::Failing, "{}", verdict.reason);
        }
    }
}
