//! PromQL templates: one per traffic source and metric, each answering for every
//! version of every release at once (grouped by the labels of the source's key), with
//! `{{window}}` standing for the range of `rate()`. Defaults below; the config file
//! overrides any of them under `[queries.SOURCE]`.

use std::time::Duration;

use super::Source;

/// The five figures of a version's health, in the order of [`super::Health`]'s fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    RequestsPerS,
    ErrorRate,
    P50Ms,
    P95Ms,
    P99Ms,
}

impl Metric {
    pub const ALL: [Metric; 5] = [
        Metric::RequestsPerS,
        Metric::ErrorRate,
        Metric::P50Ms,
        Metric::P95Ms,
        Metric::P99Ms,
    ];

    /// The name used in the config file, in `kshift list`'s JSON and in error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::RequestsPerS => "requests_per_s",
            Metric::ErrorRate => "error_rate",
            Metric::P50Ms => "p50_ms",
            Metric::P95Ms => "p95_ms",
            Metric::P99Ms => "p99_ms",
        }
    }
}

impl Source {
    pub const ALL: [Source; 4] = [Source::Istio, Source::Nginx, Source::Linkerd, Source::App];

    /// The name used in the config file (`[queries.istio]`) and in error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Istio => "istio",
            Source::Nginx => "nginx",
            Source::Linkerd => "linkerd",
            Source::App => "app",
        }
    }
}

/// The default queries of one source, metric by metric.
#[derive(Debug, Clone, Copy)]
pub struct Defaults {
    /// Requests per second over the window.
    pub requests_per_s: &'static str,
    /// Failed / total requests over the window, 0 to 1. A version with traffic and no
    /// failures has no failure series at all, so the failures are padded with `0 *` the
    /// total: its error rate is then 0, not unknown. No traffic gives 0/0, unknown.
    pub error_rate: &'static str,
    /// Latency quantiles in milliseconds, interpolated in the histogram's buckets.
    pub p50_ms: &'static str,
    pub p95_ms: &'static str,
    pub p99_ms: &'static str,
}

impl Defaults {
    fn get(&self, metric: Metric) -> &'static str {
        match metric {
            Metric::RequestsPerS => self.requests_per_s,
            Metric::ErrorRate => self.error_rate,
            Metric::P50Ms => self.p50_ms,
            Metric::P95Ms => self.p95_ms,
            Metric::P99Ms => self.p99_ms,
        }
    }
}

/// Istio's standard metrics as the receiving sidecar reports them
/// (`reporter="destination"`), per destination workload; failures are 5xx responses.
pub const ISTIO: Defaults = Defaults {
    requests_per_s: r#"sum by (destination_workload_namespace, destination_workload) (rate(istio_requests_total{reporter="destination"}[{{window}}]))"#,
    error_rate: r#"(sum by (destination_workload_namespace, destination_workload) (rate(istio_requests_total{reporter="destination",response_code=~"5.."}[{{window}}])) or 0 * sum by (destination_workload_namespace, destination_workload) (rate(istio_requests_total{reporter="destination"}[{{window}}]))) / sum by (destination_workload_namespace, destination_workload) (rate(istio_requests_total{reporter="destination"}[{{window}}]))"#,
    p50_ms: r#"histogram_quantile(0.5, sum by (destination_workload_namespace, destination_workload, le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination"}[{{window}}])))"#,
    p95_ms: r#"histogram_quantile(0.95, sum by (destination_workload_namespace, destination_workload, le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination"}[{{window}}])))"#,
    p99_ms: r#"histogram_quantile(0.99, sum by (destination_workload_namespace, destination_workload, le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination"}[{{window}}])))"#,
};

/// ingress-nginx's controller metrics per primary Ingress, split by the `canary` label
/// (the canary upstream's name for requests the canary Ingress sent there, empty for
/// the rest), as Flagger's NGINX queries read them; failures are 5xx statuses; its
/// histogram is in seconds, hence `1000 *`.
pub const NGINX: Defaults = Defaults {
    requests_per_s: r#"sum by (namespace, ingress, canary) (rate(nginx_ingress_controller_requests[{{window}}]))"#,
    error_rate: r#"(sum by (namespace, ingress, canary) (rate(nginx_ingress_controller_requests{status=~"5.."}[{{window}}])) or 0 * sum by (namespace, ingress, canary) (rate(nginx_ingress_controller_requests[{{window}}]))) / sum by (namespace, ingress, canary) (rate(nginx_ingress_controller_requests[{{window}}]))"#,
    p50_ms: r#"1000 * histogram_quantile(0.5, sum by (namespace, ingress, canary, le) (rate(nginx_ingress_controller_request_duration_seconds_bucket[{{window}}])))"#,
    p95_ms: r#"1000 * histogram_quantile(0.95, sum by (namespace, ingress, canary, le) (rate(nginx_ingress_controller_request_duration_seconds_bucket[{{window}}])))"#,
    p99_ms: r#"1000 * histogram_quantile(0.99, sum by (namespace, ingress, canary, le) (rate(nginx_ingress_controller_request_duration_seconds_bucket[{{window}}])))"#,
};

/// Linkerd's proxy metrics for requests a workload receives (`direction="inbound"`),
/// per Deployment; failures are what the proxy classifies as `failure`.
pub const LINKERD: Defaults = Defaults {
    requests_per_s: r#"sum by (namespace, deployment) (rate(response_total{direction="inbound"}[{{window}}]))"#,
    error_rate: r#"(sum by (namespace, deployment) (rate(response_total{direction="inbound",classification="failure"}[{{window}}])) or 0 * sum by (namespace, deployment) (rate(response_total{direction="inbound"}[{{window}}]))) / sum by (namespace, deployment) (rate(response_total{direction="inbound"}[{{window}}]))"#,
    p50_ms: r#"histogram_quantile(0.5, sum by (namespace, deployment, le) (rate(response_latency_ms_bucket{direction="inbound"}[{{window}}])))"#,
    p95_ms: r#"histogram_quantile(0.95, sum by (namespace, deployment, le) (rate(response_latency_ms_bucket{direction="inbound"}[{{window}}])))"#,
    p99_ms: r#"histogram_quantile(0.99, sum by (namespace, deployment, le) (rate(response_latency_ms_bucket{direction="inbound"}[{{window}}])))"#,
};

