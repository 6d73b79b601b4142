//! Argo Rollouts: a `Rollout` with its ReplicaSets, Services and routers.
//! Phase, SetWeight and roles as `kubectl argo rollouts` computes them.

use serde_json::Value;

use super::index::{Id, MANAGED_BY, ObjKind, selector_matches};
use super::istio::local_service;
use super::json::{self, array_at, at, int_at, label_pairs, str_at};
use super::versions::{missing_version, percent, read_weight, replicaset_version};
use super::{Ctx, Draft};
use crate::model::{Kind, Phase, Role, Step, Strategy, Version};

const HASH: &str = "rollouts-pod-template-hash";
const NGINX_CANARY: &str = "nginx.ingress.kubernetes.io/canary";

pub(crate) fn recognise(ctx: &mut Ctx<'_, '_>) {
    for id in ctx.unclaimed(ObjKind::Rollout) {
        if let Some(rollout) = ctx.ns.get(id) {
            let draft = build(ctx, id, rollout);
            ctx.commit(draft);
        }
    }
}

fn build(ctx: &Ctx<'_, '_>, id: Id, ro: &Value) -> Draft {
    let name = json::name(ro);
    let blue_green = at(ro, &["spec", "strategy", "blueGreen"]).is_some_and(Value::is_object);
    let strategy = if blue_green {
        Strategy::BlueGreen
    } else {
        Strategy::Canary
    };
    let mut draft = Draft::new(name, Kind::Argo, strategy, id);
    let replicasets = replicasets(ctx, ro);
    draft.objects.extend(replicasets.iter().map(|&index| Id {
        kind: ObjKind::ReplicaSet,
        index,
    }));
    claim_named(ctx, &mut draft, ro);
    draft.objects.extend(
        ctx.ns
            .managed_by(name)
            .iter()
            .filter(|m| !matches!(m.kind, ObjKind::Rollout | ObjKind::Canary)),
    );
    draft.phase = phase(ro);
    draft.waiting_at_step = draft.phase == Phase::Paused && waiting_at_step(ro);
    let lookup = |hash: &str| -> Option<&Value> {
        replicasets
            .iter()
            .filter_map(|&i| ctx.ns.items(ObjKind::ReplicaSet).get(i).copied())
            .find(|rs| json::label(at(rs, &["metadata", "labels"]), HASH).as_deref() == Some(hash))
    };
    let version = |hash: &str, role: Role, weight: f64, draft: &mut Draft| -> Version {
        match lookup(hash) {
            Some(rs) => replicaset_version(rs, hash, role, weight),
            None => {
                draft.warn(format!(
                    "Rollout {name}: no ReplicaSet has {HASH} {hash} (its {} version).",
                    role.as_str()
                ));
                missing_version(hash, role, weight)
            }
        }
    };
    let stable = str_at(ro, &["status", "stableRS"]).filter(|h| !h.is_empty());
    let current = str_at(ro, &["status", "currentPodHash"]).filter(|h| !h.is_empty());
    if blue_green {
        let active = str_at(ro, &["status", "blueGreen", "activeSelector"])
            .filter(|h| !h.is_empty())
            .or(stable)
            .or(current);
        let preview = str_at(ro, &["status", "blueGreen", "previewSelector"])
            .filter(|h| !h.is_empty() && Some(*h) != active);
        if let Some(hash) = active {
            let v = version(hash, Role::Active, 100.0, &mut draft);
            draft.versions.push(v);
        }
        if let Some(hash) = preview {
            let v = version(hash, Role::Preview, 0.0, &mut draft);
            draft.versions.push(v);
        }
    } else {
        let (canary_weight, stable_weight) = weights(ro, &mut draft.warnings);
        match (stable.or(current), current) {
            (Some(s), Some(c)) if s != c => {
                let v = version(s, Role::Stable, stable_weight, &mut draft);
                draft.versions.push(v);
                let v = version(c, Role::Canary, canary_weight, &mut draft);
                draft.versions.push(v);
            }
            (Some(s), _) => {
                let v = version(s, Role::Stable, 100.0, &mut draft);
                draft.versions.push(v);
            }
            (None, _) => {}
        }
        let steps = steps(ro);
        if !steps.is_empty() {
            let count = u32::try_from(steps.len()).unwrap_or(u32::MAX);
            let index = int_at(ro, &["status", "currentStepIndex"]).unwrap_or(0);
            draft.step = Some(Step {
                index: u32::try_from(index.max(0)).unwrap_or(u32::MAX).min(count),
                count,
            });
        }
        let scale = 100.0 / max_traffic_weight(ro);
        draft.plan = steps
            .iter()
            .filter_map(|s| s.get("setWeight").and_then(json::number))
            .map(|w| (w * scale).clamp(0.0, 100.0))
            .collect();
    }
    if draft.versions.is_empty() {
        draft.warn(format!(
            "Rollout {name} has not recorded its ReplicaSets yet (no status.stableRS or currentPodHash)."
        ));
    }
    draft
}

