//! Flagger: a `Canary` (flagger.app) with its target Deployment, the generated
//! `<target>-primary`, the Services and the router named after the apex.

use serde_json::Value;

use super::index::{Id, ObjKind};
use super::json::{self, array_at, at, str_at};
use super::versions::{Backend, backend_version, missing_version, percent, read_weight};
use super::{Ctx, Draft};
use crate::model::{Kind, Phase, Role, Strategy};

pub(crate) fn recognise(ctx: &mut Ctx<'_, '_>) {
    for id in ctx.unclaimed(ObjKind::Canary) {
        if let Some(canary) = ctx.ns.get(id) {
            let draft = build(ctx, id, canary);
            ctx.commit(draft);
        }
    }
}

fn build(ctx: &Ctx<'_, '_>, id: Id, canary: &Value) -> Draft {
    let ns = ctx.ns;
    let name = json::name(canary);
    let analysis =
        at(canary, &["spec", "analysis"]).or_else(|| at(canary, &["spec", "canaryAnalysis"]));
    let field = |key: &str| analysis.and_then(|a| a.get(key)).and_then(json::number);
    let step_weights: Vec<f64> = analysis
        .map_or(&[][..], |a| array_at(a, &["stepWeights"]))
        .iter()
        .filter_map(json::number)
        .collect();
    let step_weight = field("stepWeight").filter(|w| *w > 0.0);
    let iterations = field("iterations").is_some_and(|i| i > 0.0);
    let strategy = if iterations && step_weights.is_empty() && step_weight.is_none() {
        Strategy::BlueGreen
    } else {
        Strategy::Canary
    };
    let mut draft = Draft::new(name, Kind::Flagger, strategy, id);
    draft.phase = phase(canary);
    // A promotion gate (confirm-promotion webhook) waits, unless suspended.
    draft.waiting_at_step = draft.phase == Phase::Paused
        && str_at(canary, &["status", "phase"]) == Some("WaitingPromotion")
        && at(canary, &["spec", "suspend"]).and_then(Value::as_bool) != Some(true);
    draft.plan = if !step_weights.is_empty() {
        step_weights
    } else if let Some(step) = step_weight {
        let max = field("maxWeight")
            .filter(|w| *w > 0.0)
            .unwrap_or(100.0)
            .min(100.0);
        // Capped so that a tiny stepWeight cannot make a huge plan.
        (1..=1000)
            .map(|i| f64::from(i) * step)
            .take_while(|w| *w <= max + 1e-9)
            .collect()
    } else {
        vec![100.0]
    };
    let Some(target) = str_at(canary, &["spec", "targetRef", "name"]) else {
        draft.warn(format!("Canary {name} has no spec.targetRef.name."));
        return draft;
    };
    let target_kind = str_at(canary, &["spec", "targetRef", "kind"]).unwrap_or("Deployment");
    if target_kind != "Deployment" {
        draft.warn(format!(
            "Canary {name} targets {target_kind} {target}; kshift follows Deployments only."
        ));
        return draft;
    }
    let weight = read_weight(
        at(canary, &["status", "canaryWeight"]),
        &format!("Canary {name} status.canaryWeight"),
        &mut draft.warnings,
    )
    .unwrap_or(0.0);
    if weight > 100.0 {
        draft.warn(format!(
            "Canary {name} has canaryWeight {}, above 100; read as 100.",
            percent(weight)
        ));
    }
    let weight = weight.clamp(0.0, 100.0);
    let primary = format!("{target}-primary");
    for (deployment, role, share) in [
        (primary.as_str(), Role::Stable, 100.0 - weight),
        (target, Role::Canary, weight),
    ] {
        let version = match ns.find(ObjKind::Deployment, deployment) {
            Some(id) => {
                draft.objects.push(id);
                let backend = Backend {
                    service: deployment.to_string(),
                    subset: None,
                    deployments: vec![id.index],
                };
                backend_version(ns, ctx.settings, &backend, share).0
            }
            None => {
                draft.warn(format!(
                    "Canary {name}: Deployment {deployment} does not exist in namespace {}.",
                    ns.name
                ));
                missing_version(deployment, role, share)
            }
        };
        draft
            .versions
            .push(crate::model::Version { role, ..version });
    }
    let apex = str_at(canary, &["spec", "service", "name"]).unwrap_or(target);
    let owned = [
        (ObjKind::Service, apex.to_string()),
        (ObjKind::Service, format!("{apex}-primary")),
        (ObjKind::Service, format!("{apex}-canary")),
        (ObjKind::VirtualService, apex.to_string()),
        (ObjKind::HttpRoute, apex.to_string()),
        (ObjKind::TrafficSplit, apex.to_string()),
        (ObjKind::DestinationRule, format!("{apex}-primary")),
        (ObjKind::DestinationRule, format!("{apex}-canary")),
    ];
    let ingress = str_at(canary, &["spec", "ingressRef", "name"]);
    let ingresses = ingress.into_iter().flat_map(|i| {
        [
            (ObjKind::Ingress, i.to_string()),
            (ObjKind::Ingress, format!("{i}-canary")),
        ]
    });
    for (kind, object) in owned.into_iter().chain(ingresses) {
        draft.objects.extend(ns.find(kind, &object));
    }
    draft
}

