//! Health end to end with the real Prometheus (Debian's binary): scraping the demo's
//! `/metrics`, read through kshift; and backfilled data (promtool) whose arithmetic is
//! checked against values computed by hand.

mod common;

use std::time::{Duration, Instant};

use common::{Demo, Prometheus, have_tool, scraped_showcase};
use serde_json::Value;

fn kshift(demo: &Demo, args: &[&str]) -> (i32, String, String) {
    let run = demo.kshift(args);
    (run.code, run.stdout, run.stderr)
}

fn list(demo: &Demo, prometheus: &str, extra: &[&str]) -> Vec<Value> {
    let mut args = vec![
        "list",
        "-o",
        "json",
        "--window",
        "15s",
        "--prometheus",
        prometheus,
    ];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = kshift(demo, &args);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str::<Value>(&stdout)
        .expect("JSON")
        .as_array()
        .expect("array")
        .clone()
}

fn release<'a>(releases: &'a [Value], name: &str) -> &'a Value {
    releases
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no release {name}"))
}

/// The canary's share of the release's requests per second.
fn canary_share(release: &Value) -> Option<f64> {
    let rates: Vec<f64> = release["versions"]
        .as_array()?
        .iter()
        .map(|v| v["health"]["requests_per_s"].as_f64())
        .collect::<Option<_>>()?;
    let total: f64 = rates.iter().sum();
    (total > 0.0).then(|| rates[1] / total)
}

