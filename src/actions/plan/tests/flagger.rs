//! Flagger: the levers its maintainers document.

use serde_json::json;

use super::{World, fields};
use crate::actions::{Patch, Verb};

const FRAUD: &str = "payments/fraud-check";

fn canary(world: &World) -> serde_json::Value {
    world.get("Canary", "payments", "fraud-check").clone()
}

#[test]
fn pause_resume_promote_and_roll_back() {
    let mut world = World::showcase();
    let pause = world.act(FRAUD, Verb::Pause);
    assert_eq!(fields(&pause), ["spec.suspend: (none) -> true"]);
    assert_eq!(pause.changes[0].target.plural, "canaries");
    assert_eq!(pause.changes[0].target.api_version, "flagger.app/v1beta1");
    assert_eq!(
        pause.caveats,
        [
            "Flagger acts on its next analysis interval (1m), not at once; GitOps tools (Argo CD, Flux) may revert spec patches."
        ]
    );
    assert_eq!(canary(&world)["spec"]["suspend"], true);
    assert!(
        world
            .refusal(FRAUD, Verb::Pause)
            .starts_with("already paused")
    );
    world.act(FRAUD, Verb::Resume);
    assert_eq!(canary(&world)["spec"]["suspend"], false);
    assert_eq!(world.refusal(FRAUD, Verb::Resume), "not paused");

    let promote = world.act(FRAUD, Verb::Promote);
    assert_eq!(
        promote.summary,
        "skip the analysis: canary 1.5.0 20% -> 100%"
    );
    assert_eq!(promote.caveats.len(), 2, "{:?}", promote.caveats);
    assert_eq!(canary(&world)["spec"]["skipAnalysis"], true);
    assert_eq!(
        world.refusal(FRAUD, Verb::PromoteFull),
        "already promoting: spec.skipAnalysis is true"
    );

    let rollback = world.act(FRAUD, Verb::Rollback);
    assert_eq!(
        rollback.summary,
        "fail the analysis: canary 1.5.0 20% -> 0%, all traffic to stable 1.4.2"
    );
    assert_eq!(rollback.changes[0].subresource.as_deref(), Some("status"));
    let Patch::Merge(body) = &rollback.changes[0].patch else {
        panic!("merge")
    };
    assert_eq!(body["status"], json!({"failedChecks": 5}));
    assert_eq!(fields(&rollback), ["status.failedChecks: 0 -> 5"]);
    assert_eq!(canary(&world)["status"]["failedChecks"], 5);
    assert_eq!(
        world.refusal(FRAUD, Verb::Rollback),
        "already failing: failedChecks is 5 of threshold 5"
    );
}

#[test]
fn what_flagger_does_itself_is_refused() {
    let world = World::showcase();
    assert!(
        world
            .refusal(FRAUD, Verb::Step)
            .starts_with("Flagger steps the canary itself")
    );
    assert_eq!(
        world.refusal(FRAUD, Verb::Back),
        "Flagger has no step back; use rollback"
    );
    assert!(
        world
            .refusal(FRAUD, Verb::Flip)
            .starts_with("Flagger decides when to switch")
    );
    assert!(
        world
            .refusal(FRAUD, Verb::Undo)
            .contains("Deployment fraud-check")
    );
}

#[test]
fn phases_thresholds_and_readiness() {
    let mut world = World::showcase();
    world.touch("Canary", "payments", "fraud-check", |c| {
        c["spec"]["analysis"]["threshold"] = json!(2);
        c["spec"]["analysis"]["interval"] = json!("30s");
        c["status"]["phase"] = json!("WaitingPromotion");
    });
    let rollback = world.plan(FRAUD, Verb::Rollback).expect("rollback");
    assert_eq!(fields(&rollback), ["status.failedChecks: 0 -> 2"]);
    assert!(rollback.caveats[0].contains("(30s)"));
    world.touch("Canary", "payments", "fraud-check", |c| {
        c["status"]["phase"] = json!("Succeeded");
    });
    assert!(
        world
            .refusal(FRAUD, Verb::Promote)
            .contains("has no analysis to skip (phase Succeeded)")
    );
    assert!(
        world
            .refusal(FRAUD, Verb::Rollback)
            .starts_with("Flagger rolls back only during an analysis")
    );
    // A canary without ready pods is not promoted unless forced.
    let mut world = World::showcase();
    world.touch("Deployment", "payments", "fraud-check", |d| {
        d["status"]["readyReplicas"] = json!(0);
        d["status"]["availableReplicas"] = json!(0);
    });
    assert!(
        world
            .refusal(FRAUD, Verb::Promote)
            .contains("no ready pods")
    );
    assert!(world.plan_with(FRAUD, Verb::Promote, true).is_ok());
}
