use std::net::TcpListener;

use prometheus_http_query::response::PromqlResult;

use super::*;

const SECOND: Duration = Duration::from_secs(1);

fn data(json: &str) -> Data {
    let result: PromqlResult = serde_json::from_str(json).expect("a query result");
    result.into_inner().0
}

#[test]
fn urls_that_cannot_be_prometheus_are_refused_in_words() {
    for url in [
        "http://localhost:9090",
        "https://thanos.example/prometheus",
        " http://127.0.0.1:9090/ ",
    ] {
        assert!(Prometheus::new(url, SECOND).is_ok(), "{url}");
    }
    let err = |url: &str| Prometheus::new(url, SECOND).err().expect("an error");
    assert_eq!(
        err("localhost:9090"),
        r#"Prometheus URL "localhost:9090" must start with http:// or https:// (e.g. http://localhost:9090)"#
    );
    assert_eq!(
        err("prometheus"),
        r#"Prometheus URL "prometheus" is not a URL: relative URL without a base"#
    );
    assert_eq!(
        err("http://"),
        r#"Prometheus URL "http://" is not a URL: empty host"#
    );
    assert_eq!(
        err("http://host:99999"),
        r#"Prometheus URL "http://host:99999" is not a URL: invalid port number"#
    );
}

#[test]
fn history_spans_end_on_a_whole_step() {
    let Ask::History { start, end, step } =
        span(Duration::from_secs(900), Duration::from_secs(15), 1_000_007)
    else {
        panic!("a range")
    };
    assert_eq!((start, end, step), (999_105, 1_000_005, 15.0));
    let Ask::History { step, .. } = span(Duration::from_secs(60), Duration::ZERO, 10) else {
        panic!("a range")
    };
    assert_eq!(step, 1.0);
}

fn answer(source: Source, metric: Metric, result: Result<&str, Failure>) -> Answer {
    ((source, metric, false), result.map(data))
}

#[test]
fn answers_assemble_into_health_with_each_failure_named() {
    let vector = r#"{"resultType":"vector","result":[
        {"metric":{"namespace":"shop","app":"cart","version":"blue"},"value":[1700000000,"0.02"]}]}"#;
    let answers = vec![
        answer(Source::App, Metric::ErrorRate, Ok(vector)),
        answer(
            Source::App,
            Metric::P99Ms,
            Ok(r#"{"resultType":"scalar","result":[1700000000,"1"]}"#),
        ),
        answer(
            Source::Istio,
            Metric::P50Ms,
            Err(Failure::Query(
                "bad_data: 1:1: parse error: unexpected \"}\"".into(),
            )),
        ),
        // The same template failing again for the graph is not told twice.
        (
            (Source::Istio, Metric::P50Ms, true),
            Err(Failure::Query("bad_data: 1:1: parse error".into())),
        ),
        answer(
            Source::Istio,
            Metric::P99Ms,
            Err(Failure::Unreachable("no answer within 3s".into())),
        ),
    ];
    let prometheus = Prometheus::new("http://127.0.0.1:9090", SECOND).expect("a client");
    assert_eq!(prometheus.all_failed(&answers), None);
    let snapshot = assemble(answers);
    let key = VersionKey {
        source: Source::App,
        namespace: "shop".into(),
        target: "cart".into(),
        version: "blue".into(),
    };
    assert_eq!(
        snapshot.health,
        BTreeMap::from([(
            key,
            super::super::Health {
                error_rate: Some(0.02),
                ..Default::default()
            }
        )])
    );
    assert!(snapshot.history.is_empty());
    assert_eq!(
        snapshot.errors,
        [
            "app p99_ms: returned a scalar, not an instant vector",
            "istio p50_ms: bad_data: 1:1: parse error: unexpected \"}\"",
            "istio p99_ms: no answer within 3s",
        ]
    );
}

