use prometheus_http_query::response::PromqlResult;

use super::*;

/// The `data` object of a Prometheus answer, through the client crate's own types.
fn data(json: &str) -> Data {
    let result: PromqlResult = serde_json::from_str(json).expect("a query result");
    result.into_inner().0
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|&(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn key(source: Source, namespace: &str, target: &str, version: &str) -> VersionKey {
    VersionKey {
        source,
        namespace: namespace.into(),
        target: target.into(),
        version: version.into(),
    }
}

#[test]
fn keys_come_from_each_source_s_labels() {
    let cases = [
        (
            Source::Istio,
            labels(&[
                ("destination_workload_namespace", "shop"),
                ("destination_workload", "reviews-v2"),
            ]),
            key(Source::Istio, "shop", "reviews-v2", ""),
        ),
        // ingress-nginx counts the canary's requests under the primary Ingress with
        // the canary upstream in `canary`; the stable ones with `canary` empty (dropped).
        (
            Source::Nginx,
            labels(&[
                ("namespace", "shop"),
                ("ingress", "web"),
                ("canary", "shop-web-canary-80"),
            ]),
            key(Source::Nginx, "shop", "web", "canary"),
        ),
        (
            Source::Nginx,
            labels(&[("namespace", "shop"), ("ingress", "web")]),
            key(Source::Nginx, "shop", "web", ""),
        ),
        (
            Source::Nginx,
            labels(&[("namespace", "shop"), ("ingress", "web"), ("canary", "")]),
            key(Source::Nginx, "shop", "web", ""),
        ),
        (
            Source::Linkerd,
            labels(&[("namespace", "shop"), ("deployment", "api-primary")]),
            key(Source::Linkerd, "shop", "api-primary", ""),
        ),
        (
            Source::App,
            labels(&[("namespace", "shop"), ("app", "cart"), ("version", "blue")]),
            key(Source::App, "shop", "cart", "blue"),
        ),
    ];
    for (source, labels, expected) in cases {
        assert_eq!(super::key(source, &labels), Some(expected));
    }
    let no_version = labels(&[("namespace", "shop"), ("app", "cart")]);
    assert_eq!(super::key(Source::App, &no_version), None);
    let empty = labels(&[("namespace", ""), ("deployment", "api")]);
    assert_eq!(super::key(Source::Linkerd, &empty), None);
}

#[test]
fn an_instant_vector_gives_values_per_version() {
    let answer = data(
        r#"{"resultType":"vector","result":[
            {"metric":{"destination_workload_namespace":"shop","destination_workload":"reviews-v1"},"value":[1700000000.123,"0.25"]},
            {"metric":{"destination_workload_namespace":"shop","destination_workload":"reviews-v2"},"value":[1700000000.123,"NaN"]},
            {"metric":{"destination_workload_namespace":"shop","destination_workload":"reviews-v3"},"value":[1700000000.123,"+Inf"]},
            {"metric":{"destination_workload":"orphan"},"value":[1700000000.123,"1"]},
            {"metric":{},"value":[1700000000.123,"3"]}
        ]}"#,
    );
    let parsed = vector(Source::Istio, &answer).expect("a vector");
    let expected = BTreeMap::from([
        (key(Source::Istio, "shop", "reviews-v1", ""), Some(0.25)),
        (key(Source::Istio, "shop", "reviews-v2", ""), None),
        (key(Source::Istio, "shop", "reviews-v3", ""), None),
    ]);
    assert_eq!(
        parsed,
        Parsed {
            values: expected,
            skipped: 2
        }
    );
    assert_eq!(
        parsed.warning(Source::Istio, Metric::ErrorRate).as_deref(),
        Some(
            "istio error_rate: 2 series without the labels destination_workload_namespace, destination_workload were left out"
        )
    );
}

