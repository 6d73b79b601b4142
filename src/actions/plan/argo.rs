//! Argo Rollouts: what `kubectl argo rollouts promote|abort|pause|undo` send,
//! status subresource first. Traffic itself is left to the controller.

use serde_json::{Map, Value, json};

use super::rolling::{previous, same_template, template_fields, undo_summary, without_label};
use super::{
    Ctx, Live, Planned, Refusal, Verb, array_at, change, number, percent, refuse, str_at, test_op,
    text,
};
use crate::actions::{Change, FieldChange};
use crate::model::{Release, Role, Version};

const HASH: &str = "rollouts-pod-template-hash";
const REVISION: &str = "rollout.argoproj.io/revision";

pub(super) fn plan(ctx: &Ctx<'_>, verb: Verb) -> Result<Planned, Refusal> {
    let ro = ctx.first("Rollout")?;
    let blue_green = ro
        .at(&["spec", "strategy", "blueGreen"])
        .is_some_and(Value::is_object);
    match verb {
        Verb::Step => promote(ctx, ro, blue_green),
        Verb::Flip if blue_green => {
            if let Some(preview) = version(ctx.release, Role::Preview) {
                ctx.may_flip_to(preview)?;
            }
            promote(ctx, ro, blue_green)
        }
        Verb::Flip => refuse("flip is for blue/green; this Rollout is a canary (use promote)"),
        Verb::Promote | Verb::PromoteFull => promote_full(ctx, ro, blue_green),
        Verb::Back => refuse("Argo Rollouts has no step back; use rollback (abort)"),
        Verb::Rollback => abort(ctx, ro, blue_green),
        Verb::Pause => pause(ro),
        Verb::Resume => resume(ro),
        Verb::Undo => undo(ctx, ro),
    }
}

/// The version of a role (stable also finds active, canary also preview).
fn version(release: &Release, role: Role) -> Option<&Version> {
    let alike = match role {
        Role::Stable | Role::Active => [Role::Stable, Role::Active],
        Role::Canary | Role::Preview => [Role::Canary, Role::Preview],
    };
    release.versions.iter().find(|v| alike.contains(&v.role))
}

fn paused(ro: Live<'_>) -> bool {
    ro.at(&["spec", "paused"]).and_then(Value::as_bool) == Some(true)
}

fn pause_conditions(ro: Live<'_>) -> &[Value] {
    array_at(ro.value, &["status", "pauseConditions"])
}

/// The pause conditions in words: their reasons (`CanaryPauseStep`).
fn reasons(conditions: &[Value]) -> String {
    let words: Vec<&str> = conditions
        .iter()
        .filter_map(|c| str_at(c, &["reason"]))
        .collect();
    if words.is_empty() {
        format!("{} conditions", conditions.len())
    } else {
        words.join(", ")
    }
}

/// The status patch (status subresource, with the resourceVersion), then the
/// spec's unpause when the spec is paused. The status write changes the
/// resourceVersion, so the unpause is guarded by a `test` of `spec.paused`.
fn with_unpause(
    ro: Live<'_>,
    status: Map<String, Value>,
    status_fields: Vec<FieldChange>,
) -> Result<Vec<Change>, Refusal> {
    let mut changes = Vec::new();
    if !status.is_empty() {
        let body = json!({"status": status});
        changes.push(ro.merge(Some("status"), body, status_fields)?);
    }
    if paused(ro) {
        let fields = vec![change("spec.paused", "true", "false")];
        changes.push(if changes.is_empty() {
            ro.merge(None, json!({"spec": {"paused": false}}), fields)?
        } else {
            let ops = vec![
                test_op("/spec/paused", &json!(true)),
                json!({"op": "replace", "path": "/spec/paused", "value": false}),
            ];
            ro.json_patch(ops, fields)
        });
    }
    Ok(changes)
}

