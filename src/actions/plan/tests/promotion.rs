//! A canary driven to the end stays the canary: once it takes all traffic the
//! release is promoted, a step is refused, and back or rollback say they return
//! traffic to the older version. One world per kind whose roles are inferred (no
//! `stable`/`canary` in any name): roles follow the versions' ages, never weights.

use serde_json::{Value, json};

use super::World;
use crate::actions::Verb;
use crate::model::{Kind, Phase, Role};

/// Deployment `web-v1` or `web-v2` (pods labelled `version: v1|v2`), `replicas` ready.
fn deployment(version: &str, replicas: i64) -> Value {
    let labels = json!({"app": "web", "version": version});
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": format!("web-{version}"), "namespace": "ns", "uid": version,
            "creationTimestamp": "2026-11-01T00:00:00Z"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels.clone()},
            "template": {"metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": format!("r/web:{version}")}]}}},
        "status": {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas}})
}

fn service(name: &str, selector: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "ns"},
        "spec": {"selector": selector, "ports": [{"port": 80}]}})
}

/// Two versions, each behind a Service of its own, and `routers` splitting 90/10.
fn routed(routers: impl IntoIterator<Item = Value>) -> World {
    let mut objects = vec![
        deployment("v1", 3),
        deployment("v2", 3),
        service("web-v1", json!({"app": "web", "version": "v1"})),
        service("web-v2", json!({"app": "web", "version": "v2"})),
    ];
    objects.extend(routers);
    World::new(objects)
}

fn ingress(name: &str, service: &str, annotations: Value) -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": name, "namespace": "ns", "annotations": annotations},
        "spec": {"rules": [{"host": "web.example", "http": {"paths": [{"path": "/",
            "pathType": "Prefix", "backend": {"service": {"name": service, "port": {"number": 80}}}}]}}]}})
}

fn worlds() -> Vec<(Kind, World)> {
    vec![
        (
            Kind::Istio,
            routed([
                json!({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
                "metadata": {"name": "web", "namespace": "ns"},
                "spec": {"hosts": ["web"], "http": [{"route": [
                    {"destination": {"host": "web-v1"}, "weight": 90},
                    {"destination": {"host": "web-v2"}, "weight": 10}]}]}}),
            ]),
        ),
        (
            Kind::Gateway,
            routed([
                json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                "metadata": {"name": "web", "namespace": "ns"},
                "spec": {"rules": [{"backendRefs": [
                    {"name": "web-v1", "port": 80, "weight": 90},
                    {"name": "web-v2", "port": 80, "weight": 10}]}]}}),
            ]),
        ),
        (
            Kind::Smi,
            routed([
                json!({"apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit",
                "metadata": {"name": "web", "namespace": "ns"},
                "spec": {"service": "web", "backends": [
                    {"service": "web-v1", "weight": 90}, {"service": "web-v2", "weight": 10}]}}),
            ]),
        ),
        (
            Kind::Nginx,
            routed([
                ingress("web", "web-v1", json!({})),
                ingress(
                    "web-next",
                    "web-v2",
                    json!({"nginx.ingress.kubernetes.io/canary": "true",
                        "nginx.ingress.kubernetes.io/canary-weight": "10"}),
                ),
            ]),
        ),
        (
            Kind::Replicas,
            World::new(vec![
                deployment("v1", 9),
                deployment("v2", 1),
                service("web", json!({"app": "web"})),
            ]),
        ),
    ]
}

/// Pods become ready as Deployments ask: replica canaries weigh by ready pods.
fn settle(world: &mut World) {
    for o in &mut world.objects {
        if o["kind"] == "Deployment" {
            let replicas = o["spec"]["replicas"].clone();
            o["status"] = json!({"replicas": replicas, "readyReplicas": replicas,
                "availableReplicas": replicas});
        }
    }
}

/// (name, role, weight) of the versions of release `ns/web`.
fn versions(world: &World) -> Vec<(String, Role, f64)> {
    let release = world.release("ns/web");
    let mut v: Vec<_> = release
        .versions
        .iter()
        .map(|v| (v.name.clone(), v.role, v.weight))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn a_canary_stepped_to_the_end_is_promoted_and_never_stepped_back_as_new() {
    for (kind, mut world) in worlds() {
        assert_eq!(world.release("ns/web").kind, kind);
        let mut steps = 0;
        let refusal = loop {
            match world.plan("ns/web", Verb::Step) {
                Ok(plan) => {
                    assert!(plan.summary.starts_with("canary v2 "), "{kind:?}: {plan:?}");
                    world.apply(&plan).expect("applies");
                    settle(&mut world);
                    steps += 1;
                    assert!(steps < 10, "{kind:?} steps for ever");
                }
                Err(refusal) => break refusal.reason,
            }
        };
        assert_eq!(
            versions(&world),
            [
                ("v1".to_string(), Role::Stable, 0.0),
                ("v2".to_string(), Role::Canary, 100.0)
            ],
            "{kind:?} after {steps} steps: {refusal}"
        );
        assert!(
            refusal.starts_with("already promoted"),
            "{kind:?}: {refusal}"
        );
        assert_eq!(world.release("ns/web").phase, Phase::Promoted, "{kind:?}");
        let promote = world.refusal("ns/web", Verb::PromoteFull);
        assert!(
            promote.starts_with("already promoted"),
            "{kind:?}: {promote}"
        );
        // A promoted replica canary scaled the older version to 0: it has no ready
        // pods to send traffic to until forced.
        let force = kind == Kind::Replicas;
        let back = world
            .plan_with("ns/web", Verb::Rollback, force)
            .expect("a rollback");
        world.apply(&back).expect("applies");
        assert!(
            back.summary
                .contains("canary v2 100% -> 0%, traffic back to the older version v1"),
            "{kind:?}: {}",
            back.summary
        );
        settle(&mut world);
        assert_eq!(
            versions(&world),
            [
                ("v1".to_string(), Role::Stable, 100.0),
                ("v2".to_string(), Role::Canary, 0.0)
            ],
            "{kind:?} rolled back"
        );
    }
}
