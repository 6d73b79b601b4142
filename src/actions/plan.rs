//! The planner: a verb on a release becomes the patches to send, computed from
//! the objects as they were read, each guarded by a precondition (`test` ops or
//! `metadata.resourceVersion`). Pure: reads values, never the cluster.

mod argo;
mod flagger;
mod rolling;
mod routers;
mod services;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::{Change, FieldChange, Options, Patch, Plan, Refusal, Target, Verb};
use crate::cluster::discover::Objects;
use crate::model::{Kind, Release, Role, Version, percent};

/// The annotation that pauses kshift's autopilot on a router or Service.
const PAUSED: &str = "kshift.dev/paused";

/// The plan for `verb` on `release`, from the live objects it was recognised in.
pub fn plan(
    release: &Release,
    objects: &Objects,
    verb: Verb,
    options: &Options,
) -> Result<Plan, Refusal> {
    let ctx = Ctx {
        release,
        objects,
        force: options.force,
    };
    let planned = match release.kind {
        Kind::Istio | Kind::Gateway | Kind::Smi | Kind::Nginx => routers::plan(&ctx, verb),
        Kind::Service => services::blue_green(&ctx, verb),
        Kind::Replicas => services::replicas(&ctx, verb),
        Kind::Argo => argo::plan(&ctx, verb),
        Kind::Flagger => flagger::plan(&ctx, verb),
        Kind::Rolling => rolling::plan(&ctx, verb),
    }?;
    if planned.changes.is_empty() {
        return refuse("nothing to change");
    }
    Ok(Plan {
        verb,
        release: release.key(),
        summary: planned.summary,
        changes: planned.changes,
        caveats: planned.caveats,
    })
}

/// What a kind's planner returns; `plan` adds the verb and the release.
struct Planned {
    summary: String,
    changes: Vec<Change>,
    caveats: Vec<String>,
}

impl Planned {
    fn new(summary: impl Into<String>, changes: Vec<Change>) -> Self {
        Planned {
            summary: summary.into(),
            changes,
            caveats: Vec::new(),
        }
    }
}

fn refuse<T>(reason: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal {
        reason: reason.into(),
    })
}

/// The release, its objects and the operator's options.
struct Ctx<'a> {
    release: &'a Release,
    objects: &'a Objects,
    force: bool,
}

impl<'a> Ctx<'a> {
    /// The object of `kind` named `name` in the release's namespace, as read.
    fn live(&self, kind: &'a str, name: &str) -> Result<Live<'a>, Refusal> {
        let ns = self.release.namespace.as_str();
        list(self.objects, kind)
            .iter()
            .find(|v| name_of(v) == name && namespace_of(v) == ns)
            .map(|v| Live {
                kind,
                value: v.as_ref(),
                ns,
            })
            .map_or_else(
                || refuse(format!("{kind} {ns}/{name} is gone; refresh and try again")),
                Ok,
            )
    }

    /// The release's objects of `kind`, in its order (its basis first).
    fn all(&self, kind: &str) -> Vec<Live<'a>> {
        self.release
            .objects
            .iter()
            .filter(|o| o.kind == kind)
            .filter_map(|o| self.live(&o.kind, &o.name).ok())
            .collect()
    }

