//! Istio: a VirtualService whose http route splits traffic by weight over
//! subsets (DestinationRule) or hosts (Services).

use std::collections::HashMap;

use serde_json::Value;

use super::index::{Id, Ns, ObjKind};
use super::json::{self, array_at, at, selector_pairs, str_at};
use super::versions::{
    Backend, backend_version, finish_traffic, percent, read_weight, service_backend,
};
use super::{Ctx, Draft};
use crate::model::{Kind, Strategy};

/// The Service a mesh host names in namespace `ns`: `reviews`, `reviews.shop`,
/// `reviews.shop.svc.cluster.local`; none for other namespaces and outside hosts.
pub(crate) fn local_service<'h>(host: &'h str, ns: &str) -> Option<&'h str> {
    let mut parts = host.split('.');
    let name = parts.next().filter(|n| !n.is_empty() && !n.contains('*'))?;
    match parts.next() {
        None => Some(name),
        Some(n) if n == ns => match parts.next() {
            None | Some("svc") => Some(name),
            Some(_) => None,
        },
        Some(_) => None,
    }
}

pub(crate) fn recognise(ctx: &mut Ctx<'_, '_>) {
    let ns = ctx.ns;
    // DestinationRules by the Service their host names (shared rules count for every route).
    let mut rules: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, dr) in ns.items(ObjKind::DestinationRule).iter().enumerate() {
        if let Some(svc) = str_at(dr, &["spec", "host"]).and_then(|h| local_service(h, ns.name)) {
            rules.entry(svc).or_default().push(i);
        }
    }
    for id in ctx.unclaimed(ObjKind::VirtualService) {
        let Some(vs) = ns.get(id) else { continue };
        let http = array_at(vs, &["spec", "http"]);
        let weighted: Vec<&Value> = http.iter().filter(|h| is_weighted(h)).collect();
        let Some(first) = weighted.first() else {
            continue;
        };
        let name = json::name(vs);
        let router = format!("VirtualService {name}");
        let mut draft = Draft::new(name, Kind::Istio, Strategy::Canary, id);
        if weighted.len() > 1 {
            let label = str_at(first, &["name"]).map_or_else(String::new, |n| format!(" ({n})"));
            draft.warn(format!(
                "{router} has {} weighted http routes; only the first{label} is shown.",
                weighted.len()
            ));
        }
        let route = array_at(first, &["route"]);
        let weights = route_weights(route, &router, &mut draft.warnings);
        let mut clues = Vec::new();
        for (dest, weight) in route.iter().zip(weights) {
            let Some(host) = str_at(dest, &["destination", "host"]) else {
                draft.warn(format!(
                    "{router} has a route destination without a host; it is left out."
                ));
                continue;
            };
            let subset = str_at(dest, &["destination", "subset"]);
            let backend = resolve(ns, &rules, &mut draft, host, subset, weight);
            let (version, clue) = backend_version(ns, ctx.settings, &backend, weight);
            draft.versions.push(version);
            clues.push(clue);
        }
        for host in array_at(vs, &["spec", "hosts"])
            .iter()
            .filter_map(Value::as_str)
        {
            if let Some(svc) = local_service(host, ns.name) {
                draft.objects.extend(ns.find(ObjKind::Service, svc));
            }
        }
        finish_traffic(ns, &mut draft, &clues);
        ctx.commit(draft);
    }
}

/// An http route that splits: two destinations or more, or one below 100.
fn is_weighted(http: &Value) -> bool {
    match array_at(http, &["route"]) {
        [] => false,
        [one] => one
            .get("weight")
            .and_then(json::number)
            .is_some_and(|w| w < 100.0),
        _ => true,
    }
}

/// The raw weights of a route: a lone destination without one gets 100;
/// several without any get equal shares; a sum other than 100 is reported.
fn route_weights(route: &[Value], router: &str, warnings: &mut Vec<String>) -> Vec<f64> {
    let raw: Vec<Option<f64>> = route
        .iter()
        .map(|r| {
            let what = format!("{router} destination {}", describe(r));
            read_weight(r.get("weight"), &what, warnings)
        })
        .collect();
    if let [one] = raw.as_slice() {
        let w = one.unwrap_or(100.0);
        if w != 100.0 {
            warnings.push(format!(
                "{router}: weights sum to {}, not 100 ({}).",
                percent(w),
                percent(w)
            ));
        }
        return vec![w];
    }
    if raw.iter().all(Option::is_none) {
        warnings.push(format!(
            "{router} sets no weight on its {} destinations; they are shown as equal shares.",
            raw.len()
        ));
        let share = 100.0 / raw.len().max(1) as f64;
        return vec![share; raw.len()];
    }
    for (r, w) in route.iter().zip(&raw) {
        if w.is_none() {
            warnings.push(format!(
                "{router} destination {} has no weight while others have one; counted as 0.",
                describe(r)
            ));
        }
    }
    let weights: Vec<f64> = raw.into_iter().map(|w| w.unwrap_or(0.0)).collect();
    let sum: f64 = weights.iter().sum();
    if (sum - 100.0).abs() > 1e-9 {
        let terms: Vec<String> = weights.iter().map(|w| percent(*w)).collect();
        warnings.push(format!(
            "{router}: weights sum to {}, not 100 ({}).",
            percent(sum),
            terms.join(" + ")
        ));
    }
    weights
}

