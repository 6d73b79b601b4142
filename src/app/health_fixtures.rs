//! A metrics snapshot for the fixture releases: shop/checkout's canary
//! crosses its thresholds during the window, after a step moved traffic to it.

use super::fixtures::{NOW, releases};
use crate::metrics::{Health, History, Series, Snapshot, key_of};
use crate::model::Thresholds;

/// shop/checkout's limits: 5% errors, 300 ms p99.
pub const LIMITS: Thresholds = Thresholds {
    max_error_rate: Some(0.05),
    max_p99_ms: Some(300.0),
};

/// 21 points, one every 15 s over the 5 minutes before `NOW`.
fn series(value: impl Fn(f64) -> f64) -> Series {
    (0..=20)
        .map(|i| (NOW - 300 + 15 * i64::from(i), value(f64::from(i) / 20.0)))
        .collect()
}

/// From `from` to `to` as the window goes by.
fn ramp(from: f64, to: f64) -> impl Fn(f64) -> f64 {
    move |t| from + (to - from) * t
}

fn health(rps: f64, err: f64, p50: f64, p95: f64, p99: f64) -> Health {
    Health {
        requests_per_s: Some(rps),
        error_rate: Some(err),
        p50_ms: Some(p50),
        p95_ms: Some(p95),
        p99_ms: Some(p99),
    }
}

/// Health of every fixture release but one (mesh/cart's canary reports NaN),
/// and shop/checkout's history: its stable version steady, its canary's
/// errors rising from 2% to 9% and its p99 from 200 to 380 ms while the step
/// halfway through doubles its share of the requests.
pub fn snapshot() -> Snapshot {
    let mut snapshot = Snapshot::default();
    let figures = [
        ("checkout-7c9d4", health(41.0, 0.004, 35.0, 80.0, 120.0)),
        ("checkout-5f6b8", health(8.5, 0.055, 60.0, 210.0, 320.0)),
        ("reviews-v1", health(36.0, 0.001, 20.0, 48.0, 90.0)),
        ("reviews-v2", health(4.0, 0.002, 22.0, 51.0, 95.0)),
        ("api", health(57.0, 0.0, 12.0, 30.0, 44.0)),
        ("api-canary", health(3.0, 0.0, 12.0, 31.0, 45.0)),
        (
            "cart-v2",
            health(f64::NAN, f64::NAN, f64::NAN, f64::NAN, f64::NAN),
        ),
        ("frontend-green", Health::default()),
        ("static-6b7f9", health(12.0, 0.0, 5.0, 9.0, 14.0)),
    ];
    for release in releases() {
        for version in &release.versions {
            let key = key_of(&release, version);
            if let Some((_, h)) = figures.iter().find(|(name, _)| *name == version.name) {
                snapshot.health.insert(key, *h);
            }
        }
    }
    let checkout = releases()
        .into_iter()
        .find(|r| r.name == "checkout")
        .unwrap_or_else(|| panic!("the fixtures have shop/checkout"));
    let step = |before: f64, after: f64| move |t: f64| if t < 0.5 { before } else { after };
    let stable = History {
        requests_per_s: series(step(45.0, 40.0)),
        error_rate: series(|t| 0.004 + 0.002 * (t * 12.0).sin()),
        p50_ms: series(|_| 35.0),
        p95_ms: series(|t| 80.0 + 6.0 * (t * 9.0).sin()),
        p99_ms: series(|t| 120.0 + 10.0 * (t * 9.0).sin()),
    };
    let canary = History {
        requests_per_s: series(step(5.0, 10.0)),
        error_rate: series(ramp(0.02, 0.09)),
        p50_ms: series(ramp(55.0, 65.0)),
        p95_ms: series(ramp(150.0, 260.0)),
        p99_ms: series(ramp(200.0, 380.0)),
    };
    for (version, history) in checkout.versions.iter().zip([stable, canary]) {
        snapshot.history.insert(key_of(&checkout, version), history);
    }
    snapshot
}

/// What the shell sends when Prometheus stops answering.
pub fn prometheus_down() -> Snapshot {
    Snapshot {
        errors: vec![
            "Prometheus at http://prometheus.monitoring:9090 is not answering \
             (connection refused after 3s)"
                .into(),
            "query error_rate: bad_data: 1:42: parse error\u{1b}[2J".into(),
        ],
        ..Snapshot::default()
    }
}

/// Firing alerts: a critical one on shop/reviews (a healthy canary by its metrics), a
/// warning on payments/api, and one in a namespace with no releases.
pub fn alerts() -> Vec<crate::alerts::Alert> {
    let body = br#"[
 {"labels":{"alertname":"HighErrorRate","severity":"critical","namespace":"shop","service":"reviews"},
  "annotations":{"summary":"5xx above 5%"},"startsAt":"2024-05-01T11:40:00.000Z","status":{"state":"active"}},
 {"labels":{"alertname":"SlowRequests","severity":"warning","namespace":"payments","deployment":"api-canary"},
  "annotations":{},"startsAt":"2024-05-01T11:40:00.000Z","status":{"state":"active"}},
 {"labels":{"alertname":"Elsewhere","severity":"critical","namespace":"other","service":"reviews"},
  "annotations":{},"status":{"state":"active"}}
]"#;
    crate::alerts::parse(body).expect("alerts")
}

/// A verdict in `state` on shop/reviews' canary, with the numbers of a healthy one.
pub fn verdict(state: crate::analysis::State) -> crate::analysis::Verdict {
    crate::analysis::Verdict {
        state,
        reason: "canary errors 0.2% vs stable 0.1%: P(worse by >1pt) = 0.00".into(),
        probability_worse: Some(0.0),
        canary_error_rate: Some(0.002),
        stable_error_rate: Some(0.001),
        canary_p99_ms: Some(95.0),
        stable_p99_ms: Some(90.0),
        canary_requests: 600.0,
        stable_requests: 5400.0,
    }
}

/// An autopilot interval on shop/reviews at 10 %: a healthy verdict, `healthy` of
/// them in a row, the next step to `next`.
pub fn record(
    decision: &'static str,
    healthy: u32,
    next: Option<f64>,
) -> crate::autopilot::driver::Record {
    crate::autopilot::driver::Record {
        verdict: verdict(crate::analysis::State::Healthy),
        decision,
        weight: 10.0,
        counters: crate::autopilot::Counters {
            healthy,
            failing: 0,
        },
        reason: "2 more healthy verdict(s) before the next step".into(),
        next_weight: next,
        end: None,
    }
}

/// A canary release in shop at `weight` (stable `v1`, canary `v2`, their Deployments
/// named alike) with the default step plan.
pub fn canary(name: &str, weight: f64, phase: crate::model::Phase) -> crate::model::Release {
    use super::fixtures::{release, version};
    use crate::model::{Kind, Role, Strategy};
    let mut canary = release(
        "shop",
        name,
        Kind::Istio,
        Strategy::Canary,
        phase,
        vec![
            version(
                &format!("{name}-v1"),
                Role::Stable,
                100.0 - weight,
                "img:1",
                1,
            ),
            version(&format!("{name}-v2"), Role::Canary, weight, "img:2", 1),
        ],
        "2024-05-01T11:00:00Z",
    );
    canary.plan = crate::model::DEFAULT_PLAN.to_vec();
    canary
}
