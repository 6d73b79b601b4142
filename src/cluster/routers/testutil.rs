//! Small builders of objects for the recognisers' tests.

use serde_json::{Value, json};

use crate::cluster::discover::{Settings, discover};
use crate::model::{Release, Role};

pub(crate) use crate::cluster::discover::fixtures::objects;

pub(crate) fn run(list: Vec<Value>) -> Vec<Release> {
    discover(&objects(list), &Settings::default())
}

/// The release named `name` (any namespace), or a panic listing what was found.
pub(crate) fn find<'r>(releases: &'r [Release], name: &str) -> &'r Release {
    releases
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no release {name} in {:?}", names(releases)))
}

pub(crate) fn names(releases: &[Release]) -> Vec<String> {
    releases
        .iter()
        .map(|r| format!("{} {}", r.key(), r.kind.as_str()))
        .collect()
}

/// (name, role, weight, ready, desired) of each version.
pub(crate) fn shape(r: &Release) -> Vec<(String, Role, f64, i64, i64)> {
    r.versions
        .iter()
        .map(|v| (v.name.clone(), v.role, v.weight, v.ready, v.desired))
        .collect()
}

/// The weights of release `name` among the objects of `list`, and its warnings.
pub(crate) fn weights_of(list: Vec<Value>, name: &str) -> (Vec<f64>, Vec<String>) {
    let releases = run(list);
    let r = find(&releases, name);
    (
        r.versions.iter().map(|v| v.weight).collect(),
        r.warnings.clone(),
    )
}

pub(crate) fn object_names(r: &Release) -> Vec<String> {
    r.objects
        .iter()
        .map(|o| format!("{}/{}", o.kind, o.name))
        .collect()
}

/// A Deployment in namespace `ns` whose pods carry `labels`, running `image`,
/// with `desired` replicas of which `ready` are ready and up to date.
pub(crate) fn deployment(
    name: &str,
    labels: Value,
    image: &str,
    desired: i64,
    ready: i64,
) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "ns", "labels": labels.clone(), "generation": 1,
            "uid": format!("uid-{name}"), "creationTimestamp": "2026-11-01T00:00:00Z"},
        "spec": {"replicas": desired, "selector": {"matchLabels": labels.clone()},
            "template": {"metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": image}]}}},
        "status": {"observedGeneration": 1, "replicas": desired, "updatedReplicas": desired,
            "readyReplicas": ready, "availableReplicas": ready},
    })
}

pub(crate) fn service(name: &str, selector: Value) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": "ns"},
        "spec": {"selector": selector, "ports": [{"port": 80}]},
    })
}

/// A Service `name` selecting `app: name, track: name` and its Deployment.
pub(crate) fn track(name: &str, image: &str, desired: i64, ready: i64) -> [Value; 2] {
    let labels = json!({"app": "web", "track": name});
    [
        service(name, labels.clone()),
        deployment(name, labels, image, desired, ready),
    ]
}
