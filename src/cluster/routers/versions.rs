//! Versions from workloads, roles from names and weights, and the rules shared
//! by the router kinds (phase, step plan, weights read with care).

use std::borrow::Cow;

use serde_json::Value;

use super::Draft;
use super::index::{Id, Ns, ObjKind};
use super::json::{self, Num, annotation, at, image_tag, int_at, num_field};
use crate::cluster::discover::Settings;
use crate::model::{DEFAULT_PLAN, ObjectRef, Phase, Role, Version};

pub(crate) use crate::model::percent;

/// A ReplicaSet's or Deployment's revision annotation.
pub(crate) fn revision(v: &Value) -> Option<i64> {
    [
        "deployment.kubernetes.io/revision",
        "rollout.argoproj.io/revision",
    ]
    .iter()
    .find_map(|key| annotation(v, key))
    .and_then(|r| r.trim().parse().ok())
}

/// Replica counts are int32 in the API: kept in that range, sums cannot overflow.
fn replicas(n: i64) -> i64 {
    n.clamp(0, i64::from(i32::MAX))
}

/// `spec.replicas`, which the API defaults to 1.
pub(crate) fn desired(v: &Value) -> i64 {
    match at(v, &["spec", "replicas"]) {
        None | Some(Value::Null) => 1,
        Some(r) => replicas(json::int(r).unwrap_or(0)),
    }
}

/// Ready pods: `status.readyReplicas`, else `availableReplicas`.
pub(crate) fn ready(v: &Value) -> i64 {
    replicas(
        int_at(v, &["status", "readyReplicas"])
            .or_else(|| int_at(v, &["status", "availableReplicas"]))
            .unwrap_or(0),
    )
}

fn template(v: &Value) -> Option<&Value> {
    at(v, &["spec", "template"])
}

/// The value of the first version label (in `settings` order) on a workload or its pod template.
pub(crate) fn version_label<'v>(settings: &Settings, workload: &'v Value) -> Option<Cow<'v, str>> {
    let own = at(workload, &["metadata", "labels"]);
    let pods = at(workload, &["spec", "template", "metadata", "labels"]);
    settings
        .version_labels
        .iter()
        .find_map(|key| json::label(own, key).or_else(|| json::label(pods, key)))
}

/// What a name says about a version's role: a word `canary`, or `stable`/`primary`.
pub(crate) fn role_hint<'w>(words: impl IntoIterator<Item = &'w str>) -> Option<Role> {
    words.into_iter().find_map(|word| {
        word.split(|c: char| !c.is_ascii_alphanumeric())
            .find_map(|token| {
                if token.eq_ignore_ascii_case("canary") {
                    Some(Role::Canary)
                } else if token.eq_ignore_ascii_case("stable")
                    || token.eq_ignore_ascii_case("primary")
                {
                    Some(Role::Stable)
                } else {
                    None
                }
            })
    })
}

/// What tells a version's role apart from its weight: the words of its names, and
/// when its newest workload was created.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Clue {
    pub hint: Option<Role>,
    pub created: Option<jiff::Timestamp>,
}

/// Roles from hints; without a stable hint, the newest unhinted version is the
/// canary and the largest `by` (weight, replicas; the first on a tie) of the
/// others is stable. Weights never decide which version is new: once a canary
/// takes all traffic it is a promoted canary, not the stable one, so that a step
/// can never send traffic back to the older version. Only when age cannot be told
/// (no ordered version names, equal creation times) does the largest become stable.
pub(crate) fn assign_roles(versions: &mut [Version], clues: &[Clue], by: fn(&Version) -> f64) {
    let clue = |i: usize| clues.get(i).copied().unwrap_or_default();
    let hint = |i: usize| clue(i).hint;
    let has_stable = (0..versions.len()).any(|i| hint(i) == Some(Role::Stable));
    let mut heaviest: Option<usize> = None;
    if !has_stable {
        let unhinted: Vec<usize> = (0..versions.len()).filter(|&i| hint(i).is_none()).collect();
        let mut pool = if unhinted.is_empty() {
            (0..versions.len()).collect()
        } else {
            unhinted
        };
        if let Some(newest) = newest(versions, clues, &pool) {
            pool.retain(|&i| i != newest);
        }
        for i in pool {
            if heaviest.is_none_or(|h| by(&versions[i]) > by(&versions[h])) {
                heaviest = Some(i);
            }
        }
    }
    for (i, v) in versions.iter_mut().enumerate() {
        v.role = if heaviest == Some(i) {
            Role::Stable
        } else {
            hint(i).unwrap_or(Role::Canary)
        };
    }
}

