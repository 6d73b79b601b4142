//! Alerts from Alertmanager, and which of them concern a release.
//!
//! Pure: decoding, matching and the list's badge text. The HTTP side lives in
//! [`alertmanager`], so everything here is tested on bodies captured from a real
//! Alertmanager without starting one.

pub mod alertmanager;

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analysis::{State, Verdict};
use crate::model::Release;

/// One firing alert, reduced to what the console shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// `labels.alertname` (empty when the sender set none: Alertmanager only asks for
    /// at least one label).
    pub name: String,
    /// `labels.severity`, as written: rule authors use "critical", "Critical", ...
    pub severity: Option<String>,
    /// All labels, `alertname` and `severity` included.
    pub labels: BTreeMap<String, String>,
    /// The first non-blank of `annotations.summary`, `description`, `message`:
    /// Prometheus' own rules use the first two, kube-prometheus' older rules the third.
    pub summary: Option<String>,
    /// `startsAt` as Alertmanager gave it (RFC 3339, milliseconds, the sender's offset).
    pub starts_at: Option<String>,
}

/// The part of Alertmanager's `gettableAlert` that kshift reads.
#[derive(Deserialize)]
struct Gettable {
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(rename = "startsAt")]
    starts_at: Option<String>,
    status: Status,
}

#[derive(Deserialize)]
struct Status {
    /// `active`, `suppressed` (silenced or inhibited) or `unprocessed`.
    state: String,
}

/// The labels that name the workload an alert is about, as kube-state-metrics,
/// the usual relabelings and Argo Rollouts' and Helm's conventions put them.
const WORKLOAD_LABELS: [&str; 6] = [
    "service",
    "app",
    "app_kubernetes_io_name",
    "deployment",
    "rollout",
    "release",
];

/// Decodes the body of `GET /api/v2/alerts`, keeps the active alerts (a silenced or
/// inhibited one is someone's decision not to be told) and sorts them for display:
/// critical first, then by name, then by start.
pub fn parse(body: &[u8]) -> Result<Vec<Alert>, String> {
    let gettable: Vec<Gettable> = serde_json::from_slice(body)
        .map_err(|e| format!("not an Alertmanager v2 alerts list: {e}"))?;
    let mut alerts: Vec<Alert> = gettable
        .into_iter()
        .filter(|g| g.status.state == "active")
        .map(|mut g| Alert {
            name: g.labels.get("alertname").cloned().unwrap_or_default(),
            severity: g.labels.get("severity").cloned(),
            summary: ["summary", "description", "message"]
                .into_iter()
                .find_map(|key| g.annotations.remove(key).filter(|s| !s.trim().is_empty())),
            starts_at: g.starts_at,
            labels: g.labels,
        })
        .collect();
    alerts.sort_by(display_order);
    Ok(alerts)
}

/// Critical first, then by name, then by start instant. Start times are compared as
/// instants, not text: Alertmanager keeps each sender's UTC offset, so
/// `09:00:00.000+02:00` is earlier than `07:30:00.000Z`. The labels break the
/// remaining ties, so rows keep their places from one refresh to the next.
fn display_order(a: &Alert, b: &Alert) -> Ordering {
    let start = |alert: &Alert| {
        alert
            .starts_at
            .as_deref()
            .and_then(|s| s.parse::<jiff::Timestamp>().ok())
    };
    is_critical(b)
        .cmp(&is_critical(a))
        .then_with(|| a.name.cmp(&b.name))
        .then_with(|| start(a).cmp(&start(b)))
        .then_with(|| a.labels.cmp(&b.labels))
}

/// Whether the alert's severity is "critical", in any ASCII case.
pub fn is_critical(alert: &Alert) -> bool {
    alert
        .severity
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("critical"))
}

/// Whether the alert is about a release in `namespace` known by `names` (the
/// release's name, its objects' names and its versions' workload names). The
/// namespace must match: the same Service name in another namespace is another
/// application, and an alert without a namespace label is cluster-wide, so it
/// belongs to no release.
pub fn matches(alert: &Alert, namespace: &str, names: &[&str]) -> bool {
    alert.labels.get("namespace").map(String::as_str) == Some(namespace)
        && WORKLOAD_LABELS
            .iter()
            .filter_map(|label| alert.labels.get(*label))
            .any(|value| names.contains(&value.as_str()))
}

/// The alerts that [`matches`] the release, in the order given.
pub fn for_release<'a>(alerts: &'a [Alert], namespace: &str, names: &[&str]) -> Vec<&'a Alert> {
    alerts
        .iter()
        .filter(|alert| matches(alert, namespace, names))
        .collect()
}

