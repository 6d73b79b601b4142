//! Argo Rollouts: what `kubectl argo rollouts` sends.

use serde_json::{Value, json};

use super::{World, fields};
use crate::actions::{Patch, Plan, Verb};

const API: &str = "payments/payments-api";

fn rollout(world: &World, name: &str) -> Value {
    world.get("Rollout", "payments", name).clone()
}

/// (subresource, body without the resourceVersion) of every change.
fn bodies(plan: &Plan) -> Vec<(Option<String>, Value)> {
    plan.changes
        .iter()
        .map(|c| {
            let body = match &c.patch {
                Patch::Merge(b) => {
                    let mut b = b.clone();
                    assert!(b["metadata"]["resourceVersion"].is_string());
                    if let Some(m) = b.as_object_mut() {
                        m.remove("metadata");
                    }
                    b
                }
                Patch::Json(ops) => Value::Array(ops.clone()),
            };
            (c.subresource.clone(), body)
        })
        .collect()
}

fn status(body: Value) -> (Option<String>, Value) {
    (Some("status".into()), json!({ "status": body }))
}

#[test]
fn step_is_promote_status_first() {
    let mut world = World::showcase();
    let step = world.act(API, Verb::Step);
    assert_eq!(
        step.summary,
        "promote canary 1.5.0 past step 1/4 (10% -> 50%)"
    );
    assert_eq!(bodies(&step), [status(json!({"pauseConditions": null}))]);
    assert_eq!(
        fields(&step),
        ["status.pauseConditions: CanaryPauseStep -> (none)"]
    );
    assert_eq!(step.changes[0].target.api_version, "argoproj.io/v1alpha1");
    assert_eq!(step.changes[0].target.plural, "rollouts");
    assert!(
        rollout(&world, "payments-api")["status"]
            .get("pauseConditions")
            .is_none()
    );
    // No pause condition (an analysis step): the next step index.
    let step = world.act(API, Verb::Step);
    assert_eq!(
        bodies(&step),
        [status(
            json!({"pauseConditions": null, "currentStepIndex": 2})
        )]
    );
    world.touch("Rollout", "payments", "payments-api", |r| {
        r["status"]["currentStepIndex"] = json!(4);
    });
    assert_eq!(
        world.refusal(API, Verb::Step),
        "already past the last step (100%)"
    );
    assert_eq!(
        world.refusal(API, Verb::Back),
        "Argo Rollouts has no step back; use rollback (abort)"
    );
    assert!(
        world
            .refusal(API, Verb::Flip)
            .starts_with("flip is for blue/green")
    );
}

#[test]
fn an_inconclusive_step_unsets_the_controller_pause() {
    let mut world = World::showcase();
    world.touch("Rollout", "payments", "payments-api", |r| {
        r["status"]["canary"]["currentStepAnalysisRunStatus"] =
            json!({"name": "a", "status": "Inconclusive"});
    });
    let step = world.act(API, Verb::Step);
    assert_eq!(
        bodies(&step),
        [status(
            json!({"pauseConditions": null, "controllerPause": false, "currentStepIndex": 2})
        )]
    );
}

#[test]
fn a_paused_spec_is_unpaused_after_the_status() {
    let mut world = World::showcase();
    assert_eq!(world.act(API, Verb::Pause).summary, "pause");
    assert_eq!(rollout(&world, "payments-api")["spec"]["paused"], true);
    assert_eq!(world.refusal(API, Verb::Pause), "already paused");
    let step = world.plan(API, Verb::Step).expect("step");
    assert_eq!(
        bodies(&step),
        [
            status(json!({"pauseConditions": null})),
            (
                None,
                json!([{"op": "test", "path": "/spec/paused", "value": true},
                    {"op": "replace", "path": "/spec/paused", "value": false}])
            )
        ]
    );
    // The status write changes the resourceVersion; the unpause still applies.
    world.apply(&step).expect("apply");
    assert_eq!(rollout(&world, "payments-api")["spec"]["paused"], false);
    // Resume = promote's unpause; with nothing paused it is refused.
    let mut world = World::showcase();
    world.act(API, Verb::Pause);
    let resume = world.act(API, Verb::Resume);
    assert_eq!(resume.changes.len(), 2);
    assert_eq!(resume.caveats.len(), 1);
    assert_eq!(world.refusal(API, Verb::Resume), "not paused");
    // Only the spec is paused: one merge patch.
    world.act(API, Verb::Pause);
    assert_eq!(
        bodies(&world.act(API, Verb::Resume)),
        [(None, json!({"spec": {"paused": false}}))]
    );
}