/// The ReplicaSets a rollout owns, or that carry a pod template hash and match
/// its selector (the controller adopts those).
fn replicasets(ctx: &Ctx<'_, '_>, ro: &Value) -> Vec<usize> {
    let ns = ctx.ns;
    let uid = str_at(ro, &["metadata", "uid"]);
    let mut found = ns.owned_replicasets(uid, "Rollout", json::name(ro));
    if let Some(selector) = at(ro, &["spec", "selector"]) {
        let match_labels = label_pairs(selector.get("matchLabels"));
        // Only matchExpressions: every ReplicaSet is a candidate.
        let candidates: Vec<usize> = if match_labels.is_empty() {
            (0..ns.items(ObjKind::ReplicaSet).len()).collect()
        } else {
            ns.rs_labels.select(&match_labels)
        };
        found.extend(candidates.into_iter().filter(|&i| {
            ns.rs_labels.get(i, HASH).is_some()
                && !ctx.is_claimed(Id {
                    kind: ObjKind::ReplicaSet,
                    index: i,
                })
                && selector_matches(selector, &ns.rs_labels, i)
        }));
    }
    found.sort_unstable();
    found.dedup();
    found
}

/// Adds the Services and routers the rollout names, warning about missing ones.
fn claim_named(ctx: &Ctx<'_, '_>, draft: &mut Draft, ro: &Value) {
    let ns = ctx.ns;
    let name = json::name(ro);
    let mut named: Vec<(ObjKind, &str, &str)> = Vec::new();
    let strategy = at(ro, &["spec", "strategy"]);
    let field = |path: &[&str]| strategy.and_then(|s| str_at(s, path));
    for (path, what) in [
        (&["canary", "canaryService"][..], "canaryService"),
        (&["canary", "stableService"], "stableService"),
        (&["canary", "pingPong", "pingService"], "pingService"),
        (&["canary", "pingPong", "pongService"], "pongService"),
        (&["blueGreen", "activeService"], "activeService"),
        (&["blueGreen", "previewService"], "previewService"),
    ] {
        if let Some(svc) = field(path) {
            named.push((ObjKind::Service, svc, what));
        }
    }
    let routing = strategy.and_then(|s| at(s, &["canary", "trafficRouting"]));
    if let Some(routing) = routing {
        named_routers(routing, name, ns.name, &mut named);
    }
    for (kind, object, what) in named {
        match ns.find(kind, object) {
            Some(id) => draft.objects.push(id),
            None => draft.warn(format!(
                "Rollout {name} names {what} {object}, but there is no {} {object} in namespace {}.",
                kind.as_str(),
                ns.name
            )),
        }
    }
    let Some(routing) = routing else {
        return;
    };
    // The canary Ingress the controller creates beside each stable one.
    let stable_ingresses: Vec<&str> = stable_ingresses(routing).collect();
    for stable in &stable_ingresses {
        for canary in [
            format!("{name}-{stable}-canary"),
            format!("{stable}-{name}-canary"),
        ] {
            draft.objects.extend(ns.find(ObjKind::Ingress, &canary));
        }
    }
    let hosts: Vec<&str> = stable_ingresses
        .iter()
        .filter_map(|s| ns.find(ObjKind::Ingress, s).and_then(|id| ns.get(id)))
        .flat_map(ingress_hosts)
        .collect();
    if !hosts.is_empty() {
        for (index, ing) in ns.items(ObjKind::Ingress).iter().enumerate() {
            let is_canary = json::annotation(ing, NGINX_CANARY).is_some_and(|c| c == "true");
            let managed_elsewhere =
                json::annotation(ing, MANAGED_BY).is_some_and(|owner| owner != name);
            if is_canary && !managed_elsewhere && ingress_hosts(ing).any(|h| hosts.contains(&h)) {
                draft.objects.push(Id {
                    kind: ObjKind::Ingress,
                    index,
                });
            }
        }
    }
    // The Services behind the routers' hosts are this rollout's too.
    let mut hosts: Vec<&str> = Vec::new();
    for id in &draft.objects {
        let Some(v) = ns.get(*id) else { continue };
        match id.kind {
            ObjKind::VirtualService => hosts.extend(
                array_at(v, &["spec", "hosts"])
                    .iter()
                    .filter_map(Value::as_str),
            ),
            ObjKind::DestinationRule => hosts.extend(str_at(v, &["spec", "host"])),
            ObjKind::TrafficSplit => hosts.extend(str_at(v, &["spec", "service"])),
            _ => {}
        }
    }
    if let Some(root) = str_at(routing, &["smi", "rootService"]) {
        hosts.push(root);
    }
    for host in hosts {
        if let Some(svc) = local_service(host, ns.name) {
            draft.objects.extend(ns.find(ObjKind::Service, svc));
        }
    }
    if let Some(workload) = str_at(ro, &["spec", "workloadRef", "name"])
        && str_at(ro, &["spec", "workloadRef", "kind"]).is_none_or(|k| k == "Deployment")
    {
        match ns.find(ObjKind::Deployment, workload) {
            Some(id) => draft.objects.push(id),
            None => draft.warn(format!(
                "Rollout {name} refers to Deployment {workload}, which does not exist in namespace {}.",
                ns.name
            )),
        }
    }
}

