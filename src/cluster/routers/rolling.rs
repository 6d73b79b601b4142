//! Rolling: every Deployment no other release took, one version per live
//! ReplicaSet revision, weighted by ready pods.

use serde_json::Value;

use super::index::{Id, ObjKind};
use super::json::{self, array_at, at, image_tag, int_at, str_at};
use super::versions::{desired, plan, ready, replicaset_version, revision};
use super::{Ctx, Draft};
use crate::model::{Kind, ObjectRef, Phase, Role, Strategy, Version};

pub(crate) fn recognise(ctx: &mut Ctx<'_, '_>) {
    let ns = ctx.ns;
    for id in ctx.unclaimed(ObjKind::Deployment) {
        let Some(d) = ns.get(id) else { continue };
        let name = ns.name_of(id);
        let mut draft = Draft::new(name, Kind::Rolling, Strategy::Rolling, id);
        let uid = str_at(d, &["metadata", "uid"]);
        // Each ReplicaSet with its revision, read once.
        let owned: Vec<(&Value, Option<i64>)> = ns
            .owned_replicasets(uid, "Deployment", name)
            .into_iter()
            .filter_map(|index| {
                let rs_id = Id {
                    kind: ObjKind::ReplicaSet,
                    index,
                };
                draft.objects.push(rs_id);
                ns.get(rs_id).map(|rs| (rs, revision(rs)))
            })
            .collect();
        // The Deployment's revision; without the annotation, the newest ReplicaSet's.
        let current = revision(d).or_else(|| owned.iter().filter_map(|(_, r)| *r).max());
        let mut live: Vec<(&Value, Option<i64>)> = owned
            .iter()
            .copied()
            .filter(|(rs, _)| {
                int_at(rs, &["spec", "replicas"]).unwrap_or(0) > 0
                    || int_at(rs, &["status", "replicas"]).unwrap_or(0) > 0
            })
            .collect();
        live.sort_by_key(|(_, r)| r.unwrap_or(0));
        if live.is_empty() {
            // Scaled to zero, or its ReplicaSets not listed: one version.
            let newest = owned.iter().find(|(_, r)| r.is_some() && *r == current);
            draft.versions.push(match newest {
                Some((rs, _)) => replicaset_version(rs, json::name(rs), Role::Stable, 100.0),
                None => deployment_version(d),
            });
        } else {
            let several = live.len() > 1;
            let total: i64 = live.iter().map(|(rs, _)| ready(rs)).sum();
            let count = live.len() as f64;
            for (rs, r) in live {
                let role = if several && r.is_some() && r == current {
                    Role::Canary
                } else {
                    Role::Stable
                };
                let weight = if total > 0 {
                    ready(rs) as f64 * 100.0 / total as f64
                } else {
                    100.0 / count
                };
                let fallback = str_at(rs, &["metadata", "labels", "pod-template-hash"])
                    .unwrap_or_else(|| json::name(rs));
                draft
                    .versions
                    .push(replicaset_version(rs, fallback, role, weight));
            }
        }
        draft.plan = plan(ns, &draft.objects, &mut draft.warnings);
        draft.phase = phase(d);
        ctx.commit(draft);
    }
}

/// A Deployment as its own single version, when no ReplicaSet of it is known.
fn deployment_version(d: &Value) -> Version {
    let images = json::images(at(d, &["spec", "template"]));
    Version {
        name: images
            .first()
            .map_or_else(|| json::name(d), |i| image_tag(i))
            .to_string(),
        role: Role::Stable,
        weight: 100.0,
        images,
        ready: ready(d),
        desired: desired(d),
        workload: Some(ObjectRef::new("Deployment", json::name(d))),
        revision: revision(d).and_then(|r| u64::try_from(r).ok()),
    }
}

