//! A lone Deployment, as `kubectl rollout` handles it.

use serde_json::{Map, Value, json};

use super::{World, fields};
use crate::actions::{Patch, Verb};

const INVENTORY: &str = "shop/inventory";

/// A ReplicaSet of inventory at `revision`, running `tag`.
fn replicaset(world: &World, revision: &str, tag: &str, annotations: Value) -> Value {
    let d = world.get("Deployment", "shop", "inventory");
    let hash = format!("hash{revision}");
    let mut template = d["spec"]["template"].clone();
    template["metadata"]["labels"]["pod-template-hash"] = json!(hash);
    template["metadata"]["labels"]["app.kubernetes.io/version"] = json!(tag);
    template["spec"]["containers"][0]["image"] =
        json!(format!("ghcr.io/kshift-demo/inventory:{tag}"));
    let mut annotations = annotations;
    annotations["deployment.kubernetes.io/revision"] = json!(revision);
    json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": format!("inventory-{hash}"), "namespace": "shop",
            "labels": template["metadata"]["labels"].clone(), "annotations": annotations,
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "inventory", "controller": true}]},
        "spec": {"replicas": 0, "template": template},
        "status": {"replicas": 0}})
}

/// Inventory at revision 2 (1.5.0) with its ReplicaSets of revisions 1 (1.4.2) and 2.
fn inventory() -> World {
    let mut world = World::showcase();
    let old = replicaset(
        &world,
        "1",
        "1.4.2",
        json!({"deployment.kubernetes.io/desired-replicas": "4", "deployment.kubernetes.io/max-replicas": "5",
            "kubernetes.io/change-cause": "kubectl apply (1.4.2)", "note": "from the old one"}),
    );
    let mut new = replicaset(
        &world,
        "2",
        "1.5.0",
        json!({"deployment.kubernetes.io/desired-replicas": "4"}),
    );
    new["spec"]["replicas"] = json!(4);
    new["status"] = json!({"replicas": 4, "readyReplicas": 4});
    world.objects.extend([old, new]);
    world.touch("Deployment", "shop", "inventory", |d| {
        let a = &mut d["metadata"]["annotations"];
        a["deployment.kubernetes.io/revision"] = json!("2");
        a["deployment.kubernetes.io/desired-replicas"] = json!("4");
        a["team"] = json!("inventory");
    });
    world
}

#[test]
fn pause_and_resume_as_kubectl_rollout() {
    let mut world = inventory();
    let pause = world.act(INVENTORY, Verb::Pause);
    let Patch::Merge(body) = &pause.changes[0].patch else {
        panic!("merge")
    };
    assert_eq!(body["spec"], json!({"paused": true}));
    assert_eq!(pause.changes[0].target.plural, "deployments");
    assert_eq!(world.refusal(INVENTORY, Verb::Pause), "already paused");
    for verb in [Verb::Undo, Verb::Rollback] {
        assert_eq!(
            world.refusal(INVENTORY, verb),
            "you cannot rollback a paused deployment; resume it first"
        );
    }
    let resume = world.act(INVENTORY, Verb::Resume);
    let Patch::Merge(body) = &resume.changes[0].patch else {
        panic!("merge")
    };
    assert_eq!(body["spec"], json!({"paused": null}));
    assert!(
        world.get("Deployment", "shop", "inventory")["spec"]
            .get("paused")
            .is_none()
    );
    assert_eq!(world.refusal(INVENTORY, Verb::Resume), "not paused");
    for verb in [
        Verb::Step,
        Verb::Back,
        Verb::Promote,
        Verb::PromoteFull,
        Verb::Flip,
    ] {
        assert_eq!(
            world.refusal(INVENTORY, verb),
            "a rolling Deployment has no traffic split; use undo or pause"
        );
    }
}