/// The one version of `pool` newer than every other, when that can be told: by the
/// order of version names of one shape (`v1` < `v2`, `1.9.0` < `1.10.0`), else by
/// the creation time of their workloads.
fn newest(versions: &[Version], clues: &[Clue], pool: &[usize]) -> Option<usize> {
    if pool.len() < 2 {
        return None;
    }
    let newer = |a: usize, b: usize| -> bool {
        match name_order(&versions[a].name, &versions[b].name) {
            Some(order) => order == std::cmp::Ordering::Greater,
            None => {
                let created = |i: usize| clues.get(i).and_then(|c| c.created);
                matches!((created(a), created(b)), (Some(x), Some(y)) if x > y)
            }
        }
    };
    pool.iter()
        .copied()
        .find(|&a| pool.iter().all(|&b| a == b || newer(a, b)))
}

/// The order of two version names of one shape: the same words in the same places,
/// numbers compared as numbers. `None` for names of different shapes or equal names.
pub(crate) fn name_order(a: &str, b: &str) -> Option<std::cmp::Ordering> {
    use std::cmp::Ordering;
    fn parts(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let mut digits: Option<bool> = None;
        for (i, c) in s.char_indices() {
            let d = c.is_ascii_digit();
            if digits.is_some_and(|was| was != d) {
                out.push((digits == Some(true), &s[start..i]));
                start = i;
            }
            digits = Some(d);
        }
        if start < s.len() {
            out.push((digits == Some(true), &s[start..]));
        }
        out
    }
    let (pa, pb) = (parts(a), parts(b));
    if pa.len() != pb.len() || !pa.iter().any(|(digits, _)| *digits) {
        return None;
    }
    let mut order = Ordering::Equal;
    for ((da, x), (db, y)) in pa.iter().zip(&pb) {
        if da != db {
            return None;
        }
        if *da {
            let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
            order = order.then(x.len().cmp(&y.len()).then_with(|| x.cmp(y)));
        } else if !x.eq_ignore_ascii_case(y) {
            return None;
        }
    }
    (order != Ordering::Equal).then_some(order)
}

/// Phase of a release whose traffic a router or Service splits.
pub(crate) fn traffic_phase(versions: &[Version], paused: bool) -> Phase {
    if versions
        .iter()
        .any(|v| v.weight > 0.0 && v.desired > 0 && v.ready == 0)
    {
        return Phase::Degraded;
    }
    if paused {
        return Phase::Paused;
    }
    let canary: f64 = versions
        .iter()
        .filter(|v| v.role == Role::Canary)
        .map(|v| v.weight)
        .sum();
    if (canary > 0.0 && canary < 100.0) || versions.iter().any(|v| v.ready < v.desired) {
        Phase::Progressing
    } else if canary >= 100.0 - 1e-9 && versions.len() > 1 {
        Phase::Promoted
    } else {
        Phase::Healthy
    }
}

/// The object kinds in the order their annotations count: routers, then
/// Services, then workloads.
pub(super) fn annotation_rank(kind: ObjKind) -> u8 {
    match kind {
        ObjKind::Service => 1,
        ObjKind::Deployment | ObjKind::ReplicaSet => 2,
        _ => 0,
    }
}

/// Whether a router or Service of the release carries `kshift.dev/paused: "true"`.
pub(crate) fn paused(ns: &Ns<'_>, objects: &[Id]) -> bool {
    objects.iter().any(|id| {
        id.kind.routes_traffic()
            && ns
                .get(*id)
                .and_then(|v| annotation(v, "kshift.dev/paused"))
                .is_some_and(|p| p.trim().eq_ignore_ascii_case("true"))
    })
}

