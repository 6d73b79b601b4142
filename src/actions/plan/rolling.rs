//! A lone Deployment: pause and resume as `kubectl rollout` does, and undo to the
//! previous revision exactly as `kubectl rollout undo` computes it. The revision
//! helpers serve Argo's `undo` too.

use serde_json::{Map, Value, json};

use super::{
    Ctx, Live, Planned, Refusal, Verb, annotation_field, array_at, change, pointer, refuse,
    short_image, str_at, test_op, text,
};
use crate::actions::FieldChange;

const REVISION: &str = "deployment.kubernetes.io/revision";
const HASH: &str = "pod-template-hash";

/// The annotations kubectl keeps from the Deployment; all others come from the
/// ReplicaSet (`annotationsToSkip` in kubectl's rollback.go).
const KEPT: [&str; 6] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];

pub(super) fn plan(ctx: &Ctx<'_>, verb: Verb) -> Result<Planned, Refusal> {
    let d = ctx.first("Deployment")?;
    let paused = d.at(&["spec", "paused"]).and_then(Value::as_bool) == Some(true);
    let from = text(d.at(&["spec", "paused"]));
    match verb {
        Verb::Pause if paused => refuse("already paused"),
        Verb::Pause => {
            let fields = vec![change("spec.paused", from, "true")];
            let body = json!({"spec": {"paused": true}});
            Ok(Planned::new("pause", vec![d.merge(None, body, fields)?]))
        }
        Verb::Resume if !paused => refuse("not paused"),
        Verb::Resume => {
            // What kubectl computes for `paused: false`, an omitempty field.
            let fields = vec![change("spec.paused", from, "(none)")];
            let body = json!({"spec": {"paused": null}});
            Ok(Planned::new("resume", vec![d.merge(None, body, fields)?]))
        }
        Verb::Undo | Verb::Rollback if paused => {
            refuse("you cannot rollback a paused deployment; resume it first")
        }
        Verb::Undo | Verb::Rollback => undo(ctx, d),
        _ => refuse("a rolling Deployment has no traffic split; use undo or pause"),
    }
}

