use std::time::Duration;

use super::*;
use crate::metrics::parse::key_labels;

const MINUTE: Duration = Duration::from_secs(60);

fn rendered(source: Source) -> Vec<String> {
    let templates = Templates::default();
    Metric::ALL
        .iter()
        .map(|&m| templates.render(source, m, MINUTE))
        .collect()
}

#[test]
fn istio_defaults_render_exactly() {
    assert_eq!(
        rendered(Source::Istio),
        [
            r#"sum by (destination_workload_namespace, destination_workload) (rate(istio_requests_total{reporter="destination"}[1m]))"#,
            r#"(sum by (destination_workload_namespace, destination_workload) (rate(istio_requests_total{reporter="destination",response_code=~"5.."}[1m])) or 0 * sum by (destination_workload_namespace, destination_workload) (rate(istio_requests_total{reporter="destination"}[1m]))) / sum by (destination_workload_namespace, destination_workload) (rate(istio_requests_total{reporter="destination"}[1m]))"#,
            r#"histogram_quantile(0.5, sum by (destination_workload_namespace, destination_workload, le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination"}[1m])))"#,
            r#"histogram_quantile(0.95, sum by (destination_workload_namespace, destination_workload, le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination"}[1m])))"#,
            r#"histogram_quantile(0.99, sum by (destination_workload_namespace, destination_workload, le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination"}[1m])))"#,
        ]
    );
}

#[test]
fn nginx_defaults_render_exactly() {
    assert_eq!(
        rendered(Source::Nginx),
        [
            r#"sum by (namespace, ingress, canary) (rate(nginx_ingress_controller_requests[1m]))"#,
            r#"(sum by (namespace, ingress, canary) (rate(nginx_ingress_controller_requests{status=~"5.."}[1m])) or 0 * sum by (namespace, ingress, canary) (rate(nginx_ingress_controller_requests[1m]))) / sum by (namespace, ingress, canary) (rate(nginx_ingress_controller_requests[1m]))"#,
            r#"1000 * histogram_quantile(0.5, sum by (namespace, ingress, canary, le) (rate(nginx_ingress_controller_request_duration_seconds_bucket[1m])))"#,
            r#"1000 * histogram_quantile(0.95, sum by (namespace, ingress, canary, le) (rate(nginx_ingress_controller_request_duration_seconds_bucket[1m])))"#,
            r#"1000 * histogram_quantile(0.99, sum by (namespace, ingress, canary, le) (rate(nginx_ingress_controller_request_duration_seconds_bucket[1m])))"#,
        ]
    );
}

#[test]
fn linkerd_defaults_render_exactly() {
    assert_eq!(
        rendered(Source::Linkerd),
        [
            r#"sum by (namespace, deployment) (rate(response_total{direction="inbound"}[1m]))"#,
            r#"(sum by (namespace, deployment) (rate(response_total{direction="inbound",classification="failure"}[1m])) or 0 * sum by (namespace, deployment) (rate(response_total{direction="inbound"}[1m]))) / sum by (namespace, deployment) (rate(response_total{direction="inbound"}[1m]))"#,
            r#"histogram_quantile(0.5, sum by (namespace, deployment, le) (rate(response_latency_ms_bucket{direction="inbound"}[1m])))"#,
            r#"histogram_quantile(0.95, sum by (namespace, deployment, le) (rate(response_latency_ms_bucket{direction="inbound"}[1m])))"#,
            r#"histogram_quantile(0.99, sum by (namespace, deployment, le) (rate(response_latency_ms_bucket{direction="inbound"}[1m])))"#,
        ]
    );
}

#[test]
fn app_defaults_render_exactly() {
    assert_eq!(
        rendered(Source::App),
        [
            r#"sum by (namespace, app, version) (rate(http_requests_total[1m]))"#,
            r#"(sum by (namespace, app, version) (rate(http_requests_total{code=~"5.."}[1m])) or 0 * sum by (namespace, app, version) (rate(http_requests_total[1m]))) / sum by (namespace, app, version) (rate(http_requests_total[1m]))"#,
            r#"1000 * histogram_quantile(0.5, sum by (namespace, app, version, le) (rate(http_request_duration_seconds_bucket[1m])))"#,
            r#"1000 * histogram_quantile(0.95, sum by (namespace, app, version, le) (rate(http_request_duration_seconds_bucket[1m])))"#,
            r#"1000 * histogram_quantile(0.99, sum by (namespace, app, version, le) (rate(http_request_duration_seconds_bucket[1m])))"#,
        ]
    );
}