/// The routers `trafficRouting` names, by kind, name and the field naming them.
fn named_routers<'v>(
    routing: &'v Value,
    rollout: &'v str,
    ns: &str,
    named: &mut Vec<(ObjKind, &'v str, &'static str)>,
) {
    let istio = routing.get("istio");
    let services = istio
        .and_then(|i| i.get("virtualService"))
        .into_iter()
        .chain(istio.map_or(&[][..], |i| array_at(i, &["virtualServices"])));
    for vs in services {
        if let Some(vs) = str_at(vs, &["name"]) {
            // `name.namespace` is allowed; only this namespace is followed.
            let (vs, other) = vs.split_once('.').unwrap_or((vs, ns));
            if other == ns {
                named.push((ObjKind::VirtualService, vs, "virtualService"));
            }
        }
    }
    if let Some(dr) = istio.and_then(|i| str_at(i, &["destinationRule", "name"])) {
        named.push((ObjKind::DestinationRule, dr, "destinationRule"));
    }
    for stable in stable_ingresses(routing) {
        named.push((ObjKind::Ingress, stable, "stableIngress"));
    }
    let alb = routing.get("alb");
    for ing in alb.and_then(|a| str_at(a, &["ingress"])).into_iter().chain(
        alb.map_or(&[][..], |a| array_at(a, &["ingresses"]))
            .iter()
            .filter_map(Value::as_str),
    ) {
        named.push((ObjKind::Ingress, ing, "alb ingress"));
    }
    if let Some(smi) = routing.get("smi") {
        let split = str_at(smi, &["trafficSplitName"]).unwrap_or(rollout);
        named.push((ObjKind::TrafficSplit, split, "trafficSplitName"));
    }
    if let Some(gateway) = at(routing, &["plugins", "argoproj-labs/gatewayAPI"]) {
        let routes = str_at(gateway, &["httpRoute"]).into_iter().chain(
            array_at(gateway, &["httpRoutes"])
                .iter()
                .filter_map(|r| str_at(r, &["name"])),
        );
        for route in routes {
            named.push((ObjKind::HttpRoute, route, "httpRoute"));
        }
    }
}

fn stable_ingresses(routing: &Value) -> impl Iterator<Item = &str> {
    let nginx = routing.get("nginx");
    nginx
        .and_then(|n| str_at(n, &["stableIngress"]))
        .into_iter()
        .chain(
            nginx
                .map_or(&[][..], |n| array_at(n, &["stableIngresses"]))
                .iter()
                .filter_map(Value::as_str),
        )
}