/// The alerts about `release`: by its namespace and its name, its objects' names or
/// its versions' workload names.
pub fn about<'a>(alerts: &'a [Alert], release: &Release) -> Vec<&'a Alert> {
    if alerts.is_empty() {
        return Vec::new();
    }
    let mut names: Vec<&str> = vec![release.name.as_str()];
    names.extend(release.objects.iter().map(|o| o.name.as_str()));
    names.extend(
        release
            .versions
            .iter()
            .filter_map(|v| v.workload.as_ref().map(|w| w.name.as_str())),
    );
    for_release(alerts, &release.namespace, &names)
}

/// The verdict once a firing critical alert counts as failing (the config's
/// `[alerts] critical_fails`): whatever the metrics said, with the alert named first.
pub fn overrule(verdict: Verdict, alerts: &[&Alert]) -> Verdict {
    let Some(critical) = alerts.iter().find(|a| is_critical(a)) else {
        return verdict;
    };
    let summary = critical
        .summary
        .as_deref()
        .map(|s| format!(" ({s})"))
        .unwrap_or_default();
    Verdict {
        state: State::Failing,
        reason: format!(
            "critical alert {} is firing{summary}; metrics: {}",
            critical.name, verdict.reason
        ),
        ..verdict
    }
}

/// The short text the release list shows, e.g. "3 alerts (1 critical)"; `None` when
/// there is nothing to show.
pub fn badge(alerts: &[&Alert]) -> Option<String> {
    let count = alerts.len();
    if count == 0 {
        return None;
    }
    let noun = if count == 1 { "alert" } else { "alerts" };
    let critical = alerts.iter().filter(|alert| is_critical(alert)).count();
    Some(if critical == 0 {
        format!("{count} {noun}")
    } else {
        format!("{count} {noun} ({critical} critical)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body of `GET /api/v2/alerts` from Alertmanager 0.25 (one alert a line),
    /// with a silence on NoisyAlert and an inhibit rule muting namespace "staging"
    /// while ClusterMaintenance fires. It lists alerts by fingerprint.
    const CAPTURED: &str = r#"[
{"annotations":{},"endsAt":"2026-11-22T04:06:46.178Z","fingerprint":"003b0a0f7d3fa569","receivers":[{"name":"blackhole"}],"startsAt":"2024-05-01T06:00:00.000Z","status":{"inhibitedBy":[],"silencedBy":[],"state":"active"},"updatedAt":"2026-11-22T04:01:46.178Z","labels":{"alertname":"Watchdog"}},
{"annotations":{"description":"12% of requests to checkout fail","summary":"5xx ratio above 5% on checkout"},"endsAt":"2026-11-22T04:06:46.178Z","fingerprint":"29dfb52689eade8a","receivers":[{"name":"blackhole"}],"startsAt":"2024-05-01T10:00:00.000+02:00","status":{"inhibitedBy":[],"silencedBy":[],"state":"active"},"updatedAt":"2026-11-22T04:01:46.178Z","generatorURL":"http://prometheus.example/graph?g0.expr=x","labels":{"alertname":"HighErrorRate","namespace":"shop","service":"checkout","severity":"critical"}},
{"annotations":{"summary":"silenced, must not show"},"endsAt":"2026-11-22T04:06:46.178Z","fingerprint":"3224cb46bb093000","receivers":[{"name":"blackhole"}],"startsAt":"2024-05-01T08:00:00.000Z","status":{"inhibitedBy":[],"silencedBy":["3843bf32-87c8-4223-b83d-7652f4e8ed2f"],"state":"suppressed"},"updatedAt":"2026-11-22T04:01:46.178Z","labels":{"alertname":"NoisyAlert","namespace":"shop","service":"checkout","severity":"critical"}},
{"annotations":{"summary":"Planned maintenance"},"endsAt":"2026-11-22T04:06:46.178Z","fingerprint":"3357c87da03fe6b2","receivers":[{"name":"blackhole"}],"startsAt":"2024-05-01T08:00:00.000Z","status":{"inhibitedBy":[],"silencedBy":[],"state":"active"},"updatedAt":"2026-11-22T04:01:46.178Z","labels":{"alertname":"ClusterMaintenance","severity":"info"}},
{"annotations":{"summary":"Deployment has fewer ready replicas than desired"},"endsAt":"2026-11-22T04:06:46.178Z","fingerprint":"4a84245ae571e4f7","receivers":[{"name":"blackhole"}],"startsAt":"2024-05-01T08:30:00.000Z","status":{"inhibitedBy":[],"silencedBy":[],"state":"active"},"updatedAt":"2026-11-22T04:01:46.178Z","labels":{"alertname":"ReplicasMismatch","deployment":"checkout-canary","namespace":"shop","severity":"warning"}},
{"annotations":{"description":"p99 latency of search above 1s"},"endsAt":"2026-11-22T04:06:46.178Z","fingerprint":"4fcafa508a0f896b","receivers":[{"name":"blackhole"}],"startsAt":"2024-05-01T09:00:00.000+02:00","status":{"inhibitedBy":[],"silencedBy":[],"state":"active"},"updatedAt":"2026-11-22T04:01:46.178Z","labels":{"alertname":"HighLatency","app":"search","namespace":"shop","severity":"Warning"}},
{"annotations":{"message":"Pod shop/checkout-7d9f-abcde is restarting"},"endsAt":"2026-11-22T04:06:46.178Z","fingerprint":"5a2b09a3b3909e0d","receivers":[{"name":"blackhole"}],"startsAt":"2024-05-01T08:15:00.123Z","status":{"inhibitedBy":[],"silencedBy":[],"state":"active"},"updatedAt":"2026-11-22T04:01:46.178Z","labels":{"alertname":"KubePodCrashLooping","app_kubernetes_io_name":"checkout","namespace":"shop","pod":"checkout-7d9f-abcde","severity":"CRITICAL"}},
{"annotations":{"summary":"inhibited, must not show"},"endsAt":"2026-11-22T04:06:46.178Z","fingerprint":"622b8d756d227eb3","receivers":[{"name":"blackhole"}],"startsAt":"2024-05-01T08:00:00.000Z","status":{"inhibitedBy":["3357c87da03fe6b2"],"silencedBy":[],"state":"suppressed"},"updatedAt":"2026-11-22T04:01:46.178Z","labels":{"alertname":"HighErrorRate","namespace":"staging","service":"checkout","severity":"critical"}},
{"annotations":{"description":"p99 latency of cart above 1s"},"endsAt":"2026-11-22T04:06:46.178Z","fingerprint":"6a7e95a9e64b59a9","receivers":[{"name":"blackhole"}],"startsAt":"2024-05-01T07:30:00.000Z","status":{"inhibitedBy":[],"silencedBy":[],"state":"active"},"updatedAt":"2026-11-22T04:01:46.178Z","labels":{"alertname":"HighLatency","app":"cart","namespace":"shop","severity":"warning"}},
{"annotations":{"summary":"Canary step 3 failed"},"endsAt":"2026-11-22T04:06:46.178Z","fingerprint":"7dd9a07799e0b506","receivers":[{"name":"blackhole"}],"startsAt":"2024-05-01T08:20:00.000Z","status":{"inhibitedBy":[],"silencedBy":[],"state":"active"},"updatedAt":"2026-11-22T04:01:46.178Z","labels":{"alertname":"CanaryAnalysisFailed","namespace":"shop","rollout":"checkout","severity":"warning"}},
{"annotations":{"summary":"Release has not progressed for 30m"},"endsAt":"2026-11-22T04:06:46.178Z","fingerprint":"f5cbf10b3d5f24ef","receivers":[{"name":"blackhole"}],"startsAt":"2024-05-01T08:00:00.000Z","status":{"inhibitedBy":[],"silencedBy":[],"state":"active"},"updatedAt":"2026-11-22T04:01:46.178Z","labels":{"alertname":"ReleaseStuck","namespace":"payments","release":"checkout","severity":"warning"}}
]"#;

    fn captured() -> Vec<Alert> {
        parse(CAPTURED.as_bytes()).expect("the captured body parses")
    }

    fn named<'a>(alerts: &'a [Alert], name: &str, label: &str, value: &str) -> &'a Alert {
        alerts
            .iter()
            .find(|a| a.name == name && a.labels.get(label).map(String::as_str) == Some(value))
            .unwrap_or_else(|| panic!("no {name} with {label}={value}"))
    }

    /// An active alert in namespace "shop" with one workload label.
    fn alert(label: &str, value: &str, severity: &str) -> Alert {
        let labels: BTreeMap<String, String> = [
            ("alertname", "Probe"),
            ("namespace", "shop"),
            ("severity", severity),
            (label, value),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Alert {
            name: "Probe".to_string(),
            severity: Some(severity.to_string()),
            labels,
            summary: None,
            starts_at: None,
        }
    }

    #[test]
    fn keeps_only_active_alerts() {
        let alerts = captured();
        assert_eq!(alerts.len(), 9);
        assert!(alerts.iter().all(|a| a.name != "NoisyAlert"), "silenced");
        assert!(
            alerts
                .iter()
                .all(|a| a.labels.get("namespace").map(String::as_str) != Some("staging")),
            "inhibited"
        );
    }

    #[test]
    fn reads_labels_and_start_as_given() {
        let alerts = captured();
        let error = named(&alerts, "HighErrorRate", "service", "checkout");
        assert_eq!(error.severity.as_deref(), Some("critical"));
        assert_eq!(error.labels["namespace"], "shop");
        assert_eq!(error.labels["alertname"], "HighErrorRate");
        assert_eq!(
            error.starts_at.as_deref(),
            Some("2024-05-01T10:00:00.000+02:00")
        );
        let crash = named(&alerts, "KubePodCrashLooping", "namespace", "shop");
        assert_eq!(crash.starts_at.as_deref(), Some("2024-05-01T08:15:00.123Z"));
    }

    #[test]
    fn summary_falls_back_to_description_then_message() {
        let alerts = captured();
        let summary = |name, label, value| named(&alerts, name, label, value).summary.as_deref();
        assert_eq!(
            summary("HighErrorRate", "service", "checkout"),
            Some("5xx ratio above 5% on checkout")
        );
        assert_eq!(
            summary("HighLatency", "app", "cart"),
            Some("p99 latency of cart above 1s")
        );
        assert_eq!(
            summary("KubePodCrashLooping", "namespace", "shop"),
            Some("Pod shop/checkout-7d9f-abcde is restarting")
        );
        assert_eq!(summary("Watchdog", "alertname", "Watchdog"), None);
    }

    #[test]
    fn blank_summary_falls_back() {
        let body = br#"[{"annotations":{"summary":" ","description":"disk full"},"labels":{"alertname":"DiskFull"},"startsAt":"2024-05-01T08:00:00.000Z","status":{"inhibitedBy":[],"silencedBy":[],"state":"active"}}]"#;
        let alerts = parse(body).unwrap();
        assert_eq!(alerts[0].summary.as_deref(), Some("disk full"));
    }

    #[test]
    fn alert_without_severity_or_annotations() {
        let alerts = captured();
        let watchdog = named(&alerts, "Watchdog", "alertname", "Watchdog");
        assert_eq!(watchdog.severity, None);
        assert!(!is_critical(watchdog));
        assert_eq!(watchdog.labels.len(), 1);
    }

    #[test]
    fn severity_ignores_case() {
        let alerts = captured();
        assert!(is_critical(named(
            &alerts,
            "KubePodCrashLooping",
            "namespace",
            "shop"
        )));
        assert!(is_critical(named(
            &alerts,
            "HighErrorRate",
            "service",
            "checkout"
        )));
        let search = named(&alerts, "HighLatency", "app", "search");
        assert_eq!(search.severity.as_deref(), Some("Warning"));
        assert!(!is_critical(search));
    }

    #[test]
    fn sorts_critical_then_name_then_start_instant() {
        let alerts = captured();
        let order: Vec<(&str, Option<&str>)> = alerts
            .iter()
            .map(|a| (a.name.as_str(), a.labels.get("app").map(String::as_str)))
            .collect();
        let names: Vec<&str> = order.iter().map(|(name, _)| *name).collect();
        assert_eq!(
            names,
            [
                "HighErrorRate",
                "KubePodCrashLooping",
                "CanaryAnalysisFailed",
                "ClusterMaintenance",
                "HighLatency",
                "HighLatency",
                "ReleaseStuck",
                "ReplicasMismatch",
                "Watchdog",
            ]
        );
        // search started at 07:00Z (written 09:00+02:00), cart at 07:30Z.
        assert_eq!(order[4].1, Some("search"));
        assert_eq!(order[5].1, Some("cart"));
    }

    #[test]
    fn rejects_what_is_not_an_alerts_list() {
        for body in [
            &b"404 page not found"[..],
            br#"{"status":"success","data":[]}"#,
            br#"[{"labels":{"alertname":"x"}}]"#,
            b"",
        ] {
            let error = parse(body).unwrap_err();
            assert!(
                error.starts_with("not an Alertmanager v2 alerts list: "),
                "{error}"
            );
        }
        assert_eq!(parse(b"[]"), Ok(Vec::new()));
    }

    #[test]
    fn matches_on_each_workload_label() {
        for label in WORKLOAD_LABELS {
            let alert = alert(label, "checkout", "warning");
            assert!(matches(&alert, "shop", &["checkout"]), "{label}");
            assert!(matches(&alert, "shop", &["cart", "checkout"]), "{label}");
            assert!(!matches(&alert, "shop", &["cart"]), "{label}");
        }
        assert!(!matches(
            &alert("pod", "checkout", "warning"),
            "shop",
            &["checkout"]
        ));
    }

    #[test]
    fn matches_only_in_the_namespace() {
        let alerts = captured();
        let stuck = named(&alerts, "ReleaseStuck", "release", "checkout");
        assert!(matches(stuck, "payments", &["checkout"]));
        assert!(!matches(stuck, "shop", &["checkout"]));
    }

    #[test]
    fn alert_without_namespace_matches_nothing() {
        let alerts = captured();
        let maintenance = named(
            &alerts,
            "ClusterMaintenance",
            "alertname",
            "ClusterMaintenance",
        );
        let mut labelled = maintenance.clone();
        labelled
            .labels
            .insert("service".to_string(), "checkout".to_string());
        assert!(!matches(&labelled, "shop", &["checkout"]));
        assert!(!matches(&labelled, "", &["checkout"]));
    }

    #[test]
    fn for_release_picks_a_release_s_alerts() {
        let alerts = captured();
        let checkout = for_release(&alerts, "shop", &["checkout", "checkout-canary"]);
        let names: Vec<&str> = checkout.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "HighErrorRate",
                "KubePodCrashLooping",
                "CanaryAnalysisFailed",
                "ReplicasMismatch"
            ]
        );
        assert!(for_release(&alerts, "shop", &["nothing"]).is_empty());
    }

    #[test]
    fn badge_texts() {
        let warning = alert("app", "cart", "warning");
        let critical = alert("app", "cart", "Critical");
        assert_eq!(badge(&[]), None);
        assert_eq!(badge(&[&warning]).as_deref(), Some("1 alert"));
        assert_eq!(badge(&[&critical]).as_deref(), Some("1 alert (1 critical)"));
        assert_eq!(
            badge(&[&warning, &warning, &warning]).as_deref(),
            Some("3 alerts")
        );
        assert_eq!(
            badge(&[&critical, &warning, &warning]).as_deref(),
            Some("3 alerts (1 critical)")
        );
        assert_eq!(
            badge(&[&critical, &warning, &critical]).as_deref(),
            Some("3 alerts (2 critical)")
        );
    }

    #[test]
    fn badge_of_a_captured_release() {
        let alerts = captured();
        let checkout = for_release(&alerts, "shop", &["checkout", "checkout-canary"]);
        assert_eq!(badge(&checkout).as_deref(), Some("4 alerts (2 critical)"));
    }

    /// shop/checkout with its canary's workload `checkout-canary` and a
    /// VirtualService `checkout-routes`.
    fn checkout() -> Release {
        use crate::model::{ObjectRef, Phase};
        let mut release = crate::app::health_fixtures::canary("checkout", 50.0, Phase::Progressing);
        release.versions[1].workload = Some(ObjectRef::new("Deployment", "checkout-canary"));
        release.objects = vec![ObjectRef::new("VirtualService", "checkout-routes")];
        release
    }

    #[test]
    fn about_a_release_by_its_name_objects_and_workloads() {
        let alerts = captured();
        let mut release = checkout();
        let names =
            |found: Vec<&Alert>| -> Vec<String> { found.iter().map(|a| a.name.clone()).collect() };
        // service=checkout, app_kubernetes_io_name=checkout, rollout=checkout (the
        // release's name) and deployment=checkout-canary (a version's workload).
        assert_eq!(
            names(about(&alerts, &release)),
            [
                "HighErrorRate",
                "KubePodCrashLooping",
                "CanaryAnalysisFailed",
                "ReplicasMismatch"
            ]
        );
        release.namespace = "payments".into();
        assert_eq!(names(about(&alerts, &release)), ["ReleaseStuck"]);
        assert!(about(&[], &release).is_empty());
    }

    #[test]
    fn a_critical_alert_overrules_the_verdict_and_others_do_not() {
        let alerts = captured();
        let healthy = crate::app::health_fixtures::verdict(State::Healthy);
        let release = checkout();
        let failing = overrule(healthy.clone(), &about(&alerts, &release));
        assert_eq!(failing.state, State::Failing);
        assert_eq!(
            failing.reason,
            "critical alert HighErrorRate is firing (5xx ratio above 5% on checkout); \
             metrics: canary errors 0.2% vs stable 0.1%: P(worse by >1pt) = 0.00"
        );
        assert_eq!(failing.canary_requests, 600.0, "the numbers stay");
        let warnings: Vec<&Alert> = alerts.iter().filter(|a| !is_critical(a)).collect();
        assert_eq!(overrule(healthy.clone(), &warnings), healthy);
        assert_eq!(overrule(healthy.clone(), &[]), healthy);
    }
}
