//! Gateway API: an HTTPRoute whose rule sends traffic to several backendRefs,
//! each weighted as a proportion of the rule's total (default weight 1).

use serde_json::Value;

use super::index::ObjKind;
use super::json::{self, array_at, str_at};
use super::versions::{
    Backend, backend_version, finish_traffic, percent, read_weight, service_backend,
};
use super::{Ctx, Draft};
use crate::model::{Kind, Strategy};

pub(crate) fn recognise(ctx: &mut Ctx<'_, '_>) {
    let ns = ctx.ns;
    for id in ctx.unclaimed(ObjKind::HttpRoute) {
        let Some(route) = ns.get(id) else { continue };
        let rules: Vec<&Value> = array_at(route, &["spec", "rules"])
            .iter()
            .filter(|r| array_at(r, &["backendRefs"]).len() >= 2)
            .collect();
        let Some(rule) = rules.first() else { continue };
        let name = json::name(route);
        let router = format!("HTTPRoute {name}");
        let mut draft = Draft::new(name, Kind::Gateway, Strategy::Canary, id);
        if rules.len() > 1 {
            draft.warn(format!(
                "{router} has {} rules with several backendRefs; only the first is shown.",
                rules.len()
            ));
        }
        let refs = array_at(rule, &["backendRefs"]);
        let raw: Vec<f64> = refs
            .iter()
            .map(|r| {
                let what = format!(
                    "{router} backendRef {}",
                    str_at(r, &["name"]).unwrap_or("(no name)")
                );
                read_weight(r.get("weight"), &what, &mut draft.warnings).unwrap_or(1.0)
            })
            .collect();
        let total: f64 = raw.iter().sum();
        if total <= 0.0 {
            draft.warn(format!(
                "{router}: every backendRef has weight 0, so the rule sends no traffic."
            ));
        }
        let mut clues = Vec::new();
        for (backend_ref, raw) in refs.iter().zip(raw) {
            let weight = if total > 0.0 {
                raw * 100.0 / total
            } else {
                0.0
            };
            let backend = resolve(ns, &mut draft, backend_ref, weight, &router);
            let (version, clue) = backend_version(ns, ctx.settings, &backend, weight);
            draft.versions.push(version);
            clues.push(clue);
        }
        finish_traffic(ns, &mut draft, &clues);
        ctx.commit(draft);
    }
}

/// A backendRef to a Service of this namespace; other kinds and namespaces are
/// shown without pods.
fn resolve(
    ns: &super::index::Ns<'_>,
    draft: &mut Draft,
    backend_ref: &Value,
    weight: f64,
    router: &str,
) -> Backend {
    let name = str_at(backend_ref, &["name"]).unwrap_or("(no name)");
    let kind = str_at(backend_ref, &["kind"]).unwrap_or("Service");
    let group = str_at(backend_ref, &["group"]).unwrap_or("");
    let namespace = str_at(backend_ref, &["namespace"]).unwrap_or(ns.name);
    let unresolved = || Backend {
        service: name.to_string(),
        subset: None,
        deployments: Vec::new(),
    };
    if kind != "Service" || !group.is_empty() {
        draft.warn(format!(
            "{router} sends {}% to {kind} {name}, which kshift cannot follow to its pods.",
            percent(weight)
        ));
        return unresolved();
    }
    if namespace != ns.name {
        draft.warn(format!(
            "{router} sends {}% to Service {name} in namespace {namespace}, which kshift does not follow.",
            percent(weight)
        ));
        return unresolved();
    }
    service_backend(ns, draft, name, router)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::cluster::routers::testutil::{find, object_names, run, shape, track, weights_of};
    use crate::model::{Kind, Phase, Role};

    fn route(rules: Value) -> Value {
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "web", "namespace": "ns"}, "spec": {"parentRefs": [{"name": "gw"}], "rules": rules}})
    }

    fn backends() -> Vec<Value> {
        [
            track("web-stable", "r/web:1.0", 3, 3),
            track("web-canary", "r/web:2.0", 2, 2),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn weights(refs: Value) -> (Vec<f64>, Vec<String>) {
        let mut list = backends();
        list.push(route(json!([{"backendRefs": refs}])));
        weights_of(list, "web")
    }

    #[test]
    fn proportions_become_percent() {
        let mut list = backends();
        list.push(route(json!([{"backendRefs": [
            {"name": "web-stable", "port": 80, "weight": 800},
            {"name": "web-canary", "port": 80, "weight": 200}]}])));
        let releases = run(list);
        assert_eq!(releases.len(), 1);
        let r = find(&releases, "web");
        assert_eq!((r.kind, r.phase), (Kind::Gateway, Phase::Progressing));
        assert_eq!(
            shape(r),
            [
                ("web-stable".to_string(), Role::Stable, 80.0, 3, 3),
                ("web-canary".to_string(), Role::Canary, 20.0, 2, 2)
            ]
        );
        assert_eq!(
            object_names(r),
            [
                "HTTPRoute/web",
                "Service/web-stable",
                "Deployment/web-stable",
                "Service/web-canary",
                "Deployment/web-canary"
            ]
        );
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }

    #[test]
    fn default_zero_and_odd_weights() {
        assert_eq!(
            weights(json!([{"name": "web-stable"}, {"name": "web-canary"}])),
            (vec![50.0, 50.0], vec![])
        );
        assert_eq!(
            weights(
                json!([{"name": "web-stable", "weight": 0}, {"name": "web-canary", "weight": 0}])
            ),
            (
                vec![0.0, 0.0],
                vec![
                    "HTTPRoute web: every backendRef has weight 0, so the rule sends no traffic."
                        .to_string()
                ]
            )
        );
        let (w, warnings) = weights(
            json!([{"name": "web-stable", "weight": "3"}, {"name": "web-canary", "weight": 1}]),
        );
        assert_eq!(w, [75.0, 25.0]);
        assert_eq!(
            warnings,
            [
                "HTTPRoute web backendRef web-stable has its weight as the string \"3\", not a number; read as 3."
            ]
        );
    }

    #[test]
    fn backends_kshift_cannot_follow() {
        let (w, warnings) = weights(json!([
            {"name": "web-stable", "weight": 2},
            {"name": "gone", "weight": 1},
            {"name": "web-canary", "namespace": "other", "weight": 1},
            {"name": "svc-import", "group": "multicluster.x-k8s.io", "kind": "ServiceImport", "weight": 0}]));
        assert_eq!(w, [50.0, 25.0, 25.0, 0.0]);
        assert_eq!(
            warnings,
            [
                "HTTPRoute web sends traffic to Service gone, which does not exist in namespace ns.",
                "HTTPRoute web sends 25% to Service web-canary in namespace other, which kshift does not follow.",
                "HTTPRoute web sends 0% to ServiceImport svc-import, which kshift cannot follow to its pods.",
            ]
        );
    }

    #[test]
    fn only_rules_with_several_backends_count() {
        let mut list = backends();
        list.push(route(
            json!([{"backendRefs": [{"name": "web-stable"}]}, {"backendRefs": "odd"}]),
        ));
        let releases = run(list);
        assert!(
            releases.iter().all(|r| r.kind != Kind::Gateway),
            "{releases:?}"
        );
        let mut list = backends();
        let refs = json!({"backendRefs": [{"name": "web-stable"}, {"name": "web-canary"}]});
        list.push(route(json!([refs.clone(), refs])));
        let releases = run(list);
        assert_eq!(
            find(&releases, "web").warnings,
            ["HTTPRoute web has 2 rules with several backendRefs; only the first is shown."]
        );
    }
}