fn ingress_hosts(ing: &Value) -> impl Iterator<Item = &str> {
    array_at(ing, &["spec", "rules"])
        .iter()
        .filter_map(|r| str_at(r, &["host"]))
}

fn steps(ro: &Value) -> &[Value] {
    array_at(ro, &["spec", "strategy", "canary", "steps"])
}

/// `trafficRouting.maxTrafficWeight`: the total weights are counted in (100 by default).
fn max_traffic_weight(ro: &Value) -> f64 {
    at(
        ro,
        &[
            "spec",
            "strategy",
            "canary",
            "trafficRouting",
            "maxTrafficWeight",
        ],
    )
    .and_then(json::number)
    .filter(|w| *w > 0.0)
    .unwrap_or(100.0)
}

/// Percent weights of canary and stable: `status.canary.weights` when the
/// controller wrote them, else the SetWeight of the current step.
fn weights(ro: &Value, warnings: &mut Vec<String>) -> (f64, f64) {
    let name = json::name(ro);
    let max = max_traffic_weight(ro);
    let written = at(ro, &["status", "canary", "weights"]);
    let read = |role: &str, warnings: &mut Vec<String>| {
        written.and_then(|w| {
            read_weight(
                at(w, &[role, "weight"]),
                &format!("Rollout {name} status.canary.weights.{role}"),
                warnings,
            )
        })
    };
    let canary = read("canary", warnings).unwrap_or_else(|| set_weight(ro, max));
    let canary = (canary * 100.0 / max).clamp(0.0, 100.0);
    let stable =
        read("stable", warnings).map_or(100.0 - canary, |s| (s * 100.0 / max).clamp(0.0, 100.0));
    if (canary + stable - 100.0).abs() > 1e-9 && written.is_some() {
        warnings.push(format!(
            "Rollout {name}: canary and stable weights sum to {}, not 100 (others go to experiments or additional versions).",
            percent(canary + stable)
        ));
    }
    (canary, stable)
}

/// Argo's `GetCurrentSetWeight`: 0 when aborted, all of it past the last step,
/// else the nearest setWeight at or before the current step.
fn set_weight(ro: &Value, max: f64) -> f64 {
    if at(ro, &["status", "abort"]).and_then(Value::as_bool) == Some(true) {
        return 0.0;
    }
    let steps = steps(ro);
    let index = int_at(ro, &["status", "currentStepIndex"])
        .unwrap_or(0)
        .max(0);
    let Ok(index) = usize::try_from(index) else {
        return max;
    };
    if index >= steps.len() {
        return max;
    }
    steps[..=index]
        .iter()
        .rev()
        .find_map(|s| s.get("setWeight").and_then(json::number))
        .unwrap_or(0.0)
}

/// Paused by the controller at a pause step (`CanaryPauseStep`, `BlueGreenPause`), not
/// by `spec.paused` (`kubectl argo rollouts pause`, kshift's `z`) or an inconclusive
/// analysis.
fn waiting_at_step(ro: &Value) -> bool {
    let conditions = array_at(ro, &["status", "pauseConditions"]);
    at(ro, &["spec", "paused"]).and_then(Value::as_bool) != Some(true)
        && !conditions.is_empty()
        && conditions.iter().all(|c| {
            matches!(
                str_at(c, &["reason"]),
                Some("CanaryPauseStep" | "BlueGreenPause")
            )
        })
}

