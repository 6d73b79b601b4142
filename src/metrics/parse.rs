//! From query results to health per version: each sample's labels give its version's
//! key, and the five metrics' values are gathered into `Health` and `History`.

use std::collections::{BTreeMap, HashMap};

use prometheus_http_query::response::Data;

use super::templates::Metric;
use super::{Health, History, Series, Source, VersionKey};

/// A series' labels, as Prometheus returns them.
pub type Labels = HashMap<String, String>;

/// The labels that make a source's key, in `VersionKey` order (namespace, target,
/// then version for App and NGINX). Every query of the source must group by them.
pub fn key_labels(source: Source) -> &'static [&'static str] {
    match source {
        Source::Istio => &["destination_workload_namespace", "destination_workload"],
        Source::Nginx => &["namespace", "ingress", "canary"],
        Source::Linkerd => &["namespace", "deployment"],
        Source::App => &["namespace", "app", "version"],
    }
}

/// The version a series belongs to, or `None` when it lacks one of the key's labels
/// (Prometheus drops empty labels, so a missing label and an empty one are the same).
pub fn key(source: Source, labels: &Labels) -> Option<VersionKey> {
    let label = |name: &str| labels.get(name).filter(|v| !v.is_empty()).cloned();
    let [namespace, target, rest @ ..] = key_labels(source) else {
        return None;
    };
    let version = match (source, rest) {
        // ingress-nginx leaves `canary` empty (so Prometheus drops it) for the stable
        // traffic and names the canary upstream for the rest.
        (Source::Nginx, [canary]) => label(canary).map_or_else(String::new, |_| CANARY.into()),
        (_, [version]) => label(version)?,
        _ => String::new(),
    };
    Some(VersionKey {
        source,
        namespace: label(namespace)?,
        target: label(target)?,
        version,
    })
}

/// The version of NGINX's canary traffic in a `VersionKey`.
pub const CANARY: &str = "canary";

/// One query's values per version, and how many series had no key.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<T> {
    pub values: BTreeMap<VersionKey, T>,
    pub skipped: usize,
}

impl<T> Parsed<T> {
    /// Words for the skipped series, naming the query: usually an override that
    /// dropped a key label from its `by`.
    pub fn warning(&self, source: Source, metric: Metric) -> Option<String> {
        (self.skipped > 0).then(|| {
            format!(
                "{} {}: {} series without the labels {} were left out",
                source.as_str(),
                metric.as_str(),
                self.skipped,
                key_labels(source).join(", ")
            )
        })
    }
}

/// A value kshift can show: NaN (0/0, a histogram without observations) and the
/// infinities mean "unknown".
pub fn finite(value: f64) -> Option<f64> {
    value.is_finite().then_some(value)
}

/// An instant vector's samples per version; a NaN value keeps its key (the version has
/// series) with an unknown value.
pub fn instant<'a>(
    source: Source,
    samples: impl IntoIterator<Item = (&'a Labels, f64)>,
) -> Parsed<Option<f64>> {
    let mut parsed = Parsed {
        values: BTreeMap::new(),
        skipped: 0,
    };
    for (labels, value) in samples {
        match key(source, labels) {
            Some(key) => {
                parsed.values.insert(key, finite(value));
            }
            None => parsed.skipped += 1,
        }
    }
    parsed
}

/// A matrix's series per version: (unix seconds, value), NaN points dropped.
pub fn range<'a, P>(
    source: Source,
    series: impl IntoIterator<Item = (&'a Labels, P)>,
) -> Parsed<Series>
where
    P: IntoIterator<Item = (f64, f64)>,
{
    let mut parsed = Parsed {
        values: BTreeMap::new(),
        skipped: 0,
    };
    for (labels, points) in series {
        let Some(key) = key(source, labels) else {
            parsed.skipped += 1;
            continue;
        };
        // Range queries step on whole seconds, so rounding loses nothing.
        let points = points
            .into_iter()
            .filter_map(|(t, v)| Some((t.round() as i64, finite(v)?)))
            .collect();
        parsed.values.insert(key, points);
    }
    parsed
}

/// An instant query's answer, which must be a vector.
pub fn vector(source: Source, data: &Data) -> Result<Parsed<Option<f64>>, String> {
    match data {
        Data::Vector(samples) => Ok(instant(
            source,
            samples.iter().map(|s| (s.metric(), s.sample().value())),
        )),
        other => Err(format!("returned {}, not an instant vector", shape(other))),
    }
}

/// A range query's answer, which must be a matrix.
pub fn matrix(source: Source, data: &Data) -> Result<Parsed<Series>, String> {
    match data {
        Data::Matrix(series) => Ok(range(
            source,
            series.iter().map(|s| {
                let points = s.samples().iter().map(|p| (p.timestamp(), p.value()));
                (s.metric(), points)
            }),
        )),
        other => Err(format!("returned {}, not a range vector", shape(other))),
    }
}

fn shape(data: &Data) -> &'static str {
    match data {
        Data::Vector(_) => "an instant vector",
        Data::Matrix(_) => "a range vector",
        Data::Scalar(_) => "a scalar",
    }
}

/// Every version that any metric answered for, with the values each metric gave.
pub fn health(
    results: impl IntoIterator<Item = (Metric, BTreeMap<VersionKey, Option<f64>>)>,
) -> BTreeMap<VersionKey, Health> {
    let mut health: BTreeMap<VersionKey, Health> = BTreeMap::new();
    for (metric, values) in results {
        for (key, value) in values {
            let entry = health.entry(key).or_default();
            let field = match metric {
                Metric::RequestsPerS => &mut entry.requests_per_s,
                Metric::ErrorRate => &mut entry.error_rate,
                Metric::P50Ms => &mut entry.p50_ms,
                Metric::P95Ms => &mut entry.p95_ms,
                Metric::P99Ms => &mut entry.p99_ms,
            };
            *field = value;
        }
    }
    health
}

/// Every version that any metric answered for, with the series each metric gave.
pub fn history(
    results: impl IntoIterator<Item = (Metric, BTreeMap<VersionKey, Series>)>,
) -> BTreeMap<VersionKey, History> {
    let mut history: BTreeMap<VersionKey, History> = BTreeMap::new();
    for (metric, values) in results {
        for (key, series) in values {
            let entry = history.entry(key).or_default();
            let field = match metric {
                Metric::RequestsPerS => &mut entry.requests_per_s,
                Metric::ErrorRate => &mut entry.error_rate,
                Metric::P50Ms => &mut entry.p50_ms,
                Metric::P95Ms => &mut entry.p95_ms,
                Metric::P99Ms => &mut entry.p99_ms,
            };
            *field = series;
        }
    }
    history
}

#[cfg(test)]
mod tests;
