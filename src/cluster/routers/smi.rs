//! SMI: a TrafficSplit's backends, weighted as proportions (Quantities in
//! v1alpha1, integers later), shown as percent.

use super::index::ObjKind;
use super::istio::local_service;
use super::json::{self, array_at, quantity, str_at};
use super::versions::{backend_version, finish_traffic, percent, service_backend};
use super::{Ctx, Draft};
use crate::model::{Kind, Strategy};

pub(crate) fn recognise(ctx: &mut Ctx<'_, '_>) {
    let ns = ctx.ns;
    for id in ctx.unclaimed(ObjKind::TrafficSplit) {
        let Some(split) = ns.get(id) else { continue };
        let name = json::name(split);
        let router = format!("TrafficSplit {name}");
        let mut draft = Draft::new(name, Kind::Smi, Strategy::Canary, id);
        let backends = array_at(split, &["spec", "backends"]);
        if backends.is_empty() {
            draft.warn(format!("{router} has no backends."));
        }
        let raw: Vec<f64> = backends
            .iter()
            .map(|b| {
                let service = str_at(b, &["service"]).unwrap_or("(no service)");
                match b.get("weight") {
                    None => {
                        draft.warn(format!(
                            "{router} backend {service} has no weight; counted as 0."
                        ));
                        0.0
                    }
                    Some(w) => match quantity(w) {
                        Some(q) if q >= 0.0 => q,
                        _ => {
                            draft.warn(format!(
                                "{router} backend {service} has the weight {w}, which is not a non-negative quantity; counted as 0."
                            ));
                            0.0
                        }
                    },
                }
            })
            .collect();
        let total: f64 = raw.iter().sum();
        if total <= 0.0 && !backends.is_empty() {
            draft.warn(format!(
                "{router}: every backend has weight 0, so it sends no traffic."
            ));
        }
        let mut clues = Vec::new();
        for (b, raw) in backends.iter().zip(raw) {
            let weight = if total > 0.0 {
                raw * 100.0 / total
            } else {
                0.0
            };
            let backend = match str_at(b, &["service"]) {
                Some(service) => service_backend(ns, &mut draft, service, &router),
                None => {
                    draft.warn(format!(
                        "{router} has a backend without a service ({}% of the traffic).",
                        percent(weight)
                    ));
                    continue;
                }
            };
            let (version, clue) = backend_version(ns, ctx.settings, &backend, weight);
            draft.versions.push(version);
            clues.push(clue);
        }
        // The root Service clients call is part of the release.
        if let Some(root) =
            str_at(split, &["spec", "service"]).and_then(|s| local_service(s, ns.name))
        {
            draft.objects.extend(ns.find(ObjKind::Service, root));
        }
        finish_traffic(ns, &mut draft, &clues);
        ctx.commit(draft);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::cluster::routers::testutil::{
        find, object_names, run, service, shape, track, weights_of,
    };
    use crate::model::{Kind, Phase, Role};

    fn split(backends: Value) -> Value {
        json!({"apiVersion": "split.smi-spec.io/v1alpha1", "kind": "TrafficSplit",
            "metadata": {"name": "web", "namespace": "ns"}, "spec": {"service": "web", "backends": backends}})
    }

    /// web-stable (3 of 3 ready) and web-canary (1 of 1).
    fn tracks() -> Vec<Value> {
        [
            track("web-stable", "r/web:1.0", 3, 3),
            track("web-canary", "r/web:2.0", 1, 1),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn weights(backends: Value) -> (Vec<f64>, Vec<String>) {
        let mut list = tracks();
        list.push(split(backends));
        weights_of(list, "web")
    }

    #[test]
    fn backends_weighted_in_percent() {
        let mut list = tracks();
        list.push(service("web", json!({"app": "web"})));
        list.push(split(json!([{"service": "web-stable", "weight": 70}, {"service": "web-canary", "weight": 30}])));
        let releases = run(list);
        assert_eq!(releases.len(), 1, "the root Service belongs to the split");
        let r = find(&releases, "web");
        assert_eq!((r.kind, r.phase), (Kind::Smi, Phase::Progressing));
        assert_eq!(
            shape(r),
            [
                ("web-stable".to_string(), Role::Stable, 70.0, 3, 3),
                ("web-canary".to_string(), Role::Canary, 30.0, 1, 1)
            ]
        );
        assert_eq!(
            object_names(r).last().map(String::as_str),
            Some("Service/web")
        );
    }

    #[test]
    fn quantities_and_odd_weights() {
        assert_eq!(
            weights(json!([{"service": "web-stable", "weight": "1"}, {"service": "web-canary", "weight": "500m"}])).0,
            [100.0 / 1.5, 50.0 / 1.5]
        );
        assert_eq!(
            weights(
                json!([{"service": "web-stable", "weight": "1k"}, {"service": "web-canary", "weight": 0}])
            ),
            (vec![100.0, 0.0], vec![])
        );
        let (w, warnings) = weights(
            json!([{"service": "web-stable", "weight": "heavy"}, {"service": "web-canary"}]),
        );
        assert_eq!(w, [0.0, 0.0]);
        assert_eq!(
            warnings,
            [
                "TrafficSplit web backend web-stable has the weight \"heavy\", which is not a non-negative quantity; counted as 0.",
                "TrafficSplit web backend web-canary has no weight; counted as 0.",
                "TrafficSplit web: every backend has weight 0, so it sends no traffic.",
            ]
        );
        let (w, warnings) =
            weights(json!([{"weight": 10}, {"service": "web-canary", "weight": 10}]));
        assert_eq!(w, [50.0]);
        assert_eq!(
            warnings,
            ["TrafficSplit web has a backend without a service (50% of the traffic)."]
        );
        assert_eq!(
            weights(json!("odd")),
            (
                vec![],
                vec!["TrafficSplit web has no backends.".to_string()]
            )
        );
    }
}
