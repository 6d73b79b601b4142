//! One recogniser per kind of release, run over one namespace at a time in the
//! order of `discover`, and what they share: the claims (an object belongs to
//! at most one release as its basis) and the release under construction.

pub(super) mod argo;
pub(super) mod flagger;
pub(super) mod gateway;
pub(super) mod index;
pub(super) mod istio;
pub(super) mod json;
pub(super) mod nginx;
pub(super) mod rolling;
pub(super) mod service;
pub(super) mod smi;
#[cfg(test)]
pub(super) mod testutil;
mod thresholds;
mod versions;

use std::cmp::Reverse;
use std::collections::HashSet;

use serde_json::Value;

use self::index::{Id, Ns, ObjKind};
use self::json::{annotation, array_at, str_at};
use super::discover::Settings;
use crate::ages::timestamp;
use crate::model::{Kind, Phase, Release, Step, Strategy, Version};

/// Recognition state of one namespace: which objects earlier releases claimed,
/// and the releases found so far.
pub(crate) struct Ctx<'a, 's> {
    pub ns: &'s Ns<'a>,
    pub settings: &'s Settings,
    claimed: [Vec<bool>; ObjKind::COUNT],
    pub out: Vec<Release>,
}

impl<'a, 's> Ctx<'a, 's> {
    pub(crate) fn new(ns: &'s Ns<'a>, settings: &'s Settings) -> Self {
        let claimed = ObjKind::ALL.map(|kind| vec![false; ns.items(kind).len()]);
        Ctx {
            ns,
            settings,
            claimed,
            out: Vec::new(),
        }
    }

    pub(crate) fn is_claimed(&self, id: Id) -> bool {
        self.claimed[id.kind as usize]
            .get(id.index)
            .copied()
            .unwrap_or(false)
    }

    /// The unclaimed objects of `kind`, in name order.
    pub(crate) fn unclaimed(&self, kind: ObjKind) -> Vec<Id> {
        (0..self.ns.items(kind).len())
            .map(|index| Id { kind, index })
            .filter(|id| !self.is_claimed(*id))
            .collect()
    }

    /// Turns a draft into a release and claims its objects.
    pub(crate) fn commit(&mut self, mut draft: Draft) {
        let mut seen = HashSet::new();
        draft.objects.retain(|id| seen.insert(*id));
        for id in &draft.objects {
            if let Some(flag) = self.claimed[id.kind as usize].get_mut(id.index) {
                *flag = true;
            }
        }
        let values: Vec<(Id, &Value)> = draft
            .objects
            .iter()
            .filter_map(|id| self.ns.get(*id).map(|v| (*id, v)))
            .collect();
        for v in &draft.versions {
            if v.weight > 0.0 && v.desired > 0 && v.ready == 0 {
                let what = v
                    .workload
                    .as_ref()
                    .map_or_else(|| v.name.clone(), |w| format!("{} {}", w.kind, w.name));
                draft.warnings.push(format!(
                    "{what} receives {}% of the traffic but has no ready pods (0 of {}).",
                    versions::percent(v.weight),
                    v.desired
                ));
            }
        }
        let thresholds = thresholds::thresholds(&values, &mut draft.warnings);
        let mut seen = HashSet::new();
        draft.warnings.retain(|w| seen.insert(w.clone()));
        self.out.push(Release {
            namespace: self.ns.name.to_string(),
            name: draft.name,
            kind: draft.kind,
            strategy: draft.strategy,
            phase: draft.phase,
            step: draft.step,
            versions: draft.versions,
            objects: values
                .iter()
                .map(|(id, _)| crate::model::ObjectRef::new(id.kind.as_str(), self.ns.name_of(*id)))
                .collect(),
            warnings: draft.warnings,
            plan: draft.plan,
            last_change: last_change(values.iter().map(|(_, v)| *v)),
            change_causes: change_causes(&values),
            thresholds,
            annotations: thresholds::kshift_annotations(&values),
            waiting_at_step: draft.waiting_at_step,
            autopilot: None,
        });
    }
}

/// A release under construction.
pub(crate) struct Draft {
    pub name: String,
    pub kind: Kind,
    pub strategy: Strategy,
    pub phase: Phase,
    pub step: Option<Step>,
    pub versions: Vec<Version>,
    /// Its objects, the basis first; claimed on commit.
    pub objects: Vec<Id>,
    pub warnings: Vec<String>,
    pub plan: Vec<f64>,
    /// See `Release::waiting_at_step`.
    pub waiting_at_step: bool,
}

impl Draft {
    pub(crate) fn new(name: &str, kind: Kind, strategy: Strategy, basis: Id) -> Self {
        Draft {
            name: name.to_string(),
            kind,
            strategy,
            phase: Phase::Unknown,
            step: None,
            versions: Vec::new(),
            objects: vec![basis],
            warnings: Vec::new(),
            plan: Vec::new(),
            waiting_at_step: false,
        }
    }

    pub(crate) fn warn(&mut self, warning: String) {
        self.warnings.push(warning);
    }
}

