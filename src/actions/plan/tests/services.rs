//! Blue/green by Service selector and replica canaries.

use serde_json::json;

use super::{World, fields};
use crate::actions::{Patch, Verb};
use crate::model::Role;

fn color(world: &World) -> String {
    world.get("Service", "shop", "checkout")["spec"]["selector"]["color"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn previous(world: &World) -> serde_json::Value {
    world.get("Service", "shop", "checkout")["metadata"]["annotations"]["kshift.dev/previous-active"]
        .clone()
}

#[test]
fn blue_green_flip_and_rollback() {
    let mut world = World::showcase();
    for verb in [Verb::Step, Verb::Back] {
        assert_eq!(
            world.refusal("shop/checkout", verb),
            "blue/green has no steps; use flip"
        );
    }
    assert!(
        world
            .refusal("shop/checkout", Verb::Undo)
            .starts_with("a Service has no revisions")
    );
    assert_eq!(
        world.refusal("shop/checkout", Verb::Rollback),
        "no previous active version recorded"
    );
    let flip = world.act("shop/checkout", Verb::Flip);
    assert_eq!(flip.summary, "active 1.4.2 -> 1.5.0");
    assert_eq!(
        fields(&flip),
        [
            "spec.selector[\"color\"]: blue -> green",
            "metadata.annotations[\"kshift.dev/previous-active\"]: (none) -> blue"
        ]
    );
    let Patch::Merge(body) = &flip.changes[0].patch else {
        panic!("a merge patch")
    };
    assert_eq!(body["spec"], json!({"selector": {"color": "green"}}));
    assert_eq!(
        (color(&world), previous(&world)),
        ("green".into(), json!("blue"))
    );
    let release = world.release("shop/checkout");
    let active: Vec<&str> = release
        .versions
        .iter()
        .filter(|v| v.role == Role::Active)
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(active, ["1.5.0"]);
    let rollback = world.act("shop/checkout", Verb::Rollback);
    assert_eq!(rollback.summary, "active 1.5.0 -> 1.4.2");
    assert_eq!(
        (color(&world), previous(&world)),
        ("blue".into(), json!("green"))
    );
    // Promote is a flip.
    assert_eq!(
        world.act("shop/checkout", Verb::PromoteFull).summary,
        "active 1.4.2 -> 1.5.0"
    );
    assert_eq!(color(&world), "green");
    // The remembered version is already active.
    world.touch("Service", "shop", "checkout", |s| {
        s["metadata"]["annotations"]["kshift.dev/previous-active"] = json!("green");
    });
    assert_eq!(
        world.refusal("shop/checkout", Verb::Rollback),
        "color=green is already active"
    );
    world.touch("Service", "shop", "checkout", |s| {
        s["metadata"]["annotations"]["kshift.dev/previous-active"] = json!("red");
    });
    assert_eq!(
        world.refusal("shop/checkout", Verb::Rollback),
        "no Deployment of release shop/checkout has color=red"
    );
}

#[test]
fn blue_green_needs_a_ready_target() {
    let mut world = World::showcase();
    world.touch("Deployment", "shop", "checkout-green", |d| {
        d["status"]["readyReplicas"] = json!(1);
    });
    assert_eq!(
        world.refusal("shop/checkout", Verb::Flip),
        "preview 1.5.0 has 1 of 3 pods ready; use --force to flip anyway"
    );
    world.touch("Deployment", "shop", "checkout-green", |d| {
        d["status"]["readyReplicas"] = json!(0);
        d["status"]["availableReplicas"] = json!(0);
    });
    assert!(
        world
            .refusal("shop/checkout", Verb::Promote)
            .contains("no ready pods")
    );
    let forced = world
        .plan_with("shop/checkout", Verb::Flip, true)
        .expect("forced");
    world.apply(&forced).expect("apply");
    assert_eq!(color(&world), "green");
    // A concurrent edit of the Service makes the merge patch conflict.
    let mut world = World::showcase();
    let flip = world.plan("shop/checkout", Verb::Flip).expect("flip");
    world.touch("Service", "shop", "checkout", |_| {});
    assert!(world.apply(&flip).is_err());
    assert_eq!(color(&world), "blue");
}

#[test]
fn blue_green_with_three_colors_is_refused() {
    let mut world = World::showcase();
    let mut red = world.get("Deployment", "shop", "checkout-green").clone();
    red["metadata"]["name"] = json!("checkout-red");
    red["metadata"]["labels"]["color"] = json!("red");
    red["spec"]["selector"]["matchLabels"]["color"] = json!("red");
    red["spec"]["template"]["metadata"]["labels"]["color"] = json!("red");
    world.objects.push(red);
    let reason = world.refusal("shop/checkout", Verb::Flip);
    assert_eq!(
        reason,
        "Service checkout could switch to color=green or red; flip needs exactly two versions"
    );
    world.act("shop/checkout", Verb::Pause);
    assert_eq!(
        world.release("shop/checkout").phase,
        crate::model::Phase::Paused
    );
}

fn replicas(world: &World) -> (i64, i64) {
    let r = |name: &str| {
        world.get("Deployment", "search", name)["spec"]["replicas"]
            .as_i64()
            .unwrap_or(-1)
    };
    (r("search-stable"), r("search-canary"))
}

#[test]
fn replica_canary_scales_up_before_down() {
    let mut world = World::showcase();
    let step = world.act("search/search", Verb::Step);
    assert_eq!(
        step.summary,
        "canary 1.5.0 20% -> 60% (1 -> 3 of 5 replicas)"
    );
    let order: Vec<(&str, Option<&str>)> = step
        .changes
        .iter()
        .map(|c| (c.target.name.as_str(), c.subresource.as_deref()))
        .collect();
    assert_eq!(
        order,
        [
            ("search-canary", Some("scale")),
            ("search-stable", Some("scale"))
        ]
    );
    assert_eq!(
        fields(&step),
        ["spec.replicas: 1 -> 3", "spec.replicas: 4 -> 2"]
    );
    let Patch::Merge(body) = &step.changes[0].patch else {
        panic!("merge")
    };
    assert_eq!(body["spec"], json!({"replicas": 3}));
    assert_eq!(step.changes[0].target.plural, "deployments");
    assert_eq!(replicas(&world), (2, 3));
    let back = world.act("search/search", Verb::Back);
    assert_eq!(
        back.changes[0].target.name, "search-stable",
        "stable grows first"
    );
    assert_eq!(replicas(&world), (4, 1));
    world.act("search/search", Verb::Back);
    assert_eq!(replicas(&world), (5, 0));
    assert_eq!(world.refusal("search/search", Verb::Back), "already at 0%");
    assert!(
        world
            .refusal("search/search", Verb::Rollback)
            .starts_with("already at 0%")
    );
    // The canary has no pods now: it may not grow without force.
    world.touch("Deployment", "search", "search-canary", |d| {
        d["status"] = json!({"replicas": 0});
    });
    let reason = world.refusal("search/search", Verb::Step);
    assert!(reason.contains("has no ready pods"), "{reason}");
    let mut world = World::showcase();
    let promote = world.act("search/search", Verb::Promote);
    assert_eq!(promote.changes[0].target.name, "search-canary");
    assert_eq!(replicas(&world), (0, 5));
    let mut world = World::showcase();
    let rollback = world.act("search/search", Verb::Rollback);
    assert_eq!(
        fields(&rollback),
        ["spec.replicas: 4 -> 5", "spec.replicas: 1 -> 0"]
    );
    assert_eq!(replicas(&world), (5, 0));
    assert!(
        world
            .refusal("search/search", Verb::Flip)
            .contains("no flip")
    );
    assert!(
        world
            .refusal("search/search", Verb::Undo)
            .contains("no revisions")
    );
    let pause = world.act("search/search", Verb::Pause);
    assert_eq!(pause.changes[0].target.kind, "Service");
}

#[test]
fn replica_canary_guards_each_deployment() {
    let mut world = World::showcase();
    let step = world.plan("search/search", Verb::Step).expect("step");
    world.touch("Deployment", "search", "search-stable", |d| {
        d["spec"]["replicas"] = json!(6);
    });
    // The canary scaled up, then the stable scale-down met the other writer.
    assert!(world.apply(&step).is_err());
    assert_eq!(replicas(&world), (6, 3));
}
