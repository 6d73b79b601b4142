//! The canary verdict: a pure function from one window's figures for the canary (or the
//! preview, for blue/green) and for stable to `healthy`, `inconclusive` or `failing`,
//! with the reason in one sentence and the numbers behind it.
//!
//! # The model
//!
//! **Error rate.** Each request a version serves is taken as an independent trial that
//! fails with an unknown probability p, the same over the whole window. From a uniform
//! prior, p's posterior after `e` errors in `n` requests is Beta(1 + e, 1 + n − e). The
//! verdict computes
//!
//! > P(worse) = P(p_canary > p_stable + margin) = ∫₀¹ f_stable(x) · (1 − F_canary(x + margin)) dx,
//!
//! the probability that the canary's error probability exceeds stable's by more than
//! `margin` (one percentage point by default), by numerical integration: Simpson's rule
//! over ±20 standard deviations of the narrower posterior, with densities in log space and
//! the Beta distribution function (the regularized incomplete beta function) by its
//! continued fraction. The canary is `failing` when P(worse) is at least
//! `failure_probability` (0.95), or, whatever stable does, when its observed error rate
//! e / n is above `max_error_rate` (5 %) and its posterior is as sure of that:
//! P(p_canary > max_error_rate) ≥ `failure_probability`. Without that second condition a
//! canary at 3 % would cross a 5 % ceiling in one window of 50 requests in five.
//!
//! **Latency.** The canary is `failing` when its p99 is above `max_p99_ms` (if set), or
//! above stable's p99 × `p99_tolerance` (1.5) when both are known. An unknown p99 skips
//! the comparison with stable; with `max_p99_ms` set, it makes the verdict
//! `inconclusive`.
//!
//! **Too little data.** When either version's figures are unknown or unusable (NaN,
//! infinite, negative), or it served fewer than `min_requests` (50) requests in the
//! window, or none at all, the verdict is `inconclusive`: never `healthy` on no data. One
//! exception: a canary with enough requests of its own that breaks an absolute ceiling
//! (`max_error_rate`, `max_p99_ms`) is `failing` even when stable has too little data to
//! compare with.
//!
//! Otherwise the canary is `healthy`. The counts come from rates (requests per second ×
//! the window's seconds, errors = requests × error rate), so they need not be whole
//! numbers. Beyond ten million requests in a window, a version's counts are scaled down
//! to ten million at the same error rate: the posterior is then already narrower than
//! ±0.02 percentage points.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::beta::{Posterior, probability_worse};
use crate::metrics::Health;

/// The annotation that overrides [`Thresholds::max_error_rate`]: a rate such as `0.05`
/// or `5%`.
pub const MAX_ERROR_RATE: &str = "kshift.dev/max-error-rate";
/// The annotation that overrides [`Thresholds::max_p99_ms`]: milliseconds such as `500`
/// or `500ms`, or `none` for no ceiling.
pub const MAX_P99_MS: &str = "kshift.dev/max-p99-ms";
/// The annotation that overrides [`Thresholds::margin`]: a rate such as `0.01` or `1%`.
pub const ERROR_MARGIN: &str = "kshift.dev/error-margin";
/// The annotation that overrides [`Thresholds::min_requests`]: a number of requests.
pub const MIN_REQUESTS: &str = "kshift.dev/min-requests";

/// Counts and latency of one version over the window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Requests served in the window.
    pub requests: f64,
    /// How many of them failed.
    pub errors: f64,
    /// The 99th percentile of latency in milliseconds, where known.
    pub p99_ms: Option<f64>,
}

impl Sample {
    /// The window's counts from a version's rates: requests = requests per second × the
    /// window's seconds, errors = requests × error rate (first brought into [0, 1]: rates
    /// of errors and of requests scraped moments apart can leave it). `None`
    /// when the request rate is unknown, NaN, infinite or negative, or when there was
    /// traffic but the error rate is unknown or NaN. A NaN or negative p99 counts as
    /// unknown.
    pub fn from_health(health: &Health, window: Duration) -> Option<Sample> {
        let per_second = health
            .requests_per_s
            .filter(|&r| r.is_finite() && r >= 0.0)?;
        let requests = per_second * window.as_secs_f64();
        if !requests.is_finite() {
            return None;
        }
        let errors = if requests == 0.0 {
            0.0
        } else {
            requests * health.error_rate.filter(|r| r.is_finite())?.clamp(0.0, 1.0)
        };
        let p99_ms = health.p99_ms.filter(|&p| p.is_finite() && p >= 0.0);
        Some(Sample {
            requests,
            errors,
            p99_ms,
        })
    }
}