#[test]
fn the_same_failure_everywhere_is_said_once() {
    let prometheus = Prometheus::new("http://127.0.0.1:9090", SECOND).expect("a client");
    let failing = |failure: fn(String) -> Failure, message: &str| {
        Metric::ALL.map(|m| answer(Source::Nginx, m, Err(failure(message.to_string()))))
    };
    let unreachable = failing(Failure::Unreachable, "Connection refused (os error 111)");
    assert_eq!(
        prometheus.all_failed(&unreachable).as_deref(),
        Some(
            "Prometheus at http://127.0.0.1:9090 is not answering: Connection refused (os error 111)"
        )
    );
    let wrong = failing(
        Failure::Query,
        "failed to parse response (HTTP 404 Not Found)",
    );
    assert_eq!(
        prometheus.all_failed(&wrong).as_deref(),
        Some(
            "Prometheus at http://127.0.0.1:9090 fails every query: failed to parse response (HTTP 404 Not Found)"
        )
    );
    assert_eq!(prometheus.all_failed(&[]), None);
}

#[tokio::test]
async fn nothing_listening_is_one_clear_error() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("its address").port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let prometheus = Prometheus::new(&url, SECOND).expect("a client");
    let snapshot = prometheus
        .refresh(
            &[Source::Istio, Source::App, Source::Istio],
            Duration::from_secs(60),
            None,
        )
        .await;
    assert_eq!(snapshot.health, BTreeMap::new());
    assert_eq!(snapshot.errors.len(), 1, "{:?}", snapshot.errors);
    let prefix = format!("Prometheus at {url} is not answering: ");
    assert!(
        snapshot.errors[0].starts_with(&prefix),
        "{:?}",
        snapshot.errors
    );
}

#[tokio::test]
async fn a_silent_server_times_out() {
    // Connections queue in the listener's backlog and are never answered.
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let url = format!("http://{}", listener.local_addr().expect("its address"));
    let prometheus = Prometheus::new(&url, Duration::from_millis(200)).expect("a client");
    let history = Some((Duration::from_secs(900), Duration::from_secs(15)));
    let snapshot = prometheus
        .refresh(&[Source::Linkerd], Duration::from_secs(60), history)
        .await;
    assert_eq!(
        snapshot.errors,
        [format!(
            "Prometheus at {url} is not answering: no answer within 200ms"
        )]
    );
}

#[tokio::test]
async fn no_sources_send_no_query() {
    let prometheus = Prometheus::new("http://127.0.0.1:1", SECOND).expect("a client");
    assert_eq!(
        prometheus.refresh(&[], Duration::from_secs(60), None).await,
        Snapshot::default()
    );
}

#[test]
fn answers_past_the_caps_are_refused_in_words() {
    let ok = br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"b"},"value":[1,"2"]}]}}"#;
    assert!(parse_reply(reqwest::StatusCode::OK, ok).is_ok());
    let error = br#"{"status":"error","errorType":"bad_data","error":"1:1: parse error"}"#;
    assert_eq!(
        parse_reply(reqwest::StatusCode::BAD_REQUEST, error)
            .unwrap_err()
            .message(),
        "bad_data: 1:1: parse error"
    );
    let series = r#"{"metric":{"a":"b"},"value":[1,"2"]}"#;
    let many = format!(
        r#"{{"status":"success","data":{{"resultType":"vector","result":[{}]}}}}"#,
        vec![series; MAX_SERIES + 1].join(",")
    );
    let refused = parse_reply(reqwest::StatusCode::OK, many.as_bytes()).unwrap_err();
    assert_eq!(
        refused.message(),
        format!(
            "an answer of {} series, more than the {MAX_SERIES} kshift reads; not read (narrow the query)",
            MAX_SERIES + 1
        )
    );
    assert_eq!(
        parse_reply(reqwest::StatusCode::BAD_GATEWAY, b"<html>")
            .unwrap_err()
            .message(),
        "failed to parse response (HTTP 502 Bad Gateway)"
    );
}