fn describe(route: &Value) -> String {
    let host = str_at(route, &["destination", "host"]).unwrap_or("(no host)");
    match str_at(route, &["destination", "subset"]) {
        Some(subset) => format!("{host} subset {subset}"),
        None => host.to_string(),
    }
}

/// The Deployments a destination reaches: a subset's labels within the host
/// Service's selector, or the host Service's selection.
fn resolve(
    ns: &Ns<'_>,
    rules: &HashMap<&str, Vec<usize>>,
    draft: &mut Draft,
    host: &str,
    subset: Option<&str>,
    weight: f64,
) -> Backend {
    let router = format!("VirtualService {}", draft.name);
    let mut backend = Backend {
        service: host.to_string(),
        subset: subset.map(str::to_string),
        deployments: Vec::new(),
    };
    let Some(service) = local_service(host, ns.name) else {
        draft.warn(format!(
            "{router} sends {}% to host {host}, which is not a Service in namespace {}.",
            percent(weight),
            ns.name
        ));
        return backend;
    };
    let Some(subset) = subset else {
        let mut resolved = service_backend(ns, draft, service, &router);
        resolved.service = host.to_string();
        return resolved;
    };
    let Some(svc) = ns.find(ObjKind::Service, service).and_then(|id| {
        draft.objects.push(id);
        ns.get(id)
    }) else {
        draft.warn(format!(
            "{router} sends {}% to host {host}, which is not a Service in namespace {}.",
            percent(weight),
            ns.name
        ));
        return backend;
    };
    // Every Deployment behind the host belongs to this release, routed or not.
    draft
        .objects
        .extend(ns.selected_deployments(svc).into_iter().map(|index| Id {
            kind: ObjKind::Deployment,
            index,
        }));
    let candidates = rules.get(service).map_or(&[][..], Vec::as_slice);
    let found = candidates.iter().find_map(|&i| {
        let dr = ns.items(ObjKind::DestinationRule).get(i)?;
        let s = array_at(dr, &["spec", "subsets"])
            .iter()
            .find(|s| str_at(s, &["name"]) == Some(subset))?;
        Some((i, json::name(dr), s))
    });
    let Some((index, rule, subset_spec)) = found else {
        match candidates.first().and_then(|&i| ns.items(ObjKind::DestinationRule).get(i)) {
            Some(dr) => draft.warn(format!(
                "{router} sends {}% to subset {subset}, which DestinationRule {} does not define.",
                percent(weight),
                json::name(dr)
            )),
            None => draft.warn(format!(
                "{router} sends {}% to subset {subset} of host {host}, but no DestinationRule for that host exists.",
                percent(weight)
            )),
        }
        if let Some(&index) = candidates.first() {
            draft.objects.push(Id {
                kind: ObjKind::DestinationRule,
                index,
            });
        }
        return backend;
    };
    draft.objects.push(Id {
        kind: ObjKind::DestinationRule,
        index,
    });
    let service_selector = selector_pairs(at(svc, &["spec", "selector"]));
    let subset_labels = selector_pairs(subset_spec.get("labels"));
    if let (Some(mut selector), Some(labels)) = (service_selector, subset_labels) {
        selector.extend(labels);
        backend.deployments = ns.pod_labels.select(&selector);
    }
    match backend.deployments.len() {
        0 => draft.warn(format!(
            "Subset {subset} of DestinationRule {rule} matches no Deployment behind Service {service}."
        )),
        1 => {}
        n => draft.warn(format!(
            "Subset {subset} of DestinationRule {rule} matches {n} Deployments; their pods are counted as one version."
        )),
    }
    draft
        .objects
        .extend(backend.deployments.iter().map(|&index| Id {
            kind: ObjKind::Deployment,
            index,
        }));
    backend
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::local_service;
    use crate::cluster::routers::testutil::{
        deployment, find, object_names, run, service, shape, track,
    };
    use crate::model::{DEFAULT_PLAN, Kind, Phase, Role};

    fn vs(http: Value) -> Value {
        json!({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": {"name": "web", "namespace": "ns"}, "spec": {"hosts": ["web"], "http": http}})
    }

    fn subsets(ready_v2: i64) -> Vec<Value> {
        vec![
            service("web", json!({"app": "web"})),
            deployment(
                "web-v1",
                json!({"app": "web", "version": "v1"}),
                "r/web:1.0",
                3,
                3,
            ),
            deployment(
                "web-v2",
                json!({"app": "web", "version": "v2"}),
                "r/web:2.0",
                2,
                ready_v2,
            ),
            json!({"kind": "DestinationRule", "metadata": {"name": "web", "namespace": "ns"},
                "spec": {"host": "web.ns.svc.cluster.local", "subsets": [
                    {"name": "stable", "labels": {"version": "v1"}},
                    {"name": "canary", "labels": {"version": "v2"}}]}}),
        ]
    }

    fn route(dest: &[(&str, Option<&str>, Value)]) -> Value {
        let route: Vec<Value> = dest
            .iter()
            .map(|(host, subset, weight)| {
                let mut d = json!({"destination": {"host": host}});
                if let Some(s) = subset {
                    d["destination"]["subset"] = json!(s);
                }
                if !weight.is_null() {
                    d["weight"] = weight.clone();
                }
                d
            })
            .collect();
        json!([{"name": "primary", "route": route}])
    }

    #[test]
    fn hosts_resolve_in_the_namespace_only() {
        assert_eq!(local_service("web", "ns"), Some("web"));
        assert_eq!(local_service("web.ns", "ns"), Some("web"));
        assert_eq!(local_service("web.ns.svc.cluster.local", "ns"), Some("web"));
        assert_eq!(local_service("web.other.svc.cluster.local", "ns"), None);
        assert_eq!(local_service("example.com", "ns"), None);
        assert_eq!(local_service("*.ns.svc.cluster.local", "ns"), None);
    }

    #[test]
    fn subsets_split_traffic() {
        let mut list = subsets(2);
        list.push(vs(route(&[
            ("web", Some("stable"), json!(90)),
            ("web.ns.svc.cluster.local", Some("canary"), json!(10)),
        ])));
        let releases = run(list);
        assert_eq!(
            releases.len(),
            1,
            "the Deployments and Service belong to it"
        );
        let r = find(&releases, "web");
        assert_eq!((r.kind, r.phase), (Kind::Istio, Phase::Progressing));
        assert_eq!(
            shape(r),
            [
                ("v1".to_string(), Role::Stable, 90.0, 3, 3),
                ("v2".to_string(), Role::Canary, 10.0, 2, 2)
            ]
        );
        assert_eq!(r.plan, DEFAULT_PLAN);
        assert_eq!(
            object_names(r),
            [
                "VirtualService/web",
                "Service/web",
                "Deployment/web-v1",
                "Deployment/web-v2",
                "DestinationRule/web"
            ]
        );
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }

    #[test]
    fn hosts_split_traffic_and_unready_canary_degrades() {
        let mut list: Vec<Value> = [
            track("web-main", "r/web:1.0", 3, 3),
            track("web-next", "r/web:2.0", 1, 0),
        ]
        .into_iter()
        .flatten()
        .collect();
        list.push(vs(route(&[
            ("web-main", None, json!(75)),
            ("web-next", None, json!(25)),
        ])));
        let releases = run(list);
        let r = find(&releases, "web");
        assert_eq!(
            shape(r),
            [
                ("web-main".to_string(), Role::Stable, 75.0, 3, 3),
                ("web-next".to_string(), Role::Canary, 25.0, 0, 1)
            ]
        );
        assert_eq!(r.phase, Phase::Degraded);
        assert_eq!(
            r.warnings,
            ["Deployment web-next receives 25% of the traffic but has no ready pods (0 of 1)."]
        );
    }

    #[test]
    fn weights_not_summing_to_100_are_shown_raw() {
        let mut list = subsets(2);
        list.push(vs(route(&[
            ("web", Some("stable"), json!(80)),
            ("web", Some("canary"), json!(10)),
        ])));
        let r = run(list);
        let r = find(&r, "web");
        assert_eq!((r.versions[0].weight, r.versions[1].weight), (80.0, 10.0));
        assert_eq!(
            r.warnings,
            ["VirtualService web: weights sum to 90, not 100 (80 + 10)."]
        );
        // A lone destination below 100 is a split too.
        let mut list = subsets(2);
        list.push(vs(route(&[("web", Some("stable"), json!(90))])));
        let r = run(list);
        let r = find(&r, "web");
        assert_eq!(shape(r), [("v1".to_string(), Role::Stable, 90.0, 3, 3)]);
        assert_eq!(
            r.warnings,
            ["VirtualService web: weights sum to 90, not 100 (90)."]
        );
    }

    #[test]
    fn unknown_subset_and_service_become_empty_versions() {
        let mut list = subsets(2);
        list.push(vs(route(&[
            ("web", Some("stable"), json!(70)),
            ("web", Some("beta"), json!(20)),
            ("gone", None, json!(5)),
            ("api.example.com", None, json!(5)),
        ])));
        let r = run(list);
        let r = find(&r, "web");
        assert_eq!(
            shape(r),
            [
                ("v1".to_string(), Role::Stable, 70.0, 3, 3),
                ("beta".to_string(), Role::Canary, 20.0, 0, 0),
                ("gone".to_string(), Role::Canary, 5.0, 0, 0),
                ("api.example.com".to_string(), Role::Canary, 5.0, 0, 0),
            ]
        );
        assert_eq!(
            r.warnings,
            [
                "VirtualService web sends 20% to subset beta, which DestinationRule web does not define.",
                "VirtualService web sends traffic to Service gone, which does not exist in namespace ns.",
                "VirtualService web sends 5% to host api.example.com, which is not a Service in namespace ns.",
            ]
        );
        assert_eq!(r.phase, Phase::Progressing);
    }

    #[test]
    fn missing_and_odd_weights() {
        let mut list = subsets(2);
        list.push(vs(route(&[
            ("web", Some("stable"), Value::Null),
            ("web", Some("canary"), Value::Null),
        ])));
        let r = run(list);
        let r = find(&r, "web");
        assert_eq!((r.versions[0].weight, r.versions[1].weight), (50.0, 50.0));
        assert_eq!(
            r.warnings,
            [
                "VirtualService web sets no weight on its 2 destinations; they are shown as equal shares."
            ]
        );
        let mut list = subsets(2);
        list.push(vs(route(&[
            ("web", Some("stable"), json!("95")),
            ("web", Some("canary"), json!({"x": 1})),
        ])));
        let r = run(list);
        let r = find(&r, "web");
        assert_eq!((r.versions[0].weight, r.versions[1].weight), (95.0, 0.0));
        assert_eq!(
            r.warnings,
            [
                "VirtualService web destination web subset stable has its weight as the string \"95\", not a number; read as 95.",
                "VirtualService web destination web subset canary has a weight that is not a number ({\"x\":1}); read as missing.",
                "VirtualService web destination web subset canary has no weight while others have one; counted as 0.",
                "VirtualService web: weights sum to 95, not 100 (95 + 0).",
            ]
        );
    }

    #[test]
    fn several_weighted_routes_use_the_first() {
        let mut list = subsets(2);
        let mut http = route(&[
            ("web", Some("stable"), json!(60)),
            ("web", Some("canary"), json!(40)),
        ]);
        let second = http[0].clone();
        if let Some(routes) = http.as_array_mut() {
            routes.push(second);
        }
        http[0]["match"] = json!([{"headers": {"x-beta": {"exact": "1"}}}]);
        // An unweighted route alone is no release.
        list.push(vs(http));
        list.push(
            json!({"kind": "VirtualService", "metadata": {"name": "plain", "namespace": "ns"},
            "spec": {"http": [{"route": [{"destination": {"host": "web"}}]}]}}),
        );
        let releases = run(list);
        assert_eq!(releases.len(), 1);
        assert_eq!(
            releases[0].warnings,
            ["VirtualService web has 2 weighted http routes; only the first (primary) is shown."]
        );
    }

    #[test]
    fn annotations_pause_and_plan() {
        let mut list = subsets(2);
        let mut v = vs(route(&[
            ("web", Some("stable"), json!(100)),
            ("web", Some("canary"), json!(0)),
        ]));
        v["metadata"]["annotations"] =
            json!({"kshift.dev/paused": "true", "kshift.dev/steps": "1, 5,50 ,100"});
        list.push(v);
        let r = run(list);
        let r = find(&r, "web");
        assert_eq!(r.phase, Phase::Paused);
        assert_eq!(r.plan, [1.0, 5.0, 50.0, 100.0]);
        let mut list = subsets(2);
        let mut v = vs(route(&[
            ("web", Some("stable"), json!(100)),
            ("web", Some("canary"), json!(0)),
        ]));
        v["metadata"]["annotations"] = json!({"kshift.dev/steps": "5,ten,200"});
        list.push(v);
        let r = run(list);
        let r = find(&r, "web");
        assert_eq!(r.phase, Phase::Healthy);
        assert_eq!(r.plan, DEFAULT_PLAN);
        assert_eq!(
            r.warnings,
            [
                "VirtualService web: annotation kshift.dev/steps \"5,ten,200\" is not a comma-separated list of percentages from 0 to 100; using the default plan 5, 10, 25, 50, 100."
            ]
        );
    }
}
