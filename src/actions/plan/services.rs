//! Releases a Service makes: blue/green by its selector (a merge patch of the
//! selector, remembering the version it leaves) and replica canaries (the
//! Deployments' `scale` subresource, scaling up before scaling down).

use serde_json::{Map, Value, json};

use super::{
    ALREADY_PROMOTED, Ctx, Live, Planned, Refusal, Verb, annotation_field, canary_move, change,
    pair, pause_by_annotation, percent, plan_values, refuse,
};
use crate::actions::Change;
use crate::model::Version;

/// The annotation that remembers the version a flip left.
const PREVIOUS: &str = "kshift.dev/previous-active";

/// The label keys recognition tries first for versions.
const VERSION_LABELS: [&str; 4] = ["app.kubernetes.io/version", "version", "color", "track"];

pub(super) fn blue_green(ctx: &Ctx<'_>, verb: Verb) -> Result<Planned, Refusal> {
    let service = ctx.first("Service")?;
    match verb {
        Verb::Pause | Verb::Resume => return pause_by_annotation(ctx, service, verb),
        Verb::Step | Verb::Back => return refuse("blue/green has no steps; use flip"),
        Verb::Undo => {
            return refuse(format!(
                "a Service has no revisions; use rollback ({} keeps no history)",
                service.what()
            ));
        }
        _ => {}
    }
    let Some(selector) = service.at(&["spec", "selector"]).and_then(Value::as_object) else {
        return refuse(format!("{} has no selector any more", service.what()));
    };
    let mut labelled = Vec::new();
    for v in &ctx.release.versions {
        let labels = ctx
            .workload(v)?
            .at(&["spec", "template", "metadata", "labels"])
            .and_then(Value::as_object);
        labelled.push((v, labels));
    }
    let Some(key) = version_key(selector, &labelled) else {
        return refuse(format!(
            "{} has no selector label that tells its versions apart any more; refresh and try again",
            service.what()
        ));
    };
    let value_of =
        |labels: Option<&Map<String, Value>>| labels.and_then(|l| l.get(key)).and_then(scalar);
    let active = selector.get(key).and_then(scalar).unwrap_or_default();
    let target = if verb == Verb::Rollback {
        match service.annotation(PREVIOUS).filter(|p| !p.is_empty()) {
            None => return refuse("no previous active version recorded"),
            Some(p) if p == active => {
                return refuse(format!("{key}={p} is already active"));
            }
            Some(p) => p.to_string(),
        }
    } else {
        let mut others: Vec<String> = labelled
            .iter()
            .filter_map(|(_, l)| value_of(*l))
            .filter(|v| *v != active)
            .collect();
        others.sort();
        others.dedup();
        match others.as_slice() {
            [one] => one.clone(),
            [] => return refuse("there is no other version to flip to"),
            many => {
                return refuse(format!(
                    "{} could switch to {key}={}; flip needs exactly two versions",
                    service.what(),
                    many.join(" or ")
                ));
            }
        }
    };
    let targets: Vec<&Version> = labelled
        .iter()
        .filter(|(_, l)| value_of(*l).as_deref() == Some(target.as_str()))
        .map(|(v, _)| *v)
        .collect();
    let Some(first) = targets.first() else {
        return refuse(format!(
            "no Deployment of release {} has {key}={target}",
            ctx.release.key()
        ));
    };
    for v in &targets {
        if verb == Verb::Rollback {
            ctx.may_gain(v)?;
        } else {
            ctx.may_flip_to(v)?;
        }
    }
    let active_name = labelled
        .iter()
        .find(|(_, l)| value_of(*l).as_deref() == Some(active.as_str()))
        .map_or(active.as_str(), |(v, _)| v.name.as_str());
    let body = json!({"metadata": {"annotations": {PREVIOUS: &active}},
        "spec": {"selector": {key: &target}}});
    let fields = vec![
        change(&format!("spec.selector[\"{key}\"]"), &active, &target),
        change(
            &annotation_field(PREVIOUS),
            service.annotation(PREVIOUS).unwrap_or("(none)"),
            &active,
        ),
    ];
    let summary = format!("active {active_name} -> {}", first.name);
    Ok(Planned::new(
        summary,
        vec![service.merge(None, body, fields)?],
    ))
}

