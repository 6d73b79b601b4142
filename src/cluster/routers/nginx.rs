//! NGINX Ingress: a canary Ingress (`canary: "true"`) beside a primary Ingress
//! with the same host and path; the canary gets `canary-weight` of
//! `canary-weight-total`.

use std::collections::HashMap;

use serde_json::Value;

use super::index::{Id, Ns, ObjKind};
use super::json::{self, array_at, at, str_at};
use super::versions::{
    Backend, backend_version, paused, percent, plan, service_backend, traffic_phase,
};
use super::{Ctx, Draft};
use crate::model::{Kind, Role, Strategy};

const PREFIX: &str = "nginx.ingress.kubernetes.io/";

/// `canary: "true"` as NGINX reads booleans.
fn is_canary(ing: &Value) -> bool {
    json::annotation(ing, &format!("{PREFIX}canary"))
        .is_some_and(|c| matches!(c.trim(), "true" | "True" | "TRUE" | "t" | "T" | "1"))
}

/// (host, path, backend Service) of every path of an Ingress, and of its default backend.
fn paths(ing: &Value) -> Vec<(&str, &str, Option<&str>)> {
    fn service(backend: &Value) -> Option<&str> {
        str_at(backend, &["service", "name"]).or_else(|| str_at(backend, &["serviceName"]))
    }
    let mut out = Vec::new();
    for rule in array_at(ing, &["spec", "rules"]) {
        let host = str_at(rule, &["host"]).unwrap_or("");
        for path in array_at(rule, &["http", "paths"]) {
            out.push((
                host,
                str_at(path, &["path"]).unwrap_or("/"),
                path.get("backend").and_then(service),
            ));
        }
    }
    let default = at(ing, &["spec", "defaultBackend"]).or_else(|| at(ing, &["spec", "backend"]));
    if let Some(backend) = default {
        out.push(("", "", service(backend)));
    }
    out
}

pub(crate) fn recognise(ctx: &mut Ctx<'_, '_>) {
    let ns = ctx.ns;
    let ingresses = ns.items(ObjKind::Ingress);
    let mut primaries: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (i, ing) in ingresses.iter().enumerate() {
        if !is_canary(ing) {
            for (host, path, _) in paths(ing) {
                primaries.entry((host, path)).or_default().push(i);
            }
        }
    }
    for id in ctx.unclaimed(ObjKind::Ingress) {
        let Some(canary) = ns.get(id).filter(|ing| is_canary(ing)) else {
            continue;
        };
        let canary_name = json::name(canary);
        let canary_paths = paths(canary);
        // The primary serving the canary's first (host, path) that has one.
        let primary = canary_paths.iter().find_map(|(host, path, svc)| {
            let &index = primaries.get(&(*host, *path))?.first()?;
            Some((
                Id {
                    kind: ObjKind::Ingress,
                    index,
                },
                *host,
                *path,
                *svc,
            ))
        });
        let primary_value = primary.and_then(|(pid, ..)| ns.get(pid));
        // A primary that belongs to another release does not lend its name.
        let name = match primary {
            Some((pid, ..)) if !ctx.is_claimed(pid) => ns.name_of(pid),
            _ => canary_name,
        };
        let mut draft = Draft::new(name, Kind::Nginx, Strategy::Canary, id);
        let weight = canary_weight(canary, &mut draft.warnings);
        match (primary, primary_value) {
            (Some((pid, host, path, canary_svc)), Some(p)) => {
                let primary_name = json::name(p);
                if ctx.is_claimed(pid) {
                    draft.warn(format!(
                        "Ingress {canary_name} is a canary of Ingress {primary_name}, which already belongs to another release; NGINX allows one canary per host and path."
                    ));
                } else {
                    draft.objects.insert(0, pid);
                }
                let stable_svc = paths(p)
                    .into_iter()
                    .find(|(h, pa, _)| *h == host && *pa == path)
                    .and_then(|(_, _, svc)| svc);
                push(ctx, &mut draft, p, stable_svc, Role::Stable, 100.0 - weight);
                push(ctx, &mut draft, canary, canary_svc, Role::Canary, weight);
            }
            _ => {
                draft.warn(format!(
                    "Ingress {canary_name} is an NGINX canary, but no Ingress in namespace {} serves the same host and path without the canary annotation.",
                    ns.name
                ));
                let svc = canary_paths.iter().find_map(|(_, _, svc)| *svc);
                push(ctx, &mut draft, canary, svc, Role::Canary, weight);
            }
        }
        draft.plan = plan(ns, &draft.objects, &mut draft.warnings);
        draft.phase = traffic_phase(&draft.versions, paused(ns, &draft.objects));
        ctx.commit(draft);
    }
}