/// What the verdict holds a canary to. Values that can't be used (NaN, infinities, out of
/// range) are replaced by their defaults or brought into range when judging, so that no
/// configuration makes the verdict panic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// The ceiling on the canary's observed error rate (0 to 1), above which it is
    /// failing whatever stable does. Default 0.05: one request in twenty failing is an
    /// outage in the making whether or not stable does as badly.
    pub max_error_rate: f64,
    /// The ceiling on the canary's p99 latency, in milliseconds. Default none: latency
    /// budgets are per service, so only a release (or the config) can name one.
    pub max_p99_ms: Option<f64>,
    /// How much higher than stable's (0 to 1) the canary's error probability must be to
    /// count as worse. Default 0.01, one percentage point: smaller differences are hard
    /// to tell from noise in a few minutes of traffic, and rarely matter.
    pub margin: f64,
    /// Requests each version must have served in the window to be judged; with fewer,
    /// the verdict is inconclusive (unless the canary alone breaks a ceiling). Default
    /// 50: fewer say too little about a p99, and let a single error move the rate by two
    /// points.
    pub min_requests: f64,
    /// How sure (0 to 1) the model must be that the canary is worse by more than the
    /// margin to call it failing. Default 0.95: nineteen chances in twenty.
    pub failure_probability: f64,
    /// How many times stable's p99 the canary's may be. Default 1.5: a p99 over a short
    /// window is noisy, and a cold canary is often somewhat slower at first.
    pub p99_tolerance: f64,
    /// Requests a version must have served in the window for its p99 to be judged (the
    /// ceiling and the comparison with stable); below, the verdict rests on the error
    /// rates and says the p99 was not judged. Default 1,000: a p99 is read from the
    /// slowest percent of the requests, and with fewer than ten requests there it is one
    /// or two slow requests, which fails healthy canaries at random (a healthy canary
    /// with 90 requests read a p99 of 357 ms against stable's 187 ms).
    pub min_p99_requests: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            max_error_rate: 0.05,
            max_p99_ms: None,
            margin: 0.01,
            min_requests: 50.0,
            failure_probability: 0.95,
            p99_tolerance: 1.5,
            min_p99_requests: 1000.0,
        }
    }
}

impl Thresholds {
    /// These thresholds with NaN and infinities replaced by the defaults (NaN or an
    /// infinite `max_p99_ms` by no ceiling) and the rest brought into range.
    fn checked(&self) -> Thresholds {
        let default = Thresholds::default();
        let within = |value: f64, default: f64, high: f64| {
            if value.is_finite() {
                value.clamp(0.0, high)
            } else {
                default
            }
        };
        Thresholds {
            max_error_rate: within(self.max_error_rate, default.max_error_rate, 1.0),
            max_p99_ms: self
                .max_p99_ms
                .filter(|v| v.is_finite())
                .map(|v| v.max(0.0)),
            margin: within(self.margin, default.margin, 1.0),
            min_requests: within(self.min_requests, default.min_requests, f64::MAX),
            failure_probability: within(self.failure_probability, default.failure_probability, 1.0),
            p99_tolerance: within(self.p99_tolerance, default.p99_tolerance, f64::MAX),
            min_p99_requests: within(self.min_p99_requests, default.min_p99_requests, f64::MAX),
        }
    }
}

/// What the verdict says of the canary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Enough data, and no rule broken.
    Healthy,
    /// Too little or unknown data to tell.
    Inconclusive,
    /// A rule broken; the reason says which, with the numbers.
    Failing,
}

impl State {
    /// The word the JSON output uses: `healthy`, `inconclusive`, `failing`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Healthy => "healthy",
            State::Inconclusive => "inconclusive",
            State::Failing => "failing",
        }
    }
}

/// A verdict with its reason and the numbers behind it (`None` where unknown).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub state: State,
    /// One sentence with the numbers, naming every rule that fired.
    pub reason: String,
    /// P(p_canary > p_stable + margin), when both versions had enough requests.
    pub probability_worse: Option<f64>,
    /// Observed errors / requests.
    pub canary_error_rate: Option<f64>,
    pub stable_error_rate: Option<f64>,
    pub canary_p99_ms: Option<f64>,
    pub stable_p99_ms: Option<f64>,
    /// Requests in the window (0 when unknown).
    pub canary_requests: f64,
    pub stable_requests: f64,
}

