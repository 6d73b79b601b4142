//! Istio, Gateway API, SMI and NGINX.

use serde_json::{Value, json};

use super::{World, fields, two_tracks, weights};
use crate::actions::{Patch, Verb};

fn vs(world: &World, name: &str) -> Vec<Value> {
    weights(&world.get("VirtualService", "shop", name)["spec"]["http"][0]["route"])
}

#[test]
fn istio_every_verb() {
    let mut world = World::showcase();
    let step = world.act("shop/reviews", Verb::Step);
    assert_eq!(step.summary, "canary 1.5.0 10% -> 25%");
    assert_eq!(
        fields(&step),
        [
            "spec.http[0].route[1].weight: 10 -> 25",
            "spec.http[0].route[0].weight: 90 -> 75"
        ]
    );
    let change = &step.changes[0];
    assert_eq!(
        (
            change.target.api_version.as_str(),
            change.target.plural.as_str(),
            change.target.namespace.as_str(),
            change.target.name.as_str(),
            change.subresource.as_deref()
        ),
        (
            "networking.istio.io/v1",
            "virtualservices",
            "shop",
            "reviews",
            None
        )
    );
    let Patch::Json(ops) = &change.patch else {
        panic!("a JSON patch")
    };
    assert_eq!(
        ops,
        &[
            json!({"op": "test", "path": "/spec/http/0/route/1/destination/host", "value": "reviews"}),
            json!({"op": "test", "path": "/spec/http/0/route/1/destination/subset", "value": "canary"}),
            json!({"op": "test", "path": "/spec/http/0/route/1/weight", "value": 10}),
            json!({"op": "test", "path": "/spec/http/0/route/0/destination/host", "value": "reviews"}),
            json!({"op": "test", "path": "/spec/http/0/route/0/destination/subset", "value": "stable"}),
            json!({"op": "test", "path": "/spec/http/0/route/0/weight", "value": 90}),
            json!({"op": "replace", "path": "/spec/http/0/route/1/weight", "value": 25}),
            json!({"op": "replace", "path": "/spec/http/0/route/0/weight", "value": 75}),
        ]
    );
    assert_eq!(vs(&world, "reviews"), [json!(75), json!(25)]);
    assert!(step.caveats.is_empty(), "{:?}", step.caveats);
    world.act("shop/reviews", Verb::Back);
    assert_eq!(vs(&world, "reviews"), [json!(90), json!(10)]);
    assert_eq!(
        world.act("shop/reviews", Verb::Promote).summary,
        "canary 1.5.0 10% -> 100%"
    );
    assert_eq!(vs(&world, "reviews"), [json!(0), json!(100)]);
    for verb in [Verb::Step, Verb::PromoteFull] {
        let refusal = world.refusal("shop/reviews", verb);
        assert!(refusal.starts_with("already promoted"), "{refusal}");
    }
    world.act("shop/reviews", Verb::Back);
    assert_eq!(vs(&world, "reviews"), [json!(50), json!(50)]);
    world.act("shop/reviews", Verb::Rollback);
    assert_eq!(vs(&world, "reviews"), [json!(100), json!(0)]);
    assert_eq!(world.refusal("shop/reviews", Verb::Back), "already at 0%");
    assert!(
        world
            .refusal("shop/reviews", Verb::Rollback)
            .starts_with("already at 0%")
    );
    // Flip swaps 100/0 and 0/100, and only those.
    assert_eq!(
        world.act("shop/reviews", Verb::Flip).summary,
        "active 1.4.2 -> 1.5.0"
    );
    assert_eq!(vs(&world, "reviews"), [json!(0), json!(100)]);
    assert_eq!(
        world.act("shop/reviews", Verb::Flip).summary,
        "active 1.5.0 -> 1.4.2"
    );
    assert_eq!(vs(&world, "reviews"), [json!(100), json!(0)]);
    world.act("shop/reviews", Verb::Step);
    assert!(
        world
            .refusal("shop/reviews", Verb::Flip)
            .contains("the canary has 5%")
    );
    let undo = world.refusal("shop/reviews", Verb::Undo);
    assert!(
        undo.starts_with("a router has no revisions; use rollback"),
        "{undo}"
    );
}