/// Adds the version behind one Ingress backend.
fn push(
    ctx: &Ctx<'_, '_>,
    draft: &mut Draft,
    ing: &Value,
    svc: Option<&str>,
    role: Role,
    weight: f64,
) {
    let ns: &Ns<'_> = ctx.ns;
    let router = format!("Ingress {}", json::name(ing));
    let backend = match svc {
        Some(svc) => service_backend(ns, draft, svc, &router),
        None => {
            draft.warn(format!("{router} has no backend Service."));
            Backend {
                service: json::name(ing).to_string(),
                subset: None,
                deployments: Vec::new(),
            }
        }
    };
    let (mut version, _) = backend_version(ns, ctx.settings, &backend, weight);
    version.role = role;
    draft.versions.push(version);
}

/// The canary's percent: `canary-weight` of `canary-weight-total` (100).
fn canary_weight(ing: &Value, warnings: &mut Vec<String>) -> f64 {
    let name = json::name(ing);
    let read = |key: &str, warnings: &mut Vec<String>| -> Option<f64> {
        let value = at(ing, &["metadata", "annotations", &format!("{PREFIX}{key}")])?;
        let number = match value {
            Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
            other => json::number(other),
        };
        if number.is_none() {
            warnings.push(format!(
                "Ingress {name}: annotation {PREFIX}{key} is {value}, not a number; it is ignored."
            ));
        }
        number
    };
    let total = match read("canary-weight-total", warnings) {
        Some(t) if t > 0.0 => t,
        Some(t) => {
            warnings.push(format!(
                "Ingress {name}: canary-weight-total is {}; 100 is used instead.",
                percent(t)
            ));
            100.0
        }
        None => 100.0,
    };
    let weight = read("canary-weight", warnings).unwrap_or(0.0);
    if !(0.0..=total).contains(&weight) {
        warnings.push(format!(
            "Ingress {name}: canary-weight {} is outside 0 to {}; it is read as {}.",
            percent(weight),
            percent(total),
            percent(weight.clamp(0.0, total))
        ));
    }
    weight.clamp(0.0, total) * 100.0 / total
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::cluster::routers::testutil::{find, object_names, run, shape, track, weights_of};
    use crate::model::{Kind, Phase, Role};

    fn ingress(name: &str, host: &str, service: &str, annotations: Value) -> Value {
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": "ns", "annotations": annotations},
            "spec": {"ingressClassName": "nginx", "rules": [{"host": host, "http": {"paths": [
                {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": service, "port": {"number": 80}}}}]}}]}})
    }

    fn canary(weight: Value, total: Option<Value>) -> Value {
        let mut a = json!({"nginx.ingress.kubernetes.io/canary": "true"});
        if !weight.is_null() {
            a["nginx.ingress.kubernetes.io/canary-weight"] = weight;
        }
        if let Some(t) = total {
            a["nginx.ingress.kubernetes.io/canary-weight-total"] = t;
        }
        ingress("web-canary", "web.example", "web-canary", a)
    }

    fn base() -> Vec<Value> {
        let mut list: Vec<Value> = [
            track("web-stable", "r/web:1.0", 3, 3),
            track("web-canary", "r/web:2.0", 1, 1),
        ]
        .into_iter()
        .flatten()
        .collect();
        list.push(ingress("web", "web.example", "web-stable", json!({})));
        list
    }

    fn weights(canary_ingress: Value) -> (Vec<f64>, Vec<String>) {
        let mut list = base();
        list.push(canary_ingress);
        weights_of(list, "web")
    }

    #[test]
    fn canary_beside_its_primary() {
        let mut list = base();
        list.push(canary(json!("20"), None));
        let releases = run(list);
        assert_eq!(releases.len(), 1);
        let r = find(&releases, "web");
        assert_eq!((r.kind, r.phase), (Kind::Nginx, Phase::Progressing));
        assert_eq!(
            shape(r),
            [
                ("web-stable".to_string(), Role::Stable, 80.0, 3, 3),
                ("web-canary".to_string(), Role::Canary, 20.0, 1, 1)
            ]
        );
        assert_eq!(
            object_names(r),
            [
                "Ingress/web",
                "Ingress/web-canary",
                "Service/web-stable",
                "Deployment/web-stable",
                "Service/web-canary",
                "Deployment/web-canary"
            ]
        );
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }

    #[test]
    fn weights_of_a_total_and_odd_values() {
        assert_eq!(
            weights(canary(json!("250"), Some(json!("1000")))),
            (vec![75.0, 25.0], vec![])
        );
        assert_eq!(
            weights(canary(Value::Null, None)),
            (vec![100.0, 0.0], vec![])
        );
        let (w, warnings) = weights(canary(json!("lots"), None));
        assert_eq!(w, [100.0, 0.0]);
        assert_eq!(
            warnings,
            [
                "Ingress web-canary: annotation nginx.ingress.kubernetes.io/canary-weight is \"lots\", not a number; it is ignored."
            ]
        );
        let (w, warnings) = weights(canary(json!("150"), Some(json!("0"))));
        assert_eq!(w, [0.0, 100.0]);
        assert_eq!(
            warnings,
            [
                "Ingress web-canary: canary-weight-total is 0; 100 is used instead.",
                "Ingress web-canary: canary-weight 150 is outside 0 to 100; it is read as 100.",
            ]
        );
    }

    #[test]
    fn canary_without_primary_is_still_a_release() {
        let mut list: Vec<Value> = track("web-canary", "r/web:2.0", 1, 1).into();
        list.push(canary(json!("10"), None));
        list.push(ingress(
            "elsewhere",
            "other.example",
            "web-canary",
            json!({}),
        ));
        let releases = run(list);
        let r = find(&releases, "web-canary");
        assert_eq!(r.kind, Kind::Nginx);
        assert_eq!(
            shape(r),
            [("web-canary".to_string(), Role::Canary, 10.0, 1, 1)]
        );
        assert_eq!(
            r.warnings,
            [
                "Ingress web-canary is an NGINX canary, but no Ingress in namespace ns serves the same host and path without the canary annotation."
            ]
        );
    }

    #[test]
    fn a_second_canary_for_one_primary_is_flagged() {
        let mut list = base();
        list.push(canary(json!("10"), None));
        let mut second = canary(json!("5"), None);
        second["metadata"]["name"] = json!("web-canary2");
        list.push(second);
        let releases = run(list);
        let nginx: Vec<_> = releases.iter().filter(|r| r.kind == Kind::Nginx).collect();
        assert_eq!(nginx.len(), 2, "{releases:#?}");
        assert_eq!(nginx[1].name, "web-canary2");
        assert!(
            nginx[1].warnings[0].contains("already belongs to another release"),
            "{:?}",
            nginx[1].warnings
        );
        assert!(nginx[0].warnings.is_empty(), "{:?}", nginx[0].warnings);
    }
}