#[test]
fn promote_full_and_abort() {
    let mut world = World::showcase();
    world.act(API, Verb::Pause);
    for verb in [Verb::Promote, Verb::PromoteFull] {
        let plan = world.plan(API, verb).expect("promote");
        assert_eq!(plan.summary, "promote canary 1.5.0 fully (10% -> 100%)");
        assert_eq!(bodies(&plan)[0], status(json!({"promoteFull": true})));
        assert_eq!(plan.changes.len(), 2, "and unpause");
    }
    world.act(API, Verb::PromoteFull);
    assert_eq!(
        world.refusal(API, Verb::PromoteFull),
        "already being promoted fully"
    );
    let abort = world.act(API, Verb::Rollback);
    assert_eq!(
        abort.summary,
        "abort: canary 1.5.0 10% -> 0%, all traffic to stable 1.4.2"
    );
    assert_eq!(bodies(&abort), [status(json!({"abort": true}))]);
    assert_eq!(abort.caveats.len(), 1);
    assert!(
        world
            .refusal(API, Verb::Rollback)
            .starts_with("already aborted")
    );
    // Fully promoted: nothing to promote or abort.
    let mut world = World::showcase();
    world.touch("Rollout", "payments", "payments-api", |r| {
        r["status"]["stableRS"] = json!("5c4b7f9d86");
    });
    assert_eq!(
        world.refusal(API, Verb::PromoteFull),
        "already fully promoted"
    );
    assert!(
        world
            .refusal(API, Verb::Rollback)
            .starts_with("nothing to roll back")
    );
}

#[test]
fn blue_green_flip_is_promote() {
    let mut world = World::showcase();
    let flip = world.plan("payments/ledger", Verb::Flip).expect("flip");
    assert_eq!(flip.summary, "promote: active 1.4.2 -> 1.5.0");
    assert_eq!(bodies(&flip), [status(json!({"pauseConditions": null}))]);
    assert_eq!(
        world.plan("payments/ledger", Verb::Step).expect("step"),
        Plan {
            verb: Verb::Step,
            ..flip.clone()
        }
    );
    // Fewer preview pods ready than desired: no flip without force.
    world.touch("ReplicaSet", "payments", "ledger-84f9c6d7b5", |rs| {
        rs["status"]["readyReplicas"] = json!(2);
    });
    assert!(
        world
            .refusal("payments/ledger", Verb::Flip)
            .contains("2 of 3 pods ready")
    );
    assert!(world.plan("payments/ledger", Verb::Step).is_ok());
    world.apply(&flip).expect("apply");
    assert_eq!(
        world.refusal("payments/ledger", Verb::Step),
        "not paused: there is nothing to promote"
    );
    let abort = world
        .plan("payments/ledger", Verb::Rollback)
        .expect("abort");
    assert_eq!(abort.summary, "abort: all traffic stays on active 1.4.2");
}

#[test]
fn undo_restores_the_previous_template_without_its_hash() {
    let mut world = World::showcase();
    let undo = world.act(API, Verb::Undo);
    assert_eq!(
        undo.summary,
        "undo to revision 5 (image payments-api:1.4.2)"
    );
    assert_eq!(
        fields(&undo),
        [
            "spec.template.spec.containers[0].image: ghcr.io/kshift-demo/payments-api:1.5.0 -> ghcr.io/kshift-demo/payments-api:1.4.2",
            "spec.template: revision 6 -> revision 5"
        ]
    );
    let Patch::Json(ops) = &undo.changes[0].patch else {
        panic!("JSON")
    };
    assert_eq!(
        ops[0],
        json!({"op": "test", "path": "/spec/template/spec/containers/0/image",
            "value": "ghcr.io/kshift-demo/payments-api:1.5.0"})
    );
    let rs = world.get("ReplicaSet", "payments", "payments-api-7d9f6c8b54");
    let mut expected = rs["spec"]["template"].clone();
    if let Some(labels) = expected["metadata"]["labels"].as_object_mut() {
        labels.remove("rollouts-pod-template-hash");
    }
    assert_eq!(
        rollout(&world, "payments-api")["spec"]["template"],
        expected
    );
    assert_eq!(
        world.refusal(API, Verb::Undo),
        "skipped rollback (current template already matches revision 5)"
    );
    // Someone else changed the template meanwhile: the test op refuses.
    let mut world = World::showcase();
    let undo = world.plan(API, Verb::Undo).expect("undo");
    world.touch("Rollout", "payments", "payments-api", |r| {
        r["spec"]["template"]["spec"]["containers"][0]["image"] = json!("ghcr.io/x:9");
    });
    assert!(world.apply(&undo).is_err());
}

#[test]
fn undo_with_a_workload_ref_patches_the_deployment() {
    let mut world = World::showcase();
    let template = rollout(&world, "payments-api")["spec"]["template"].clone();
    world.touch("Rollout", "payments", "payments-api", |r| {
        if let Some(spec) = r["spec"].as_object_mut() {
            spec.remove("template");
        }
        r["spec"]["workloadRef"] =
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "payments-api"});
    });
    world.objects.push(json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "payments-api", "namespace": "payments", "resourceVersion": "7"},
        "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "payments-api"}}, "template": template}}));
    let undo = world.act(API, Verb::Undo);
    assert_eq!(undo.changes[0].target.kind, "Deployment");
    assert_eq!(undo.changes[0].target.api_version, "apps/v1");
    let image = &world.get("Deployment", "payments", "payments-api")["spec"]["template"]["spec"]["containers"]
        [0]["image"];
    assert_eq!(image, "ghcr.io/kshift-demo/payments-api:1.4.2");
    // One revision only: no history.
    let mut world = World::showcase();
    world
        .objects
        .retain(|o| o["metadata"]["name"] != "payments-api-7d9f6c8b54");
    assert_eq!(
        world.refusal(API, Verb::Undo),
        "no rollout history found for rollout \"payments-api\""
    );
}