fn undo(ctx: &Ctx<'_>, d: Live<'_>) -> Result<Planned, Refusal> {
    let Some(template) = d.at(&["spec", "template"]) else {
        return refuse(format!("{} has no spec.template", d.what()));
    };
    let replicasets = ctx.all("ReplicaSet");
    let Some((rs, revision)) = previous(&replicasets, REVISION) else {
        return refuse(format!(
            "no rollout history found for deployment {:?}",
            d.name()
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
    let rv = d.resource_version()?;
    let mut tests = vec![
        test_op("/metadata/resourceVersion", &json!(rv)),
        test_op("/spec/template", template),
    ];
    let mut writes = vec![json!({"op": "replace", "path": "/spec/template", "value": restored})];
    let mut fields = template_fields(template, &restored, d.annotation(REVISION), revision);
    annotations(d, rs, &mut tests, &mut writes, &mut fields);
    tests.extend(writes);
    Ok(Planned::new(
        undo_summary(&restored, revision),
        vec![d.json_patch(tests, fields)],
    ))
}

/// kubectl's annotations for the restored Deployment, as per-key operations: the
/// objects kshift reads lack `last-applied-configuration`, which replacing the
/// whole map would delete. The result is the map kubectl would write.
fn annotations(
    d: Live<'_>,
    rs: Live<'_>,
    tests: &mut Vec<Value>,
    writes: &mut Vec<Value>,
    fields: &mut Vec<FieldChange>,
) {
    let current = d
        .at(&["metadata", "annotations"])
        .and_then(Value::as_object);
    let mut wanted = Map::new();
    for key in KEPT {
        if let Some(v) = current.and_then(|c| c.get(key)) {
            wanted.insert(key.to_string(), v.clone());
        }
    }
    if let Some(from_rs) = rs
        .at(&["metadata", "annotations"])
        .and_then(Value::as_object)
    {
        for (k, v) in from_rs.iter().filter(|(k, _)| !KEPT.contains(&k.as_str())) {
            wanted.insert(k.clone(), v.clone());
        }
    }
    let Some(current) = current else {
        if !wanted.is_empty() {
            for (k, v) in &wanted {
                fields.push(change(&annotation_field(k), "(none)", text(Some(v))));
            }
            writes.push(json!({"op": "add", "path": "/metadata/annotations", "value": wanted}));
        }
        return;
    };
    for (k, v) in current.iter().filter(|(k, _)| !wanted.contains_key(*k)) {
        let path = pointer(&["metadata", "annotations", k]);
        tests.push(test_op(&path, v));
        writes.push(json!({"op": "remove", "path": path}));
        fields.push(change(&annotation_field(k), text(Some(v)), "(none)"));
    }
    for (k, v) in &wanted {
        let path = pointer(&["metadata", "annotations", k]);
        match current.get(k) {
            Some(now) if now == v => continue,
            Some(now) => {
                tests.push(test_op(&path, now));
                writes.push(json!({"op": "replace", "path": path, "value": v}));
            }
            None => writes.push(json!({"op": "add", "path": path, "value": v})),
        }
        fields.push(change(
            &annotation_field(k),
            text(current.get(k)),
            text(Some(v)),
        ));
    }
}

/// `undo to revision 2 (image web:1.0.0)`.
pub(super) fn undo_summary(restored: &Value, revision: i64) -> String {
    let image = array_at(restored, &["spec", "containers"])
        .first()
        .and_then(|c| str_at(c, &["image"]));
    match image {
        Some(i) => format!("undo to revision {revision} (image {})", short_image(i)),
        None => format!("undo to revision {revision}"),
    }
}

/// The ReplicaSet of the second-highest revision, chosen as kubectl's
/// `deploymentRevision` (and Argo's `rolloutRevision`) do: a missing annotation
/// counts as 0, an unreadable one is skipped.
pub(super) fn previous<'a>(replicasets: &[Live<'a>], key: &str) -> Option<(Live<'a>, i64)> {
    let (mut latest, mut latest_revision) = (None, -1);
    let (mut previous, mut previous_revision) = (None, -1);
    for rs in replicasets {
        let revision = match rs.at(&["metadata", "annotations", key]) {
            None => 0,
            Some(v) => match v.as_str().map(str::parse::<i64>) {
                Some(Ok(r)) => r,
                _ => continue,
            },
        };
        if latest_revision < revision {
            (previous, previous_revision) = (latest, latest_revision);
            (latest, latest_revision) = (Some(*rs), revision);
        } else if previous_revision < revision {
            (previous, previous_revision) = (Some(*rs), revision);
        }
    }
    previous.map(|rs| (rs, previous_revision))
}

/// A pod template without one of its labels (the hash its ReplicaSet added).
pub(super) fn without_label(template: &Value, label: &str) -> Value {
    let mut t = template.clone();
    if let Some(labels) = t
        .get_mut("metadata")
        .and_then(|m| m.get_mut("labels"))
        .and_then(Value::as_object_mut)
    {
        labels.remove(label);
    }
    t
}

/// Templates equal as the API compares them: absent, null and empty are alike.
pub(super) fn same_template(a: &Value, b: &Value) -> bool {
    normalised(a) == normalised(b)
}

fn normalised(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), normalised(v)))
                .filter(|(_, v)| !is_empty(v))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalised).collect()),
        other => other.clone(),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// The preview of a template change: each image that changes, then the revision.
pub(super) fn template_fields(
    current: &Value,
    restored: &Value,
    current_revision: Option<&str>,
    revision: i64,
) -> Vec<FieldChange> {
    let images = |t: &Value| -> Vec<Option<Value>> {
        array_at(t, &["spec", "containers"])
            .iter()
            .map(|c| c.get("image").cloned())
            .collect()
    };
    let (now, then) = (images(current), images(restored));
    let mut fields: Vec<FieldChange> = (0..now.len().max(then.len()))
        .filter_map(|i| {
            let (a, b) = (
                now.get(i).cloned().flatten(),
                then.get(i).cloned().flatten(),
            );
            (a != b).then(|| {
                change(
                    &format!("spec.template.spec.containers[{i}].image"),
                    text(a.as_ref()),
                    text(b.as_ref()),
                )
            })
        })
        .collect();
    fields.push(change(
        "spec.template",
        current_revision.map_or_else(|| "current".to_string(), |r| format!("revision {r}")),
        format!("revision {revision}"),
    ));
    fields
}
