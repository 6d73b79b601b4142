//! Alerts end to end with the real Alertmanager (Debian's `prometheus-alertmanager`),
//! alerts posted to its v2 API as Prometheus posts them: the client, `kshift list`,
//! the verdict a critical alert fails, the autopilot rolling back on one, and the
//! console's badge and detail section.

mod common;

use std::time::Duration;

use common::{Alertmanager, Demo, Tmux, have_tool, scraped_showcase};
use kshift::alerts::{self, alertmanager};
use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(4);

fn have_alertmanager() -> bool {
    have_tool("prometheus-alertmanager")
}

/// What the tests post: a critical alert on the showcase's shop/reviews (by its
/// Service), a warning on shop/checkout's canary workload (by its Deployment), and
/// alerts that concern no release (another namespace; no namespace at all).
fn showcase_alerts() -> Value {
    json!([
        {
            "labels": {"alertname": "HighErrorRate", "severity": "critical",
                       "namespace": "shop", "service": "reviews"},
            "annotations": {"summary": "5xx ratio above 5% on reviews"}
        },
        {
            "labels": {"alertname": "PodRestarts", "severity": "warning",
                       "namespace": "shop", "deployment": "reviews-v2"},
            "annotations": {"description": "reviews-v2 restarted 3 times"}
        },
        {
            "labels": {"alertname": "HighErrorRate", "severity": "critical",
                       "namespace": "elsewhere", "service": "reviews"}
        },
        {"labels": {"alertname": "Watchdog"}}
    ])
}

#[tokio::test]
async fn the_client_reads_firing_alerts_sorted_and_leaves_resolved_ones_out() {
    if !have_alertmanager() {
        return;
    }
    let server = Alertmanager::start();
    server.post(&json!([
        {
            "labels": {"alertname": "HighLatency", "severity": "warning",
                       "namespace": "shop", "app": "checkout"},
            "annotations": {"description": "p99 latency above 1s"},
            "startsAt": "2024-05-01T08:00:00Z"
        },
        {
            "labels": {"alertname": "HighErrorRate", "severity": "Critical",
                       "namespace": "shop", "service": "checkout"},
            "annotations": {"summary": "5xx ratio above 5%"},
            "startsAt": "2024-05-01T10:00:00+02:00"
        },
        {"labels": {"alertname": "Watchdog"}},
        {
            "labels": {"alertname": "Resolved", "namespace": "shop", "app": "checkout"},
            "startsAt": "2024-05-01T08:00:00Z",
            "endsAt": "2024-05-01T09:00:00Z"
        }
    ]));
    // The trailing slash is the user's; the request path must not double it.
    let client =
        alertmanager::Alertmanager::new(&format!("{}/", server.url()), TIMEOUT).expect("a client");
    let firing = client.firing().await.expect("alerts");
    let names: Vec<&str> = firing.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["HighErrorRate", "HighLatency", "Watchdog"]);
    assert_eq!(firing[0].summary.as_deref(), Some("5xx ratio above 5%"));
    // Milliseconds added, the sender's offset kept.
    assert_eq!(
        firing[0].starts_at.as_deref(),
        Some("2024-05-01T10:00:00.000+02:00")
    );
    let shop = alerts::for_release(&firing, "shop", &["checkout"]);
    assert_eq!(
        alerts::badge(&shop).as_deref(),
        Some("2 alerts (1 critical)")
    );
}

#[tokio::test]
async fn an_alertmanager_that_is_down_or_elsewhere_is_a_message() {
    if !have_alertmanager() {
        return;
    }
    let mut server = Alertmanager::start();
    let url = server.url();
    let prefixed = format!("{url}/alertmanager");
    let wrong_path = alertmanager::Alertmanager::new(&prefixed, TIMEOUT).expect("a client");
    assert_eq!(
        wrong_path.firing().await.unwrap_err(),
        format!("Alertmanager at {prefixed} answered 404: 404 page not found")
    );
    let client = alertmanager::Alertmanager::new(&url, TIMEOUT).expect("a client");
    server.stop();
    assert_eq!(
        client.firing().await.unwrap_err(),
        format!("Alertmanager at {url} not answering: connection refused")
    );
    // A peer that takes the connection and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let url = format!("http://{}", silent.local_addr().expect("its address"));
    let client = alertmanager::Alertmanager::new(&url, Duration::from_secs(1)).expect("a client");
    assert_eq!(
        client.firing().await.unwrap_err(),
        format!("Alertmanager at {url} timed out after 1s")
    );
}

fn list(demo: &Demo, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["list", "-o", "json"];
    all.extend_from_slice(args);
    let run = demo.kshift(&all);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str::<Value>(&run.stdout)
        .expect("JSON")
        .as_array()
        .expect("an array")
        .clone()
}

fn release<'a>(releases: &'a [Value], name: &str) -> &'a Value {
    releases
        .iter()
        .find(|r| r["namespace"] == "shop" && r["name"] == name)
        .unwrap_or_else(|| panic!("no release shop/{name}"))
}

