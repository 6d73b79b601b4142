//! The Deployment controller: one ReplicaSet per pod template (named by its hash,
//! numbered by revision, reused on rollback), rolling updates within maxSurge and
//! maxUnavailable, `paused` honoured, and the status `kubectl rollout status` reads.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{
    State, deployments, merge_conditions, meta_str, owner_reference, record_event, replicasets,
    write,
};

const REVISION: &str = "deployment.kubernetes.io/revision";
const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
const HASH_LABEL: &str = "pod-template-hash";

/// Annotations of a Deployment that the controller does not copy to its ReplicaSets.
const NOT_COPIED: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    REVISION_HISTORY,
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];

/// The pod template hash as the real controller spells it: FNV-1a of the template,
/// its decimal digits mapped onto the safe alphabet.
pub fn template_hash(template: &Value) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let text = serde_json::to_string(template).unwrap_or_default();
    let hash = text.bytes().fold(0x811c9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x01000193)
    });
    hash.to_string()
        .bytes()
        .map(|d| ALPHABET[usize::from(d) % ALPHABET.len()] as char)
        .collect()
}

fn without_hash_label(template: &Value) -> Value {
    let mut template = template.clone();
    if let Some(labels) = template["metadata"]["labels"].as_object_mut() {
        labels.remove(HASH_LABEL);
    }
    template
}

fn revision(object: &Value) -> u64 {
    object["metadata"]["annotations"][REVISION]
        .as_str()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

fn spec_replicas(object: &Value) -> i64 {
    object["spec"]["replicas"].as_i64().unwrap_or(0)
}

fn status_count(object: &Value, field: &str) -> i64 {
    object["status"][field].as_i64().unwrap_or(0)
}

/// maxSurge / maxUnavailable: an absolute number or a percentage of `desired`.
fn resolve(value: &Value, desired: i64, round_up: bool) -> i64 {
    match value {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        Value::String(s) => match s.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) {
            Some(percent) if round_up => (desired * percent + 99) / 100,
            Some(percent) => desired * percent / 100,
            None => s.parse().unwrap_or(0),
        },
        _ => {
            if round_up {
                (desired * 25 + 99) / 100
            } else {
                desired * 25 / 100
            }
        }
    }
}

/// The Deployment's own annotations (change-cause and the like) go onto its current
/// ReplicaSet, as `kubectl rollout history` reads them there.
fn copy_annotations(deployment: &Value, rs: &mut Value) {
    let Some(own) = deployment["metadata"]["annotations"].as_object() else {
        return;
    };
    for (key, value) in own
        .iter()
        .filter(|(k, _)| !NOT_COPIED.contains(&k.as_str()))
    {
        rs["metadata"]["annotations"][key] = value.clone();
    }
}

fn set_replicas(state: &mut State, deployment: &Value, rs: &Value, count: i64) {
    let current = spec_replicas(rs);
    if current == count {
        return;
    }
    let mut scaled = rs.clone();
    scaled["spec"]["replicas"] = json!(count);
    write(state, &replicasets(), scaled, None);
    let direction = if count > current { "up" } else { "down" };
    let message = format!(
        "Scaled {direction} replica set {} from {current} to {count}",
        meta_str(rs, "name")
    );
    record_event(
        state,
        deployment,
        "ScalingReplicaSet",
        message,
        "deployment-controller",
    );
}

fn create_replicaset(state: &mut State, deployment: &Value, revision: u64, count: i64) {
    let template = &deployment["spec"]["template"];
    let hash = template_hash(template);
    let name = format!("{}-{hash}", meta_str(deployment, "name"));
    let mut rs_template = template.clone();
    rs_template["metadata"]["labels"][HASH_LABEL] = json!(hash);
    let mut selector = deployment["spec"]["selector"].clone();
    selector["matchLabels"][HASH_LABEL] = json!(hash);
    let mut annotations = serde_json::Map::new();
    let desired = spec_replicas(deployment);
    annotations.insert(REVISION.into(), json!(revision.to_string()));
    annotations.insert(
        "deployment.kubernetes.io/desired-replicas".into(),
        json!(desired.to_string()),
    );
    let surge = resolve(
        &deployment["spec"]["strategy"]["rollingUpdate"]["maxSurge"],
        desired,
        true,
    );
    annotations.insert(
        "deployment.kubernetes.io/max-replicas".into(),
        json!((desired + surge).to_string()),
    );
    let mut rs = json!({
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": deployment["metadata"]["namespace"],
            "labels": rs_template["metadata"]["labels"],
            "annotations": annotations,
            "ownerReferences": owner_reference("Deployment", deployment),
        },
        "spec": {"replicas": 0, "selector": selector, "template": rs_template},
    });
    copy_annotations(deployment, &mut rs);
    write(state, &replicasets(), rs.clone(), None);
    if count > 0 {
        set_replicas(state, deployment, &rs, count);
    }
}