/// As `kubectl rollout status` judges a Deployment.
fn phase(d: &Value) -> Phase {
    if at(d, &["spec", "paused"]).and_then(Value::as_bool) == Some(true) {
        return Phase::Paused;
    }
    let deadline_exceeded = array_at(d, &["status", "conditions"]).iter().any(|c| {
        str_at(c, &["type"]) == Some("Progressing")
            && str_at(c, &["reason"]) == Some("ProgressDeadlineExceeded")
    });
    if deadline_exceeded {
        return Phase::Degraded;
    }
    let status = |field: &str| int_at(d, &["status", field]).unwrap_or(0);
    let unobserved = int_at(d, &["metadata", "generation"])
        .is_some_and(|g| int_at(d, &["status", "observedGeneration"]).is_none_or(|o| o < g));
    let updated = status("updatedReplicas");
    if unobserved
        || updated < desired(d)
        || status("availableReplicas") < updated
        || status("replicas") > updated
    {
        Phase::Progressing
    } else {
        Phase::Healthy
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::cluster::routers::testutil::{deployment, find, object_names, run, shape};
    use crate::model::{Kind, Phase, Role, Strategy};

    fn web(revision: &str) -> Value {
        let mut d = deployment("web", json!({"app": "web"}), "r/web:2.0", 4, 4);
        d["metadata"]["annotations"] = json!({"deployment.kubernetes.io/revision": revision});
        d
    }

    fn rs(
        name: &str,
        revision: &str,
        image: &str,
        replicas: i64,
        ready: i64,
        cause: &str,
    ) -> Value {
        json!({"kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": "ns", "labels": {"app": "web", "pod-template-hash": "h"},
                "annotations": {"deployment.kubernetes.io/revision": revision, "kubernetes.io/change-cause": cause},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "uid-web"}]},
            "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "app", "image": image}]}}},
            "status": {"replicas": replicas, "readyReplicas": ready}})
    }

    #[test]
    fn a_rollout_in_progress_splits_by_ready_pods() {
        let mut d = web("3");
        d["status"]["updatedReplicas"] = json!(1);
        let releases = run(vec![
            d,
            rs("web-1", "1", "r/web:0.9", 0, 0, "first"),
            rs("web-2", "2", "r/web:1.0", 3, 3, "second"),
            rs("web-3", "3", "r/web:2.0", 1, 1, "third"),
        ]);
        let r = find(&releases, "web");
        assert_eq!(
            (r.kind, r.strategy, r.phase),
            (Kind::Rolling, Strategy::Rolling, Phase::Progressing)
        );
        assert_eq!(
            shape(r),
            [
                ("1.0".to_string(), Role::Stable, 75.0, 3, 3),
                ("2.0".to_string(), Role::Canary, 25.0, 1, 1)
            ]
        );
        assert_eq!(r.versions[1].revision, Some(3));
        assert_eq!(
            r.versions[1].workload.as_ref().map(|w| w.kind.as_str()),
            Some("ReplicaSet")
        );
        assert_eq!(r.change_causes, ["third", "second", "first"]);
        assert_eq!(
            object_names(r),
            [
                "Deployment/web",
                "ReplicaSet/web-1",
                "ReplicaSet/web-2",
                "ReplicaSet/web-3"
            ]
        );
        assert_eq!(r.plan, crate::model::DEFAULT_PLAN);
    }

    #[test]
    fn a_finished_rollout_is_one_stable_version() {
        let releases = run(vec![
            web("2"),
            rs("web-1", "1", "r/web:1.0", 0, 0, "a"),
            rs("web-2", "2", "r/web:2.0", 4, 4, "b"),
        ]);
        let r = find(&releases, "web");
        assert_eq!(r.phase, Phase::Healthy);
        assert_eq!(shape(r), [("2.0".to_string(), Role::Stable, 100.0, 4, 4)]);
        // Scaled to zero: the current ReplicaSet stands for it.
        let mut d = web("2");
        d["spec"]["replicas"] = json!(0);
        let releases = run(vec![
            d,
            rs("web-1", "1", "r/web:1.0", 0, 0, "a"),
            rs("web-2", "2", "r/web:2.0", 0, 0, "b"),
        ]);
        let r = find(&releases, "web");
        assert_eq!(shape(r), [("2.0".to_string(), Role::Stable, 100.0, 0, 0)]);
    }

    #[test]
    fn a_deployment_without_replicasets_is_its_own_version() {
        let phase_of = |d: Value| {
            let releases = run(vec![d]);
            let r = find(&releases, "web").clone();
            assert_eq!(shape(&r), [("2.0".to_string(), Role::Stable, 100.0, 4, 4)]);
            assert_eq!(
                r.versions[0].workload.as_ref().map(|w| w.kind.as_str()),
                Some("Deployment")
            );
            r.phase
        };
        assert_eq!(phase_of(web("1")), Phase::Healthy);
        let mut d = web("1");
        d["spec"]["paused"] = json!(true);
        assert_eq!(phase_of(d), Phase::Paused);
        let mut d = web("1");
        d["status"]["conditions"] = json!([{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]);
        assert_eq!(phase_of(d), Phase::Degraded);
        let mut d = web("1");
        d["metadata"]["generation"] = json!(2);
        assert_eq!(phase_of(d), Phase::Progressing);
        let mut d = web("1");
        d["status"]["replicas"] = json!(5);
        assert_eq!(phase_of(d), Phase::Progressing);
    }

    #[test]
    fn owners_by_name_without_uid_and_no_ready_pods() {
        let mut d = web("2");
        if let Some(meta) = d["metadata"].as_object_mut() {
            meta.remove("uid");
        }
        d["status"] = json!({});
        let mut older = rs("web-1", "1", "nginx", 2, 0, "a");
        older["spec"]["template"] = json!(null);
        let releases = run(vec![
            d,
            older,
            rs("web-2", "2", "r/web@sha256:0123456789abcdef", 2, 0, "b"),
        ]);
        let r = find(&releases, "web");
        assert_eq!(
            shape(r),
            [
                ("h".to_string(), Role::Stable, 50.0, 0, 2),
                ("0123456789ab".to_string(), Role::Canary, 50.0, 0, 2)
            ]
        );
        assert_eq!(r.phase, Phase::Progressing);
        assert_eq!(
            r.warnings,
            [
                "ReplicaSet web-1 receives 50% of the traffic but has no ready pods (0 of 2).",
                "ReplicaSet web-2 receives 50% of the traffic but has no ready pods (0 of 2).",
            ]
        );
    }
}
