//! Simulated controllers: Deployments own ReplicaSets, ReplicaSets own Pods, and Pods
//! become ready after a while. They react to store changes (no polling) and to their own
//! timers, and write through the same API semantics as any client.

mod deployment;
mod replicaset;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

use super::Cluster;
use super::api::{State, Target};
use super::meta;
use super::resources::StoreKey;
use super::store::meta_str;

/// How long a pod takes to become ready at speed 1.
const POD_START: Duration = Duration::from_millis(1500);

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Work {
    Deployment(String, String),
    ReplicaSet(String, String),
    PodReady(String, String),
}

fn deployments() -> StoreKey {
    StoreKey::new("apps", "deployments")
}

fn replicasets() -> StoreKey {
    StoreKey::new("apps", "replicasets")
}

fn pods() -> StoreKey {
    StoreKey::new("", "pods")
}

/// The name of the controller that owns `object`, if it is of `kind`.
fn controller_of(object: &Value, kind: &str) -> Option<String> {
    object["metadata"]["ownerReferences"]
        .as_array()?
        .iter()
        .find(|r| r["controller"] == true && r["kind"] == kind)
        .and_then(|r| r["name"].as_str())
        .map(str::to_string)
}

fn owner_reference(kind: &str, owner: &Value) -> Value {
    json!([{
        "apiVersion": "apps/v1",
        "kind": kind,
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": true,
        "blockOwnerDeletion": true,
    }])
}

/// A target for a controller's own write, in the resource's preferred version.
fn target(
    state: &State,
    store: &StoreKey,
    namespace: &str,
    name: &str,
    subresource: Option<&str>,
) -> Option<Target> {
    let resource = state.registry.by_store(store)?;
    let mut target = Target::new(resource, namespace, name);
    target.subresource = subresource.map(str::to_string);
    Some(target)
}

/// Writes a controller's change; a failure (the object went away meanwhile) is only logged.
fn write(state: &mut State, store: &StoreKey, object: Value, subresource: Option<&str>) {
    let namespace = meta_str(&object, "namespace").to_string();
    let name = meta_str(&object, "name").to_string();
    let Some(target) = target(state, store, &namespace, &name, subresource) else {
        return;
    };
    let result = if state.store.get(store, &namespace, &name).is_some() {
        state.update(&target, object, false)
    } else {
        state.create(&target, object, false)
    };
    if let Err(error) = result {
        tracing::debug!(%namespace, %name, "controller write rejected: {error}");
    }
}

/// Records a Kubernetes Event as the real controllers do.
fn record_event(
    state: &mut State,
    involved: &Value,
    reason: &str,
    message: String,
    component: &str,
) {
    let namespace = meta_str(involved, "namespace").to_string();
    let now = meta::now_rfc3339();
    let event = json!({
        "metadata": {"name": format!("{}.{}", meta_str(involved, "name"), meta::random_suffix()), "namespace": namespace},
        "involvedObject": {
            "apiVersion": involved["apiVersion"], "kind": involved["kind"], "name": involved["metadata"]["name"],
            "namespace": namespace, "uid": involved["metadata"]["uid"], "resourceVersion": involved["metadata"]["resourceVersion"],
        },
        "reason": reason, "message": message, "type": "Normal", "count": 1,
        "firstTimestamp": now, "lastTimestamp": now,
        "source": {"component": component}, "reportingComponent": component, "reportingInstance": "kshift-demo",
    });
    write(state, &StoreKey::new("", "events"), event, None);
}

/// Keeps conditions that did not change as they were (times included), so that a
/// reconcile that changes nothing writes nothing.
fn merge_conditions(old: &Value, new: Vec<Value>) -> Value {
    let now = meta::now_rfc3339();
    let merged: Vec<Value> = new
        .into_iter()
        .map(|mut condition| {
            let previous = old
                .as_array()
                .and_then(|c| c.iter().find(|o| o["type"] == condition["type"]));
            match previous {
                Some(p)
                    if p["status"] == condition["status"]
                        && p["reason"] == condition["reason"]
                        && p["message"] == condition["message"] =>
                {
                    p.clone()
                }
                Some(p) if p["status"] == condition["status"] => {
                    condition["lastUpdateTime"] = json!(now);
                    condition["lastTransitionTime"] = p["lastTransitionTime"].clone();
                    condition
                }
                _ => {
                    condition["lastUpdateTime"] = json!(now);
                    condition["lastTransitionTime"] = json!(now);
                    condition
                }
            }
        })
        .collect();
    Value::Array(merged)
}

