//! Planner tests: the showcase scenario and hand-written objects, every plan
//! applied with the json-patch crate as the API would apply it.

mod argo;
mod flagger;
mod promotion;
mod properties;
mod rolling;
mod routers;
mod services;

use serde_json::{Value, json};

use super::plan;
use crate::actions::{Change, Options, Patch, Plan, Refusal, Verb};
use crate::cluster::discover::{Objects, Settings, discover};
use crate::model::Release;

const SHOWCASE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/src/demo/scenarios/showcase.yaml"
);

/// The showcase's objects as a live cluster holds them.
fn showcase() -> Vec<Value> {
    crate::cluster::discover::fixtures::rolled_out(SHOWCASE)
}

/// Objects that plans are applied to as the API applies patches: merge patches
/// only with the current resourceVersion, JSON patches whole or not at all, and
/// a new resourceVersion after every write.
struct World {
    objects: Vec<Value>,
    version: u64,
}

fn key_of(v: &Value) -> (String, String, String) {
    let meta = &v["metadata"];
    (
        v["kind"].as_str().unwrap_or_default().to_string(),
        meta["namespace"].as_str().unwrap_or("default").to_string(),
        meta["name"].as_str().unwrap_or_default().to_string(),
    )
}

impl World {
    fn new(mut objects: Vec<Value>) -> Self {
        let mut version = 100;
        for o in &mut objects {
            if o["metadata"].is_object() && o["metadata"].get("resourceVersion").is_none() {
                version += 1;
                o["metadata"]["resourceVersion"] = json!(version.to_string());
            }
        }
        World { objects, version }
    }

    fn showcase() -> Self {
        World::new(showcase())
    }

    fn objects(&self) -> Objects {
        crate::cluster::discover::fixtures::objects(self.objects.clone())
    }

    fn release(&self, key: &str) -> Release {
        let releases = discover(&self.objects(), &Settings::default());
        let keys: Vec<String> = releases.iter().map(Release::key).collect();
        releases
            .into_iter()
            .find(|r| r.key() == key)
            .unwrap_or_else(|| panic!("no release {key} in {keys:?}"))
    }

    fn plan_with(&self, key: &str, verb: Verb, force: bool) -> Result<Plan, Refusal> {
        plan(
            &self.release(key),
            &self.objects(),
            verb,
            &Options { force },
        )
    }

    fn plan(&self, key: &str, verb: Verb) -> Result<Plan, Refusal> {
        self.plan_with(key, verb, false)
    }

    fn refusal(&self, key: &str, verb: Verb) -> String {
        match self.plan(key, verb) {
            Ok(p) => panic!("{} {key} should be refused: {p:#?}", verb.as_str()),
            Err(r) => r.reason,
        }
    }

    fn get(&self, kind: &str, ns: &str, name: &str) -> &Value {
        let key = (kind.to_string(), ns.to_string(), name.to_string());
        self.objects
            .iter()
            .find(|o| key_of(o) == key)
            .unwrap_or_else(|| panic!("no {kind} {ns}/{name}"))
    }

    fn get_mut(&mut self, kind: &str, ns: &str, name: &str) -> &mut Value {
        let key = (kind.to_string(), ns.to_string(), name.to_string());
        self.objects
            .iter_mut()
            .find(|o| key_of(o) == key)
            .unwrap_or_else(|| panic!("no {kind} {ns}/{name}"))
    }

    /// Someone else writes an object: a new resourceVersion.
    fn touch(&mut self, kind: &str, ns: &str, name: &str, edit: impl FnOnce(&mut Value)) {
        self.version += 1;
        let version = self.version.to_string();
        let object = self.get_mut(kind, ns, name);
        edit(object);
        object["metadata"]["resourceVersion"] = json!(version);
    }

    /// Applies the changes in order; the first refused one stops the rest.
    fn apply(&mut self, plan: &Plan) -> Result<(), String> {
        for change in &plan.changes {
            self.apply_change(change)?;
        }
        Ok(())
    }