/// The parser builds keys from these labels, so every default must keep them.
#[test]
fn every_default_groups_by_the_key_labels() {
    let templates = Templates::default();
    for source in Source::ALL {
        let by = format!("by ({}", key_labels(source).join(", "));
        for metric in Metric::ALL {
            let query = templates.get(source, metric);
            assert!(query.contains(&by), "{source:?} {metric:?}: {query}");
            assert!(query.contains(WINDOW), "{source:?} {metric:?}: {query}");
        }
    }
}

#[test]
fn windows_are_prometheus_durations() {
    let cases = [
        (Duration::from_secs(60), "1m"),
        (Duration::from_secs(300), "5m"),
        (Duration::from_secs(900), "15m"),
        (Duration::from_secs(3600), "1h"),
        (Duration::from_secs(6 * 3600), "6h"),
        (Duration::from_secs(90), "90s"),
        (Duration::from_secs(30), "30s"),
        (Duration::from_millis(1500), "1500ms"),
        (Duration::ZERO, "1ms"),
    ];
    for (window, text) in cases {
        assert_eq!(duration(window), text);
    }
    let query = Templates::default().render(Source::App, Metric::RequestsPerS, cases[5].0);
    assert!(query.contains("[90s]"), "{query}");
}

#[test]
fn overrides_replace_only_what_they_name() {
    let text = r#"
        theme = "mono"  # another part of the config: not ours to judge

        [queries.istio]
        error_rate = "sum by (destination_workload_namespace, destination_workload) (rate(my_errors[{{window}}]))"

        [queries.app]
        p99_ms = "max by (namespace, app, version) (my_p99_ms[{{window}}])"
    "#;
    let (templates, warnings) = Templates::from_toml(text);
    assert_eq!(warnings, Vec::<String>::new());
    assert_eq!(
        templates.render(Source::Istio, Metric::ErrorRate, Duration::from_secs(300)),
        "sum by (destination_workload_namespace, destination_workload) (rate(my_errors[5m]))"
    );
    assert_eq!(
        templates.get(Source::App, Metric::P99Ms),
        "max by (namespace, app, version) (my_p99_ms[{{window}}])"
    );
    let defaults = Templates::default();
    assert_eq!(
        templates.get(Source::Istio, Metric::P99Ms),
        defaults.get(Source::Istio, Metric::P99Ms)
    );
    assert_eq!(
        templates.get(Source::Nginx, Metric::ErrorRate),
        defaults.get(Source::Nginx, Metric::ErrorRate)
    );
}

#[test]
fn odd_overrides_become_warnings_and_keep_the_defaults() {
    let text = r#"
        [queries.envoy]
        error_rate = "x[{{window}}]"

        [queries.istio]
        p90_ms = "x[{{window}}]"
        p99_ms = "histogram_quantile(0.99, x[5m])"
        error_rate = 3

        [queries]
        linkerd = "not a table"
    "#;
    let (templates, warnings) = Templates::from_toml(text);
    assert_eq!(
        warnings,
        [
            r#"queries: unknown source "envoy" (known: istio, nginx, linkerd, app)"#,
            "queries.istio.error_rate: must be a string; default kept",
            "queries.istio.p90_ms: unknown metric (known: requests_per_s, error_rate, p50_ms, p95_ms, p99_ms)",
            "queries.istio.p99_ms: has no {{window}}; default kept",
            "queries.linkerd: must be a table of metrics",
        ]
    );
    assert_eq!(templates, Templates::default());
}

#[test]
fn a_file_that_does_not_parse_keeps_every_default() {
    let (templates, warnings) = Templates::from_toml("[queries.istio\nerror_rate = ");
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].starts_with("queries ignored: "), "{warnings:?}");
    assert_eq!(templates, Templates::default());

    let (_, warnings) = Templates::from_toml("queries = 1");
    assert_eq!(warnings, ["queries: must be a table of sources"]);
    let (templates, warnings) = Templates::from_toml("");
    assert!(warnings.is_empty());
    assert_eq!(templates, Templates::default());
}
