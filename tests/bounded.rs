//! Bounded answers: a Prometheus or an Alertmanager that answers far too much is
//! refused in words, not read into memory.

mod common;

use common::{Canned, Demo};
use serde_json::Value;

#[test]
fn answers_past_the_cap_are_refused_in_words() {
    let demo = Demo::start(&["--scenario", "showcase"]);
    // A valid answer of some 20 MB: every series distinct, as a query matching far
    // too much gives.
    let series: Vec<String> = (0..200_000)
        .map(|i| format!(r#"{{"metric":{{"destination_workload":"w{i:06}","destination_workload_namespace":"ns"}},"value":[1700000000,"1"]}}"#))
        .collect();
    let body = format!(
        r#"{{"status":"success","data":{{"resultType":"vector","result":[{}]}}}}"#,
        series.join(",")
    );
    assert!(body.len() > 20 << 20, "{}", body.len());
    let prometheus = Canned::start(200, "application/json", body.into_bytes());
    let alerts = format!(
        "[{}]",
        vec![r#"{"labels":{"alertname":"x"}}"#; 700_000].join(",")
    );
    let alertmanager = Canned::start(200, "application/json", alerts.into_bytes());
    let run = demo.kshift(&[
        "list",
        "-o",
        "json",
        "--prometheus",
        &prometheus.url,
        "--alertmanager",
        &alertmanager.url,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let releases: Vec<Value> = serde_json::from_str(&run.stdout).expect("JSON");
    let first = &releases[0];
    let metrics = first["metrics_error"].as_str().unwrap_or_default();
    assert!(
        metrics.contains("more than the 16 MB kshift reads"),
        "{first:#}"
    );
    let alerts = first["alerts_error"].as_str().unwrap_or_default();
    assert!(
        alerts.contains("more than the 16 MB kshift reads"),
        "{first:#}"
    );
}
