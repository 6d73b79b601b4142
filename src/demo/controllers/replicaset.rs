//! The ReplicaSet controller: keeps as many Pods as the ReplicaSet asks for, and
//! counts the ready ones in its status.

use serde_json::{Value, json};

use super::{State, Work, meta, meta_str, owner_reference, pods, replicasets, write};

/// Pods whose template carries this annotation never become ready (a broken release).
pub const NEVER_READY: &str = "demo.kshift.dev/never-ready";

fn is_ready(pod: &Value) -> bool {
    pod["status"]["conditions"].as_array().is_some_and(|c| {
        c.iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    })
}

/// Reconciles one ReplicaSet; returns the pods it started, to be marked ready later.
pub fn reconcile(state: &mut State, namespace: &str, name: &str) -> Vec<Work> {
    let Some(rs) = state.store.get(&replicasets(), namespace, name) else {
        return Vec::new();
    };
    let uid = meta_str(&rs, "uid");
    let mut owned: Vec<Value> = state
        .store
        .owned_by(uid)
        .into_iter()
        .filter(|r| r.store == pods())
        .filter_map(|r| state.store.get(&r.store, &r.namespace, &r.name))
        .map(|p| (*p).clone())
        .collect();
    let desired = rs["spec"]["replicas"].as_u64().unwrap_or(1) as usize;
    let mut started = Vec::new();
    let template = &rs["spec"]["template"];
    let never_ready = template["metadata"]["annotations"][NEVER_READY] == "true";
    while owned.len() < desired {
        let pod = json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": format!("{name}-{}", meta::random_suffix()),
                "namespace": namespace,
                "labels": template["metadata"]["labels"],
                "annotations": template["metadata"]["annotations"],
                "ownerReferences": owner_reference("ReplicaSet", &rs),
            },
            "spec": template["spec"],
            "status": {"phase": "Pending", "conditions": [
                {"type": "PodScheduled", "status": "True"},
                {"type": "Ready", "status": "False", "reason": "ContainersNotReady"},
            ]},
        });
        if !never_ready {
            started.push(Work::PodReady(
                namespace.to_string(),
                meta_str(&pod, "name").to_string(),
            ));
        }
        write(state, &pods(), pod.clone(), None);
        if let Some(stored) = state.store.get(&pods(), namespace, meta_str(&pod, "name")) {
            // The API drops status on create; the kubelet would report it next.
            let mut with_status = (*stored).clone();
            with_status["status"] = pod["status"].clone();
            write(state, &pods(), with_status.clone(), Some("status"));
            owned.push(with_status);
        }
    }
    if owned.len() > desired {
        // Not-ready pods go first, then the newest.
        owned.sort_by_key(|p| {
            (
                is_ready(p),
                std::cmp::Reverse(
                    p["metadata"]["creationTimestamp"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                ),
            )
        });
        for pod in owned.drain(..owned.len() - desired) {
            let reference = super::super::store::ObjectRef {
                store: pods(),
                namespace: namespace.to_string(),
                name: meta_str(&pod, "name").to_string(),
            };
            state.remove(&reference, false);
        }
    }
    let ready = owned.iter().filter(|p| is_ready(p)).count();
    let mut updated = (*rs).clone();
    updated["status"] = json!({
        "replicas": owned.len(),
        "fullyLabeledReplicas": owned.len(),
        "readyReplicas": ready,
        "availableReplicas": ready,
        "observedGeneration": rs["metadata"]["generation"],
    });
    write(state, &replicasets(), updated, Some("status"));
    started
}

/// The kubelet's part: a started pod's containers are running and ready.
pub fn mark_ready(state: &mut State, namespace: &str, name: &str) {
    let Some(pod) = state.store.get(&pods(), namespace, name) else {
        return;
    };
    let now = meta::now_rfc3339();
    let containers: Vec<Value> = pod["spec"]["containers"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .map(|c| json!({"name": c["name"], "image": c["image"], "ready": true, "started": true, "restartCount": 0, "state": {"running": {"startedAt": now}}}))
                .collect()
        })
        .unwrap_or_default();
    let mut ready = (*pod).clone();
    let octet = name
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    ready["status"] = json!({
        "phase": "Running",
        "conditions": [
            {"type": "PodScheduled", "status": "True"}, {"type": "Initialized", "status": "True"},
            {"type": "ContainersReady", "status": "True"}, {"type": "Ready", "status": "True"},
        ],
        "containerStatuses": containers,
        "hostIP": "10.0.0.1",
        "podIP": format!("10.244.{}.{}", octet / 250 % 250, octet % 250 + 1),
        "startTime": now,
    });
    write(state, &pods(), ready, Some("status"));
}