#[test]
fn routers_pause_and_resume_by_annotation() {
    let mut world = World::showcase();
    let pause = world.act("shop/reviews", Verb::Pause);
    assert_eq!(pause.summary, "pause");
    assert_eq!(
        fields(&pause),
        ["metadata.annotations[\"kshift.dev/paused\"]: (none) -> true"]
    );
    let Patch::Merge(body) = &pause.changes[0].patch else {
        panic!("a merge patch")
    };
    assert_eq!(body["metadata"]["annotations"]["kshift.dev/paused"], "true");
    assert!(body["metadata"]["resourceVersion"].is_string());
    assert_eq!(
        world.release("shop/reviews").phase,
        crate::model::Phase::Paused
    );
    assert!(
        world
            .refusal("shop/reviews", Verb::Pause)
            .starts_with("already paused")
    );
    // Any router or Service of the release pauses it; resume clears them all.
    world.touch("Service", "shop", "reviews", |s| {
        s["metadata"]["annotations"] = json!({"kshift.dev/paused": "TRUE"});
    });
    let resume = world.act("shop/reviews", Verb::Resume);
    assert_eq!(resume.changes.len(), 2);
    assert_eq!(
        world.release("shop/reviews").phase,
        crate::model::Phase::Progressing
    );
    assert_eq!(world.refusal("shop/reviews", Verb::Resume), "not paused");
    // NGINX: on the canary Ingress.
    let pause = world.act("shop/storefront", Verb::Pause);
    assert_eq!(pause.changes[0].target.name, "storefront-canary");
}

#[test]
fn test_ops_and_resource_versions_reject_concurrent_changes() {
    let mut world = World::showcase();
    let plan = world.plan("shop/reviews", Verb::Step).expect("step");
    world.touch("VirtualService", "shop", "reviews", |vs| {
        vs["spec"]["http"][0]["route"][1]["weight"] = json!(20);
        vs["spec"]["http"][0]["route"][0]["weight"] = json!(80);
    });
    assert!(world.apply(&plan).is_err());
    assert_eq!(
        vs(&world, "reviews"),
        [json!(80), json!(20)],
        "nothing applied"
    );
    // Routes swapped by someone else: the destinations no longer match.
    let mut world = World::showcase();
    let plan = world.plan("shop/cart", Verb::Step).expect("step");
    world.touch("VirtualService", "shop", "cart", |vs| {
        let route = vs["spec"]["http"][0]["route"]
            .as_array_mut()
            .expect("route");
        route.swap(0, 1);
        route[0]["weight"] = json!(75);
        route[1]["weight"] = json!(25);
    });
    assert!(world.apply(&plan).is_err());
    // A merge patch with an old resourceVersion.
    let mut world = World::showcase();
    let plan = world.plan("shop/storefront", Verb::Step).expect("step");
    world.touch("Ingress", "shop", "storefront-canary", |_| {});
    assert!(world.apply(&plan).unwrap_err().contains("conflict"));
}

#[test]
fn istio_hosts_odd_weights_and_unready_canaries() {
    let mut world = World::showcase();
    world.act("shop/cart", Verb::Step);
    assert_eq!(vs(&world, "cart"), [json!(50), json!(50)]);
    // 80 + 10: normalised to 100, and the preview says so.
    let step = world.act("shop/ratings", Verb::Step);
    assert_eq!(vs(&world, "ratings"), [json!(75), json!(25)]);
    assert_eq!(
        step.caveats,
        ["VirtualService ratings: the weights summed to 90; after this they sum to 100."]
    );
    // A subset no DestinationRule defines has no pods: no traffic without force.
    let reason = world.refusal("shop/recommendations", Verb::Step);
    assert_eq!(
        reason,
        "canary canary has no ready pods (0 of 0); use --force to send it traffic anyway"
    );
    let forced = world
        .plan_with("shop/recommendations", Verb::Step, true)
        .expect("forced");
    world.apply(&forced).expect("apply");
    assert_eq!(vs(&world, "recommendations"), [json!(75), json!(25)]);
    // Back to stable is fine: it has pods.
    world.act("shop/recommendations", Verb::Rollback);
    assert_eq!(vs(&world, "recommendations"), [json!(100), json!(0)]);
}

fn web(route: Value, ready: (i64, i64)) -> World {
    two_tracks(ready, vec![route])
}

fn vs_web(route: Value) -> Value {
    json!({"apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
        "metadata": {"name": "web", "namespace": "ns"}, "spec": {"hosts": ["web"], "http": route}})
}

