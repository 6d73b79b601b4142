//! The Prometheus text format (0.0.4) of the simulator's series, pure, under the names
//! and labels the real exporters use.

use std::fmt::{self, Display, Write};

use super::counters::{Counts, Series};
use super::model::BOUNDS_MS;
use crate::metrics::Source;

pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The metric families of one exporter.
struct Family {
    requests: &'static str,
    requests_help: &'static str,
    duration: &'static str,
    duration_help: &'static str,
    /// Milliseconds per unit of the duration histogram.
    unit_ms: f64,
}

fn family(source: Source) -> Family {
    match source {
        Source::Istio => Family {
            requests: "istio_requests_total",
            requests_help: "Requests received by the destination proxy.",
            duration: "istio_request_duration_milliseconds",
            duration_help: "Duration of requests in milliseconds.",
            unit_ms: 1.0,
        },
        Source::Nginx => Family {
            requests: "nginx_ingress_controller_requests",
            requests_help: "The total number of client requests.",
            duration: "nginx_ingress_controller_request_duration_seconds",
            duration_help: "The request processing time in seconds.",
            unit_ms: 1000.0,
        },
        Source::Linkerd => Family {
            requests: "response_total",
            requests_help: "Total count of HTTP responses.",
            duration: "response_latency_ms",
            duration_help: "Elapsed times between a request's headers being received and its response stream completing.",
            unit_ms: 1.0,
        },
        Source::App => Family {
            requests: "http_requests_total",
            requests_help: "Total number of HTTP requests.",
            duration: "http_request_duration_seconds",
            duration_help: "Duration of HTTP requests in seconds.",
            unit_ms: 1000.0,
        },
    }
}

/// The labels a status code adds to a requests counter.
fn code_labels(source: Source, code: u16) -> Vec<(&'static str, String)> {
    let code_text = code.to_string();
    match source {
        Source::Istio => vec![("response_code", code_text)],
        Source::Nginx => vec![("status", code_text)],
        Source::Linkerd => {
            let class = if code < 500 { "success" } else { "failure" };
            vec![("classification", class.into()), ("status_code", code_text)]
        }
        Source::App => vec![("code", code_text)],
    }
}

/// Every series, grouped by metric family as the format requires, in label order.
pub fn render(series: &[(Series, Counts)]) -> String {
    let mut sorted: Vec<&(Series, Counts)> = series.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::new();
    for group in sorted.chunk_by(|a, b| a.0.source == b.0.source) {
        // Writing to a String cannot fail.
        let _ = write_source(&mut out, group);
    }
    out
}

fn write_source(out: &mut String, group: &[&(Series, Counts)]) -> fmt::Result {
    let Some((first, _)) = group.first() else {
        return Ok(());
    };
    let source = first.source;
    let family = family(source);
    let (name, help) = (family.requests, family.requests_help);
    writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter")?;
    for (series, counts) in group {
        for (code, n) in &counts.codes {
            sample(out, name, &series.labels, &code_labels(source, *code), n)?;
        }
    }
    let (name, help) = (family.duration, family.duration_help);
    writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram")?;
    let bucket = format!("{name}_bucket");
    for (series, counts) in group {
        let cumulative = counts.latency.cumulative();
        for (bound, n) in BOUNDS_MS.iter().zip(&cumulative) {
            let le = [("le", (bound / family.unit_ms).to_string())];
            sample(out, &bucket, &series.labels, &le, n)?;
        }
        let total = counts.latency.count();
        sample(
            out,
            &bucket,
            &series.labels,
            &[("le", "+Inf".into())],
            total,
        )?;
        let sum = counts.latency.sum_ms / family.unit_ms;
        sample(out, &format!("{name}_sum"), &series.labels, &[], sum)?;
        sample(out, &format!("{name}_count"), &series.labels, &[], total)?;
    }
    Ok(())
}

fn sample(
    out: &mut String,
    name: &str,
    labels: &[(&str, String)],
    extra: &[(&str, String)],
    value: impl Display,
) -> fmt::Result {
    out.push_str(name);
    out.push('{');
    for (index, (label, text)) in labels.iter().chain(extra).enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str(label);
        out.push_str("=\"");
        escape(out, text);
        out.push('"');
    }
    writeln!(out, "}} {value}")
}

