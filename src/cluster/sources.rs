//! The kinds release recognition needs, where each comes from, and which of them this
//! cluster serves: a CRD's version is picked from discovery, and a kind whose CRD is
//! absent is skipped with a note, never a failure.

use std::sync::Arc;

use kube::Client;
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::Value;

use super::discover::Objects;

/// Which list of `Objects` a kind fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Deployments,
    ReplicaSets,
    Services,
    Ingresses,
    VirtualServices,
    DestinationRules,
    HttpRoutes,
    TrafficSplits,
    Rollouts,
    Canaries,
    Leases,
}

impl Slot {
    pub fn of(self, objects: &mut Objects) -> &mut Vec<Arc<Value>> {
        match self {
            Slot::Deployments => &mut objects.deployments,
            Slot::ReplicaSets => &mut objects.replicasets,
            Slot::Services => &mut objects.services,
            Slot::Ingresses => &mut objects.ingresses,
            Slot::VirtualServices => &mut objects.virtual_services,
            Slot::DestinationRules => &mut objects.destination_rules,
            Slot::HttpRoutes => &mut objects.http_routes,
            Slot::TrafficSplits => &mut objects.traffic_splits,
            Slot::Rollouts => &mut objects.rollouts,
            Slot::Canaries => &mut objects.canaries,
            Slot::Leases => &mut objects.leases,
        }
    }
}

/// A kind to read: its group, the versions kshift understands (preferred first), its kind.
#[derive(Debug, Clone, Copy)]
pub struct Source {
    pub slot: Slot,
    pub group: &'static str,
    pub versions: &'static [&'static str],
    pub kind: &'static str,
    pub plural: &'static str,
    /// Only the objects with these labels (a label selector), where not all are wanted.
    pub labels: Option<&'static str>,
}

#[rustfmt::skip]
pub const SOURCES: &[Source] = &[
    Source { slot: Slot::Deployments, group: "apps", versions: &["v1"], kind: "Deployment", plural: "deployments", labels: None },
    Source { slot: Slot::ReplicaSets, group: "apps", versions: &["v1"], kind: "ReplicaSet", plural: "replicasets", labels: None },
    Source { slot: Slot::Services, group: "", versions: &["v1"], kind: "Service", plural: "services", labels: None },
    Source { slot: Slot::Ingresses, group: "networking.k8s.io", versions: &["v1"], kind: "Ingress", plural: "ingresses", labels: None },
    Source { slot: Slot::VirtualServices, group: "networking.istio.io", versions: &["v1", "v1beta1", "v1alpha3"], kind: "VirtualService", plural: "virtualservices", labels: None },
    Source { slot: Slot::DestinationRules, group: "networking.istio.io", versions: &["v1", "v1beta1", "v1alpha3"], kind: "DestinationRule", plural: "destinationrules", labels: None },
    Source { slot: Slot::HttpRoutes, group: "gateway.networking.k8s.io", versions: &["v1", "v1beta1"], kind: "HTTPRoute", plural: "httproutes", labels: None },
    Source { slot: Slot::TrafficSplits, group: "split.smi-spec.io", versions: &["v1alpha4", "v1alpha3", "v1alpha2", "v1alpha1"], kind: "TrafficSplit", plural: "trafficsplits", labels: None },
    Source { slot: Slot::Rollouts, group: "argoproj.io", versions: &["v1alpha1"], kind: "Rollout", plural: "rollouts", labels: None },
    Source { slot: Slot::Canaries, group: "flagger.app", versions: &["v1beta1"], kind: "Canary", plural: "canaries", labels: None },
    // Only kshift's own: every node and controller of a cluster renews a Lease every few seconds.
    Source { slot: Slot::Leases, group: "coordination.k8s.io", versions: &["v1"], kind: "Lease", plural: "leases", labels: Some(OWN_LEASES) },
];

/// The label selector of the autopilots' Leases.
pub const OWN_LEASES: &str = "app.kubernetes.io/managed-by=kshift";

/// A source this cluster serves, at the version picked for it.
#[derive(Debug, Clone)]
pub struct Served {
    pub source: Source,
    pub resource: ApiResource,
}

