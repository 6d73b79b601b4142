//! The simulator over real scenarios, tick by tick without sleeping (seeded, so the
//! figures are the same on every run).

use std::time::{Duration, SystemTime};

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::json;

use super::task::{Simulator, objects};
use super::{BOUNDS_MS, Reading};
use crate::cluster::discover::{Settings, discover};
use crate::demo::resources::StoreKey;
use crate::demo::{Cluster, ClusterOptions, scenario};
use crate::metrics::{Source, key_of, source_of};
use crate::model::{Kind, Release};

fn start() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

/// A cluster with a built-in scenario whose Deployments have every pod ready, as the
/// controllers would make them (they do not run here).
fn cluster(scenario_name: &str) -> Cluster {
    let cluster = Cluster::new(&ClusterOptions::default());
    scenario::load_builtin(&cluster, scenario_name).expect("load the scenario");
    let key = StoreKey::new("apps", "deployments");
    let mut state = cluster.lock();
    for deployment in state.store.list(&key, None) {
        let mut deployment = (*deployment).clone();
        let replicas = deployment["spec"]["replicas"].clone();
        deployment["status"] = json!({"replicas": replicas, "updatedReplicas": replicas,
            "readyReplicas": replicas, "availableReplicas": replicas});
        state.store.put(&key, deployment);
    }
    drop(state);
    cluster
}

fn releases(cluster: &Cluster) -> Vec<Release> {
    let objects = objects(&cluster.lock().store);
    discover(&objects, &Settings::default())
}

fn run(cluster: &Cluster, ticks: u64) {
    let mut simulator = Simulator::new(cluster.clone(), StdRng::seed_from_u64(42));
    for second in 0..ticks {
        simulator.tick(start() + Duration::from_secs(second));
    }
}

/// The latest reading of each version of the release `name`.
fn readings(cluster: &Cluster, name: &str) -> Vec<Reading> {
    let releases = releases(cluster);
    let release = releases.iter().find(|r| r.name == name).expect(name);
    release
        .versions
        .iter()
        .map(|v| cluster.traffic().latest(&key_of(release, v)).expect("read"))
        .collect()
}

#[test]
fn requests_follow_weights_and_faults() {
    let cluster = cluster("bad-canary");
    run(&cluster, 200);
    let shipping = readings(&cluster, "shipping");
    let total = (shipping[0].requests + shipping[1].requests) as f64;
    assert!((total / 200.0 - 60.0).abs() < 2.0, "about 60/s: {total}");
    let canary_share = shipping[1].requests as f64 / total;
    assert!((canary_share - 0.1).abs() < 0.01, "90/10: {canary_share}");
    assert_eq!(shipping[1].errors, 0);
    let orders = readings(&cluster, "orders");
    let canary = &orders[1];
    let error_rate = canary.errors as f64 / canary.requests as f64;
    assert!((error_rate - 0.25).abs() < 0.03, "{error_rate}");
    let p50 = canary.latency.quantile_ms(0.5).expect("a median");
    assert!((p50 - 350.0).abs() < 350.0 * 0.15, "350 ms: {p50}");
    let p50 = orders[0].latency.quantile_ms(0.5).expect("a median");
    assert!((p50 - 40.0).abs() < 40.0 * 0.15, "the default 40 ms: {p50}");
    let p99 = orders[0].latency.quantile_ms(0.99).expect("a p99");
    assert!(p99 > 2.0 * p50, "a tail: p99 {p99}, p50 {p50}");
    assert_eq!(canary.latency.count, canary.requests);
}