#[test]
fn istio_missing_weights_hostless_destinations_and_several_routes() {
    // Several destinations without weights are equal shares: `add`, tested by host.
    let mut world = web(
        vs_web(json!([{"route": [{"destination": {"host": "web-stable"}},
            {"destination": {"host": "web-canary"}}]}])),
        (2, 2),
    );
    let step = world.act("ns/web", Verb::Step);
    assert_eq!(step.summary, "canary web-canary 50% -> 100%");
    assert_eq!(
        step.changes[0].target.api_version,
        "networking.istio.io/v1beta1"
    );
    let Patch::Json(ops) = &step.changes[0].patch else {
        panic!("JSON")
    };
    assert!(ops.iter().any(|o| o["op"] == "add"), "{ops:#?}");
    assert!(!ops.iter().any(|o| o["op"] == "test" && o["path"].as_str().is_some_and(|p| p.ends_with("weight"))));
    let route = &world.get("VirtualService", "ns", "web")["spec"]["http"][0]["route"];
    assert_eq!(weights(route), [json!(0), json!(100)]);
    // A destination without a host is left out by recognition: positions still match.
    let mut world = web(
        vs_web(
            json!([{"match": [{"uri": {"prefix": "/x"}}], "route": [{"destination": {"host": "web-stable"}}]},
            {"name": "split", "route": [{"destination": {"host": "web-stable"}, "weight": 80},
                {"destination": {"port": {"number": 80}}, "weight": 0},
                {"destination": {"host": "web-canary"}, "weight": 20}]},
            {"route": [{"destination": {"host": "web-stable"}, "weight": 50},
                {"destination": {"host": "web-canary"}, "weight": 50}]}]),
        ),
        (2, 2),
    );
    let step = world.act("ns/web", Verb::Step);
    assert_eq!(
        fields(&step),
        [
            "spec.http[1].route[2].weight: 20 -> 25",
            "spec.http[1].route[0].weight: 80 -> 75"
        ]
    );
    assert_eq!(
        step.caveats,
        ["VirtualService web has 2 weighted http routes; only the first changes."]
    );
    let http = &world.get("VirtualService", "ns", "web")["spec"]["http"];
    assert_eq!(weights(&http[1]["route"]), [json!(75), json!(0), json!(25)]);
    assert_eq!(weights(&http[2]["route"]), [json!(50), json!(50)]);
}

#[test]
fn istio_readiness_and_flip_to_too_few_pods() {
    let route = vs_web(
        json!([{"route": [{"destination": {"host": "web-stable"}, "weight": 100},
        {"destination": {"host": "web-canary"}, "weight": 0}]}]),
    );
    let world = web(route.clone(), (2, 0));
    for verb in [Verb::Step, Verb::Promote, Verb::Flip] {
        let reason = world.refusal("ns/web", verb);
        assert!(reason.contains("has no ready pods (0 of 2)"), "{reason}");
        assert!(world.plan_with("ns/web", verb, true).is_ok());
    }
    let world = web(route, (2, 1));
    assert_eq!(
        world.refusal("ns/web", Verb::Flip),
        "canary web-canary has 1 of 2 pods ready; use --force to flip anyway"
    );
    assert!(
        world.plan("ns/web", Verb::Step).is_ok(),
        "a step needs one ready pod"
    );
    assert!(world.plan_with("ns/web", Verb::Flip, true).is_ok());
}

#[test]
fn gateway_keeps_proportions_with_add() {
    let mut world = World::showcase();
    let route = |w: &World| {
        weights(&w.get("HTTPRoute", "search", "autocomplete")["spec"]["rules"][0]["backendRefs"])
    };
    let step = world.act("search/autocomplete", Verb::Step);
    assert_eq!(step.summary, "canary 1.5.0 20% -> 25%");
    assert_eq!(
        fields(&step),
        [
            "spec.rules[0].backendRefs[1].weight: 200 -> 25",
            "spec.rules[0].backendRefs[0].weight: 800 -> 75"
        ]
    );
    let Patch::Json(ops) = &step.changes[0].patch else {
        panic!("JSON")
    };
    assert_eq!(
        ops[0],
        json!({"op": "test", "path": "/spec/rules/0/backendRefs/1/name", "value": "autocomplete-canary"})
    );
    assert!(
        ops.iter()
            .filter(|o| o["op"] != "test")
            .all(|o| o["op"] == "add")
    );
    assert_eq!(step.changes[0].target.plural, "httproutes");
    assert_eq!(route(&world), [json!(75), json!(25)]);
    world.act("search/autocomplete", Verb::Back);
    assert_eq!(route(&world), [json!(90), json!(10)]);

    let http_route = |refs: Value| {
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "web", "namespace": "ns"}, "spec": {"rules": [{"backendRefs": refs}]}})
    };
    // Absent weights are 1 each: 50/50; the step adds them.
    let mut world = web(
        http_route(json!([{"name": "web-stable"}, {"name": "web-canary"}])),
        (2, 2),
    );
    world.act("ns/web", Verb::Step);
    let refs = &world.get("HTTPRoute", "ns", "web")["spec"]["rules"][0]["backendRefs"];
    assert_eq!(weights(refs), [json!(0), json!(100)]);
    // A third backend with traffic: refused; with none: left alone.
    let third = |w: i64| {
        json!([{"name": "web-stable", "weight": 80}, {"name": "web-canary", "weight": 10},
            {"name": "web-stable", "port": 8080, "weight": w}])
    };
    let world = web(http_route(third(10)), (2, 2));
    let reason = world.refusal("ns/web", Verb::Step);
    assert_eq!(
        reason,
        "release ns/web sends traffic to web-stable, web-canary, web-stable; kshift moves traffic between two versions only"
    );
    let mut world = web(http_route(third(0)), (2, 2));
    world.act("ns/web", Verb::Step);
    let refs = &world.get("HTTPRoute", "ns", "web")["spec"]["rules"][0]["backendRefs"];
    assert_eq!(weights(refs), [json!(75), json!(25), json!(0)]);
}