/// Judges the canary against stable over one window, by the model in this module's
/// documentation. `None` for a version whose figures are unknown.
pub fn judge(canary: Option<&Sample>, stable: Option<&Sample>, thresholds: &Thresholds) -> Verdict {
    let limits = thresholds.checked();
    let (canary, stable) = (
        Figures::of(canary, "the canary"),
        Figures::of(stable, "stable"),
    );
    let mut verdict = Verdict {
        state: State::Inconclusive,
        reason: String::new(),
        probability_worse: None,
        canary_error_rate: canary.error_rate(),
        stable_error_rate: stable.error_rate(),
        canary_p99_ms: canary.p99_ms,
        stable_p99_ms: stable.p99_ms,
        canary_requests: canary.requests(),
        stable_requests: stable.requests(),
    };
    let (canary_requests, canary_errors) = match canary.enough(limits.min_requests) {
        Ok(counts) => counts,
        Err(why) => {
            verdict.reason = why;
            return verdict;
        }
    };
    let canary_rate = canary_errors / canary_requests;
    // A p99 from too few requests is one or two slow requests: not judged.
    let tail = |requests: f64| requests >= limits.min_p99_requests;
    let canary_p99 = canary.p99_ms.filter(|_| tail(canary_requests));
    // Above the ceiling only when the model is as sure of it as of a comparison: an
    // observed rate over few requests (3 errors in 50 from a canary at 3 %) is noise.
    let above_ceiling = Posterior::from_counts(canary_requests, canary_errors)
        .above(limits.max_error_rate)
        .is_some_and(|p| p >= limits.failure_probability);
    let error_ceiling = (canary_rate > limits.max_error_rate && above_ceiling).then(|| {
        format!(
            "canary errors {} exceed the {} ceiling",
            percent(canary_rate),
            percent(limits.max_error_rate)
        )
    });
    let latency_ceiling = match (canary_p99, limits.max_p99_ms) {
        (Some(p99), Some(max)) if p99 > max => Some(format!(
            "canary p99 {} exceeds the {} ceiling",
            milliseconds(p99),
            milliseconds(max)
        )),
        _ => None,
    };

    let compared = stable
        .enough(limits.min_requests)
        .and_then(|(requests, errors)| {
            let worse = probability_worse(
                &Posterior::from_counts(canary_requests, canary_errors),
                &Posterior::from_counts(requests, errors),
                limits.margin,
            );
            let failed = "the probability that the canary is worse could not be computed";
            worse
                .map(|worse| (errors / requests, worse))
                .ok_or_else(|| failed.to_string())
        });
    let (stable_rate, worse) = match compared {
        Ok(compared) => compared,
        Err(why) => {
            let breaches: Vec<String> = [error_ceiling, latency_ceiling]
                .into_iter()
                .flatten()
                .collect();
            if breaches.is_empty() {
                verdict.reason = why;
            } else {
                verdict.state = State::Failing;
                verdict.reason = format!("{}; stable not compared: {why}", breaches.join("; "));
            }
            return verdict;
        }
    };
    verdict.probability_worse = Some(worse);

    let comparison = format!(
        "canary errors {} vs stable {}: P(worse by >{}pt) = {}",
        percent(canary_rate),
        percent(stable_rate),
        number(limits.margin * 100.0, 2),
        probability(worse, limits.failure_probability)
    );
    let threshold = number(limits.failure_probability, 6);
    let error_comparison =
        (worse >= limits.failure_probability).then(|| format!("{comparison} ≥ {threshold}"));
    let stable_p99 = stable.p99_ms.filter(|_| tail(stable.requests()));
    let latency_comparison = match (canary_p99, stable_p99) {
        (Some(p99), Some(stable_p99)) if p99 > stable_p99 * limits.p99_tolerance => Some(format!(
            "canary p99 {} is over {} × stable's {} ({})",
            milliseconds(p99),
            number(limits.p99_tolerance, 2),
            milliseconds(stable_p99),
            milliseconds(stable_p99 * limits.p99_tolerance)
        )),
        _ => None,
    };
    let breaches: Vec<String> = [
        error_ceiling,
        error_comparison,
        latency_ceiling,
        latency_comparison,
    ]
    .into_iter()
    .flatten()
    .collect();
    if !breaches.is_empty() {
        verdict.state = State::Failing;
        verdict.reason = breaches.join("; ");
    } else if let (Some(max), None) = (limits.max_p99_ms, canary.p99_ms) {
        verdict.reason = format!(
            "canary p99 is unknown, so its {} ceiling can't be checked",
            milliseconds(max)
        );
    } else {
        let latency = match (canary_p99, stable_p99) {
            _ if canary.p99_ms.is_some() && canary_p99.is_none() => format!(
                "; p99 not judged: the canary served {} requests, fewer than the {} a p99 needs",
                number(canary_requests, 1),
                number(limits.min_p99_requests, 1)
            ),
            (Some(p99), Some(stable_p99)) => {
                format!(
                    "; p99 {} vs stable {}",
                    milliseconds(p99),
                    milliseconds(stable_p99)
                )
            }
            (Some(p99), None) => format!("; p99 {}", milliseconds(p99)),
            (None, _) => String::new(),
        };
        verdict.state = State::Healthy;
        verdict.reason = format!("{comparison} < {threshold}{latency}");
    }
    verdict
}