/// Polls `kshift list` until `check` holds.
fn until(
    demo: &Demo,
    prometheus: &str,
    seconds: u64,
    what: &str,
    check: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        let releases = list(demo, prometheus, &[]);
        if check(&releases) {
            return releases;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {releases:#?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn every_kind_has_health_and_the_canary_share_follows_its_weight() {
    let Some((demo, prometheus)) = scraped_showcase() else {
        return;
    };
    let url = prometheus.url.clone();
    let releases = until(
        &demo,
        &url,
        60,
        "health on every serving version",
        |releases| {
            releases.iter().all(|r| {
                r["versions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|v| v["weight"].as_f64() > Some(0.0))
                    .all(|v| {
                        v["health"]["requests_per_s"]
                            .as_f64()
                            .is_some_and(|x| x > 0.0)
                    })
            })
        },
    );
    let kinds: std::collections::BTreeSet<&str> = releases
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 9, "{kinds:?}");
    for release in &releases {
        assert!(release.get("metrics_error").is_none(), "{release}");
        for version in release["versions"].as_array().unwrap() {
            let health = &version["health"];
            for field in ["requests_per_s", "error_rate", "p50_ms", "p95_ms", "p99_ms"] {
                assert!(health.get(field).is_some(), "{field} missing: {health}");
            }
        }
    }
    // Once the window holds only steady traffic, the canary's share is its weight.
    let steady = until(
        &demo,
        &url,
        60,
        "a 10% share for a 10% weight",
        |releases| {
            canary_share(release(releases, "reviews")).is_some_and(|s| (s - 0.10).abs() < 0.04)
        },
    );
    assert!(canary_share(release(&steady, "reviews")).is_some());
    // NGINX too, read as ingress-nginx reports it: the primary Ingress, split by the
    // `canary` label (storefront is 80/20).
    until(&demo, &url, 60, "a 20% NGINX canary share", |releases| {
        canary_share(release(releases, "storefront")).is_some_and(|s| (s - 0.20).abs() < 0.06)
    });

    // The verdict: the route to a missing subset fails every request it gets.
    let judged = until(
        &demo,
        &url,
        60,
        "a failing verdict on the broken route",
        |releases| release(releases, "recommendations")["verdict"]["state"] == "failing",
    );
    let healthy = release(&judged, "reviews");
    assert!(
        ["healthy", "inconclusive"].contains(&healthy["verdict"]["state"].as_str().unwrap()),
        "{}",
        healthy["verdict"]
    );

    // After a step the share moves to the new weight.
    let (code, _, stderr) = kshift(&demo, &["step", "shop/reviews", "--yes"]);
    assert_eq!(code, 0, "{stderr}");
    let moved = until(
        &demo,
        &url,
        60,
        "the share to follow the step",
        |releases| {
            canary_share(release(releases, "reviews")).is_some_and(|s| (s - 0.25).abs() < 0.04)
        },
    );
    assert!(canary_share(release(&moved, "reviews")).is_some());
}

#[test]
fn one_namespace_or_all_send_the_same_number_of_queries() {
    let Some((demo, prometheus)) = scraped_showcase() else {
        return;
    };
    let queries = || prometheus.queries_answered();
    let url = prometheus.url.clone();
    list(&demo, &url, &[]);
    let before = queries();
    list(&demo, &url, &["-n", "shop"]);
    let one = queries() - before;
    let before = queries();
    list(&demo, &url, &["-A"]);
    let all = queries() - before;
    assert!(one > 0.0, "no query was counted ({before} before)");
    assert_eq!(one, all, "queries must not grow with the releases listed");
}

#[test]
fn prometheus_going_away_is_said_in_words_and_the_rest_works() {
    let Some((demo, mut prometheus)) = scraped_showcase() else {
        return;
    };
    let url = prometheus.url.clone();
    prometheus.stop();
    let releases = list(&demo, &url, &[]);
    assert_eq!(releases.len(), 13, "the list still works");
    let error = releases[0]["metrics_error"]
        .as_str()
        .expect("a metrics error in words");
    assert!(error.contains("not answering"), "{error}");
    assert!(releases[0]["versions"][0]["health"]["error_rate"].is_null());
    let (code, stdout, stderr) = kshift(&demo, &["list", "--prometheus", &url]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("reviews") && stderr.contains("not answering"),
        "{stderr}"
    );
}

/// OpenMetrics text for one app version: 60 requests/s of which 3 fail (5 %), latency
/// spread over buckets so that the quantiles are known: per second 30 requests ≤ 50 ms,
/// 24 in (50, 100], 6 in (100, 200].
fn backfill(start: i64, end: i64) -> String {
    let mut text = String::from(
        "# TYPE http_requests counter\n# TYPE http_request_duration_seconds histogram\n",
    );
    let labels = "namespace=\"shop\",app=\"web\",version=\"v1\"";
    let mut t = start;
    while t <= end {
        let s = (t - start) as f64;
        text.push_str(&format!(
            "http_requests_total{{{labels},code=\"200\"}} {} {t}\n",
            57.0 * s
        ));
        text.push_str(&format!(
            "http_requests_total{{{labels},code=\"500\"}} {} {t}\n",
            3.0 * s
        ));
        for (le, per_second) in [("0.05", 30.0), ("0.1", 54.0), ("0.2", 60.0), ("+Inf", 60.0)] {
            text.push_str(&format!(
                "http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {} {t}\n",
                per_second * s
            ));
        }
        text.push_str(&format!(
            "http_request_duration_seconds_count{{{labels}}} {} {t}\n",
            60.0 * s
        ));
        text.push_str(&format!(
            "http_request_duration_seconds_sum{{{labels}}} {} {t}\n",
            4.2 * s
        ));
        t += 15;
    }
    text.push_str("# EOF\n");
    text
}

#[tokio::test]
async fn backfilled_arithmetic_matches_hand_computed_values() {
    if !have_tool("prometheus") || !have_tool("promtool") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let now = jiff::Timestamp::now().as_second();
    let file = dir.path().join("backfill.om");
    // The last sample just before the query, so that rate() covers the whole window.
    std::fs::write(&file, backfill(now - 3600 + ((3600 - 1) % 15), now - 1)).unwrap();
    let status = std::process::Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&file)
        .arg(dir.path().join("data"))
        .stdout(std::process::Stdio::null())
        .status()
        .expect("promtool");
    assert!(status.success(), "promtool could not backfill");
    let prometheus = Prometheus::on_tsdb(dir);
    let source =
        kshift::metrics::Prometheus::new(&prometheus.url, Duration::from_secs(5)).expect("URL");
    let snapshot = source
        .refresh(
            &[kshift::metrics::Source::App],
            Duration::from_secs(300),
            None,
        )
        .await;
    assert!(snapshot.errors.is_empty(), "{:?}", snapshot.errors);
    let key = kshift::metrics::VersionKey {
        source: kshift::metrics::Source::App,
        namespace: "shop".into(),
        target: "web".into(),
        version: "v1".into(),
    };
    let health = snapshot
        .health
        .get(&key)
        .unwrap_or_else(|| panic!("no health for {key:?}: {snapshot:?}"));
    let close = |got: Option<f64>, want: f64, what: &str| {
        let got = got.unwrap_or_else(|| panic!("{what} unknown"));
        assert!((got - want).abs() <= want * 0.01, "{what}: {got} != {want}");
    };
    // 60 requests per second, 3 of them failing.
    close(health.requests_per_s, 60.0, "requests/s");
    close(health.error_rate, 0.05, "error rate");
    // p50: rank 30 of 60 falls at the top of the first bucket: 50 ms.
    close(health.p50_ms, 50.0, "p50");
    // p95: rank 57; the (100, 200] bucket holds ranks 54..60: 100 + (57-54)/6 * 100 = 150 ms.
    close(health.p95_ms, 150.0, "p95");
    // p99: rank 59.4: 100 + (59.4-54)/6 * 100 = 190 ms.
    close(health.p99_ms, 190.0, "p99");
}