/// The step plan from `kshift.dev/steps` on the router (or Service, or
/// Deployment), else the default one.
pub(crate) fn plan(ns: &Ns<'_>, objects: &[Id], warnings: &mut Vec<String>) -> Vec<f64> {
    const KEY: &str = "kshift.dev/steps";
    let mut ranked: Vec<&Id> = objects.iter().collect();
    ranked.sort_by_key(|id| annotation_rank(id.kind));
    let found = ranked.into_iter().find_map(|id| {
        let v = ns.get(*id)?;
        Some((id.kind, json::name(v), annotation(v, KEY)?))
    });
    let Some((kind, name, text)) = found else {
        return DEFAULT_PLAN.to_vec();
    };
    let parsed: Option<Vec<f64>> = text
        .split(',')
        .map(|step| {
            step.trim()
                .parse::<f64>()
                .ok()
                .filter(|w| (0.0..=100.0).contains(w))
        })
        .collect();
    match parsed {
        Some(steps) if !steps.is_empty() => steps,
        _ => {
            warnings.push(format!(
                "{} {name}: annotation {KEY} {text:?} is not a comma-separated list of percentages \
                 from 0 to 100; using the default plan 5, 10, 25, 50, 100.",
                kind.as_str()
            ));
            DEFAULT_PLAN.to_vec()
        }
    }
}

/// A weight field of a router: absent is `None`; a string holding a number, a
/// negative number or anything else is read as well as it can be, with a warning.
pub(crate) fn read_weight(
    v: Option<&Value>,
    what: &str,
    warnings: &mut Vec<String>,
) -> Option<f64> {
    let w = match num_field(v) {
        Num::Missing => return None,
        Num::Ok(w) => w,
        Num::FromString(w) => {
            warnings.push(format!(
                "{what} has its weight as the string \"{}\", not a number; read as {}.",
                v.and_then(Value::as_str).unwrap_or_default(),
                percent(w)
            ));
            w
        }
        Num::Invalid => {
            let text = v.map(Value::to_string).unwrap_or_default();
            let shown: String = text.chars().take(40).collect();
            warnings.push(format!(
                "{what} has a weight that is not a number ({shown}); read as missing."
            ));
            return None;
        }
    };
    if w < 0.0 {
        warnings.push(format!(
            "{what} has a negative weight ({}); read as 0.",
            percent(w)
        ));
        return Some(0.0);
    }
    Some(w)
}

/// What one weighted destination of a router resolves to.
pub(crate) struct Backend {
    /// The Service or host the router names.
    pub service: String,
    /// The Istio subset, if the route names one.
    pub subset: Option<String>,
    /// The Deployments serving it.
    pub deployments: Vec<usize>,
}

/// Resolves a Service a router sends traffic to, adding it and its Deployments
/// to the release; `router` names the router in warnings ("HTTPRoute web").
pub(crate) fn service_backend(
    ns: &Ns<'_>,
    draft: &mut Draft,
    service: &str,
    router: &str,
) -> Backend {
    let mut backend = Backend {
        service: service.to_string(),
        subset: None,
        deployments: Vec::new(),
    };
    let Some(id) = ns.find(ObjKind::Service, service) else {
        draft.warn(format!(
            "{router} sends traffic to Service {service}, which does not exist in namespace {}.",
            ns.name
        ));
        return backend;
    };
    draft.objects.push(id);
    let Some(svc) = ns.get(id) else {
        return backend;
    };
    backend.deployments = ns.selected_deployments(svc);
    note_selection(ns, draft, service, svc, &backend.deployments);
    backend
}

/// Adds the Deployments a Service selects to the release, with a warning when
/// they are none or several.
pub(crate) fn note_selection(
    ns: &Ns<'_>,
    draft: &mut Draft,
    service: &str,
    svc: &Value,
    deployments: &[usize],
) {
    let has_selector = at(svc, &["spec", "selector"])
        .and_then(Value::as_object)
        .is_some_and(|s| !s.is_empty());
    match deployments {
        [] if !has_selector => draft.warn(format!(
            "Service {service} has no selector, so the Deployment behind it is unknown."
        )),
        [] => draft.warn(format!("Service {service} selects no Deployment.")),
        [_] => {}
        several => {
            let names: Vec<&str> = several
                .iter()
                .filter_map(|&i| ns.items(ObjKind::Deployment).get(i))
                .map(|d| json::name(d))
                .collect();
            draft.warn(format!(
                "Service {service} selects {} Deployments ({}); their pods are counted as one version.",
                names.len(),
                names.join(", ")
            ));
        }
    }
    draft.objects.extend(deployments.iter().map(|&index| Id {
        kind: ObjKind::Deployment,
        index,
    }));
}