    fn first(&self, kind: &'a str) -> Result<Live<'a>, Refusal> {
        match self.all(kind).into_iter().next() {
            Some(live) => Ok(live),
            None => refuse(format!(
                "release {} has no {kind} (any more); refresh and try again",
                self.release.key()
            )),
        }
    }

    /// The workload behind a version.
    fn workload(&self, version: &'a Version) -> Result<Live<'a>, Refusal> {
        match &version.workload {
            Some(w) => self.live(&w.kind, &w.name),
            None => refuse(format!(
                "{} has no workload kshift can find",
                describe(version)
            )),
        }
    }

    /// Refuses to give traffic to a version without ready pods, unless forced.
    fn may_gain(&self, version: &Version) -> Result<(), Refusal> {
        if version.ready == 0 && !self.force {
            return refuse(format!(
                "{} has no ready pods (0 of {}); use --force to send it traffic anyway",
                describe(version),
                version.desired
            ));
        }
        Ok(())
    }

    /// A flip also needs every desired pod of its target ready, unless forced.
    fn may_flip_to(&self, version: &Version) -> Result<(), Refusal> {
        self.may_gain(version)?;
        if version.ready < version.desired && !self.force {
            return refuse(format!(
                "{} has {} of {} pods ready; use --force to flip anyway",
                describe(version),
                version.ready,
                version.desired
            ));
        }
        Ok(())
    }
}

/// `canary 1.5.0`.
fn describe(version: &Version) -> String {
    format!("{} {}", version.role.as_str(), version.name)
}

fn list<'a>(objects: &'a Objects, kind: &str) -> &'a [Arc<Value>] {
    match kind {
        "Deployment" => &objects.deployments,
        "ReplicaSet" => &objects.replicasets,
        "Service" => &objects.services,
        "Ingress" => &objects.ingresses,
        "VirtualService" => &objects.virtual_services,
        "DestinationRule" => &objects.destination_rules,
        "HTTPRoute" => &objects.http_routes,
        "TrafficSplit" => &objects.traffic_splits,
        "Rollout" => &objects.rollouts,
        "Canary" => &objects.canaries,
        _ => &[],
    }
}

fn name_of(v: &Value) -> &str {
    str_at(v, &["metadata", "name"]).unwrap_or("")
}

/// As recognition reads it: no namespace is `default`.
fn namespace_of(v: &Value) -> &str {
    str_at(v, &["metadata", "namespace"]).unwrap_or("default")
}

/// The plural of a kind, and the apiVersion to use when an object does not say
/// (list items of built-in kinds often leave it out).
fn resource(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "Deployment" => ("deployments", "apps/v1"),
        "ReplicaSet" => ("replicasets", "apps/v1"),
        "Service" => ("services", "v1"),
        "Ingress" => ("ingresses", "networking.k8s.io/v1"),
        "VirtualService" => ("virtualservices", "networking.istio.io/v1"),
        "DestinationRule" => ("destinationrules", "networking.istio.io/v1"),
        "HTTPRoute" => ("httproutes", "gateway.networking.k8s.io/v1"),
        "TrafficSplit" => ("trafficsplits", "split.smi-spec.io/v1alpha4"),
        "Rollout" => ("rollouts", "argoproj.io/v1alpha1"),
        "Canary" => ("canaries", "flagger.app/v1beta1"),
        _ => ("", ""),
    }
}

/// One live object of the release, and how to change it.
#[derive(Clone, Copy)]
struct Live<'a> {
    kind: &'a str,
    value: &'a Value,
    ns: &'a str,
}

impl<'a> Live<'a> {
    fn name(&self) -> &'a str {
        name_of(self.value)
    }

    /// `VirtualService reviews`.
    fn what(&self) -> String {
        format!("{} {}", self.kind, self.name())
    }

    fn at(&self, path: &[&str]) -> Option<&'a Value> {
        at(self.value, path)
    }

    fn annotation(&self, key: &str) -> Option<&'a str> {
        str_at(self.value, &["metadata", "annotations", key])
    }

    fn target(&self) -> Target {
        let (plural, default_api) = resource(self.kind);
        Target {
            api_version: str_at(self.value, &["apiVersion"])
                .unwrap_or(default_api)
                .to_string(),
            kind: self.kind.to_string(),
            plural: plural.to_string(),
            namespace: self.ns.to_string(),
            name: self.name().to_string(),
        }
    }

    fn resource_version(&self) -> Result<&'a str, Refusal> {
        match str_at(self.value, &["metadata", "resourceVersion"]) {
            Some(rv) if !rv.is_empty() => Ok(rv),
            _ => refuse(format!(
                "{} was read without a resourceVersion, so a change to it cannot be guarded; refresh and try again",
                self.what()
            )),
        }
    }

    /// A merge patch carrying the resourceVersion as read, so that the API
    /// refuses it if the object changed since.
    fn merge(
        &self,
        subresource: Option<&str>,
        body: Value,
        fields: Vec<FieldChange>,
    ) -> Result<Change, Refusal> {
        let rv = self.resource_version()?;
        let mut body = match body {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let metadata = body
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = metadata {
            m.insert("resourceVersion".into(), json!(rv));
        }
        Ok(Change {
            target: self.target(),
            subresource: subresource.map(str::to_string),
            patch: Patch::Merge(Value::Object(body)),
            fields,
        })
    }

    /// A JSON patch; its `test` ops are its precondition.
    fn json_patch(&self, ops: Vec<Value>, fields: Vec<FieldChange>) -> Change {
        Change {
            target: self.target(),
            subresource: None,
            patch: Patch::Json(ops),
            fields,
        }
    }

    /// Whether `kshift.dev/paused` is set, as recognition reads it.
    fn paused(&self) -> bool {
        self.annotation(PAUSED)
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("true"))
    }

    /// Who else writes this object, in words, when someone does.
    fn controller(&self) -> Option<String> {
        if let Some(rollout) = self.annotation("argo-rollouts.argoproj.io/managed-by-rollouts") {
            return Some(format!("Rollout {rollout}"));
        }
        let owner = array_at(self.value, &["metadata", "ownerReferences"]).first()?;
        Some(format!(
            "{} {}",
            str_at(owner, &["kind"]).unwrap_or("an owner"),
            str_at(owner, &["name"]).unwrap_or("")
        ))
    }
}