#[test]
fn smi_writes_integers() {
    let mut world = World::showcase();
    let step = world.act("notifications/notifier", Verb::Step);
    assert_eq!(step.summary, "canary 1.5.0 30% -> 50%");
    assert_eq!(
        step.changes[0].target.api_version,
        "split.smi-spec.io/v1alpha2"
    );
    assert_eq!(step.changes[0].target.plural, "trafficsplits");
    let split = world.get("TrafficSplit", "notifications", "notifier");
    assert_eq!(weights(&split["spec"]["backends"]), [json!(50), json!(50)]);
    // v1alpha1 Quantities: read as written, replaced by plain integers.
    let split = |unnamed: i64| {
        json!({"apiVersion": "split.smi-spec.io/v1alpha1", "kind": "TrafficSplit",
            "metadata": {"name": "web", "namespace": "ns"},
            "spec": {"service": "web", "backends": [{"service": "web-stable", "weight": "900m"},
                {"weight": unnamed}, {"service": "web-canary", "weight": "100m"}]}})
    };
    // A backend without a service that gets traffic: the sum could not stay 100.
    let reason = web(split(5), (2, 2)).refusal("ns/web", Verb::Step);
    assert_eq!(
        reason,
        "TrafficSplit web also sends traffic to spec.backends[1], which names no service; kshift moves traffic between two versions only"
    );
    let mut world = web(split(0), (2, 2));
    let step = world.act("ns/web", Verb::Step);
    assert_eq!(
        fields(&step),
        [
            "spec.backends[2].weight: 100m -> 25",
            "spec.backends[0].weight: 900m -> 75"
        ]
    );
    let split = world.get("TrafficSplit", "ns", "web");
    assert_eq!(
        weights(&split["spec"]["backends"]),
        [json!(75), json!(0), json!(25)]
    );
}

#[test]
fn nginx_annotation_in_its_total() {
    let mut world = World::showcase();
    let weight = |w: &World| {
        w.get("Ingress", "shop", "storefront-canary")["metadata"]["annotations"]
            ["nginx.ingress.kubernetes.io/canary-weight"]
            .clone()
    };
    let step = world.act("shop/storefront", Verb::Step);
    assert_eq!(
        fields(&step),
        ["metadata.annotations[\"nginx.ingress.kubernetes.io/canary-weight\"]: 20 -> 25"]
    );
    assert_eq!(step.changes[0].target.api_version, "networking.k8s.io/v1");
    assert_eq!(weight(&world), "25");
    assert!(
        world
            .refusal("shop/storefront", Verb::Flip)
            .contains("the canary has 25%")
    );
    world.act("shop/storefront", Verb::Rollback);
    assert_eq!(weight(&world), "0");
    world.act("shop/storefront", Verb::Flip);
    assert_eq!(weight(&world), "100");
    world.act("shop/storefront", Verb::Flip);
    assert_eq!(weight(&world), "0");
    // In thousandths.
    world.touch("Ingress", "shop", "storefront-canary", |i| {
        let a = &mut i["metadata"]["annotations"];
        a["nginx.ingress.kubernetes.io/canary-weight-total"] = json!("1000");
        a["nginx.ingress.kubernetes.io/canary-weight"] = json!("100");
    });
    let step = world.act("shop/storefront", Verb::Step);
    assert_eq!(step.summary, "canary 1.5.0 10% -> 25%");
    assert_eq!(weight(&world), "250");
    // A canary without a primary has nothing to split with.
    world.touch("Ingress", "shop", "storefront", |i| {
        i["spec"]["rules"][0]["host"] = json!("elsewhere.example");
    });
    let reason = world.refusal("shop/storefront-canary", Verb::Step);
    assert!(
        reason.contains("has no primary Ingress beside it"),
        "{reason}"
    );
}