/// The latest change among the objects: creation, condition, the last write that was
/// not to the status, or kshift's own last action.
fn last_change<'v>(objects: impl Iterator<Item = &'v Value>) -> Option<String> {
    let mut latest: Option<(jiff::Timestamp, String)> = None;
    for v in objects {
        let conditions = array_at(v, &["status", "conditions"]).iter().flat_map(|c| {
            [
                str_at(c, &["lastUpdateTime"]),
                str_at(c, &["lastTransitionTime"]),
            ]
        });
        // What kshift did last (its annotation's `time`), and the last write that was
        // not to the status (`sources::slim` keeps it from managedFields).
        let action = json::annotation(v, "kshift.dev/last-action")
            .and_then(|text| serde_json::from_str::<Value>(text).ok())
            .and_then(|action| action["time"].as_str().map(str::to_string));
        let written = array_at(v, &["metadata", "managedFields"])
            .iter()
            .filter_map(|entry| str_at(entry, &["time"]));
        let times = [
            str_at(v, &["metadata", "creationTimestamp"]),
            // Flagger keeps its own, beside the conditions.
            str_at(v, &["status", "lastTransitionTime"]),
        ]
        .into_iter()
        .chain(conditions)
        .chain(written.map(Some))
        .flatten()
        .map(str::to_string)
        .chain(action);
        for text in times {
            if let Some(t) = timestamp(&text)
                && latest.as_ref().is_none_or(|(best, _)| t > *best)
            {
                latest = Some((t, text));
            }
        }
    }
    latest.map(|(_, text)| text)
}

/// `kubernetes.io/change-cause` of the workloads, newest first: ReplicaSets by
/// revision when there are any, else Deployments by creation time.
fn change_causes(objects: &[(Id, &Value)]) -> Vec<String> {
    const CAUSE: &str = "kubernetes.io/change-cause";
    let mut from_rs: Vec<(i64, &str)> = objects
        .iter()
        .filter(|(id, _)| id.kind == ObjKind::ReplicaSet)
        .filter_map(|(_, v)| Some((versions::revision(v).unwrap_or(0), annotation(v, CAUSE)?)))
        .collect();
    let mut causes: Vec<&str> = if from_rs.is_empty() {
        let mut from_deployments: Vec<(jiff::Timestamp, &str)> = objects
            .iter()
            .filter(|(id, _)| id.kind == ObjKind::Deployment)
            .filter_map(|(_, v)| {
                let created = str_at(v, &["metadata", "creationTimestamp"]).and_then(timestamp);
                Some((created.unwrap_or_default(), annotation(v, CAUSE)?))
            })
            .collect();
        from_deployments.sort_by_key(|c| Reverse(c.0));
        from_deployments.into_iter().map(|(_, c)| c).collect()
    } else {
        from_rs.sort_by_key(|c| Reverse(c.0));
        from_rs.into_iter().map(|(_, c)| c).collect()
    };
    causes.dedup();
    causes.into_iter().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_index_their_tables() {
        for (i, kind) in ObjKind::ALL.into_iter().enumerate() {
            assert_eq!(kind as usize, i);
        }
    }

    #[test]
    fn last_change_compares_offsets() {
        let a = json!({"metadata": {"creationTimestamp": "2026-11-21T10:00:00Z"}});
        let b = json!({"metadata": {"creationTimestamp": "2026-11-21T11:30:00+02:00"},
            "status": {"conditions": [{"lastUpdateTime": "bad"}, {"lastTransitionTime": 7}]}});
        assert_eq!(
            last_change([&a, &b].into_iter()).as_deref(),
            Some("2026-11-21T10:00:00Z")
        );
        assert_eq!(last_change([json!({})].iter()), None);
    }

    #[test]
    fn last_change_is_a_weight_or_kshift_action_not_only_creation() {
        // A VirtualService created long ago whose weights someone patched (its last
        // write, kept from managedFields), and a Service kshift acted on later.
        let router = json!({"metadata": {"creationTimestamp": "2026-01-01T00:00:00Z",
            "managedFields": [{"time": "2026-11-21T09:00:00Z"}]}});
        assert_eq!(
            last_change([&router].into_iter()).as_deref(),
            Some("2026-11-21T09:00:00Z")
        );
        let action = r#"{"verb":"rollback","time":"2026-11-21T09:30:00Z"}"#;
        let service = json!({"metadata": {"creationTimestamp": "2026-01-01T00:00:00Z",
            "annotations": {"kshift.dev/last-action": action}}});
        assert_eq!(
            last_change([&router, &service].into_iter()).as_deref(),
            Some("2026-11-21T09:30:00Z")
        );
    }

    #[test]
    fn change_causes_newest_first() {
        let rs = |rev: &str, cause: &str| {
            json!({"metadata": {"annotations": {
                "deployment.kubernetes.io/revision": rev, "kubernetes.io/change-cause": cause}}})
        };
        let (a, b, c) = (rs("1", "one"), rs("3", "three"), rs("2", "two"));
        let rs = |index| Id {
            kind: ObjKind::ReplicaSet,
            index,
        };
        let objects = [(rs(0), &a), (rs(1), &b), (rs(2), &c)];
        assert_eq!(change_causes(&objects), ["three", "two", "one"]);
    }
}