/// Pause and resume by the `kshift.dev/paused` annotation, which recognition and
/// the autopilot read on any router or Service of a release.
fn pause_by_annotation(ctx: &Ctx<'_>, on: Live<'_>, verb: Verb) -> Result<Planned, Refusal> {
    let field = annotation_field(PAUSED);
    let paused: Vec<Live<'_>> = [
        "Service",
        "Ingress",
        "VirtualService",
        "HTTPRoute",
        "TrafficSplit",
    ]
    .into_iter()
    .flat_map(|kind| ctx.all(kind))
    .filter(Live::paused)
    .collect();
    let mut changes = Vec::new();
    if verb == Verb::Pause {
        if let Some(p) = paused.first() {
            return refuse(format!("already paused ({} has {PAUSED})", p.what()));
        }
        let body = json!({"metadata": {"annotations": {PAUSED: "true"}}});
        let from = text(on.at(&["metadata", "annotations", PAUSED]));
        changes.push(on.merge(None, body, vec![change(&field, from, "true")])?);
    } else {
        if paused.is_empty() {
            return refuse("not paused");
        }
        for p in paused {
            let body = json!({"metadata": {"annotations": {PAUSED: null}}});
            let from = text(p.at(&["metadata", "annotations", PAUSED]));
            changes.push(p.merge(None, body, vec![change(&field, from, "(none)")])?);
        }
    }
    let mut planned = Planned::new(verb.as_str(), changes);
    planned.caveats.push(format!(
        "The weights stay as they are: {PAUSED} stops kshift's autopilot only."
    ));
    Ok(planned)
}

/// The stable and the canary version (or active and preview) of a release whose
/// traffic moves between two versions; any other version must have no traffic.
fn pair(release: &Release) -> Result<(usize, usize), Refusal> {
    let versions = &release.versions;
    let sharing = |who: &[usize]| {
        let names: Vec<&str> = who.iter().map(|&i| versions[i].name.as_str()).collect();
        Refusal {
            reason: format!(
                "release {} sends traffic to {}; kshift moves traffic between two versions only",
                release.key(),
                names.join(", ")
            ),
        }
    };
    let busy: Vec<usize> = (0..versions.len())
        .filter(|&i| versions[i].weight > 0.0)
        .collect();
    let pick = |roles: [Role; 2], what: &str| -> Result<usize, Refusal> {
        let of_role: Vec<usize> = (0..versions.len())
            .filter(|&i| roles.contains(&versions[i].role))
            .collect();
        if let [one] = of_role.as_slice() {
            return Ok(*one);
        }
        let live: Vec<usize> = of_role
            .iter()
            .copied()
            .filter(|&i| versions[i].weight > 0.0)
            .collect();
        match live.as_slice() {
            [one] => Ok(*one),
            [] => refuse(format!(
                "release {} has {} {what} versions; kshift needs one stable and one canary",
                release.key(),
                of_role.len()
            )),
            _ => Err(sharing(&busy)),
        }
    };
    let stable = pick([Role::Stable, Role::Active], "stable")?;
    let canary = pick([Role::Canary, Role::Preview], "canary")?;
    if busy.iter().any(|&i| i != stable && i != canary) {
        return Err(sharing(&busy));
    }
    Ok((stable, canary))
}