fn alert_names(release: &Value) -> Vec<String> {
    release["alerts"]
        .as_array()
        .unwrap_or_else(|| panic!("no alerts field: {release}"))
        .iter()
        .map(|a| a["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn list_shows_each_alert_on_its_release_and_survives_alertmanager_down() {
    if !have_alertmanager() {
        return;
    }
    let demo = Demo::start(&["--scenario", "showcase"]);
    let mut server = Alertmanager::start();
    server.post(&showcase_alerts());
    let url = server.url();
    let releases = list(&demo, &["--alertmanager", &url]);
    let reviews = release(&releases, "reviews");
    assert_eq!(alert_names(reviews), ["HighErrorRate", "PodRestarts"]);
    assert_eq!(reviews["alerts"][0]["severity"], "critical");
    assert_eq!(
        reviews["alerts"][0]["summary"],
        "5xx ratio above 5% on reviews"
    );
    assert_eq!(reviews["alerts"][0]["labels"]["namespace"], "shop");
    for other in releases.iter().filter(|r| r["name"] != "reviews") {
        assert_eq!(other["alerts"], json!([]), "{}", other["name"]);
    }
    // The table has a badge per release.
    let table = demo.kshift(&["list", "-n", "shop", "--alertmanager", &url]);
    let row = table
        .stdout
        .lines()
        .find(|l| l.contains(" reviews "))
        .unwrap_or_default()
        .to_string();
    assert!(row.ends_with("2 alerts (1 critical)"), "{}", table.stdout);
    // Alertmanager down: a message on every release, and the list as ever.
    server.stop();
    let releases = list(&demo, &["--alertmanager", &url]);
    let reviews = release(&releases, "reviews");
    assert_eq!(
        reviews["alerts_error"],
        format!("Alertmanager at {url} not answering: connection refused")
    );
    assert!(reviews.get("alerts").is_none());
    let table = demo.kshift(&["list", "--alertmanager", &url]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(
        table
            .stderr
            .contains("kshift: alerts: Alertmanager at http://127.0.0.1:"),
        "{}",
        table.stderr
    );
    // A URL that cannot be one is refused up front.
    let bad = demo.kshift(&["list", "--alertmanager", "localhost:9093"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("must start with http://"),
        "{}",
        bad.stderr
    );
}

/// With `[alerts] critical_fails`, a critical alert makes a healthy canary's verdict
/// failing: in `kshift list`, and for the autopilot, which rolls it back.
#[test]
fn a_critical_alert_fails_the_verdict_and_the_autopilot_rolls_back() {
    if !have_alertmanager() {
        return;
    }
    let Some((demo, prometheus)) = scraped_showcase() else {
        return;
    };
    let server = Alertmanager::start();
    server.post(&showcase_alerts());
    let url = server.url();
    let config = demo.file("alerts.toml", "[alerts]\ncritical_fails = true\n");
    let common = [
        "--alertmanager",
        url.as_str(),
        "--prometheus",
        prometheus.url.as_str(),
    ];
    let mut args = vec!["--window", "15s", "--config", config.as_str()];
    args.extend(common);
    let judged = list(&demo, &args);
    let verdict = &release(&judged, "reviews")["verdict"];
    assert_eq!(verdict["state"], "failing", "{verdict}");
    let reason = verdict["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with(
            "critical alert HighErrorRate is firing (5xx ratio above 5% on reviews); metrics: "
        ),
        "{reason}"
    );
    // A warning fails nothing: shop/checkout has none, and its verdict is the metrics'.
    let checkout = release(&judged, "checkout")["verdict"]["reason"].clone();
    assert!(
        !checkout.to_string().contains("critical alert"),
        "{checkout}"
    );
    // Without critical_fails the metrics alone judge.
    let mut shown_only = vec!["--window", "15s"];
    shown_only.extend(common);
    let metrics_only = list(&demo, &shown_only);
    let reason = release(&metrics_only, "reviews")["verdict"]["reason"].clone();
    assert!(!reason.to_string().contains("critical alert"), "{reason}");
    let mut pilot = vec![
        "autopilot",
        "shop/reviews",
        "--interval",
        "2s",
        "--failing-intervals",
        "1",
        "--window",
        "15s",
        "--yes",
        "--config",
        config.as_str(),
    ];
    pilot.extend(common);
    let run = demo.kshift(&pilot);
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("failing rollback weight 10% healthy 0/3 failing 1/1: rollback "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("critical alert HighErrorRate is firing"),
        "{}",
        run.stdout
    );
    assert_eq!(demo.route_weights("reviews"), "100 0");
}

#[test]
fn the_console_shows_the_badge_and_the_alerts_in_the_detail_view() {
    if !have_alertmanager() || !have_tool("tmux") {
        return;
    }
    let demo = Demo::start(&["--scenario", "showcase"]);
    let server = Alertmanager::start();
    server.post(&showcase_alerts());
    let command = demo.console(&format!("-n shop --alertmanager {}", server.url()));
    let tmux = Tmux::start(&command, 160, 40);
    let screen = tmux.wait_for(30, "the badge", |s| s.contains("2 alerts (1 critical)"));
    let row = screen
        .lines()
        .find(|l| l.contains("2 alerts (1 critical)"))
        .unwrap_or_default();
    assert!(
        row.contains("reviews"),
        "the badge is on reviews' row:\n{screen}"
    );
    assert_eq!(screen.matches(" alert").count(), 1, "one badge:\n{screen}");
    tmux.type_text("/reviews");
    tmux.keys(&["Enter"]);
    tmux.wait_for(10, "the filter, typed and closed", |s| {
        s.contains("</reviews>") && !s.lines().any(|l| l.starts_with("/reviews"))
    });
    tmux.keys(&["Enter"]);
    let detail = tmux.wait_for(10, "the ALERTS section", |s| {
        s.contains("│ ALERTS") && s.contains("critical HighErrorRate")
    });
    assert!(detail.contains("warning PodRestarts"), "{detail}");
    assert!(detail.contains("5xx ratio above 5% on reviews"), "{detail}");
    tmux.keys(&["q"]);
    tmux.wait_for(10, "a clean exit", |s| s.contains("exit=0"));
}