/// `kubectl argo rollouts promote`: clear the pause conditions, or go to the next step.
fn promote(ctx: &Ctx<'_>, ro: Live<'_>, blue_green: bool) -> Result<Planned, Refusal> {
    let release = ctx.release;
    let conditions = pause_conditions(ro);
    let steps = array_at(ro.value, &["spec", "strategy", "canary", "steps"]);
    let canary_steps = !blue_green && !steps.is_empty();
    let index = ro
        .at(&["status", "currentStepIndex"])
        .and_then(number)
        .map_or(0, |i| i.max(0.0) as usize);
    let next = if index < steps.len() {
        index + 1
    } else {
        index
    };
    let inconclusive = str_at(
        ro.value,
        &["status", "canary", "currentStepAnalysisRunStatus", "status"],
    ) == Some("Inconclusive");
    let controller_pause = ro
        .at(&["status", "controllerPause"])
        .and_then(Value::as_bool)
        == Some(true);
    let mut status = Map::new();
    let mut fields = Vec::new();
    // The plugin clears the pause conditions whenever it writes the status.
    if !conditions.is_empty() || (canary_steps && next != index) {
        status.insert("pauseConditions".into(), Value::Null);
        if !conditions.is_empty() {
            fields.push(change(
                "status.pauseConditions",
                reasons(conditions),
                "(none)",
            ));
        }
    }
    if canary_steps && inconclusive && controller_pause && !conditions.is_empty() {
        status.insert("controllerPause".into(), json!(false));
        fields.push(change("status.controllerPause", "true", "false"));
    }
    if canary_steps
        && next != index
        && (conditions.is_empty() || status.contains_key("controllerPause"))
    {
        status.insert("currentStepIndex".into(), json!(next));
        fields.push(change(
            "status.currentStepIndex",
            index.to_string(),
            next.to_string(),
        ));
    }
    let changes = with_unpause(ro, status, fields)?;
    if changes.is_empty() {
        return refuse(if canary_steps {
            "already past the last step (100%)"
        } else {
            "not paused: there is nothing to promote"
        });
    }
    let canary = version(release, Role::Canary);
    if let Some(v) = canary {
        ctx.may_gain(v)?;
    }
    let summary = match (blue_green, canary) {
        (true, Some(preview)) => format!(
            "promote: active {} -> {}",
            version(release, Role::Stable).map_or("(none)", |v| v.name.as_str()),
            preview.name
        ),
        (false, Some(c)) if !steps.is_empty() => format!(
            "promote canary {} past step {index}/{} ({}% -> {}%)",
            c.name,
            steps.len(),
            percent(c.weight),
            percent(set_weight(ro, next))
        ),
        _ => "promote".to_string(),
    };
    Ok(Planned::new(summary, changes))
}

/// The percent Argo sets at step `index`: the last setWeight at or before it,
/// all of it past the last step.
fn set_weight(ro: Live<'_>, index: usize) -> f64 {
    let steps = array_at(ro.value, &["spec", "strategy", "canary", "steps"]);
    let max = ro
        .at(&[
            "spec",
            "strategy",
            "canary",
            "trafficRouting",
            "maxTrafficWeight",
        ])
        .and_then(number)
        .filter(|m| *m > 0.0)
        .unwrap_or(100.0);
    if index >= steps.len() {
        return 100.0;
    }
    let weight = steps[..=index]
        .iter()
        .rev()
        .find_map(|s| s.get("setWeight").and_then(number))
        .unwrap_or(0.0);
    (weight * 100.0 / max).clamp(0.0, 100.0)
}

/// `kubectl argo rollouts promote --full`.
fn promote_full(ctx: &Ctx<'_>, ro: Live<'_>, blue_green: bool) -> Result<Planned, Refusal> {
    let release = ctx.release;
    let current = str_at(ro.value, &["status", "currentPodHash"]);
    let stable = str_at(ro.value, &["status", "stableRS"]);
    let requested = ro.at(&["status", "promoteFull"]).and_then(Value::as_bool) == Some(true);
    let mut status = Map::new();
    let mut fields = Vec::new();
    if current != stable && !requested {
        status.insert("promoteFull".into(), json!(true));
        let from = text(ro.at(&["status", "promoteFull"]));
        fields.push(change("status.promoteFull", from, "true"));
    }
    let changes = with_unpause(ro, status, fields)?;
    if changes.is_empty() {
        return refuse(if requested {
            "already being promoted fully"
        } else {
            "already fully promoted"
        });
    }
    let canary = version(release, Role::Canary);
    if let Some(v) = canary {
        ctx.may_gain(v)?;
    }
    let summary = match (blue_green, canary) {
        (true, Some(preview)) => format!(
            "promote fully: active {} -> {}",
            version(release, Role::Stable).map_or("(none)", |v| v.name.as_str()),
            preview.name
        ),
        (false, Some(c)) => format!(
            "promote canary {} fully ({}% -> 100%)",
            c.name,
            percent(c.weight)
        ),
        _ => "promote fully".to_string(),
    };
    Ok(Planned::new(summary, changes))
}