pub fn reconcile(state: &mut State, namespace: &str, name: &str) {
    let Some(deployment) = state.store.get(&deployments(), namespace, name) else {
        return;
    };
    let deployment: Value = (*deployment).clone();
    let mut owned: Vec<Arc<Value>> = state
        .store
        .owned_by(meta_str(&deployment, "uid"))
        .into_iter()
        .filter(|r| r.store == replicasets())
        .filter_map(|r| state.store.get(&r.store, &r.namespace, &r.name))
        .collect();
    owned.sort_by_key(|rs| revision(rs));
    let template = &deployment["spec"]["template"];
    let paused = deployment["spec"]["paused"] == true;
    let desired = spec_replicas(&deployment);
    let max_revision = owned.iter().map(|rs| revision(rs)).max().unwrap_or(0);
    let current = owned
        .iter()
        .find(|rs| without_hash_label(&rs["spec"]["template"]) == *template)
        .cloned();

    let Some(current) = current else {
        if !paused {
            let count = if owned.is_empty() { desired } else { 0 };
            create_replicaset(state, &deployment, max_revision + 1, count);
        } else {
            update_status(state, &deployment, &owned, None);
        }
        return;
    };
    let current_revision = revision(&current);
    let mut annotated = (*current).clone();
    copy_annotations(&deployment, &mut annotated);
    if current_revision < max_revision && !paused {
        // A rollback reuses the old ReplicaSet and renumbers it, as the real controller does.
        let history = match current["metadata"]["annotations"][REVISION_HISTORY].as_str() {
            Some(h) if !h.is_empty() => format!("{h},{current_revision}"),
            _ => current_revision.to_string(),
        };
        annotated["metadata"]["annotations"][REVISION] = json!((max_revision + 1).to_string());
        annotated["metadata"]["annotations"][REVISION_HISTORY] = json!(history);
    }
    if annotated != *current {
        write(state, &replicasets(), annotated, None);
        return;
    }
    if deployment["metadata"]["annotations"][REVISION].as_str()
        != Some(current_revision.to_string().as_str())
    {
        let mut annotated = deployment.clone();
        annotated["metadata"]["annotations"][REVISION] = json!(current_revision.to_string());
        write(state, &deployments(), annotated, None);
        return;
    }
    let old: Vec<Arc<Value>> = owned
        .iter()
        .filter(|rs| meta_str(rs, "uid") != meta_str(&current, "uid"))
        .cloned()
        .collect();
    if !paused {
        roll(state, &deployment, &current, &old, desired);
    }
    clean_up_history(state, &deployment, &old);
    update_status(state, &deployment, &owned, Some(&current));
}

/// One step of a rolling update (or a recreate), within maxSurge and maxUnavailable.
fn roll(state: &mut State, deployment: &Value, current: &Value, old: &[Arc<Value>], desired: i64) {
    let strategy = &deployment["spec"]["strategy"];
    let current_spec = spec_replicas(current);
    if strategy["type"] == "Recreate" {
        let old_running = old
            .iter()
            .any(|rs| spec_replicas(rs) > 0 || status_count(rs, "replicas") > 0);
        for rs in old {
            set_replicas(state, deployment, rs, 0);
        }
        if !old_running {
            set_replicas(state, deployment, current, desired);
        }
        return;
    }
    let surge = resolve(&strategy["rollingUpdate"]["maxSurge"], desired, true);
    let mut unavailable = resolve(&strategy["rollingUpdate"]["maxUnavailable"], desired, false);
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    let total: i64 = current_spec + old.iter().map(|rs| spec_replicas(rs)).sum::<i64>();
    if current_spec > desired {
        set_replicas(state, deployment, current, desired);
    } else if current_spec < desired && total < desired + surge {
        let up = (desired + surge - total).min(desired - current_spec);
        set_replicas(state, deployment, current, current_spec + up);
    }
    let available: i64 = status_count(current, "availableReplicas")
        + old
            .iter()
            .map(|rs| status_count(rs, "availableReplicas"))
            .sum::<i64>();
    let mut removable = (available - (desired - unavailable)).max(0);
    for rs in old {
        let spec = spec_replicas(rs);
        if spec == 0 {
            continue;
        }
        // Pods that are not available can always go; available ones only within budget.
        let unhealthy = (spec - status_count(rs, "availableReplicas")).max(0);
        let remove = (unhealthy + removable).min(spec);
        removable = (removable - (remove - unhealthy).max(0)).max(0);
        if remove > 0 {
            set_replicas(state, deployment, rs, spec - remove);
        }
    }
}