/// Whether `judge` could call the canary `failing` on these samples: a necessary
/// condition checked with a few comparisons, no integration (about a thousandth of a
/// verdict's cost). Each rule's precondition, loosened: an observed rate above the
/// ceiling; a posterior mean above stable's by more than half the margin (P(worse by
/// the margin) ≥ 0.95 needs the canary's mean well past stable's plus the margin); a
/// p99 past a ceiling or stable's × the tolerance, from enough requests. `false`
/// guarantees `judge` is not `failing` (a property test holds it to that).
pub fn may_fail(canary: Option<&Sample>, stable: Option<&Sample>, thresholds: &Thresholds) -> bool {
    let limits = thresholds.checked();
    let Ok((requests, errors)) = Figures::of(canary, "the canary").enough(limits.min_requests)
    else {
        return false;
    };
    let tail = |n: f64| n >= limits.min_p99_requests;
    let canary_p99 = canary
        .and_then(|c| c.p99_ms)
        .filter(|p| p.is_finite() && tail(requests));
    if errors / requests > limits.max_error_rate
        || matches!((canary_p99, limits.max_p99_ms), (Some(p), Some(max)) if p > max)
    {
        return true;
    }
    let Ok((stable_requests, stable_errors)) =
        Figures::of(stable, "stable").enough(limits.min_requests)
    else {
        return false;
    };
    let mean = |n: f64, e: f64| (1.0 + e) / (2.0 + n);
    if mean(requests, errors) > mean(stable_requests, stable_errors) + limits.margin / 2.0 {
        return true;
    }
    let stable_p99 = stable
        .and_then(|s| s.p99_ms)
        .filter(|p| p.is_finite() && tail(stable_requests));
    matches!((canary_p99, stable_p99), (Some(c), Some(s)) if c > s * limits.p99_tolerance)
}

/// One version's figures as judged: the counts (errors at most requests) or why they
/// can't be used, and a usable p99.
struct Figures {
    who: &'static str,
    counts: Result<(f64, f64), String>,
    p99_ms: Option<f64>,
}

impl Figures {
    fn of(sample: Option<&Sample>, who: &'static str) -> Figures {
        let Some(sample) = sample else {
            return Figures {
                who,
                counts: Err(format!("no metrics for {who} in the window")),
                p99_ms: None,
            };
        };
        let usable = |value: f64| value.is_finite() && value >= 0.0;
        let counts = if usable(sample.requests) && usable(sample.errors) {
            Ok((sample.requests, sample.errors.min(sample.requests)))
        } else {
            Err(format!(
                "{who} has unusable figures ({} requests, {} errors)",
                number(sample.requests, 1),
                number(sample.errors, 1)
            ))
        };
        Figures {
            who,
            counts,
            p99_ms: sample.p99_ms.filter(|&p| usable(p)),
        }
    }

    fn requests(&self) -> f64 {
        self.counts.as_ref().map_or(0.0, |&(requests, _)| requests)
    }

    fn error_rate(&self) -> Option<f64> {
        match self.counts {
            Ok((requests, errors)) if requests > 0.0 => Some(errors / requests),
            _ => None,
        }
    }

    /// (requests, errors) if there are enough for a verdict, else why not.
    fn enough(&self, min_requests: f64) -> Result<(f64, f64), String> {
        let who = self.who;
        match self.counts {
            Err(ref why) => Err(why.clone()),
            Ok((requests, _)) if requests <= 0.0 => {
                Err(format!("{who} served no requests in the window"))
            }
            Ok((requests, _)) if requests < min_requests => Err(format!(
                "{who} served {} requests in the window, fewer than the {} needed",
                number(requests, 1),
                number(min_requests, 1)
            )),
            Ok(counts) => Ok(counts),
        }
    }
}