/// The application's own metrics, per `app` (the release) and `version`; failures are
/// 5xx codes; its histogram is in seconds, hence `1000 *`.
pub const APP: Defaults = Defaults {
    requests_per_s: r#"sum by (namespace, app, version) (rate(http_requests_total[{{window}}]))"#,
    error_rate: r#"(sum by (namespace, app, version) (rate(http_requests_total{code=~"5.."}[{{window}}])) or 0 * sum by (namespace, app, version) (rate(http_requests_total[{{window}}]))) / sum by (namespace, app, version) (rate(http_requests_total[{{window}}]))"#,
    p50_ms: r#"1000 * histogram_quantile(0.5, sum by (namespace, app, version, le) (rate(http_request_duration_seconds_bucket[{{window}}])))"#,
    p95_ms: r#"1000 * histogram_quantile(0.95, sum by (namespace, app, version, le) (rate(http_request_duration_seconds_bucket[{{window}}])))"#,
    p99_ms: r#"1000 * histogram_quantile(0.99, sum by (namespace, app, version, le) (rate(http_request_duration_seconds_bucket[{{window}}])))"#,
};

/// What stands for the window in a template.
pub const WINDOW: &str = "{{window}}";

fn defaults(source: Source) -> &'static Defaults {
    match source {
        Source::Istio => &ISTIO,
        Source::Nginx => &NGINX,
        Source::Linkerd => &LINKERD,
        Source::App => &APP,
    }
}

/// The templates in use: the defaults with the config file's overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct Templates {
    /// Indexed by `Source as usize`, then `Metric as usize` (the order of `ALL`).
    queries: [[String; 5]; 4],
}

impl Default for Templates {
    fn default() -> Self {
        Templates {
            queries: Source::ALL.map(|s| Metric::ALL.map(|m| defaults(s).get(m).to_string())),
        }
    }
}

impl Templates {
    /// The defaults overridden by a config file's `[queries.SOURCE]` tables (other
    /// top-level keys belong to other parts of the config and are left alone). Anything
    /// odd becomes a warning and keeps the default, never an error.
    pub fn from_toml(text: &str) -> (Templates, Vec<String>) {
        let mut templates = Templates::default();
        let mut warnings = Vec::new();
        match text.parse::<toml::Table>() {
            Ok(table) => {
                if let Some(queries) = table.get("queries") {
                    templates.apply(queries, &mut warnings);
                }
            }
            Err(err) => warnings.push(format!("queries ignored: {}", err.message())),
        }
        (templates, warnings)
    }

    fn apply(&mut self, queries: &toml::Value, warnings: &mut Vec<String>) {
        let Some(queries) = queries.as_table() else {
            warnings.push("queries: must be a table of sources".to_string());
            return;
        };
        for (name, metrics) in queries {
            let Some(source) = Source::ALL.into_iter().find(|s| s.as_str() == name) else {
                warnings.push(format!(
                    "queries: unknown source {name:?} (known: istio, nginx, linkerd, app)"
                ));
                continue;
            };
            let Some(metrics) = metrics.as_table() else {
                warnings.push(format!("queries.{name}: must be a table of metrics"));
                continue;
            };
            for (key, value) in metrics {
                self.set(source, key, value, warnings);
            }
        }
    }

    fn set(&mut self, source: Source, key: &str, value: &toml::Value, warnings: &mut Vec<String>) {
        let at = format!("queries.{}.{key}", source.as_str());
        let Some(metric) = Metric::ALL.into_iter().find(|m| m.as_str() == key) else {
            warnings.push(format!(
                "{at}: unknown metric (known: requests_per_s, error_rate, p50_ms, p95_ms, p99_ms)"
            ));
            return;
        };
        match value.as_str() {
            None => warnings.push(format!("{at}: must be a string; default kept")),
            // Without the window every refresh would ask for the same fixed range, and
            // the window keys would silently do nothing.
            Some(query) if !query.contains(WINDOW) => {
                warnings.push(format!("{at}: has no {WINDOW}; default kept"));
            }
            Some(query) => self.queries[source as usize][metric as usize] = query.to_string(),
        }
    }

    /// The template in use, before rendering.
    pub fn get(&self, source: Source, metric: Metric) -> &str {
        &self.queries[source as usize][metric as usize]
    }

    /// The query to send: the template with its window written as a Prometheus
    /// duration.
    pub fn render(&self, source: Source, metric: Metric, window: Duration) -> String {
        self.get(source, metric).replace(WINDOW, &duration(window))
    }
}

/// A Prometheus duration in its largest exact unit (`1m`, `90s`, `6h`, `1500ms`):
/// readable in the queries Prometheus logs. Below a millisecond rounds up to `1ms`,
/// since `0s` is not a range Prometheus accepts.
pub fn duration(window: Duration) -> String {
    let ms = window.as_millis().max(1);
    match ms {
        ms if ms % 3_600_000 == 0 => format!("{}h", ms / 3_600_000),
        ms if ms % 60_000 == 0 => format!("{}m", ms / 60_000),
        ms if ms % 1_000 == 0 => format!("{}s", ms / 1_000),
        ms => format!("{ms}ms"),
    }
}

#[cfg(test)]
mod tests;
