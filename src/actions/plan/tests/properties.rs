//! The invariants, over generated weights, plans and readiness.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::{World, two_tracks};
use crate::actions::Verb;
use crate::cluster::discover::{Settings, discover};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Router {
    Istio,
    Smi,
    Gateway,
    Nginx,
}

const ROUTERS: [Router; 4] = [Router::Istio, Router::Smi, Router::Gateway, Router::Nginx];

/// The router of `web` giving `canary` percent to web-canary, with a step plan.
fn router(kind: Router, canary: u32, plan: &[u32]) -> Vec<Value> {
    let steps: Vec<String> = plan.iter().map(u32::to_string).collect();
    let annotations = json!({"kshift.dev/steps": steps.join(",")});
    let stable = 100 - canary;
    let meta = json!({"name": "web", "namespace": "ns", "annotations": annotations});
    match kind {
        Router::Istio => vec![
            json!({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": meta, "spec": {"hosts": ["web"], "http": [{"route": [
                {"destination": {"host": "web-stable"}, "weight": stable},
                {"destination": {"host": "web-canary"}, "weight": canary}]}]}}),
        ],
        Router::Smi => vec![
            json!({"apiVersion": "split.smi-spec.io/v1alpha3", "kind": "TrafficSplit",
            "metadata": meta, "spec": {"service": "web", "backends": [
                {"service": "web-stable", "weight": stable}, {"service": "web-canary", "weight": canary}]}}),
        ],
        Router::Gateway => vec![
            json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": meta, "spec": {"rules": [{"backendRefs": [
                {"name": "web-stable", "weight": stable * 3}, {"name": "web-canary", "weight": canary * 3}]}]}}),
        ],
        Router::Nginx => {
            let ingress = |name: &str, service: &str, annotations: Value| {
                json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                    "metadata": {"name": name, "namespace": "ns", "annotations": annotations},
                    "spec": {"rules": [{"host": "web.example", "http": {"paths": [{"path": "/",
                        "backend": {"service": {"name": service, "port": {"number": 80}}}}]}}]}})
            };
            let mut annotations = annotations;
            annotations["nginx.ingress.kubernetes.io/canary"] = json!("true");
            annotations["nginx.ingress.kubernetes.io/canary-weight"] = json!(canary.to_string());
            vec![
                ingress("web", "web-stable", json!({})),
                ingress("web-canary", "web-canary", annotations),
            ]
        }
    }
}

/// (stable, canary) weights as written in the router, in percent.
fn written(world: &World, kind: Router) -> (f64, f64) {
    let pair = |list: &Value| {
        let w = |i: usize| list[i]["weight"].as_f64().unwrap_or(f64::NAN);
        (w(0), w(1))
    };
    match kind {
        Router::Istio => {
            pair(&world.get("VirtualService", "ns", "web")["spec"]["http"][0]["route"])
        }
        Router::Smi => pair(&world.get("TrafficSplit", "ns", "web")["spec"]["backends"]),
        Router::Gateway => {
            let (s, c) =
                pair(&world.get("HTTPRoute", "ns", "web")["spec"]["rules"][0]["backendRefs"]);
            (s * 100.0 / (s + c), c * 100.0 / (s + c))
        }
        Router::Nginx => {
            let ingress = world.get("Ingress", "ns", "web-canary");
            let c = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-weight"]
                .as_str()
                .and_then(|w| w.parse::<f64>().ok())
                .unwrap_or(f64::NAN);
            (100.0 - c, c)
        }
    }
}

/// Every router of these tests is release `ns/web`.
const KEY: &str = "ns/web";

fn verbs() -> impl Strategy<Value = Verb> {
    prop::sample::select(Verb::ALL.to_vec())
}

