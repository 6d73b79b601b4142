//! Health per version: request rate, error rate and latency quantiles over a window,
//! and their series for graphs. Queries are built per traffic source (Istio, NGINX,
//! SMI/Linkerd, application metrics), one query per metric for all releases at once.

pub mod feed;
pub mod math;
pub mod parse;
pub mod prometheus;
pub mod templates;

use std::collections::BTreeMap;

use serde::Serialize;

pub use prometheus::Prometheus;
pub use templates::{Metric, Templates};

/// Where a release's traffic metrics come from, by the exporter that writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// `istio_requests_total`, `istio_request_duration_milliseconds_bucket`, keyed by
    /// `destination_workload_namespace` and `destination_workload` (the version's workload).
    Istio,
    /// `nginx_ingress_controller_requests`, `..._request_duration_seconds_bucket`, keyed
    /// by `namespace`, `ingress` (the primary Ingress, which ingress-nginx names for the
    /// canary's requests too) and `canary` (set for the requests the canary got).
    Nginx,
    /// Linkerd's `response_total`, `response_latency_ms_bucket`, keyed by `namespace` and
    /// `deployment` (the version's workload).
    Linkerd,
    /// Application metrics `http_requests_total`, `http_request_duration_seconds_bucket`,
    /// keyed by `namespace`, `app` (the release's name) and `version` (the version's name).
    App,
}

/// Which series of a source belong to one version of a release.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct VersionKey {
    pub source: Source,
    pub namespace: String,
    /// The workload (Istio, Linkerd), the primary Ingress (NGINX) or the app (App).
    pub target: String,
    /// The version label (App), `canary` for NGINX's canary traffic; empty otherwise.
    pub version: String,
}

/// A version's health over the window; `None` where it is unknown (no traffic, no data).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Health {
    pub requests_per_s: Option<f64>,
    pub error_rate: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// One metric over time: (unix seconds, value), oldest first; NaN points are dropped.
pub type Series = Vec<(i64, f64)>;

/// A version's series, for graphs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct History {
    pub requests_per_s: Series,
    pub error_rate: Series,
    pub p50_ms: Series,
    pub p95_ms: Series,
    pub p99_ms: Series,
}

/// What one refresh found: health (and history) per version key, or why it failed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub health: BTreeMap<VersionKey, Health>,
    pub history: BTreeMap<VersionKey, History>,
    /// Problems in words (Prometheus down, a query that failed, by name); the rest of
    /// the snapshot is still good.
    pub errors: Vec<String>,
}

/// The source of a release's metrics: the mesh or ingress its traffic goes through.
pub fn source_of(release: &crate::model::Release) -> Source {
    use crate::model::Kind;
    let has = |kind: &str| release.objects.iter().any(|o| o.kind == kind);
    match release.kind {
        Kind::Nginx => Source::Nginx,
        Kind::Smi => Source::Linkerd,
        Kind::Istio => Source::Istio,
        Kind::Argo | Kind::Flagger if has("VirtualService") => Source::Istio,
        Kind::Argo | Kind::Flagger if has("TrafficSplit") => Source::Linkerd,
        _ => Source::App,
    }
}

/// The primary Ingress of an NGINX release: the one named after the release, else the
/// first that is not a canary Ingress by name (Flagger's `<name>-canary`, Argo's
/// `<rollout>-<ingress>-canary`), else the release's name.
fn primary_ingress(release: &crate::model::Release) -> String {
    let ingresses = || release.objects.iter().filter(|o| o.kind == "Ingress");
    ingresses()
        .find(|o| o.name == release.name)
        .or_else(|| ingresses().find(|o| !o.name.ends_with("-canary")))
        .map_or_else(|| release.name.clone(), |o| o.name.clone())
}

/// The series key of one version of a release.
pub fn key_of(release: &crate::model::Release, version: &crate::model::Version) -> VersionKey {
    use crate::model::Role;
    let source = source_of(release);
    let workload = || {
        version
            .workload
            .as_ref()
            .map_or_else(|| version.name.clone(), |w| w.name.clone())
    };
    let (target, label) = match source {
        Source::Istio | Source::Linkerd => (workload(), String::new()),
        Source::Nginx => {
            let canary = matches!(version.role, Role::Canary | Role::Preview);
            let version = if canary { parse::CANARY } else { "" };
            (primary_ingress(release), version.to_string())
        }
        Source::App => (release.name.clone(), version.name.clone()),
    };
    VersionKey {
        source,
        namespace: release.namespace.clone(),
        target,
        version: label,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fixtures::{release, version};
    use crate::model::{Kind, ObjectRef, Phase, Role, Strategy};

    fn nginx(name: &str, ingresses: &[&str]) -> crate::model::Release {
        let mut nginx = release(
            "shop",
            name,
            Kind::Nginx,
            Strategy::Canary,
            Phase::Healthy,
            vec![
                version("web-v1", Role::Stable, 90.0, "img:1", 1),
                version("web-v2", Role::Canary, 10.0, "img:2", 1),
            ],
            "2024-05-01T11:00:00Z",
        );
        nginx
            .objects
            .extend(ingresses.iter().map(|i| ObjectRef::new("Ingress", i)));
        nginx
    }

    fn keys(release: &crate::model::Release) -> Vec<(String, String)> {
        release
            .versions
            .iter()
            .map(|v| {
                let key = key_of(release, v);
                (key.target, key.version)
            })
            .collect()
    }

    #[test]
    fn nginx_versions_are_the_primary_ingress_split_by_canary() {
        let want = |primary: &str| {
            vec![
                (primary.to_string(), String::new()),
                (primary.to_string(), "canary".to_string()),
            ]
        };
        // Named after its primary Ingress (kshift's own recognition, Flagger's).
        assert_eq!(keys(&nginx("web", &["web", "web-canary"])), want("web"));
        // An Argo rollout: its canary Ingress is `<rollout>-<ingress>-canary`.
        assert_eq!(
            keys(&nginx("payments", &["payments-web-canary", "web"])),
            want("web")
        );
        assert_eq!(keys(&nginx("lone", &[])), want("lone"));
    }
}