    fn apply_change(&mut self, change: &Change) -> Result<(), String> {
        let t = &change.target;
        let (kind, ns, name) = (t.kind.clone(), t.namespace.clone(), t.name.clone());
        let object = self.get(&kind, &ns, &name);
        assert_eq!(
            t.api_version, object["apiVersion"],
            "the version it was read in"
        );
        let mut new = object.clone();
        match &change.patch {
            Patch::Json(ops) => {
                assert_eq!(
                    ops.first().map(|o| &o["op"]),
                    Some(&json!("test")),
                    "{ops:#?}"
                );
                let patch: json_patch::Patch =
                    serde_json::from_value(Value::Array(ops.clone())).expect("a JSON patch");
                json_patch::patch(&mut new, &patch).map_err(|e| e.to_string())?;
            }
            Patch::Merge(body) => {
                let asked = body["metadata"]["resourceVersion"].as_str();
                assert!(
                    asked.is_some(),
                    "a merge patch without resourceVersion: {body}"
                );
                if asked != object["metadata"]["resourceVersion"].as_str() {
                    return Err(format!("conflict: {kind} {name} changed"));
                }
                match change.subresource.as_deref() {
                    // The scale subresource's spec.replicas is the Deployment's.
                    None | Some("status" | "scale") => json_patch::merge(&mut new, body),
                    Some(other) => panic!("unknown subresource {other}"),
                }
            }
        }
        self.touch(&kind, &ns, &name, |o| *o = new);
        Ok(())
    }

    /// Plans and applies, or panics saying why not.
    fn act(&mut self, key: &str, verb: Verb) -> Plan {
        let plan = self
            .plan(key, verb)
            .unwrap_or_else(|r| panic!("{} {key}: {r}", verb.as_str()));
        self.apply(&plan)
            .unwrap_or_else(|e| panic!("{} {key}: {e}", verb.as_str()));
        plan
    }
}

/// App `web` in namespace `ns`: Deployments and Services `web-stable` and
/// `web-canary` (2 pods each, `ready` of them ready), and `more` objects.
fn two_tracks(ready: (i64, i64), more: Vec<Value>) -> World {
    let deployment = |name: &str, image: &str, ready: i64| {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "ns", "uid": name},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web", "track": name}},
                "template": {"metadata": {"labels": {"app": "web", "track": name}},
                    "spec": {"containers": [{"name": "app", "image": image}]}}},
            "status": {"replicas": 2, "readyReplicas": ready, "availableReplicas": ready}})
    };
    let service = |name: &str| {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "ns"},
            "spec": {"selector": {"app": "web", "track": name}}})
    };
    let mut objects = vec![
        deployment("web-stable", "r/web:1", ready.0),
        deployment("web-canary", "r/web:2", ready.1),
        service("web-stable"),
        service("web-canary"),
    ];
    objects.extend(more);
    World::new(objects)
}

/// `field: from -> to` of every change, as the preview prints them.
fn fields(plan: &Plan) -> Vec<String> {
    plan.changes
        .iter()
        .flat_map(|c| &c.fields)
        .map(|f| format!("{}: {} -> {}", f.field, f.from, f.to))
        .collect()
}

/// The weights of a list of weighted entries.
fn weights(list: &Value) -> Vec<Value> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|e| e.get("weight").cloned().unwrap_or(Value::Null))
        .collect()
}

#[test]
fn every_verb_on_every_showcase_release_plans_safely() {
    let world = World::showcase();
    let releases = discover(&world.objects(), &Settings::default());
    assert_eq!(releases.len(), 13);
    let mut planned = 0;
    for release in &releases {
        for verb in Verb::ALL {
            let Ok(plan) = plan(release, &world.objects(), verb, &Options::default()) else {
                continue;
            };
            planned += 1;
            assert_eq!(plan.release, release.key());
            assert!(!plan.summary.is_empty());
            for change in &plan.changes {
                assert!(!change.target.plural.is_empty());
                assert!(!change.fields.is_empty(), "{change:#?}");
            }
            // Every change applies to the objects as read.
            World::new(world.objects.clone())
                .apply(&plan)
                .unwrap_or_else(|e| panic!("{} {}: {e}", verb.as_str(), release.key()));
        }
    }
    assert!(planned > 40, "{planned}");
}