/// `value` with at most `decimals` decimals, without trailing zeros (`NaN` as is).
fn number(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A rate as a percentage: one decimal, two below 0.1 %.
fn percent(rate: f64) -> String {
    let percent = rate * 100.0;
    if percent == 0.0 || percent >= 0.1 {
        format!("{percent:.1}%")
    } else {
        format!("{percent:.2}%")
    }
}

fn milliseconds(value: f64) -> String {
    format!("{} ms", number(value, 1))
}

/// A probability with two decimals, or as many more (up to six) as it takes not to read
/// the same as the threshold it is compared with (0.9496 < 0.95, not 0.95 < 0.95).
fn probability(value: f64, threshold: f64) -> String {
    let mut decimals = 2;
    while decimals < 6
        && value != threshold
        && format!("{value:.decimals$}") == format!("{threshold:.decimals$}")
    {
        decimals += 1;
    }
    format!("{value:.decimals$}")
}

/// The thresholds of a release: `base` (the defaults, or the config's) with the
/// release's annotations taking precedence: [`MAX_ERROR_RATE`], [`MAX_P99_MS`],
/// [`ERROR_MARGIN`] and [`MIN_REQUESTS`]. An annotation whose value can't be read is
/// ignored, with a warning that says so and which value is used instead.
pub fn thresholds_for(
    annotations: &BTreeMap<String, String>,
    base: &Thresholds,
) -> (Thresholds, Vec<String>) {
    let mut read = Annotations {
        annotations,
        warnings: Vec::new(),
    };
    let mut thresholds = *base;
    if let Some(rate) = read.value(MAX_ERROR_RATE, parse_rate, || percent(base.max_error_rate)) {
        thresholds.max_error_rate = rate;
    }
    let ceiling = || {
        base.max_p99_ms
            .map_or_else(|| "no ceiling".to_string(), milliseconds)
    };
    if let Some(ceiling) = read.value(MAX_P99_MS, parse_ceiling, ceiling) {
        thresholds.max_p99_ms = ceiling;
    }
    if let Some(margin) = read.value(ERROR_MARGIN, parse_rate, || percent(base.margin)) {
        thresholds.margin = margin;
    }
    if let Some(count) = read.value(MIN_REQUESTS, parse_count, || number(base.min_requests, 1)) {
        thresholds.min_requests = count;
    }
    (thresholds, read.warnings)
}

/// A release's annotations as they are read, with a warning for each unreadable one.
struct Annotations<'a> {
    annotations: &'a BTreeMap<String, String>,
    warnings: Vec<String>,
}

impl Annotations<'_> {
    /// Annotation `key` read by `parse`, if it is there and readable. If it is there but
    /// unreadable: `None`, and a warning with what `parse` expected and the `current`
    /// value (worked out only then), which stays.
    fn value<T>(
        &mut self,
        key: &str,
        parse: fn(&str) -> Result<T, &'static str>,
        current: impl FnOnce() -> String,
    ) -> Option<T> {
        let text = self.annotations.get(key)?;
        parse(text.trim())
            .map_err(|expected| {
                // Written only for a warning: this runs for every release at each refresh.
                let warning = format!("{key}: {text:?} is not {expected}; using {}", current());
                self.warnings.push(warning);
            })
            .ok()
    }
}

/// `0.05` or `5%`, from 0 to 1.
pub(crate) fn parse_rate(text: &str) -> Result<f64, &'static str> {
    let expected = "a rate such as 0.05 or 5%";
    let (digits, scale) = match text.strip_suffix('%') {
        Some(digits) => (digits.trim_end(), 100.0),
        None => (text, 1.0),
    };
    let value = digits.parse::<f64>().map_err(|_| expected)? / scale;
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(expected)
    }
}

/// `500` or `500ms`, above 0; `none` for no ceiling.
pub(crate) fn parse_ceiling(text: &str) -> Result<Option<f64>, &'static str> {
    let expected = "milliseconds such as 500 or 500ms, or none";
    if text.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let digits = text.strip_suffix("ms").unwrap_or(text).trim_end();
    let value = digits.parse::<f64>().map_err(|_| expected)?;
    if value.is_finite() && value > 0.0 {
        Ok(Some(value))
    } else {
        Err(expected)
    }
}

/// A number of requests: finite, 0 or more.
pub(crate) fn parse_count(text: &str) -> Result<f64, &'static str> {
    let expected = "a number of requests such as 100";
    let value = text.parse::<f64>().map_err(|_| expected)?;
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(expected)
    }
}

#[cfg(test)]
mod tests;