/// The plan's weights as whole percents, sorted and without repeats.
fn plan_values(plan: &[f64]) -> Vec<u32> {
    let mut values: Vec<u32> = plan
        .iter()
        .filter(|w| w.is_finite())
        .map(|w| w.round().clamp(0.0, 100.0) as u32)
        .collect();
    values.sort_unstable();
    values.dedup();
    values
}

/// Why a step or a promotion of a canary that takes all traffic is refused: the
/// only way on is back, to the older version.
const ALREADY_PROMOTED: &str = "already promoted: the canary takes all traffic (back and rollback return traffic to the older version)";

/// What a move of the canary from `from` to `to` percent says: a move `back` names
/// the older version that takes the traffic.
fn canary_move(canary: &Version, stable: &Version, from: &str, to: &str, back: bool) -> String {
    let moved = format!("canary {} {from}% -> {to}%", canary.name);
    if back {
        format!("{moved}, traffic back to the older version {}", stable.name)
    } else {
        moved
    }
}

/// The canary's new percent for a verb that moves weight along the plan.
fn next_weight(verb: Verb, canary: f64, stable: f64, plan: &[f64]) -> Result<u32, Refusal> {
    const EPSILON: f64 = 1e-9;
    let values = plan_values(plan);
    match verb {
        Verb::Step => {
            if canary >= 100.0 - EPSILON {
                return refuse(ALREADY_PROMOTED);
            }
            match values.iter().find(|&&v| f64::from(v) > canary + EPSILON) {
                Some(&v) => Ok(v),
                None => refuse(format!(
                    "already at the last step of the plan ({}%); use promote to go to 100%",
                    percent(canary)
                )),
            }
        }
        Verb::Back => {
            if canary <= EPSILON {
                return refuse("already at 0%");
            }
            Ok(values
                .iter()
                .rev()
                .find(|&&v| f64::from(v) < canary - EPSILON)
                .copied()
                .unwrap_or(0))
        }
        Verb::Rollback => {
            if canary <= EPSILON && stable >= 100.0 - EPSILON {
                return refuse("already at 0%: all traffic goes to stable");
            }
            Ok(0)
        }
        _ => {
            if canary >= 100.0 - EPSILON && stable <= EPSILON {
                return refuse(ALREADY_PROMOTED);
            }
            Ok(100)
        }
    }
}

fn change(field: &str, from: impl Into<String>, to: impl Into<String>) -> FieldChange {
    FieldChange {
        field: field.to_string(),
        from: from.into(),
        to: to.into(),
    }
}

/// `metadata.annotations["kshift.dev/paused"]`, as the executor reads fields back.
fn annotation_field(key: &str) -> String {
    format!("metadata.annotations[\"{key}\"]")
}

/// A value as the preview shows it.
fn text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "(none)".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// An RFC 6901 pointer from its parts.
fn pointer(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| format!("/{}", p.replace('~', "~0").replace('/', "~1")))
        .collect()
}

fn test_op(path: &str, value: &Value) -> Value {
    json!({"op": "test", "path": path, "value": value})
}

fn at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(v, |v, key| v.get(key))
}

fn str_at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v str> {
    at(v, path).and_then(Value::as_str)
}

fn array_at<'v>(v: &'v Value, path: &[&str]) -> &'v [Value] {
    at(v, path)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A number, also from a numeric string, as recognition reads weights.
fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|f| f.is_finite())
}

/// The last part of an image reference: `ghcr.io/acme/web:1.0` is `web:1.0`.
fn short_image(image: &str) -> &str {
    image.rsplit('/').next().unwrap_or(image)
}