#[test]
fn a_version_without_ready_pods_only_fails() {
    let cluster = cluster("bad-canary");
    let mut simulator = Simulator::new(cluster.clone(), StdRng::seed_from_u64(5));
    simulator.tick(start());
    let key = StoreKey::new("apps", "deployments");
    {
        let mut state = cluster.lock();
        let mut v2 = (*state.store.get(&key, "orders", "shipping-v2").expect("v2")).clone();
        v2["status"]["readyReplicas"] = json!(0);
        state.store.put(&key, v2);
    }
    let before = readings(&cluster, "shipping");
    for second in 1..=100 {
        simulator.tick(start() + Duration::from_secs(second));
    }
    let shipping = readings(&cluster, "shipping");
    let requests = shipping[1].requests - before[1].requests;
    assert!(requests > 400, "{requests}");
    assert_eq!(shipping[1].errors - before[1].errors, requests, "all 503");
    assert!(
        cluster
            .traffic()
            .exposition()
            .contains(r#"destination_workload="shipping-v2",destination_workload_namespace="orders",destination_service_name="shipping",destination_version="1.5.0",response_code="503"}"#)
    );
}

#[test]
fn traffic_waits_for_the_pods_of_a_new_cluster() {
    let cluster = Cluster::new(&ClusterOptions::default());
    scenario::load_builtin(&cluster, "bad-canary").expect("load the scenario");
    run(&cluster, 3);
    assert_eq!(cluster.traffic().last_tick(), None, "no pod is ready yet");
}

#[test]
fn routing_and_faults_are_read_live() {
    let cluster = cluster("bad-canary");
    let mut simulator = Simulator::new(cluster.clone(), StdRng::seed_from_u64(3));
    for second in 0..50 {
        simulator.tick(start() + Duration::from_secs(second));
    }
    let before = readings(&cluster, "shipping");
    assert_eq!(before[1].errors, 0);
    {
        // A step to 50/50 onto a canary that now fails half its requests.
        let mut state = cluster.lock();
        let routes = StoreKey::new("networking.istio.io", "virtualservices");
        let mut route = (*state.store.get(&routes, "orders", "shipping").expect("vs")).clone();
        route["spec"]["http"][0]["route"][0]["weight"] = json!(50);
        route["spec"]["http"][0]["route"][1]["weight"] = json!(50);
        state.store.put(&routes, route);
        let deployments = StoreKey::new("apps", "deployments");
        let mut v2 = (*state
            .store
            .get(&deployments, "orders", "shipping-v2")
            .expect("v2"))
        .clone();
        v2["spec"]["template"]["metadata"]["annotations"] =
            json!({super::model::ERROR_RATE: "0.5"});
        state.store.put(&deployments, v2);
    }
    for second in 50..150 {
        simulator.tick(start() + Duration::from_secs(second));
    }
    let after = readings(&cluster, "shipping");
    let requests = |i: usize| (after[i].requests - before[i].requests) as f64;
    let share = requests(1) / (requests(0) + requests(1));
    assert!((share - 0.5).abs() < 0.05, "{share}");
    let error_rate = (after[1].errors - before[1].errors) as f64 / requests(1);
    assert!((error_rate - 0.5).abs() < 0.05, "{error_rate}");
}

#[test]
fn counters_never_decrease() {
    let cluster = cluster("bad-canary");
    run(&cluster, 30);
    let releases = releases(&cluster);
    for release in &releases {
        for version in &release.versions {
            let history = cluster
                .traffic()
                .history(&key_of(release, version), SystemTime::UNIX_EPOCH);
            assert_eq!(history.len(), 30);
            for pair in history.windows(2) {
                let (a, b) = (&pair[0], &pair[1]);
                assert!(a.at < b.at && a.requests <= b.requests && a.errors <= b.errors);
                assert!(a.latency.sum_ms <= b.latency.sum_ms);
                assert!((0..BOUNDS_MS.len()).all(|i| a.latency.buckets[i] <= b.latency.buckets[i]));
            }
            let last = history.last().expect("a reading");
            assert!(
                last.latency.buckets.windows(2).all(|w| w[0] <= w[1]),
                "cumulative"
            );
        }
    }
}

#[test]
fn every_showcase_release_has_series_under_its_key() {
    let cluster = cluster("showcase");
    run(&cluster, 3);
    let releases = releases(&cluster);
    for kind in Kind::ALL {
        assert!(releases.iter().any(|r| r.kind == kind), "no {kind:?}");
    }
    let traffic = cluster.traffic();
    for release in &releases {
        for version in &release.versions {
            let key = key_of(release, version);
            let reading = traffic.latest(&key).unwrap_or_else(|| panic!("{key:?}"));
            assert_eq!(reading.requests > 0, version.weight > 0.0, "{key:?}");
        }
    }
    let sources: Vec<Source> = releases.iter().map(source_of).collect();
    let text = traffic.exposition();
    for (source, line) in [
        (
            Source::Istio,
            r#"istio_requests_total{reporter="destination",destination_workload="reviews-v2",destination_workload_namespace="shop",destination_service_name="reviews",destination_version="1.5.0",response_code="200"}"#,
        ),
        (
            Source::Istio,
            r#"istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload="cart-canary",destination_workload_namespace="shop",destination_service_name="cart-canary",destination_version="1.5.0",le="+Inf"}"#,
        ),
        (
            Source::Nginx,
            r#"nginx_ingress_controller_requests{namespace="shop",ingress="storefront",service="storefront-canary",canary="shop-storefront-canary-80",status="200"}"#,
        ),
        (
            Source::Nginx,
            r#"nginx_ingress_controller_request_duration_seconds_count{namespace="shop",ingress="storefront",service="storefront-stable",canary=""}"#,
        ),
        (
            Source::Linkerd,
            r#"response_total{namespace="notifications",deployment="notifier-canary",direction="inbound",classification="success",status_code="200"}"#,
        ),
        (
            Source::Linkerd,
            r#"response_latency_ms_bucket{namespace="notifications",deployment="notifier-canary",direction="inbound",le="5"}"#,
        ),
        (
            Source::App,
            r#"http_requests_total{namespace="search",app="autocomplete",version="1.5.0",code="200"}"#,
        ),
        (
            Source::App,
            r#"http_request_duration_seconds_sum{namespace="shop",app="inventory",version="1.5.0"}"#,
        ),
    ] {
        assert!(sources.contains(&source));
        assert!(text.contains(line), "no {line} in\n{text}");
    }
}

#[tokio::test]
async fn metrics_are_served_beside_the_api() {
    use tower::ServiceExt;
    let cluster = cluster("bad-canary");
    run(&cluster, 2);
    let request = http::Request::get("/metrics")
        .body(axum::body::Body::empty())
        .expect("a request");
    let response = cluster.router().oneshot(request).await.expect("a response");
    assert_eq!(response.status(), http::StatusCode::OK);
    assert_eq!(
        response.headers()[http::header::CONTENT_TYPE],
        super::CONTENT_TYPE
    );
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("the body");
    let text = String::from_utf8(body.to_vec()).expect("text");
    assert!(text.starts_with("# HELP istio_requests_total "), "{text}");
}

/// Timing at scale: `cargo test --release --lib demo::traffic -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a check"]
fn scale_timing() {
    use std::time::Instant;
    let cluster = cluster("scale");
    {
        // The ReplicaSets the controllers would have made, one per Deployment.
        let mut state = cluster.lock();
        let key = StoreKey::new("apps", "replicasets");
        for d in state
            .store
            .list(&StoreKey::new("apps", "deployments"), None)
        {
            let meta = &d["metadata"];
            let name = format!("{}-5d9f", meta["name"].as_str().unwrap_or_default());
            state.store.put(&key, json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": name, "namespace": meta["namespace"], "labels": d["spec"]["template"]["metadata"]["labels"],
                    "annotations": {"deployment.kubernetes.io/revision": "1"},
                    "ownerReferences": [{"kind": "Deployment", "name": meta["name"], "uid": meta["uid"], "controller": true}]},
                "spec": {"replicas": 1, "template": d["spec"]["template"]},
                "status": {"replicas": 1, "readyReplicas": 1, "availableReplicas": 1}}));
        }
    }
    let mut simulator = Simulator::new(cluster.clone(), StdRng::seed_from_u64(1));
    let first = Instant::now();
    simulator.tick(start());
    let first = first.elapsed();
    let ticks = 10;
    let rest = Instant::now();
    for second in 1..=ticks {
        simulator.tick(start() + Duration::from_secs(second));
    }
    let rest = rest.elapsed() / ticks as u32;
    let render = Instant::now();
    let text = cluster.traffic().exposition();
    let render = render.elapsed();
    println!(
        "{} releases: first tick (with discover) {first:?}, then {rest:?} per tick; \
         /metrics {} MB in {render:?}",
        releases(&cluster).len(),
        text.len() / 1_000_000
    );
}