/// What kubectl's rollback computes: the Deployment's values for the kept
/// keys, every other annotation from the ReplicaSet.
fn kubectl_annotations(deployment: &Value, rs: &Value) -> Map<String, Value> {
    let kept = [
        "kubectl.kubernetes.io/last-applied-configuration",
        "deployment.kubernetes.io/revision",
        "deployment.kubernetes.io/revision-history",
        "deployment.kubernetes.io/desired-replicas",
        "deployment.kubernetes.io/max-replicas",
        "deprecated.deployment.rollback.to",
    ];
    let mut out = Map::new();
    for (k, v) in deployment["metadata"]["annotations"]
        .as_object()
        .into_iter()
        .flatten()
    {
        if kept.contains(&k.as_str()) {
            out.insert(k.clone(), v.clone());
        }
    }
    for (k, v) in rs["metadata"]["annotations"]
        .as_object()
        .into_iter()
        .flatten()
    {
        if !kept.contains(&k.as_str()) {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

#[test]
fn undo_writes_what_kubectl_writes() {
    let mut world = inventory();
    let before = world.get("Deployment", "shop", "inventory").clone();
    let rs = world.get("ReplicaSet", "shop", "inventory-hash1").clone();
    let undo = world.act(INVENTORY, Verb::Undo);
    assert_eq!(undo.summary, "undo to revision 1 (image inventory:1.4.2)");
    assert_eq!(
        fields(&undo),
        [
            "spec.template.spec.containers[0].image: ghcr.io/kshift-demo/inventory:1.5.0 -> ghcr.io/kshift-demo/inventory:1.4.2",
            "spec.template: revision 2 -> revision 1",
            "metadata.annotations[\"team\"]: inventory -> (none)",
            "metadata.annotations[\"kubernetes.io/change-cause\"]: kubectl set image deployment/inventory app=ghcr.io/kshift-demo/inventory:1.5.0 -> kubectl apply (1.4.2)",
            "metadata.annotations[\"note\"]: (none) -> from the old one",
        ]
    );
    let Patch::Json(ops) = &undo.changes[0].patch else {
        panic!("JSON")
    };
    assert_eq!(ops[0]["path"], "/metadata/resourceVersion");
    let after = world.get("Deployment", "shop", "inventory");
    let mut template = rs["spec"]["template"].clone();
    if let Some(labels) = template["metadata"]["labels"].as_object_mut() {
        labels.remove("pod-template-hash");
    }
    assert_eq!(after["spec"]["template"], template);
    assert_eq!(
        after["metadata"]["annotations"].as_object(),
        Some(&kubectl_annotations(&before, &rs))
    );
    // The same again: the current template is revision 1's.
    world
        .objects
        .retain(|o| o["metadata"]["name"] != "inventory-hash2");
    let mut newest = rs.clone();
    newest["metadata"]["name"] = json!("inventory-hash3");
    newest["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = json!("3");
    world.objects.push(newest);
    let mut two = world.get("ReplicaSet", "shop", "inventory-hash1").clone();
    two["metadata"]["name"] = json!("inventory-hash2b");
    two["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = json!("2");
    world.objects.push(two);
    assert_eq!(
        world.refusal(INVENTORY, Verb::Rollback),
        "skipped rollback (current template already matches revision 2)"
    );
}

#[test]
fn undo_keeps_annotations_kshift_cannot_see() {
    let mut world = inventory();
    let plan = world.plan(INVENTORY, Verb::Undo).expect("undo");
    // The API's copy carries the last-applied annotation that kshift's reads drop.
    let last = "kubectl.kubernetes.io/last-applied-configuration";
    let d = world.get_mut("Deployment", "shop", "inventory");
    d["metadata"]["annotations"][last] = json!("{}");
    world.apply(&plan).expect("apply");
    let after = world.get("Deployment", "shop", "inventory");
    assert_eq!(after["metadata"]["annotations"][last], "{}");
    // Changed since: the resourceVersion test refuses.
    let mut world = inventory();
    let plan = world.plan(INVENTORY, Verb::Undo).expect("undo");
    world.touch("Deployment", "shop", "inventory", |d| {
        d["spec"]["replicas"] = json!(6);
    });
    assert!(world.apply(&plan).is_err());
    // One revision: no history.
    let mut world = inventory();
    world
        .objects
        .retain(|o| o["metadata"]["name"] != "inventory-hash1");
    assert_eq!(
        world.refusal(INVENTORY, Verb::Undo),
        "no rollout history found for deployment \"inventory\""
    );
}

#[test]
fn revisions_are_picked_as_kubectl_picks_them() {
    let mut world = inventory();
    // Unreadable revisions are skipped; the second highest wins.
    let mut odd = world.get("ReplicaSet", "shop", "inventory-hash1").clone();
    odd["metadata"]["name"] = json!("inventory-odd");
    odd["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = json!("x9");
    world.objects.push(odd);
    let mut ten = world.get("ReplicaSet", "shop", "inventory-hash1").clone();
    ten["metadata"]["name"] = json!("inventory-ten");
    ten["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = json!("10");
    ten["spec"]["template"]["spec"]["containers"][0]["image"] =
        json!("ghcr.io/kshift-demo/inventory:1.0.0");
    world.objects.push(ten);
    // Revision 2 is the current template.
    assert_eq!(
        world.refusal(INVENTORY, Verb::Undo),
        "skipped rollback (current template already matches revision 2)"
    );
}