/// The version a backend stands for, with what its names say about its role.
pub(crate) fn backend_version(
    ns: &Ns<'_>,
    settings: &Settings,
    backend: &Backend,
    weight: f64,
) -> (Version, Clue) {
    let deployments: Vec<&Value> = backend
        .deployments
        .iter()
        .filter_map(|&i| ns.items(ObjKind::Deployment).get(i).copied())
        .collect();
    let labels: Vec<Cow<'_, str>> = deployments
        .iter()
        .flat_map(|d| {
            settings.version_labels.iter().filter_map(|key| {
                json::label(at(d, &["metadata", "labels"]), key).or_else(|| {
                    json::label(at(d, &["spec", "template", "metadata", "labels"]), key)
                })
            })
        })
        .collect();
    let words = backend
        .subset
        .iter()
        .map(String::as_str)
        .chain([backend.service.as_str()])
        .chain(deployments.iter().map(|d| json::name(d)))
        .chain(labels.iter().map(|l| l.as_ref()));
    let clue = Clue {
        hint: role_hint(words),
        created: deployments
            .iter()
            .filter_map(|d| json::str_at(d, &["metadata", "creationTimestamp"]))
            .filter_map(crate::ages::timestamp)
            .max(),
    };
    let mut images: Vec<String> = Vec::new();
    for d in &deployments {
        for image in json::images(template(d)) {
            if !images.contains(&image) {
                images.push(image);
            }
        }
    }
    let first = deployments.first();
    let name = first
        .and_then(|d| version_label(settings, d))
        .map(Cow::into_owned)
        .or_else(|| backend.subset.clone())
        .or_else(|| images.first().map(|i| image_tag(i).to_string()))
        .unwrap_or_else(|| backend.service.clone());
    let version = Version {
        name,
        role: Role::Stable,
        weight,
        images,
        ready: deployments.iter().map(|d| ready(d)).sum(),
        desired: deployments.iter().map(|d| desired(d)).sum(),
        workload: first.map(|d| ObjectRef::new("Deployment", json::name(d))),
        revision: first
            .and_then(|d| revision(d))
            .and_then(|r| u64::try_from(r).ok()),
    };
    (version, clue)
}

/// A version from one ReplicaSet (Argo's hashes, a Deployment's revisions).
pub(crate) fn replicaset_version(
    rs: &Value,
    fallback_name: &str,
    role: Role,
    weight: f64,
) -> Version {
    let images = json::images(template(rs));
    Version {
        name: images
            .first()
            .map_or(fallback_name, |i| image_tag(i))
            .to_string(),
        role,
        weight,
        images,
        ready: ready(rs),
        desired: desired(rs),
        workload: Some(ObjectRef::new("ReplicaSet", json::name(rs))),
        revision: revision(rs).and_then(|r| u64::try_from(r).ok()),
    }
}

/// A version whose workload is missing: no pods, no images.
pub(crate) fn missing_version(name: &str, role: Role, weight: f64) -> Version {
    Version {
        name: name.to_string(),
        role,
        weight,
        images: Vec::new(),
        ready: 0,
        desired: 0,
        workload: None,
        revision: None,
    }
}