/// Argo's `GetRolloutPhase`.
fn phase(ro: &Value) -> Phase {
    if let Some(generation) = int_at(ro, &["metadata", "generation"]) {
        // observedGeneration is a string in Rollouts ("3"); a number is read too.
        let observed = int_at(ro, &["status", "observedGeneration"]);
        if observed != Some(generation) {
            return Phase::Progressing;
        }
    }
    let controller_pause =
        at(ro, &["status", "controllerPause"]).and_then(Value::as_bool) == Some(true);
    if controller_pause && array_at(ro, &["status", "pauseConditions"]).is_empty() {
        return Phase::Progressing;
    }
    match str_at(ro, &["status", "phase"]) {
        Some("Healthy") => Phase::Healthy,
        Some("Progressing") => Phase::Progressing,
        Some("Paused") => Phase::Paused,
        Some("Degraded") => Phase::Degraded,
        _ => Phase::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::cluster::routers::testutil::{find, object_names, run, service, shape};
    use crate::model::{Kind, Phase, Role, Step, Strategy};

    fn rs(hash: &str, image: &str, replicas: i64, ready: i64, owned: bool) -> Value {
        let mut v = json!({"kind": "ReplicaSet",
            "metadata": {"name": format!("web-{hash}"), "namespace": "ns",
                "labels": {"app": "web", "rollouts-pod-template-hash": hash},
                "annotations": {"rollout.argoproj.io/revision": "1"}},
            "spec": {"replicas": replicas,
                "template": {"spec": {"containers": [{"name": "app", "image": image}]}}},
            "status": {"replicas": replicas, "readyReplicas": ready}});
        if owned {
            v["metadata"]["ownerReferences"] =
                json!([{"kind": "Rollout", "name": "web", "uid": "ro-uid"}]);
        }
        v
    }

    fn rollout(strategy: Value, status: Value) -> Value {
        json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "web", "namespace": "ns", "uid": "ro-uid", "generation": 3},
            "spec": {"replicas": 4, "selector": {"matchLabels": {"app": "web"}}, "strategy": strategy},
            "status": status})
    }

    fn steps() -> Value {
        json!([{"setWeight": 20}, {"pause": {}}, {"setWeight": 40}, {"pause": {"duration": "1m"}}])
    }

    #[test]
    fn canary_with_istio_reads_written_weights_and_claims_routers() {
        let releases = run(vec![
            rollout(
                json!({"canary": {"canaryService": "web-canary", "stableService": "web-stable",
                    "trafficRouting": {"istio": {"virtualService": {"name": "web", "routes": ["primary"]},
                        "destinationRule": {"name": "web", "canarySubsetName": "canary", "stableSubsetName": "stable"}}},
                    "steps": steps()}}),
                json!({"observedGeneration": "3", "phase": "Paused", "stableRS": "aaa", "currentPodHash": "bbb",
                    "currentStepIndex": 1, "controllerPause": true,
                    "pauseConditions": [{"reason": "CanaryPauseStep"}],
                    "canary": {"weights": {"canary": {"weight": 20}, "stable": {"weight": 80}}}}),
            ),
            rs("aaa", "r/web:1.0", 4, 4, true),
            rs("bbb", "r/web:2.0", 1, 1, true),
            service("web", json!({"app": "web"})),
            service(
                "web-stable",
                json!({"app": "web", "rollouts-pod-template-hash": "aaa"}),
            ),
            service(
                "web-canary",
                json!({"app": "web", "rollouts-pod-template-hash": "bbb"}),
            ),
            json!({"kind": "VirtualService", "metadata": {"name": "web", "namespace": "ns"},
                "spec": {"hosts": ["web"], "http": [{"name": "primary", "route": [
                    {"destination": {"host": "web", "subset": "stable"}, "weight": 80},
                    {"destination": {"host": "web", "subset": "canary"}, "weight": 20}]}]}}),
            json!({"kind": "DestinationRule", "metadata": {"name": "web", "namespace": "ns"},
                "spec": {"host": "web", "subsets": [{"name": "stable", "labels": {"rollouts-pod-template-hash": "aaa"}}]}}),
            json!({"kind": "HTTPRoute", "metadata": {"name": "web-extra", "namespace": "ns",
                "annotations": {"argo-rollouts.argoproj.io/managed-by-rollouts": "web"}},
                "spec": {"rules": [{"backendRefs": [{"name": "web-stable"}, {"name": "web-canary"}]}]}}),
        ]);
        assert_eq!(releases.len(), 1, "the routers belong to the rollout");
        let r = find(&releases, "web");
        assert_eq!(
            (r.kind, r.strategy, r.phase),
            (Kind::Argo, Strategy::Canary, Phase::Paused)
        );
        assert_eq!(r.step, Some(Step { index: 1, count: 4 }));
        assert_eq!(r.plan, [20.0, 40.0]);
        assert!(
            r.waiting_at_step,
            "held at its pause step, not by an operator"
        );
        assert_eq!(
            shape(r),
            [
                ("1.0".to_string(), Role::Stable, 80.0, 4, 4),
                ("2.0".to_string(), Role::Canary, 20.0, 1, 1)
            ]
        );
        assert_eq!(r.versions[1].images, ["r/web:2.0"]);
        assert_eq!(r.versions[0].revision, Some(1));
        assert_eq!(
            r.versions[1].workload.as_ref().map(|w| w.name.as_str()),
            Some("web-bbb")
        );
        assert_eq!(
            object_names(r),
            [
                "Rollout/web",
                "ReplicaSet/web-aaa",
                "ReplicaSet/web-bbb",
                "Service/web-canary",
                "Service/web-stable",
                "VirtualService/web",
                "DestinationRule/web",
                "Service/web",
                "HTTPRoute/web-extra",
            ]
        );
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }

    #[test]
    fn set_weight_rule_without_written_weights() {
        let at_step = |index: i64, abort: bool| {
            let releases = run(vec![
                rollout(
                    json!({"canary": {"steps": steps()}}),
                    json!({"observedGeneration": "3", "phase": "Progressing", "stableRS": "aaa",
                        "currentPodHash": "bbb", "currentStepIndex": index, "abort": abort}),
                ),
                rs("aaa", "r/web:1.0", 3, 3, true),
                rs("bbb", "r/web:2.0", 1, 1, true),
            ]);
            let r = find(&releases, "web").clone();
            (r.versions[0].weight, r.versions[1].weight)
        };
        assert_eq!(at_step(0, false), (80.0, 20.0));
        assert_eq!(at_step(1, false), (80.0, 20.0));
        assert_eq!(at_step(3, false), (60.0, 40.0));
        assert_eq!(at_step(3, true), (100.0, 0.0));
        assert_eq!(at_step(4, false), (0.0, 100.0));
    }

    #[test]
    fn fully_promoted_canary_is_one_stable_version() {
        let releases = run(vec![
            rollout(
                json!({"canary": {"steps": steps(), "trafficRouting": {"maxTrafficWeight": 1000,
                    "smi": {}, "nginx": {"stableIngress": "web"},
                    "plugins": {"argoproj-labs/gatewayAPI": {"httpRoutes": [{"name": "web-route"}]}}}}}),
                json!({"observedGeneration": 3, "phase": "Healthy", "stableRS": "aaa",
                    "currentPodHash": "aaa", "currentStepIndex": 4}),
            ),
            rs("aaa", "r/web:1.0", 4, 4, false),
            json!({"kind": "TrafficSplit", "metadata": {"name": "web", "namespace": "ns"},
                "spec": {"service": "web", "backends": [{"service": "web-stable", "weight": 1000}]}}),
            json!({"kind": "HTTPRoute", "metadata": {"name": "web-route", "namespace": "ns"},
                "spec": {"rules": [{"backendRefs": [{"name": "a"}, {"name": "b"}]}]}}),
            json!({"kind": "Ingress", "metadata": {"name": "web", "namespace": "ns"},
                "spec": {"rules": [{"host": "web.example", "http": {"paths": [{"path": "/",
                    "backend": {"service": {"name": "web-stable"}}}]}}]}}),
            json!({"kind": "Ingress", "metadata": {"name": "web-web-canary", "namespace": "ns",
                "annotations": {"nginx.ingress.kubernetes.io/canary": "true"}},
                "spec": {"rules": [{"host": "web.example"}]}}),
            json!({"kind": "Ingress", "metadata": {"name": "other-canary", "namespace": "ns",
                "annotations": {"nginx.ingress.kubernetes.io/canary": "true"}},
                "spec": {"rules": [{"host": "web.example"}]}}),
        ]);
        assert_eq!(releases.len(), 1, "{releases:#?}");
        let r = &releases[0];
        assert_eq!(shape(r), [("1.0".to_string(), Role::Stable, 100.0, 4, 4)]);
        assert_eq!(r.phase, Phase::Healthy);
        assert_eq!(r.plan, [2.0, 4.0], "weights out of maxTrafficWeight 1000");
        for name in [
            "TrafficSplit/web",
            "HTTPRoute/web-route",
            "Ingress/web",
            "Ingress/web-web-canary",
            "Ingress/other-canary",
        ] {
            assert!(
                object_names(r).contains(&name.to_string()),
                "{name} in {:?}",
                object_names(r)
            );
        }
    }

    #[test]
    fn blue_green_adopts_replicasets_by_selector() {
        let releases = run(vec![
            rollout(
                json!({"blueGreen": {"activeService": "web-active", "previewService": "web-preview"}}),
                json!({"observedGeneration": "3", "phase": "Paused", "stableRS": "aaa", "currentPodHash": "bbb",
                    "controllerPause": true, "pauseConditions": [{"reason": "BlueGreenPause"}],
                    "blueGreen": {"activeSelector": "aaa", "previewSelector": "bbb"}}),
            ),
            rs("aaa", "r/web:1.0", 3, 3, false),
            rs("bbb", "r/web:2.0", 3, 2, false),
            service(
                "web-active",
                json!({"app": "web", "rollouts-pod-template-hash": "aaa"}),
            ),
            service(
                "web-preview",
                json!({"app": "web", "rollouts-pod-template-hash": "bbb"}),
            ),
        ]);
        let r = find(&releases, "web");
        assert_eq!(
            (r.strategy, r.phase, r.step),
            (Strategy::BlueGreen, Phase::Paused, None)
        );
        assert_eq!(
            shape(r),
            [
                ("1.0".to_string(), Role::Active, 100.0, 3, 3),
                ("2.0".to_string(), Role::Preview, 0.0, 2, 3)
            ]
        );
        assert!(r.plan.is_empty());
        assert_eq!(releases.len(), 1);
    }

    #[test]
    fn odd_rollouts_warn_and_report_progress() {
        // observedGeneration behind the spec, a missing canary ReplicaSet and Service.
        let releases = run(vec![rollout(
            json!({"canary": {"canaryService": "gone", "steps": [{"setWeight": "x"}]}}),
            json!({"observedGeneration": "2", "phase": "Healthy", "stableRS": "aaa", "currentPodHash": "bbb",
                "canary": {"weights": {"canary": {"weight": "15"}}}}),
        )]);
        let r = find(&releases, "web");
        assert_eq!(r.phase, Phase::Progressing);
        assert_eq!(
            shape(r),
            [
                ("aaa".to_string(), Role::Stable, 85.0, 0, 0),
                ("bbb".to_string(), Role::Canary, 15.0, 0, 0)
            ]
        );
        let expected = [
            "Rollout web status.canary.weights.canary has its weight as the string \"15\", not a number; read as 15.",
            "Rollout web names canaryService gone, but there is no Service gone in namespace ns.",
            "Rollout web: no ReplicaSet has rollouts-pod-template-hash aaa (its stable version).",
            "Rollout web: no ReplicaSet has rollouts-pod-template-hash bbb (its canary version).",
        ];
        for w in expected {
            assert!(
                r.warnings.iter().any(|x| x == w),
                "{w:?} not in {:#?}",
                r.warnings
            );
        }
        // controllerPause without pauseConditions: unpausing.
        let releases = run(vec![rollout(
            json!({"canary": {}}),
            json!({"observedGeneration": "3", "phase": "Paused", "controllerPause": true}),
        )]);
        let r = find(&releases, "web");
        assert_eq!(r.phase, Phase::Progressing);
        assert!(r.versions.is_empty());
        assert!(
            r.warnings[0].contains("has not recorded its ReplicaSets"),
            "{:?}",
            r.warnings
        );
        // Paused by an operator (spec.paused), or on an inconclusive analysis: not a
        // step's wait.
        for (paused, reason) in [
            (true, "CanaryPauseStep"),
            (false, "InconclusiveAnalysisRun"),
        ] {
            let mut ro = rollout(
                json!({"canary": {}}),
                json!({"observedGeneration": "3", "phase": "Paused", "controllerPause": true,
                    "pauseConditions": [{"reason": reason}]}),
            );
            ro["spec"]["paused"] = json!(paused);
            let r = run(vec![ro]).remove(0);
            assert_eq!(
                (r.phase, r.waiting_at_step),
                (Phase::Paused, false),
                "{reason}"
            );
        }
        // No status at all, no generation: Unknown.
        let releases = run(vec![
            json!({"kind": "Rollout", "metadata": {"name": "bare", "namespace": "ns"}}),
        ]);
        assert_eq!(find(&releases, "bare").phase, Phase::Unknown);
    }
}