fn plans() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(0u32..=100, 1..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn percent_routers_keep_whole_weights_summing_to_100(
        canary in 0u32..=100,
        plan in plans(),
        verb in verbs(),
        smi in any::<bool>(),
    ) {
        let kind = if smi { Router::Smi } else { Router::Istio };
        let mut world = two_tracks((2, 2), router(kind, canary, &plan));
        if let Ok(p) = world.plan(KEY, verb) {
            world.apply(&p).map_err(TestCaseError::fail)?;
            let list = match kind {
                Router::Istio => world.get("VirtualService", "ns", "web")["spec"]["http"][0]["route"].clone(),
                _ => world.get("TrafficSplit", "ns", "web")["spec"]["backends"].clone(),
            };
            let weights: Vec<u64> = list.as_array().into_iter().flatten()
                .map(|e| e["weight"].as_u64().unwrap_or(u64::MAX)).collect();
            prop_assert!(weights.iter().all(|w| *w <= 100), "{weights:?}");
            prop_assert_eq!(weights.iter().sum::<u64>(), 100);
        }
    }

    #[test]
    fn step_then_back_returns_to_the_plan_value(
        plan in prop::collection::btree_set(0u32..100, 1..6),
        pick in any::<prop::sample::Index>(),
        which in 0usize..4,
    ) {
        let kind = ROUTERS[which];
        let plan: Vec<u32> = plan.into_iter().chain([100]).collect();
        let start = plan[pick.index(plan.len() - 1)];
        let mut world = two_tracks((2, 2), router(kind, start, &plan));
        let step = world.plan(KEY, Verb::Step).map_err(|r| TestCaseError::fail(r.reason))?;
        world.apply(&step).map_err(TestCaseError::fail)?;
        let (_, after_step) = written(&world, kind);
        prop_assert!(after_step > f64::from(start));
        let back = world.plan(KEY, Verb::Back).map_err(|r| TestCaseError::fail(r.reason))?;
        world.apply(&back).map_err(TestCaseError::fail)?;
        let (stable, canary) = written(&world, kind);
        prop_assert!((canary - f64::from(start)).abs() < 1e-9, "{canary} != {start}");
        prop_assert!((stable + canary - 100.0).abs() < 1e-9);
    }

    #[test]
    fn no_traffic_to_versions_without_ready_pods(
        canary in 0u32..=100,
        plan in plans(),
        verb in verbs(),
        ready in (0i64..=2, 0i64..=2),
        which in 0usize..5,
    ) {
        let (mut world, key) = match ROUTERS.get(which) {
            Some(&kind) => (two_tracks(ready, router(kind, canary, &plan)), KEY),
            None => (blue_green(ready, canary >= 50), "ns/web"),
        };
        let before = world.release(key);
        if let Ok(p) = world.plan(key, verb) {
            world.apply(&p).map_err(TestCaseError::fail)?;
            let after = world.release(key);
            for v in &after.versions {
                let old = before.versions.iter().find(|o| o.workload == v.workload);
                let Some(old) = old else { continue };
                if v.weight > old.weight + 1e-9 {
                    prop_assert!(old.ready > 0, "{} gained traffic with no ready pods: {p:#?}", v.name);
                }
            }
        }
    }

    #[test]
    fn replica_canaries_keep_the_total_and_scale_up_first(
        desired in (0i64..8, 0i64..8),
        ready in (0i64..8, 0i64..8),
        plan in plans(),
        verb in verbs(),
    ) {
        let ready = (ready.0.min(desired.0), ready.1.min(desired.1));
        let mut world = replicas(desired, ready, &plan);
        let read = |w: &World| {
            let r = |n: &str| w.get("Deployment", "ns", n)["spec"]["replicas"].as_i64().unwrap_or(-1);
            (r("web-stable"), r("web-canary"))
        };
        let Ok(p) = world.plan("ns/web", verb) else { return Ok(()) };
        prop_assert!(p.changes.iter().all(|c| c.subresource.as_deref() == Some("scale") || c.target.kind == "Service"));
        world.apply(&p).map_err(TestCaseError::fail)?;
        if p.changes.iter().all(|c| c.subresource.is_some()) {
            let (s, c) = read(&world);
            prop_assert_eq!(s + c, desired.0 + desired.1);
            let moves: Vec<(i64, i64)> = p.changes.iter().map(|c| {
                let n = |t: &str| t.parse::<i64>().unwrap_or(-1);
                (n(&c.fields[0].from), n(&c.fields[0].to))
            }).collect();
            prop_assert_eq!(moves.len(), 2);
            prop_assert!(moves[0].1 > moves[0].0, "scale up first: {moves:?}");
            prop_assert!(moves[1].1 < moves[1].0, "then down: {moves:?}");
            let grown = &p.changes[0].target.name;
            let grown_ready = if grown == "web-stable" { ready.0 } else { ready.1 };
            prop_assert!(grown_ready > 0, "{grown} grew without ready pods");
        }
    }

    #[test]
    fn odd_objects_never_panic(
        index in any::<prop::sample::Index>(),
        path in prop::sample::select(vec![
            "spec", "status", "metadata", "spec.http", "spec.rules", "spec.backends", "spec.selector",
            "spec.template", "spec.replicas", "spec.strategy", "status.pauseConditions",
            "metadata.annotations", "metadata.resourceVersion", "spec.paused", "spec.analysis",
        ]),
        value in odd_values(),
    ) {
        let mut world = World::showcase();
        let at = index.index(world.objects.len());
        let mut target = &mut world.objects[at];
        let parts: Vec<&str> = path.split('.').collect();
        for part in &parts[..parts.len() - 1] {
            if !target.is_object() {
                *target = json!({});
            }
            target = &mut target[*part];
        }
        if !target.is_object() {
            *target = json!({});
        }
        target[parts[parts.len() - 1]] = value;
        let objects = world.objects();
        for release in discover(&objects, &Settings::default()) {
            for verb in Verb::ALL {
                let _ = crate::actions::plan::plan(&release, &objects, verb, &Default::default());
            }
        }
    }
}

fn odd_values() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,8}".prop_map(Value::from),
        Just(json!("100")),
        Just(json!("true")),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "weight", "name", "host", "route", "image", "paused", "app"
                ]),
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

/// Service `web` selecting one of Deployments `web-blue` and `web-green` by color.
fn blue_green(ready: (i64, i64), green: bool) -> World {
    let deployment = |color: &str, ready: i64| {
        let labels = json!({"app": "web", "color": color});
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": format!("web-{color}"), "namespace": "ns"},
            "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"image": "r/web"}]}}},
            "status": {"replicas": 2, "readyReplicas": ready}})
    };
    let active = if green { "green" } else { "blue" };
    World::new(vec![
        deployment("blue", ready.0),
        deployment("green", ready.1),
        json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "ns",
                "annotations": {"kshift.dev/previous-active": if green { "blue" } else { "green" }}},
            "spec": {"selector": {"app": "web", "color": active}}}),
    ])
}

/// Service `web` over Deployments `web-stable` and `web-canary` with no router.
fn replicas(desired: (i64, i64), ready: (i64, i64), plan: &[u32]) -> World {
    let deployment = |name: &str, desired: i64, ready: i64| {
        let labels = json!({"app": "web", "track": name});
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "ns"},
            "spec": {"replicas": desired, "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"image": "r/web"}]}}},
            "status": {"replicas": desired, "readyReplicas": ready}})
    };
    let steps: Vec<String> = plan.iter().map(u32::to_string).collect();
    World::new(vec![
        deployment("web-stable", desired.0, ready.0),
        deployment("web-canary", desired.1, ready.1),
        json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "ns", "annotations": {"kshift.dev/steps": steps.join(",")}},
            "spec": {"selector": {"app": "web"}}}),
    ])
}