/// Finishes a release of a router kind: roles, the plan and the phase.
pub(crate) fn finish_traffic(ns: &Ns<'_>, draft: &mut Draft, clues: &[Clue]) {
    assign_roles(&mut draft.versions, clues, |v| v.weight);
    draft.plan = plan(ns, &draft.objects, &mut draft.warnings);
    draft.phase = traffic_phase(&draft.versions, paused(ns, &draft.objects));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn version(weight: f64) -> Version {
        missing_version("v", Role::Stable, weight)
    }

    #[test]
    fn hints_read_words() {
        assert_eq!(role_hint(["cart-canary"]), Some(Role::Canary));
        assert_eq!(role_hint(["web", "x-primary"]), Some(Role::Stable));
        assert_eq!(role_hint(["unstable", "canaryish"]), None);
    }

    fn named(name: &str, weight: f64) -> Version {
        missing_version(name, Role::Stable, weight)
    }

    fn hinted(hints: &[Option<Role>]) -> Vec<Clue> {
        hints
            .iter()
            .map(|&hint| Clue {
                hint,
                created: None,
            })
            .collect()
    }

    fn roles(v: &[Version]) -> Vec<Role> {
        v.iter().map(|v| v.role).collect()
    }

    #[test]
    fn heaviest_is_stable_when_age_cannot_be_told() {
        let mut v = vec![version(30.0), version(70.0), version(70.0)];
        assign_roles(&mut v, &hinted(&[None, None, None]), |v| v.weight);
        assert_eq!(roles(&v), [Role::Canary, Role::Stable, Role::Canary]);
        let mut v = vec![version(90.0), version(10.0)];
        let both_canary = hinted(&[Some(Role::Canary), Some(Role::Canary)]);
        assign_roles(&mut v, &both_canary, |v| v.weight);
        assert_eq!(v[0].role, Role::Stable);
        let mut v = vec![version(90.0), version(10.0)];
        let stable_hint = hinted(&[Some(Role::Canary), Some(Role::Stable)]);
        assign_roles(&mut v, &stable_hint, |v| v.weight);
        assert_eq!((v[0].role, v[1].role), (Role::Canary, Role::Stable));
    }

    #[test]
    fn the_newer_version_stays_the_canary_whatever_its_weight() {
        // v2 has taken all traffic: it is a promoted canary, not stable.
        for (w1, w2) in [(90.0, 10.0), (50.0, 50.0), (0.0, 100.0)] {
            let mut v = vec![named("v1", w1), named("v2", w2)];
            assign_roles(&mut v, &hinted(&[None, None]), |v| v.weight);
            assert_eq!(roles(&v), [Role::Stable, Role::Canary], "{w1}/{w2}");
        }
        // By creation time when the names do not order.
        let t = |s: &str| s.parse::<jiff::Timestamp>().ok();
        let clues = [
            Clue {
                hint: None,
                created: t("2026-11-02T00:00:00Z"),
            },
            Clue {
                hint: None,
                created: t("2026-11-01T00:00:00Z"),
            },
        ];
        let mut v = vec![named("blue", 100.0), named("green", 0.0)];
        assign_roles(&mut v, &clues, |v| v.weight);
        assert_eq!(roles(&v), [Role::Canary, Role::Stable]);
        // Of three, the newest is the canary and the heaviest other one stable.
        let mut v = vec![
            named("1.9.0", 0.0),
            named("1.10.0", 20.0),
            named("1.8.2", 80.0),
        ];
        assign_roles(&mut v, &hinted(&[None, None, None]), |v| v.weight);
        assert_eq!(roles(&v), [Role::Canary, Role::Canary, Role::Stable]);
    }

    #[test]
    fn version_names_order_by_shape() {
        use std::cmp::Ordering::{Greater, Less};
        assert_eq!(name_order("v1", "v2"), Some(Less));
        assert_eq!(name_order("1.10.0", "1.9.3"), Some(Greater));
        assert_eq!(name_order("reviews-v010", "reviews-v9"), Some(Greater));
        assert_eq!(name_order("V2", "v1"), Some(Greater));
        assert_eq!(name_order("v1", "v1"), None);
        assert_eq!(name_order("v1", "1.5.0"), None);
        assert_eq!(name_order("blue", "green"), None);
        assert_eq!(name_order("1.5.0", "1.5.0-rc1"), None);
        assert_eq!(name_order("", ""), None);
    }

    #[test]
    fn weights_read_with_warnings() {
        let mut w = Vec::new();
        assert_eq!(read_weight(Some(&json!(10)), "x", &mut w), Some(10.0));
        assert_eq!(read_weight(Some(&json!("20")), "x", &mut w), Some(20.0));
        assert_eq!(read_weight(Some(&json!(-5)), "x", &mut w), Some(0.0));
        assert_eq!(read_weight(Some(&json!({"a": 1})), "x", &mut w), None);
        assert_eq!(read_weight(None, "x", &mut w), None);
        assert_eq!(w.len(), 3, "{w:?}");
    }

    #[test]
    fn percents() {
        assert_eq!(percent(10.0), "10");
        assert_eq!(percent(100.0 / 3.0), "33.33");
    }
}