/// Flagger's status.phase in `kubectl argo rollouts` words; `spec.suspend` pauses.
fn phase(canary: &Value) -> Phase {
    let status = str_at(canary, &["status", "phase"]);
    if matches!(status, Some("Failed" | "Terminating" | "Terminated")) {
        return Phase::Degraded;
    }
    if at(canary, &["spec", "suspend"]).and_then(Value::as_bool) == Some(true) {
        return Phase::Paused;
    }
    match status {
        Some("Initialized" | "Succeeded") => Phase::Healthy,
        Some("Initializing" | "Progressing" | "Promoting" | "Finalising") => Phase::Progressing,
        Some("Waiting" | "WaitingPromotion") => Phase::Paused,
        _ => Phase::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::cluster::routers::testutil::{deployment, find, object_names, run, service, shape};
    use crate::model::{Kind, Phase, Role, Strategy};

    fn canary(spec: Value, status: Value) -> Value {
        json!({"apiVersion": "flagger.app/v1beta1", "kind": "Canary",
            "metadata": {"name": "pay", "namespace": "ns"}, "spec": spec, "status": status})
    }

    fn target() -> Value {
        json!({"targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "pay"},
            "analysis": {"interval": "1m", "maxWeight": 50, "stepWeight": 10}})
    }

    fn deployments() -> [Value; 2] {
        [
            deployment("pay", json!({"app": "pay"}), "r/pay:2.0", 2, 2),
            deployment(
                "pay-primary",
                json!({"app": "pay-primary"}),
                "r/pay:1.0",
                3,
                3,
            ),
        ]
    }

    #[test]
    fn canary_with_its_generated_objects() {
        let mut list = vec![
            canary(
                target(),
                json!({"phase": "Progressing", "canaryWeight": 20}),
            ),
            service("pay", json!({"app": "pay-primary"})),
            service("pay-primary", json!({"app": "pay-primary"})),
            service("pay-canary", json!({"app": "pay"})),
            json!({"kind": "VirtualService", "metadata": {"name": "pay", "namespace": "ns"},
                "spec": {"hosts": ["pay"], "http": [{"route": [
                    {"destination": {"host": "pay-primary"}, "weight": 80},
                    {"destination": {"host": "pay-canary"}, "weight": 20}]}]}}),
            json!({"kind": "DestinationRule", "metadata": {"name": "pay-canary", "namespace": "ns"},
                "spec": {"host": "pay-canary"}}),
        ];
        list.extend(deployments());
        let releases = run(list);
        assert_eq!(releases.len(), 1, "the VirtualService is Flagger's");
        let r = find(&releases, "pay");
        assert_eq!(
            (r.kind, r.strategy, r.phase),
            (Kind::Flagger, Strategy::Canary, Phase::Progressing)
        );
        assert_eq!(
            shape(r),
            [
                ("1.0".to_string(), Role::Stable, 80.0, 3, 3),
                ("2.0".to_string(), Role::Canary, 20.0, 2, 2)
            ]
        );
        assert_eq!(r.plan, [10.0, 20.0, 30.0, 40.0, 50.0]);
        assert_eq!(
            object_names(r),
            [
                "Canary/pay",
                "Deployment/pay-primary",
                "Deployment/pay",
                "Service/pay",
                "Service/pay-primary",
                "Service/pay-canary",
                "VirtualService/pay",
                "DestinationRule/pay-canary",
            ]
        );
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }

    #[test]
    fn strategies_plans_and_phases() {
        let with = |analysis: Value, status: Value, suspend: bool| {
            let mut spec = target();
            spec["analysis"] = analysis;
            spec["suspend"] = json!(suspend);
            let mut list = vec![canary(spec, status)];
            list.extend(deployments());
            let releases = run(list);
            let r = find(&releases, "pay").clone();
            (r.strategy, r.phase, r.plan)
        };
        let steps = json!({"stepWeights": [1, 2, 10, 80]});
        assert_eq!(
            with(steps.clone(), json!({"phase": "Succeeded"}), false),
            (Strategy::Canary, Phase::Healthy, vec![1.0, 2.0, 10.0, 80.0])
        );
        let blue_green = json!({"iterations": 10});
        assert_eq!(
            with(blue_green, json!({"phase": "Initialized"}), false),
            (Strategy::BlueGreen, Phase::Healthy, vec![100.0])
        );
        let phase =
            |status: &str, suspend: bool| with(steps.clone(), json!({"phase": status}), suspend).1;
        assert_eq!(phase("WaitingPromotion", false), Phase::Paused);
        assert_eq!(phase("Promoting", false), Phase::Progressing);
        assert_eq!(phase("Succeeded", true), Phase::Paused);
        assert_eq!(phase("Failed", true), Phase::Degraded);
        assert_eq!(phase("Something", false), Phase::Unknown);
        let waiting = |status: &str, suspend: bool| {
            let mut spec = target();
            spec["analysis"] = steps.clone();
            spec["suspend"] = json!(suspend);
            let mut list = vec![canary(spec, json!({"phase": status}))];
            list.extend(deployments());
            find(&run(list), "pay").waiting_at_step
        };
        assert!(waiting("WaitingPromotion", false), "a promotion gate waits");
        assert!(
            !waiting("WaitingPromotion", true),
            "suspended by an operator"
        );
        assert!(!waiting("Waiting", false));
        let (_, _, plan) = with(json!({"stepWeight": 30}), json!({}), false);
        assert_eq!(plan, [30.0, 60.0, 90.0], "maxWeight defaults to 100");
    }

    #[test]
    fn odd_canaries_warn() {
        // Initialising: no primary yet; the weight as a string.
        let releases = run(vec![
            canary(
                target(),
                json!({"phase": "Initializing", "canaryWeight": "30"}),
            ),
            deployment("pay", json!({"app": "pay"}), "r/pay:2.0", 2, 2),
        ]);
        let r = find(&releases, "pay");
        assert_eq!(
            shape(r),
            [
                ("pay-primary".to_string(), Role::Stable, 70.0, 0, 0),
                ("2.0".to_string(), Role::Canary, 30.0, 2, 2)
            ]
        );
        assert_eq!(
            r.warnings,
            [
                "Canary pay status.canaryWeight has its weight as the string \"30\", not a number; read as 30.",
                "Canary pay: Deployment pay-primary does not exist in namespace ns.",
            ]
        );
        let releases = run(vec![canary(
            json!({"targetRef": {"kind": "DaemonSet", "name": "x"}}),
            json!({"canaryWeight": 150}),
        )]);
        assert_eq!(
            find(&releases, "pay").warnings,
            ["Canary pay targets DaemonSet x; kshift follows Deployments only."]
        );
        let mut list = vec![canary(
            json!({"targetRef": {"name": "pay"}}),
            json!({"canaryWeight": 150}),
        )];
        list.extend(deployments());
        let r = run(list);
        let r = find(&r, "pay");
        assert_eq!(r.versions[1].weight, 100.0);
        assert!(r.warnings[0].contains("above 100"), "{:?}", r.warnings);
        let releases = run(vec![canary(json!({}), json!(null))]);
        assert_eq!(
            find(&releases, "pay").warnings,
            ["Canary pay has no spec.targetRef.name."]
        );
    }

    #[test]
    fn nginx_provider_claims_both_ingresses() {
        let mut spec = target();
        spec["ingressRef"] = json!({"name": "pay"});
        let mut list = vec![
            canary(spec, json!({"phase": "Progressing", "canaryWeight": 10})),
            json!({"kind": "Ingress", "metadata": {"name": "pay", "namespace": "ns"},
                "spec": {"rules": [{"host": "pay.example", "http": {"paths": [{"path": "/",
                    "backend": {"service": {"name": "pay"}}}]}}]}}),
            json!({"kind": "Ingress", "metadata": {"name": "pay-canary", "namespace": "ns",
                "annotations": {"nginx.ingress.kubernetes.io/canary": "true",
                    "nginx.ingress.kubernetes.io/canary-weight": "10"}},
                "spec": {"rules": [{"host": "pay.example", "http": {"paths": [{"path": "/",
                    "backend": {"service": {"name": "pay-canary"}}}]}}]}}),
        ];
        list.extend(deployments());
        let releases = run(list);
        assert_eq!(releases.len(), 1, "no separate NGINX release");
        let names = object_names(&releases[0]);
        assert!(
            names.contains(&"Ingress/pay-canary".to_string()),
            "{names:?}"
        );
    }
}