struct Controllers {
    cluster: Cluster,
    pod_start: Duration,
    queue: BTreeSet<Work>,
    timers: BTreeMap<Instant, Vec<Work>>,
}

impl Controllers {
    fn enqueue_change(&mut self, store: &StoreKey, object: &Value) {
        let namespace = meta_str(object, "namespace").to_string();
        if *store == deployments() {
            self.queue.insert(Work::Deployment(
                namespace,
                meta_str(object, "name").to_string(),
            ));
        } else if *store == replicasets() {
            self.queue.insert(Work::ReplicaSet(
                namespace.clone(),
                meta_str(object, "name").to_string(),
            ));
            if let Some(owner) = controller_of(object, "Deployment") {
                self.queue.insert(Work::Deployment(namespace, owner));
            }
        } else if *store == pods()
            && let Some(owner) = controller_of(object, "ReplicaSet")
        {
            self.queue.insert(Work::ReplicaSet(namespace, owner));
        }
    }

    fn resync(&mut self) {
        let objects: Vec<(StoreKey, Value)> = {
            let state = self.cluster.lock();
            [deployments(), replicasets()]
                .into_iter()
                .flat_map(|key| {
                    state
                        .store
                        .list(&key, None)
                        .into_iter()
                        .map(move |o| (key.clone(), (*o).clone()))
                })
                .collect()
        };
        for (key, object) in objects {
            self.enqueue_change(&key, &object);
        }
    }

    fn work(&mut self, work: Work) {
        let mut state = self.cluster.lock();
        let started = match work {
            Work::Deployment(ns, name) => {
                deployment::reconcile(&mut state, &ns, &name);
                Vec::new()
            }
            Work::ReplicaSet(ns, name) => replicaset::reconcile(&mut state, &ns, &name),
            Work::PodReady(ns, name) => {
                replicaset::mark_ready(&mut state, &ns, &name);
                Vec::new()
            }
        };
        drop(state);
        let due = Instant::now() + self.pod_start;
        for pod in started {
            self.timers.entry(due).or_default().push(pod);
        }
    }

    async fn run(mut self) {
        let mut changes = self.cluster.lock().store.subscribe();
        self.resync();
        loop {
            while let Some(work) = self.queue.pop_first() {
                self.work(work);
                // Let watches and requests in between items of a long queue.
                tokio::task::yield_now().await;
            }
            let next_timer = self.timers.keys().next().copied();
            tokio::select! {
                received = changes.recv() => match received {
                    Ok(change) => {
                        let object = change.previous.as_deref().filter(|_| change.kind == super::store::ChangeKind::Deleted).unwrap_or(&change.object).clone();
                        self.enqueue_change(&change.store, &object);
                    }
                    Err(RecvError::Lagged(_)) => self.resync(),
                    Err(RecvError::Closed) => return,
                },
                _ = tokio::time::sleep_until(next_timer.unwrap_or_else(|| Instant::now() + Duration::from_secs(3600))), if next_timer.is_some() => {
                    let now = Instant::now();
                    let later = self.timers.split_off(&(now + Duration::from_nanos(1)));
                    let due = std::mem::replace(&mut self.timers, later);
                    self.queue.extend(due.into_values().flatten());
                }
            }
        }
    }
}

/// Starts the controllers; `speed` divides the simulated durations.
pub fn spawn(cluster: Cluster, speed: f64) -> tokio::task::JoinHandle<()> {
    let controllers = Controllers {
        cluster,
        pod_start: POD_START.div_f64(speed.max(0.01)),
        queue: BTreeSet::new(),
        timers: BTreeMap::new(),
    };
    tokio::spawn(controllers.run())
}