/// Deletes scaled-down ReplicaSets beyond `revisionHistoryLimit`, oldest first.
fn clean_up_history(state: &mut State, deployment: &Value, old: &[Arc<Value>]) {
    let limit = deployment["spec"]["revisionHistoryLimit"]
        .as_u64()
        .unwrap_or(10) as usize;
    let idle: Vec<&Arc<Value>> = old
        .iter()
        .filter(|rs| spec_replicas(rs) == 0 && status_count(rs, "replicas") == 0)
        .collect();
    for rs in idle.iter().take(idle.len().saturating_sub(limit)) {
        let reference = super::super::store::ObjectRef {
            store: replicasets(),
            namespace: meta_str(rs, "namespace").to_string(),
            name: meta_str(rs, "name").to_string(),
        };
        state.remove(&reference, false);
    }
}

fn update_status(
    state: &mut State,
    deployment: &Value,
    owned: &[Arc<Value>],
    current: Option<&Arc<Value>>,
) {
    let desired = spec_replicas(deployment);
    let sum = |field: &str| owned.iter().map(|rs| status_count(rs, field)).sum::<i64>();
    let (total, ready, available) = (
        sum("replicas"),
        sum("readyReplicas"),
        sum("availableReplicas"),
    );
    let updated = current.map_or(0, |rs| status_count(rs, "replicas"));
    let unavailable_allowed = resolve(
        &deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"],
        desired,
        false,
    );
    let available_condition = if available >= desired - unavailable_allowed {
        json!({"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable", "message": "Deployment has minimum availability."})
    } else {
        json!({"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable", "message": "Deployment does not have minimum availability."})
    };
    let rs_name = current
        .map(|rs| meta_str(rs, "name").to_string())
        .unwrap_or_default();
    let progressing = if deployment["spec"]["paused"] == true {
        json!({"type": "Progressing", "status": "Unknown", "reason": "DeploymentPaused", "message": "Deployment is paused"})
    } else if updated == desired && available >= desired && total == desired {
        json!({"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable", "message": format!("ReplicaSet \"{rs_name}\" has successfully progressed.")})
    } else {
        json!({"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated", "message": format!("ReplicaSet \"{rs_name}\" is progressing.")})
    };
    let mut status = json!({
        "observedGeneration": deployment["metadata"]["generation"],
        "replicas": total,
        "updatedReplicas": updated,
        "readyReplicas": ready,
        "availableReplicas": available,
        "conditions": merge_conditions(&deployment["status"]["conditions"], vec![available_condition, progressing]),
    });
    if desired - available > 0 {
        status["unavailableReplicas"] = json!(desired - available);
    }
    let mut with_status = deployment.clone();
    with_status["status"] = status;
    write(state, &deployments(), with_status, Some("status"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surge_and_unavailability_round_like_kubernetes() {
        assert_eq!(resolve(&json!("25%"), 3, true), 1);
        assert_eq!(resolve(&json!("25%"), 3, false), 0);
        assert_eq!(resolve(&json!(2), 3, false), 2);
        assert_eq!(resolve(&Value::Null, 4, true), 1);
    }

    #[test]
    fn template_hash_is_stable_and_safe() {
        let template = json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "app", "image": "web:1"}]}});
        let hash = template_hash(&template);
        assert_eq!(hash, template_hash(&template.clone()));
        assert!(
            hash.bytes()
                .all(|b| b"bcdfghjklmnpqrstvwxz2456789".contains(&b))
        );
        let mut changed = template.clone();
        changed["spec"]["containers"][0]["image"] = json!("web:2");
        assert_ne!(hash, template_hash(&changed));
    }
}
