//! Releases made by a Service alone: blue/green (its selector picks one of
//! several Deployments by a version label) and replica canaries (it selects
//! several Deployments, which share its traffic by ready pods).

use std::borrow::Cow;

use super::index::{Id, ObjKind};
use super::json::{self, at, selector_pairs};
use super::versions::{Backend, assign_roles, backend_version, paused, plan, traffic_phase};
use super::{Ctx, Draft};
use crate::model::{Kind, Role, Strategy};

/// The unclaimed Deployments among `candidates`.
fn unclaimed(ctx: &Ctx<'_, '_>, candidates: Vec<usize>) -> Vec<usize> {
    candidates
        .into_iter()
        .filter(|&index| {
            !ctx.is_claimed(Id {
                kind: ObjKind::Deployment,
                index,
            })
        })
        .collect()
}

fn backend(ctx: &Ctx<'_, '_>, index: usize) -> Backend {
    let name = ctx
        .ns
        .items(ObjKind::Deployment)
        .get(index)
        .map_or("", |d| json::name(d));
    Backend {
        service: name.to_string(),
        subset: None,
        deployments: vec![index],
    }
}

pub(crate) fn recognise_blue_green(ctx: &mut Ctx<'_, '_>) {
    let ns = ctx.ns;
    for id in ctx.unclaimed(ObjKind::Service) {
        let Some(svc) = ns.get(id) else { continue };
        let Some(selector) = selector_pairs(at(svc, &["spec", "selector"])) else {
            continue;
        };
        // The first version label of the selector that tells several Deployments apart.
        let found = ctx.settings.version_labels.iter().find_map(|key| {
            let (_, active) = selector.iter().find(|(k, _)| k == key)?;
            let rest: Vec<(&str, Cow<'_, str>)> =
                selector.iter().filter(|(k, _)| k != key).cloned().collect();
            if rest.is_empty() {
                return None;
            }
            let deployments: Vec<(usize, &str)> = unclaimed(ctx, ns.pod_labels.select(&rest))
                .into_iter()
                .filter_map(|i| Some((i, ns.pod_labels.get(i, key)?)))
                .collect();
            let mut values: Vec<&str> = deployments.iter().map(|(_, v)| *v).collect();
            values.sort_unstable();
            values.dedup();
            (values.len() >= 2).then(|| (key, active.clone(), deployments))
        });
        let Some((key, active, deployments)) = found else {
            continue;
        };
        let name = json::name(svc);
        let mut draft = Draft::new(name, Kind::Service, Strategy::BlueGreen, id);
        let (live, idle): (Vec<_>, Vec<_>) =
            deployments.iter().partition(|(_, v)| *v == active.as_ref());
        if live.is_empty() {
            let names: Vec<&str> = deployments
                .iter()
                .filter_map(|(i, _)| ns.items(ObjKind::Deployment).get(*i))
                .map(|d| json::name(d))
                .collect();
            draft.warn(format!(
                "Service {name} selects {key}={active}, which none of its Deployments ({}) has; no version receives traffic.",
                names.join(", ")
            ));
        }
        let share = 100.0 / live.len().max(1) as f64;
        for (index, role, weight) in live
            .iter()
            .map(|(i, _)| (*i, Role::Active, share))
            .chain(idle.iter().map(|(i, _)| (*i, Role::Preview, 0.0)))
        {
            let (version, _) = backend_version(ns, ctx.settings, &backend(ctx, index), weight);
            draft
                .versions
                .push(crate::model::Version { role, ..version });
            draft.objects.push(Id {
                kind: ObjKind::Deployment,
                index,
            });
        }
        draft.plan = plan(ns, &draft.objects, &mut draft.warnings);
        draft.phase = traffic_phase(&draft.versions, paused(ns, &draft.objects));
        ctx.commit(draft);
    }
}

pub(crate) fn recognise_replicas(ctx: &mut Ctx<'_, '_>) {
    let ns = ctx.ns;
    for id in ctx.unclaimed(ObjKind::Service) {
        let Some(svc) = ns.get(id) else { continue };
        let deployments = unclaimed(ctx, ns.selected_deployments(svc));
        if deployments.len() < 2 {
            continue;
        }
        let name = json::name(svc);
        let mut draft = Draft::new(name, Kind::Replicas, Strategy::Canary, id);
        let mut clues = Vec::new();
        for &index in &deployments {
            let (version, clue) = backend_version(ns, ctx.settings, &backend(ctx, index), 0.0);
            draft.versions.push(version);
            clues.push(clue);
            draft.objects.push(Id {
                kind: ObjKind::Deployment,
                index,
            });
        }
        let total: i64 = draft.versions.iter().map(|v| v.ready).sum();
        let count = draft.versions.len() as f64;
        if total == 0 {
            draft.warn(format!(
                "No Deployment behind Service {name} has ready pods; the versions are shown as equal shares."
            ));
        }
        for v in &mut draft.versions {
            v.weight = if total > 0 {
                v.ready as f64 * 100.0 / total as f64
            } else {
                100.0 / count
            };
        }
        assign_roles(&mut draft.versions, &clues, |v| v.desired as f64);
        // Nothing is patched by position here, so stable comes first.
        draft.versions.sort_by_key(|v| v.role != Role::Stable);
        draft.plan = plan(ns, &draft.objects, &mut draft.warnings);
        draft.phase = traffic_phase(&draft.versions, paused(ns, &draft.objects));
        ctx.commit(draft);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::cluster::routers::testutil::{deployment, find, object_names, run, service, shape};
    use crate::model::{Kind, Phase, Role, Strategy};

    fn colors(ready_green: i64) -> Vec<Value> {
        vec![
            deployment(
                "web-blue",
                json!({"app": "web", "color": "blue"}),
                "r/web:1.0",
                3,
                3,
            ),
            deployment(
                "web-green",
                json!({"app": "web", "color": "green"}),
                "r/web:2.0",
                3,
                ready_green,
            ),
        ]
    }

    #[test]
    fn blue_green_by_selector() {
        let mut list = colors(3);
        list.push(service("web", json!({"app": "web", "color": "blue"})));
        let releases = run(list);
        assert_eq!(releases.len(), 1);
        let r = find(&releases, "web");
        assert_eq!(
            (r.kind, r.strategy, r.phase),
            (Kind::Service, Strategy::BlueGreen, Phase::Healthy)
        );
        assert_eq!(
            shape(r),
            [
                ("blue".to_string(), Role::Active, 100.0, 3, 3),
                ("green".to_string(), Role::Preview, 0.0, 3, 3)
            ]
        );
        assert_eq!(
            object_names(r),
            ["Service/web", "Deployment/web-blue", "Deployment/web-green"]
        );
        // A preview still starting: progressing, no warning (it gets no traffic).
        let mut list = colors(1);
        let mut svc = service("web", json!({"app": "web", "color": "blue"}));
        list.push(svc.clone());
        let r = run(list);
        assert_eq!(find(&r, "web").phase, Phase::Progressing);
        assert!(find(&r, "web").warnings.is_empty());
        // Paused by annotation.
        svc["metadata"]["annotations"] = json!({"kshift.dev/paused": "true"});
        let mut list = colors(3);
        list.push(svc);
        assert_eq!(find(&run(list), "web").phase, Phase::Paused);
    }

    #[test]
    fn blue_green_selecting_no_deployment() {
        let mut list = colors(3);
        list.push(service("web", json!({"app": "web", "color": "red"})));
        let r = run(list);
        let r = find(&r, "web");
        assert_eq!(
            shape(r),
            [
                ("blue".to_string(), Role::Preview, 0.0, 3, 3),
                ("green".to_string(), Role::Preview, 0.0, 3, 3)
            ]
        );
        assert_eq!(
            r.warnings,
            [
                "Service web selects color=red, which none of its Deployments (web-blue, web-green) has; no version receives traffic."
            ]
        );
    }

    #[test]
    fn replicas_share_by_ready_pods() {
        let list = vec![
            deployment(
                "search-a",
                json!({"app": "search", "v": "a"}),
                "r/search:1.0",
                4,
                4,
            ),
            deployment(
                "search-b",
                json!({"app": "search", "v": "b"}),
                "r/search:2.0",
                1,
                1,
            ),
            service("search", json!({"app": "search"})),
            service("search-a", json!({"app": "search", "v": "a"})),
        ];
        let releases = run(list);
        assert_eq!(releases.len(), 1, "{releases:#?}");
        let r = find(&releases, "search");
        assert_eq!(
            (r.kind, r.strategy, r.phase),
            (Kind::Replicas, Strategy::Canary, Phase::Progressing)
        );
        assert_eq!(
            shape(r),
            [
                ("1.0".to_string(), Role::Stable, 80.0, 4, 4),
                ("2.0".to_string(), Role::Canary, 20.0, 1, 1)
            ]
        );
    }

    #[test]
    fn replicas_named_stable_and_none_ready() {
        let list = vec![
            deployment(
                "web-stable",
                json!({"app": "web", "v": "a"}),
                "r/web:1.0",
                1,
                0,
            ),
            deployment(
                "web-next",
                json!({"app": "web", "v": "b"}),
                "r/web:2.0",
                3,
                0,
            ),
            service("web", json!({"app": "web"})),
        ];
        let r = run(list);
        let r = find(&r, "web");
        assert_eq!(
            shape(r),
            [
                ("1.0".to_string(), Role::Stable, 50.0, 0, 1),
                ("2.0".to_string(), Role::Canary, 50.0, 0, 3)
            ]
        );
        assert_eq!(r.phase, Phase::Degraded);
        assert_eq!(
            r.warnings[0],
            "No Deployment behind Service web has ready pods; the versions are shown as equal shares."
        );
    }

    #[test]
    fn one_deployment_or_an_unreadable_selector_is_no_service_release() {
        let list = vec![
            deployment(
                "solo-a",
                json!({"app": "solo", "v": "a"}),
                "r/solo:1.0",
                1,
                1,
            ),
            deployment(
                "solo-b",
                json!({"app": "solo", "v": "b"}),
                "r/solo:1.0",
                1,
                1,
            ),
            service("empty", json!({})),
            service("odd", json!({"app": "solo", "track": ["x"]})),
            service("one", json!({"app": "solo", "v": "a"})),
        ];
        let releases = run(list);
        assert_eq!(releases.len(), 2, "{releases:#?}");
        assert!(releases.iter().all(|r| r.kind == Kind::Rolling));
    }
}
