//! From releases to what the simulator drives, pure: per version its weight, whether a
//! pod can answer, where its faults are read, and the series it is counted under.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::counters::Series;
use crate::cluster::discover::Objects;
use crate::demo::resources::StoreKey;
use crate::metrics::{self, Source, VersionKey};
use crate::model::{Release, Version};

/// The object whose annotations set a version's faults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    pub store: StoreKey,
    pub namespace: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VersionPlan {
    /// Percent of the release's requests.
    pub weight: f64,
    pub ready: bool,
    pub workload: Option<Workload>,
    pub series: Series,
    pub key: VersionKey,
}

/// The versions of every release, release by release.
pub fn plan(releases: &[Release], objects: &Objects) -> Vec<Vec<VersionPlan>> {
    let index = Index {
        deployments: Lookup::new(&objects.deployments),
        replicasets: Lookup::new(&objects.replicasets),
        services: Lookup::new(&objects.services),
        ingresses: Lookup::new(&objects.ingresses),
    };
    releases
        .iter()
        .map(|release| {
            let source = metrics::source_of(release);
            release
                .versions
                .iter()
                .map(|version| version_plan(release, version, source, &index))
                .collect()
        })
        .collect()
}

fn version_plan(
    release: &Release,
    version: &Version,
    source: Source,
    index: &Index<'_>,
) -> VersionPlan {
    let key = metrics::key_of(release, version);
    let namespace = release.namespace.as_str();
    let workload = version.workload.as_ref().and_then(|w| {
        let store = match w.kind.as_str() {
            "Deployment" => StoreKey::new("apps", "deployments"),
            "ReplicaSet" => StoreKey::new("apps", "replicasets"),
            _ => return None,
        };
        Some(Workload {
            store,
            namespace: namespace.to_string(),
            name: w.name.clone(),
        })
    });
    let labels = match source {
        Source::Istio => {
            let object = workload.as_ref().and_then(|w| index.workload(w));
            vec![
                ("reporter", "destination".to_string()),
                ("destination_workload", key.target.clone()),
                ("destination_workload_namespace", namespace.to_string()),
                (
                    "destination_service_name",
                    service_of(release, object, index),
                ),
                ("destination_version", istio_version(object)),
            ]
        }
        Source::Nginx => {
            // As ingress-nginx counts them: under the primary Ingress, with the canary
            // upstream (namespace-service-port) in `canary` for the canary's requests.
            let canary = !key.version.is_empty();
            let served_by = if canary {
                release
                    .objects
                    .iter()
                    .filter(|o| o.kind == "Ingress")
                    .filter_map(|o| index.ingresses.get(namespace, &o.name))
                    .find(|ingress| is_canary(ingress))
            } else {
                index.ingresses.get(namespace, &key.target)
            };
            let service = served_by.and_then(backend_service).unwrap_or_default();
            let upstream = if canary {
                format!("{namespace}-{service}-80")
            } else {
                String::new()
            };
            vec![
                ("namespace", namespace.to_string()),
                ("ingress", key.target.clone()),
                ("service", service.to_string()),
                ("canary", upstream),
            ]
        }
        Source::Linkerd => vec![
            ("namespace", namespace.to_string()),
            ("deployment", key.target.clone()),
            ("direction", "inbound".to_string()),
        ],
        Source::App => vec![
            ("namespace", namespace.to_string()),
            ("app", key.target.clone()),
            ("version", key.version.clone()),
        ],
    };
    VersionPlan {
        weight: version.weight,
        ready: version.ready > 0,
        workload,
        series: Series { source, labels },
        key,
    }
}

struct Index<'a> {
    deployments: Lookup<'a>,
    replicasets: Lookup<'a>,
    services: Lookup<'a>,
    ingresses: Lookup<'a>,
}

impl<'a> Index<'a> {
    fn workload(&self, workload: &Workload) -> Option<&'a Value> {
        let lookup = if workload.store.plural == "replicasets" {
            &self.replicasets
        } else {
            &self.deployments
        };
        lookup.get(&workload.namespace, &workload.name)
    }
}

/// Objects of one kind by namespace and name, indexed on first use: at scale most
/// releases are rolling ones that need no lookup.
struct Lookup<'a> {
    list: &'a [Arc<Value>],
    map: OnceCell<HashMap<(&'a str, &'a str), &'a Value>>,
}

impl<'a> Lookup<'a> {
    fn new(list: &'a [Arc<Value>]) -> Self {
        Lookup {
            list,
            map: OnceCell::new(),
        }
    }

    fn get(&self, namespace: &str, name: &str) -> Option<&'a Value> {
        let map = self.map.get_or_init(|| {
            self.list
                .iter()
                .map(|o| {
                    let meta = &o["metadata"];
                    let namespace = meta["namespace"].as_str().unwrap_or("default");
                    ((namespace, meta["name"].as_str().unwrap_or_default()), &**o)
                })
                .collect()
        });
        map.get(&(namespace, name)).copied()
    }
}

/// The release's Service that selects the workload's pods, the most specific selector
/// first (`cart-stable` over `cart`), then the longest name (`fraud-check-primary` over
/// `fraud-check`, which select the same pods).
fn service_of(release: &Release, workload: Option<&Value>, index: &Index<'_>) -> String {
    let pods = workload.map(|w| &w["spec"]["template"]["metadata"]["labels"]);
    let Some(pods) = pods else {
        return "unknown".to_string();
    };
    release
        .objects
        .iter()
        .filter(|o| o.kind == "Service")
        .filter_map(|o| {
            let service = index.services.get(&release.namespace, &o.name)?;
            let selector = service["spec"]["selector"].as_object()?;
            let selects = !selector.is_empty() && selector.iter().all(|(k, v)| pods[k] == *v);
            selects.then_some((selector.len(), o.name.len(), &o.name))
        })
        .max()
        .map_or_else(|| "unknown".to_string(), |(_, _, name)| name.clone())
}

/// Istio's canonical revision of the pods, or its default; "unknown" without pods.
fn istio_version(workload: Option<&Value>) -> String {
    let Some(workload) = workload else {
        return "unknown".to_string();
    };
    let labels = &workload["spec"]["template"]["metadata"]["labels"];
    [
        "service.istio.io/canonical-revision",
        "app.kubernetes.io/version",
        "version",
    ]
    .iter()
    .find_map(|key| labels[key].as_str())
    .unwrap_or("latest")
    .to_string()
}

fn backend_service(ingress: &Value) -> Option<&str> {
    let paths = ingress["spec"]["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|rule| rule["http"]["paths"].as_array().into_iter().flatten());
    paths
        .map(|path| &path["backend"])
        .chain([&ingress["spec"]["defaultBackend"]])
        .find_map(|backend| backend["service"]["name"].as_str())
}

/// `canary: "true"` as NGINX reads booleans.
fn is_canary(ingress: &Value) -> bool {
    ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary"]
        .as_str()
        .is_some_and(|c| matches!(c.trim(), "true" | "True" | "TRUE" | "t" | "T" | "1"))
}