#[test]
fn an_empty_answer_gives_nothing() {
    let parsed =
        vector(Source::App, &data(r#"{"resultType":"vector","result":[]}"#)).expect("a vector");
    assert_eq!(
        parsed,
        Parsed {
            values: BTreeMap::new(),
            skipped: 0
        }
    );
    assert_eq!(parsed.warning(Source::App, Metric::P99Ms), None);
    let parsed =
        matrix(Source::App, &data(r#"{"resultType":"matrix","result":[]}"#)).expect("a matrix");
    assert!(parsed.values.is_empty());
}

#[test]
fn a_matrix_gives_series_per_version_without_nan_points() {
    let answer = data(
        r#"{"resultType":"matrix","result":[
            {"metric":{"namespace":"shop","app":"cart","version":"green"},
             "values":[[1700000000,"1.5"],[1700000015,"NaN"],[1700000030,"2"]]},
            {"metric":{"namespace":"shop","app":"cart","version":"blue"},"values":[[1700000000,"NaN"]]},
            {"metric":{"namespace":"shop","app":"cart"},"values":[[1700000000,"1"]]}
        ]}"#,
    );
    let parsed = matrix(Source::App, &answer).expect("a matrix");
    assert_eq!(parsed.skipped, 1);
    assert_eq!(
        parsed.values,
        BTreeMap::from([
            (
                key(Source::App, "shop", "cart", "green"),
                vec![(1_700_000_000, 1.5), (1_700_000_030, 2.0)]
            ),
            (key(Source::App, "shop", "cart", "blue"), vec![]),
        ])
    );
}

#[test]
fn the_wrong_shape_is_an_error() {
    let scalar = data(r#"{"resultType":"scalar","result":[1700000000,"1"]}"#);
    assert_eq!(
        vector(Source::Nginx, &scalar),
        Err("returned a scalar, not an instant vector".to_string())
    );
    let instant = data(r#"{"resultType":"vector","result":[]}"#);
    assert_eq!(
        matrix(Source::Nginx, &instant),
        Err("returned an instant vector, not a range vector".to_string())
    );
}

#[test]
fn health_gathers_the_five_metrics_per_version() {
    let v1 = key(Source::Linkerd, "shop", "api-primary", "");
    let v2 = key(Source::Linkerd, "shop", "api", "");
    let results = [
        (
            Metric::RequestsPerS,
            BTreeMap::from([(v1.clone(), Some(50.0)), (v2.clone(), Some(0.0))]),
        ),
        (
            Metric::ErrorRate,
            BTreeMap::from([(v1.clone(), Some(0.01)), (v2.clone(), None)]),
        ),
        (Metric::P50Ms, BTreeMap::from([(v1.clone(), Some(12.0))])),
        (Metric::P95Ms, BTreeMap::from([(v1.clone(), Some(40.0))])),
        (Metric::P99Ms, BTreeMap::from([(v1.clone(), Some(90.0))])),
    ];
    let health = health(results);
    assert_eq!(
        health,
        BTreeMap::from([
            (
                v1,
                Health {
                    requests_per_s: Some(50.0),
                    error_rate: Some(0.01),
                    p50_ms: Some(12.0),
                    p95_ms: Some(40.0),
                    p99_ms: Some(90.0),
                }
            ),
            (
                v2,
                Health {
                    requests_per_s: Some(0.0),
                    ..Health::default()
                }
            ),
        ])
    );
}

#[test]
fn history_gathers_the_five_series_per_version() {
    let v = key(Source::Istio, "shop", "reviews-v2", "");
    let results = [
        (
            Metric::ErrorRate,
            BTreeMap::from([(v.clone(), vec![(1, 0.5)])]),
        ),
        (
            Metric::P99Ms,
            BTreeMap::from([(v.clone(), vec![(1, 90.0), (2, 95.0)])]),
        ),
    ];
    assert_eq!(
        history(results),
        BTreeMap::from([(
            v,
            History {
                error_rate: vec![(1, 0.5)],
                p99_ms: vec![(1, 90.0), (2, 95.0)],
                ..History::default()
            }
        )])
    );
}