/// The sources this cluster serves, and a note for each one it does not.
pub async fn resolve(client: &Client) -> (Vec<Served>, Vec<String>) {
    let mut served = Vec::new();
    let mut skipped = Vec::new();
    // Asked together: on a slow server the wait is one answer's, not one per group.
    let picked =
        futures::future::join_all(SOURCES.iter().map(|source| pick_version(client, source))).await;
    for (source, picked) in SOURCES.iter().zip(picked) {
        match picked {
            Ok(Some(version)) => {
                let gvk = GroupVersionKind::gvk(source.group, &version, source.kind);
                let resource = ApiResource::from_gvk_with_plural(&gvk, source.plural);
                served.push(Served {
                    source: *source,
                    resource,
                });
            }
            Ok(None) => skipped.push(format!(
                "{} ({}): not installed",
                source.plural,
                group_name(source.group)
            )),
            Err(reason) => skipped.push(format!(
                "{} ({}): {reason}",
                source.plural,
                group_name(source.group)
            )),
        }
    }
    (served, skipped)
}

fn group_name(group: &str) -> &str {
    if group.is_empty() { "core" } else { group }
}

/// The first version kshift understands that the cluster serves, preferring the
/// cluster's own preferred version.
async fn pick_version(client: &Client, source: &Source) -> Result<Option<String>, String> {
    if source.group.is_empty() || source.group == "apps" {
        return Ok(Some(source.versions[0].to_string()));
    }
    let group = match kube::discovery::group(client, source.group).await {
        Ok(group) => group,
        Err(kube::Error::Discovery(_)) => return Ok(None),
        Err(kube::Error::Api(status)) if status.code == 404 => return Ok(None),
        Err(error) => {
            return Err(format!(
                "discovery failed: {}",
                super::connect::describe(&error)
            ));
        }
    };
    let served: Vec<String> = group.versions().map(str::to_string).collect();
    let preferred = group.preferred_version_or_latest().to_string();
    let offers_kind = |version: &str| {
        group
            .versioned_resources(version)
            .iter()
            .any(|(resource, _)| resource.kind == source.kind)
    };
    if source.versions.contains(&preferred.as_str()) && offers_kind(&preferred) {
        return Ok(Some(preferred));
    }
    Ok(source
        .versions
        .iter()
        .find(|v| served.iter().any(|s| s == *v) && offers_kind(v))
        .map(|v| v.to_string()))
}

/// The latest `time` of the managedFields entries that wrote more than the status.
fn last_write(fields: &Value) -> Option<String> {
    fields
        .as_array()?
        .iter()
        .filter(|entry| entry["subresource"].as_str() != Some("status"))
        .filter_map(|entry| entry["time"].as_str())
        .max_by_key(|time| crate::ages::timestamp(time))
        .map(str::to_string)
}

/// An object as recognition needs it: with its apiVersion and kind (a real API server
/// leaves them out of list items), without the copy of itself that client-side apply
/// keeps in an annotation, and with its managedFields cut to the one entry that tells
/// when it last changed: the latest write that was not to its status (a weight, an
/// image, a scale), which the AGE column shows.
pub fn slim(mut object: Value, resource: &ApiResource) -> Value {
    if object["apiVersion"].as_str().is_none_or(str::is_empty) {
        object["apiVersion"] = Value::String(resource.api_version.clone());
    }
    if object["kind"].as_str().is_none_or(str::is_empty) {
        object["kind"] = Value::String(resource.kind.clone());
    }
    if let Some(metadata) = object["metadata"].as_object_mut() {
        let written = metadata
            .remove("managedFields")
            .and_then(|fields| last_write(&fields));
        if let Some(time) = written {
            metadata.insert(
                "managedFields".into(),
                serde_json::json!([{ "time": time }]),
            );
        }
        if let Some(annotations) = metadata
            .get_mut("annotations")
            .and_then(Value::as_object_mut)
        {
            annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
        }
    }
    object
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn slim_keeps_when_the_object_last_changed_and_nothing_else_of_managed_fields() {
        let resource = ApiResource::erase::<k8s_openapi::api::apps::v1::Deployment>(&());
        let object = json!({"metadata": {"name": "web", "managedFields": [
            {"manager": "kubectl", "operation": "Update", "time": "2026-11-21T09:00:00Z",
             "fieldsV1": {"f:spec": {}}},
            {"manager": "kube-controller-manager", "operation": "Update",
             "subresource": "status", "time": "2026-11-21T10:00:00Z", "fieldsV1": {}},
            {"manager": "kshift", "operation": "Update", "subresource": "scale",
             "time": "2026-11-21T09:30:00Z", "fieldsV1": {}},
        ]}});
        let kept = slim(object, &resource);
        assert_eq!(
            kept["metadata"]["managedFields"],
            json!([{"time": "2026-11-21T09:30:00Z"}])
        );
        assert_eq!(kept["kind"], "Deployment");
        let bare = slim(json!({"metadata": {"name": "web"}}), &resource);
        assert!(bare["metadata"].get("managedFields").is_none());
    }
}