/// The selector key whose values tell the versions' Deployments apart: known
/// version labels first, as recognition tries them.
fn version_key<'s>(
    selector: &'s Map<String, Value>,
    labelled: &[(&Version, Option<&Map<String, Value>>)],
) -> Option<&'s str> {
    let mut keys: Vec<&str> = selector.keys().map(String::as_str).collect();
    keys.sort_by_key(|k| {
        VERSION_LABELS
            .iter()
            .position(|l| l == k)
            .unwrap_or(usize::MAX)
    });
    keys.into_iter().find(|key| {
        let values: Option<Vec<String>> = labelled
            .iter()
            .map(|(_, l)| l.and_then(|l| l.get(*key)).and_then(scalar))
            .collect();
        values.is_some_and(|mut v| {
            v.sort();
            v.dedup();
            v.len() >= 2
        })
    })
}

/// A label value: strings as they are, numbers and booleans as their text.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(super) fn replicas(ctx: &Ctx<'_>, verb: Verb) -> Result<Planned, Refusal> {
    match verb {
        Verb::Pause | Verb::Resume => {
            return pause_by_annotation(ctx, ctx.first("Service")?, verb);
        }
        Verb::Flip => return refuse("a replica canary has no flip; use promote or rollback"),
        Verb::Undo => return refuse("a replica canary has no revisions; use rollback"),
        _ => {}
    }
    let release = ctx.release;
    let (s, c) = pair(release)?;
    let (stable, canary) = (&release.versions[s], &release.versions[c]);
    let (stable_d, canary_d) = (ctx.workload(stable)?, ctx.workload(canary)?);
    let (stable_now, canary_now) = (desired(&stable_d), desired(&canary_d));
    let total = stable_now + canary_now;
    if total == 0 {
        return refuse("both Deployments are scaled to 0: there are no replicas to share");
    }
    // Replicas for a canary weight: at least one pod for any traffic at all.
    let canary_for = |w: u32| -> i64 {
        if w == 0 {
            0
        } else {
            ((total as f64 * f64::from(w) / 100.0).round() as i64).clamp(1, total)
        }
    };
    let values = plan_values(&release.plan);
    let canary_new = match verb {
        Verb::Step => {
            if canary_now >= total {
                return refuse(ALREADY_PROMOTED);
            }
            match values
                .iter()
                .map(|&w| canary_for(w))
                .find(|&n| n > canary_now)
            {
                Some(n) => n,
                None => {
                    return refuse(format!(
                        "already at the last step of the plan ({}%); use promote to go to 100%",
                        share(canary_now, total)
                    ));
                }
            }
        }
        Verb::Back => {
            if canary_now == 0 {
                return refuse("already at 0%");
            }
            values
                .iter()
                .rev()
                .map(|&w| canary_for(w))
                .find(|&n| n < canary_now)
                .unwrap_or(0)
        }
        Verb::Rollback => {
            if canary_now == 0 {
                return refuse("already at 0%: all replicas are stable");
            }
            0
        }
        _ => {
            if canary_now >= total {
                return refuse(ALREADY_PROMOTED);
            }
            total
        }
    };
    let stable_new = total - canary_new;
    let canary_scale = scale(canary_d, canary_now, canary_new)?;
    let stable_scale = scale(stable_d, stable_now, stable_new)?;
    // The side that grows goes first, so the total never dips.
    let changes = if canary_new > canary_now {
        ctx.may_gain(canary)?;
        vec![canary_scale, stable_scale]
    } else {
        ctx.may_gain(stable)?;
        vec![stable_scale, canary_scale]
    };
    let moved = canary_move(
        canary,
        stable,
        &share(canary_now, total),
        &share(canary_new, total),
        canary_new < canary_now,
    );
    let summary = format!("{moved} ({canary_now} -> {canary_new} of {total} replicas)");
    let mut planned = Planned::new(summary, changes);
    planned.caveats.push(
        "Traffic follows ready pods: the new split takes effect as pods become ready.".into(),
    );
    Ok(planned)
}

fn share(part: i64, total: i64) -> String {
    percent(part as f64 * 100.0 / total as f64)
}

/// `spec.replicas`, which the API defaults to 1, kept within int32.
fn desired(d: &Live<'_>) -> i64 {
    match d.at(&["spec", "replicas"]) {
        None | Some(Value::Null) => 1,
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_f64().map(|f| f as i64))
            .unwrap_or(0)
            .clamp(0, i64::from(i32::MAX)),
    }
}

fn scale(d: Live<'_>, from: i64, to: i64) -> Result<Change, Refusal> {
    let fields = vec![change("spec.replicas", from.to_string(), to.to_string())];
    d.merge(Some("scale"), json!({"spec": {"replicas": to}}), fields)
}