/// `kubectl argo rollouts abort`.
fn abort(ctx: &Ctx<'_>, ro: Live<'_>, blue_green: bool) -> Result<Planned, Refusal> {
    if ro.at(&["status", "abort"]).and_then(Value::as_bool) == Some(true) {
        return refuse("already aborted; use undo to go back to the previous template");
    }
    let current = str_at(ro.value, &["status", "currentPodHash"]);
    if current.is_some() && current == str_at(ro.value, &["status", "stableRS"]) {
        return refuse("nothing to roll back: the stable version serves all traffic");
    }
    let stable = version(ctx.release, Role::Stable);
    if let Some(v) = stable {
        ctx.may_gain(v)?;
    }
    let fields = vec![change(
        "status.abort",
        text(ro.at(&["status", "abort"])),
        "true",
    )];
    let change = ro.merge(Some("status"), json!({"status": {"abort": true}}), fields)?;
    let stable_name = stable.map_or("(none)", |v| v.name.as_str());
    let summary = match version(ctx.release, Role::Canary) {
        Some(c) if !blue_green => format!(
            "abort: canary {} {}% -> 0%, all traffic to stable {stable_name}",
            c.name,
            percent(c.weight)
        ),
        _ => format!("abort: all traffic stays on active {stable_name}"),
    };
    let mut planned = Planned::new(summary, vec![change]);
    planned.caveats.push(
        "Abort leaves spec.template at the new version: the Rollout stays Degraded until it is retried or undone.".into(),
    );
    Ok(planned)
}

/// `kubectl argo rollouts pause`.
fn pause(ro: Live<'_>) -> Result<Planned, Refusal> {
    if paused(ro) {
        return refuse("already paused");
    }
    let fields = vec![change(
        "spec.paused",
        text(ro.at(&["spec", "paused"])),
        "true",
    )];
    let change = ro.merge(None, json!({"spec": {"paused": true}}), fields)?;
    Ok(Planned::new("pause", vec![change]))
}

/// Argo has no resume: `promote` clears the pause conditions and unpauses.
fn resume(ro: Live<'_>) -> Result<Planned, Refusal> {
    let conditions = pause_conditions(ro);
    let mut status = Map::new();
    let mut fields = Vec::new();
    if !conditions.is_empty() {
        status.insert("pauseConditions".into(), Value::Null);
        fields.push(change(
            "status.pauseConditions",
            reasons(conditions),
            "(none)",
        ));
    }
    let changes = with_unpause(ro, status, fields)?;
    if changes.is_empty() {
        return refuse("not paused");
    }
    let mut planned = Planned::new("resume", changes);
    if !conditions.is_empty() {
        planned.caveats.push(
            "Clearing the pause conditions moves past a pause step, as `kubectl argo rollouts promote` does.".into(),
        );
    }
    Ok(planned)
}

/// `kubectl argo rollouts undo`: the previous revision's template, without
/// annotations; into the referenced Deployment when there is a workloadRef.
fn undo(ctx: &Ctx<'_>, ro: Live<'_>) -> Result<Planned, Refusal> {
    let holder = match (
        str_at(ro.value, &["spec", "workloadRef", "kind"]),
        str_at(ro.value, &["spec", "workloadRef", "name"]),
    ) {
        (None | Some("Deployment"), Some(name)) => ctx.live("Deployment", name)?,
        (Some(kind), Some(name)) => {
            return refuse(format!(
                "{} refers to {kind} {name}, which kshift does not undo",
                ro.what()
            ));
        }
        _ => ro,
    };
    let Some(template) = holder.at(&["spec", "template"]) else {
        return refuse(format!("{} has no spec.template", holder.what()));
    };
    let replicasets = ctx.all("ReplicaSet");
    let Some((rs, revision)) = previous(&replicasets, REVISION) else {
        return refuse(format!(
            "no rollout history found for rollout {:?}",
            ro.name()
        ));
    };
    let Some(restored) = rs.at(&["spec", "template"]).map(|t| without_label(t, HASH)) else {
        return refuse(format!("{} has no spec.template", rs.what()));
    };
    if same_template(&restored, &without_label(template, HASH)) {
        return refuse(format!(
            "skipped rollback (current template already matches revision {revision})"
        ));
    }
    let mut ops = Vec::new();
    let first = array_at(template, &["spec", "containers"]).first();
    if let Some(image) = first.and_then(|c| c.get("image")) {
        ops.push(test_op("/spec/template/spec/containers/0/image", image));
    }
    ops.push(test_op("/spec/template", template));
    ops.push(json!({"op": "replace", "path": "/spec/template", "value": restored}));
    let fields = template_fields(template, &restored, ro.annotation(REVISION), revision);
    Ok(Planned::new(
        undo_summary(&restored, revision),
        vec![holder.json_patch(ops, fields)],
    ))
}