fn escape(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::traffic::model::Observations;

    #[test]
    fn text_is_grouped_escaped_and_cumulative() {
        let mut latency = Observations::default();
        for ms in [0.5, 3.0, 3.0, 40.0, 12_000.0] {
            latency.observe(ms);
        }
        let istio = Series {
            source: Source::Istio,
            labels: vec![
                ("reporter", "destination".into()),
                ("destination_workload", "we\"ird\\name\nhere".into()),
            ],
        };
        let app = |version: &str| Series {
            source: Source::App,
            labels: vec![("app", "web".into()), ("version", version.into())],
        };
        let counts = Counts {
            codes: vec![(200, 4), (500, 1)],
            latency,
        };
        let series = vec![
            (app("v2"), Counts::default()),
            (istio, counts.clone()),
            (app("v1"), counts),
        ];
        let text = render(&series);
        let expected = r#"# HELP istio_requests_total Requests received by the destination proxy.
# TYPE istio_requests_total counter
istio_requests_total{reporter="destination",destination_workload="we\"ird\\name\nhere",response_code="200"} 4
istio_requests_total{reporter="destination",destination_workload="we\"ird\\name\nhere",response_code="500"} 1
# HELP istio_request_duration_milliseconds Duration of requests in milliseconds.
# TYPE istio_request_duration_milliseconds histogram
istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload="we\"ird\\name\nhere",le="1"} 1
istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload="we\"ird\\name\nhere",le="5"} 3
istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload="we\"ird\\name\nhere",le="10"} 3
istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload="we\"ird\\name\nhere",le="25"} 3
istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload="we\"ird\\name\nhere",le="50"} 4
istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload="we\"ird\\name\nhere",le="100"} 4
istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload="we\"ird\\name\nhere",le="250"} 4
istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload="we\"ird\\name\nhere",le="500"} 4
istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload="we\"ird\\name\nhere",le="1000"} 4
istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload="we\"ird\\name\nhere",le="2500"} 4
istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload="we\"ird\\name\nhere",le="5000"} 4
istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload="we\"ird\\name\nhere",le="10000"} 4
istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload="we\"ird\\name\nhere",le="+Inf"} 5
istio_request_duration_milliseconds_sum{reporter="destination",destination_workload="we\"ird\\name\nhere"} 12046.5
istio_request_duration_milliseconds_count{reporter="destination",destination_workload="we\"ird\\name\nhere"} 5
# HELP http_requests_total Total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{app="web",version="v1",code="200"} 4
http_requests_total{app="web",version="v1",code="500"} 1
# HELP http_request_duration_seconds Duration of HTTP requests in seconds.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{app="web",version="v1",le="0.001"} 1
http_request_duration_seconds_bucket{app="web",version="v1",le="0.005"} 3
http_request_duration_seconds_bucket{app="web",version="v1",le="0.01"} 3
http_request_duration_seconds_bucket{app="web",version="v1",le="0.025"} 3
http_request_duration_seconds_bucket{app="web",version="v1",le="0.05"} 4
http_request_duration_seconds_bucket{app="web",version="v1",le="0.1"} 4
http_request_duration_seconds_bucket{app="web",version="v1",le="0.25"} 4
http_request_duration_seconds_bucket{app="web",version="v1",le="0.5"} 4
http_request_duration_seconds_bucket{app="web",version="v1",le="1"} 4
http_request_duration_seconds_bucket{app="web",version="v1",le="2.5"} 4
http_request_duration_seconds_bucket{app="web",version="v1",le="5"} 4
http_request_duration_seconds_bucket{app="web",version="v1",le="10"} 4
http_request_duration_seconds_bucket{app="web",version="v1",le="+Inf"} 5
http_request_duration_seconds_sum{app="web",version="v1"} 12.0465
http_request_duration_seconds_count{app="web",version="v1"} 5
http_request_duration_seconds_bucket{app="web",version="v2",le="0.001"} 0
http_request_duration_seconds_bucket{app="web",version="v2",le="0.005"} 0
http_request_duration_seconds_bucket{app="web",version="v2",le="0.01"} 0
http_request_duration_seconds_bucket{app="web",version="v2",le="0.025"} 0
http_request_duration_seconds_bucket{app="web",version="v2",le="0.05"} 0
http_request_duration_seconds_bucket{app="web",version="v2",le="0.1"} 0
http_request_duration_seconds_bucket{app="web",version="v2",le="0.25"} 0
http_request_duration_seconds_bucket{app="web",version="v2",le="0.5"} 0
http_request_duration_seconds_bucket{app="web",version="v2",le="1"} 0
http_request_duration_seconds_bucket{app="web",version="v2",le="2.5"} 0
http_request_duration_seconds_bucket{app="web",version="v2",le="5"} 0
http_request_duration_seconds_bucket{app="web",version="v2",le="10"} 0
http_request_duration_seconds_bucket{app="web",version="v2",le="+Inf"} 0
http_request_duration_seconds_sum{app="web",version="v2"} 0
http_request_duration_seconds_count{app="web",version="v2"} 0
"#;
        assert_eq!(text, expected);
    }
}
