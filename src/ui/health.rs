//! Health in words and numbers: values formatted to a few cells, judged
//! against the release's thresholds, and what to say when there are none.

use ratatui::style::Style;

use super::text::fit;
use super::theme::{Slot, Theme};
use crate::app::{Alerts, App, Metrics};
use crate::metrics::{Health, History, Snapshot, key_of};
use crate::model::{Release, Role, Version};

/// A value worth showing: known and a number.
pub(super) fn known(value: Option<f64>) -> Option<f64> {
    value.filter(|v| v.is_finite())
}

/// Whether any of a version's figures is known.
pub(super) fn has_data(health: &Health) -> bool {
    [
        health.requests_per_s,
        health.error_rate,
        health.p50_ms,
        health.p95_ms,
        health.p99_ms,
    ]
    .into_iter()
    .any(|v| known(v).is_some())
}

/// An error rate (a fraction) in percent: `0%`, `<0.1%`, `0.4%`, `5%`, `12%`.
pub(super) fn rate(fraction: f64) -> String {
    let percent = fraction * 100.0;
    if percent <= 0.0 {
        "0%".into()
    } else if percent < 0.05 {
        "<0.1%".into()
    } else if percent < 9.95 && (percent - percent.round()).abs() >= 0.05 {
        format!("{percent:.1}%")
    } else {
        format!("{percent:.0}%")
    }
}

/// A latency: `4.2ms`, `120ms`, `1.2s`, `12s`.
pub(super) fn ms(ms: f64) -> String {
    if ms < 9.95 && (ms - ms.round()).abs() >= 0.05 {
        format!("{ms:.1}ms")
    } else if ms < 999.5 {
        format!("{ms:.0}ms")
    } else if ms < 9950.0 {
        format!("{:.1}s", ms / 1000.0)
    } else {
        format!("{:.0}s", ms / 1000.0)
    }
}

/// Requests per second: `0.5`, `52`, `1.2k`.
pub(super) fn per_s(rps: f64) -> String {
    if rps < 9.95 && (rps - rps.round()).abs() >= 0.05 {
        format!("{rps:.1}")
    } else if rps < 999.5 {
        format!("{rps:.0}")
    } else {
        format!("{:.1}k", rps / 1000.0)
    }
}

/// Degraded above the limit, healthy within it, plain without one.
pub(super) fn judged(value: f64, limit: Option<f64>, theme: &Theme) -> Style {
    match limit {
        Some(limit) if value > limit => theme.style(Slot::Degraded),
        Some(_) => theme.style(Slot::Healthy),
        None => Style::new(),
    }
}

/// The colour of a version in tables and graphs.
pub(super) fn role_style(role: Role, theme: &Theme) -> Style {
    match role {
        Role::Stable | Role::Active => theme.style(Slot::Stable),
        Role::Canary | Role::Preview => theme.style(Slot::Canary),
    }
}

/// The version the list reports: the canary (or preview), else the first.
pub(super) fn headline(release: &Release) -> Option<&Version> {
    let new = |v: &&Version| matches!(v.role, Role::Canary | Role::Preview);
    release
        .versions
        .iter()
        .find(new)
        .or(release.versions.first())
}

pub(super) fn health_of<'s>(
    snapshot: &'s Snapshot,
    release: &Release,
    version: &Version,
) -> Option<&'s Health> {
    snapshot
        .health
        .get(&key_of(release, version))
        .filter(|h| has_data(h))
}

pub(super) fn history_of<'s>(
    snapshot: &'s Snapshot,
    release: &Release,
    version: &Version,
) -> Option<&'s History> {
    snapshot.history.get(&key_of(release, version))
}

/// What the list and the health section say when health cannot be shown,
/// and how loudly: `metrics: not configured (--prometheus URL)`, or the
/// snapshot's first error and how many more.
pub(super) fn words(app: &App) -> Option<(String, Style)> {
    let metrics = match &app.metrics {
        Metrics::Unavailable(why) => Some((format!("metrics: {why}"), Slot::Muted)),
        Metrics::Ready(snapshot) => snapshot.errors.first().map(|first| {
            let more = match snapshot.errors.len() {
                1 => String::new(),
                n => format!(" (+{} more)", n - 1),
            };
            // Stale first, so that 80 columns still say what the health on screen is worth.
            let text = match app.stale_since {
                Some(since) => format!(
                    "health stale {}: metrics: {}{more}",
                    crate::ages::age(Some(since), app.now),
                    fit(first, 200)
                ),
                None => format!("metrics: {}{more}", fit(first, 200)),
            };
            (text, Slot::Warning)
        }),
        Metrics::Waiting => None,
    };
    // Alertmanager down is said beside the metrics, never instead of the list.
    let alerts = match &app.alerts {
        Alerts::Failed(why) => Some((format!("alerts: {}", fit(why, 200)), Slot::Warning)),
        _ => None,
    };
    let (text, slot) = match (metrics, alerts) {
        (Some((m, slot)), Some((a, _))) => (format!("{m}  {a}"), slot),
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => return None,
    };
    Some((text, app.theme.style(slot)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_fit_a_few_cells() {
        let rates: Vec<String> = [0.0, 0.0003, 0.004, 0.05, 0.079, 0.12, 1.0]
            .into_iter()
            .map(rate)
            .collect();
        assert_eq!(rates, ["0%", "<0.1%", "0.4%", "5%", "7.9%", "12%", "100%"]);
        let latencies: Vec<String> = [4.2, 120.0, 999.0, 1234.0, 12_345.0]
            .into_iter()
            .map(ms)
            .collect();
        assert_eq!(latencies, ["4.2ms", "120ms", "999ms", "1.2s", "12s"]);
        let rates: Vec<String> = [0.5, 52.0, 1234.0].into_iter().map(per_s).collect();
        assert_eq!(rates, ["0.5", "52", "1.2k"]);
    }

    #[test]
    fn nan_is_no_data() {
        let nan = Health {
            error_rate: Some(f64::NAN),
            p99_ms: Some(f64::INFINITY),
            ..Health::default()
        };
        assert!(!has_data(&nan));
        assert!(has_data(&Health {
            requests_per_s: Some(0.0),
            ..nan
        }));
    }
}
