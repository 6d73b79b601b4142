//! Routers that weigh traffic themselves: Istio, Gateway API and SMI by a JSON
//! patch of their weights guarded by `test` ops, NGINX by the annotation of its
//! canary Ingress guarded by the resourceVersion.

use serde_json::{Value, json};

use super::{
    Ctx, Live, Planned, Refusal, Verb, annotation_field, array_at, at, canary_move, change,
    next_weight, number, pair, pause_by_annotation, percent, pointer, refuse, test_op, text,
};
use crate::actions::Change;
use crate::model::{Kind, Release, Version};

const NGINX: &str = "nginx.ingress.kubernetes.io/";

pub(super) fn plan(ctx: &Ctx<'_>, verb: Verb) -> Result<Planned, Refusal> {
    let release = ctx.release;
    let router = router(ctx)?;
    match verb {
        Verb::Pause | Verb::Resume => return pause_by_annotation(ctx, router, verb),
        Verb::Undo => {
            return refuse(format!(
                "a router has no revisions; use rollback ({} keeps no history)",
                router.what()
            ));
        }
        _ => {}
    }
    if release.kind == Kind::Nginx && release.versions.len() < 2 {
        return refuse(format!(
            "{} has no primary Ingress beside it, so there is no stable version to move traffic from",
            router.what()
        ));
    }
    let (s, c) = pair(release)?;
    let (stable, canary) = (&release.versions[s], &release.versions[c]);
    let weight = if verb == Verb::Flip {
        flip(ctx, stable, canary)?
    } else {
        next_weight(verb, canary.weight, stable.weight, &release.plan)?
    };
    // Traffic only ever moves to versions that can serve it.
    let w = f64::from(weight);
    if w > canary.weight {
        ctx.may_gain(canary)?;
    }
    if 100.0 - w > stable.weight {
        ctx.may_gain(stable)?;
    }
    let mut caveats = Vec::new();
    let change = match release.kind {
        Kind::Nginx => nginx(router, weight)?,
        kind => weights(kind, router, release, (s, c), weight, &mut caveats)?,
    };
    let summary = match verb {
        Verb::Flip if weight == 100 => format!("active {} -> {}", stable.name, canary.name),
        Verb::Flip => format!("active {} -> {}", canary.name, stable.name),
        _ => canary_move(
            canary,
            stable,
            &percent(canary.weight),
            &weight.to_string(),
            w < canary.weight,
        ),
    };
    if let Some(owner) = router.controller() {
        caveats.push(format!(
            "{} is managed by {owner}, which may revert this change.",
            router.what()
        ));
    }
    let mut planned = Planned::new(summary, vec![change]);
    planned.caveats = caveats;
    Ok(planned)
}

/// The object whose weights decide: the VirtualService, HTTPRoute or TrafficSplit,
/// or NGINX's canary Ingress.
fn router<'a>(ctx: &Ctx<'a>) -> Result<Live<'a>, Refusal> {
    match ctx.release.kind {
        Kind::Istio => ctx.first("VirtualService"),
        Kind::Gateway => ctx.first("HTTPRoute"),
        Kind::Smi => ctx.first("TrafficSplit"),
        _ => match ctx.all("Ingress").into_iter().find(is_canary) {
            Some(ingress) => Ok(ingress),
            None => refuse(format!(
                "release {} has no NGINX canary Ingress any more; refresh and try again",
                ctx.release.key()
            )),
        },
    }
}

/// `canary: "true"` as NGINX reads booleans.
fn is_canary(ingress: &Live<'_>) -> bool {
    ingress
        .annotation(&format!("{NGINX}canary"))
        .is_some_and(|c| matches!(c.trim(), "true" | "True" | "TRUE" | "t" | "T" | "1"))
}

/// A flip swaps 100/0 for 0/100: the canary's new weight.
fn flip(ctx: &Ctx<'_>, stable: &Version, canary: &Version) -> Result<u32, Refusal> {
    let all = |v: &Version| v.weight >= 100.0 - 1e-9;
    let none = |v: &Version| v.weight <= 1e-9;
    if all(stable) && none(canary) {
        ctx.may_flip_to(canary)?;
        Ok(100)
    } else if all(canary) && none(stable) {
        ctx.may_flip_to(stable)?;
        Ok(0)
    } else {
        refuse(format!(
            "flip moves all traffic from one version to the other, but the canary has {}%; use step, promote or rollback",
            percent(canary.weight)
        ))
    }
}

/// One weighted entry of a router, in the order recognition made versions of them.
struct Slot<'v> {
    /// Pointer parts of the entry (`spec`, `http`, `0`, `route`, `1`).
    path: Vec<String>,
    /// The entry as the preview names it: `spec.http[0].route[1]`.
    field: String,
    /// What identifies the entry (its host, subset, name or service), by sub-path.
    ident: Vec<(&'static [&'static str], &'v Value)>,
    weight: Option<&'v Value>,
}

impl<'v> Slot<'v> {
    fn new(path: Vec<String>, entry: &'v Value, ident: &[&'static [&'static str]]) -> Self {
        let found: Vec<(&'static [&'static str], &'v Value)> = ident
            .iter()
            .filter_map(|sub| at(entry, sub).filter(|v| v.is_string()).map(|v| (*sub, v)))
            .collect();
        let field = path
            .iter()
            .map(|p| match p.parse::<usize>() {
                Ok(i) => format!("[{i}]"),
                Err(_) => format!(".{p}"),
            })
            .collect::<String>()
            .trim_start_matches('.')
            .to_string();
        Slot {
            path,
            field,
            // An entry without a name is identified by all of itself.
            ident: if found.is_empty() {
                vec![(&[], entry)]
            } else {
                found
            },
            weight: entry.get("weight").filter(|w| !w.is_null()),
        }
    }
}

/// The weighted entries of the first weighted group (http route or rule), as
/// recognition picks it; how many weighted groups there are; and the entries
/// recognition leaves out (no host or service) that may still get traffic.
fn slots(kind: Kind, router: &Value) -> (Vec<Slot<'_>>, usize, Vec<String>) {
    let path = |parts: &[&str]| parts.iter().map(|p| p.to_string()).collect::<Vec<_>>();
    // An entry left out may have no weight at all, or one above 0.
    let unfollowed = |e: &Value| e.get("weight").and_then(number).is_none_or(|w| w > 0.0);
    if kind == Kind::Smi {
        let backends = array_at(router, &["spec", "backends"]);
        let (named, unnamed): (Vec<_>, Vec<_>) = backends
            .iter()
            .enumerate()
            .partition(|(_, b)| b.get("service").is_some_and(Value::is_string));
        let slots = named
            .into_iter()
            .map(|(j, b)| {
                Slot::new(
                    path(&["spec", "backends", &j.to_string()]),
                    b,
                    &[&["service"]],
                )
            })
            .collect();
        let others = unnamed
            .into_iter()
            .filter(|(_, b)| unfollowed(b))
            .map(|(j, _)| format!("spec.backends[{j}]"))
            .collect();
        return (slots, 1, others);
    }
    let (groups, list, ident): (&str, &str, &[&'static [&'static str]]) = if kind == Kind::Istio {
        (
            "http",
            "route",
            &[&["destination", "host"], &["destination", "subset"]],
        )
    } else {
        ("rules", "backendRefs", &[&["name"]])
    };
    let all = array_at(router, &["spec", groups]);
    let chosen: Vec<usize> = (0..all.len())
        .filter(|&i| match kind {
            Kind::Istio => is_weighted(&all[i]),
            _ => array_at(&all[i], &[list]).len() >= 2,
        })
        .collect();
    let Some(&i) = chosen.first() else {
        return (Vec::new(), 0, Vec::new());
    };
    // Recognition leaves out Istio destinations without a host.
    let (followed, left_out): (Vec<_>, Vec<_>) = array_at(&all[i], &[list])
        .iter()
        .enumerate()
        .partition(|(_, e)| {
            kind != Kind::Istio || at(e, &["destination", "host"]).is_some_and(Value::is_string)
        });
    let slots = followed
        .into_iter()
        .map(|(j, e)| {
            Slot::new(
                path(&["spec", groups, &i.to_string(), list, &j.to_string()]),
                e,
                ident,
            )
        })
        .collect();
    let others = left_out
        .into_iter()
        .filter(|(_, e)| unfollowed(e))
        .map(|(j, _)| format!("spec.{groups}[{i}].{list}[{j}]"))
        .collect();
    (slots, chosen.len(), others)
}

/// An Istio http route that splits: two destinations or more, or one below 100.
fn is_weighted(http: &Value) -> bool {
    match array_at(http, &["route"]) {
        [] => false,
        [one] => one
            .get("weight")
            .and_then(number)
            .is_some_and(|w| w < 100.0),
        _ => true,
    }
}

/// The JSON patch of a VirtualService, HTTPRoute or TrafficSplit: canary to
/// `weight`, stable to the rest, each tested as read.
fn weights(
    kind: Kind,
    router: Live<'_>,
    release: &Release,
    (stable, canary): (usize, usize),
    weight: u32,
    caveats: &mut Vec<String>,
) -> Result<Change, Refusal> {
    let (slots, groups, others) = slots(kind, router.value);
    if slots.len() != release.versions.len() {
        return refuse(format!(
            "{} changed since it was read; refresh and try again",
            router.what()
        ));
    }
    if !others.is_empty() {
        return refuse(format!(
            "{} also sends traffic to {}, which names no {}; kshift moves traffic between two versions only",
            router.what(),
            others.join(", "),
            if kind == Kind::Istio {
                "host"
            } else {
                "service"
            }
        ));
    }
    let (mut tests, mut writes, mut fields) = (Vec::new(), Vec::new(), Vec::new());
    for (index, new) in [(canary, weight), (stable, 100 - weight)] {
        let Some(slot) = slots.get(index) else {
            return refuse(format!("{} changed since it was read", router.what()));
        };
        let parts: Vec<&str> = slot.path.iter().map(String::as_str).collect();
        let base = pointer(&parts);
        for (sub, value) in &slot.ident {
            tests.push(test_op(&format!("{base}{}", pointer(sub)), value));
        }
        let path = format!("{base}/weight");
        if let Some(w) = slot.weight {
            tests.push(test_op(&path, w));
        }
        // Gateway API weights may be absent (1): `add` sets them either way.
        let op = if kind == Kind::Gateway || slot.weight.is_none() {
            "add"
        } else {
            "replace"
        };
        writes.push(json!({"op": op, "path": path, "value": new}));
        if slot.weight.and_then(Value::as_u64) != Some(u64::from(new)) {
            fields.push(change(
                &format!("{}.weight", slot.field),
                text(slot.weight),
                new.to_string(),
            ));
        }
    }
    if groups > 1 {
        caveats.push(format!(
            "{} has {groups} weighted {}; only the first changes.",
            router.what(),
            if kind == Kind::Istio {
                "http routes"
            } else {
                "rules"
            }
        ));
    }
    let sum: f64 = release.versions.iter().map(|v| v.weight).sum();
    if kind == Kind::Istio && (sum - 100.0).abs() > 1e-9 {
        caveats.push(format!(
            "{}: the weights summed to {}; after this they sum to 100.",
            router.what(),
            percent(sum)
        ));
    }
    tests.extend(writes);
    Ok(router.json_patch(tests, fields))
}

/// The merge patch of NGINX's `canary-weight`, in `canary-weight-total` units.
fn nginx(ingress: Live<'_>, weight: u32) -> Result<Change, Refusal> {
    let total = ingress
        .annotation(&format!("{NGINX}canary-weight-total"))
        .and_then(|t| t.trim().parse::<f64>().ok())
        .filter(|t| t.is_finite() && *t > 0.0)
        .unwrap_or(100.0);
    let new = format!("{:.0}", (f64::from(weight) * total / 100.0).round());
    let key = format!("{NGINX}canary-weight");
    let from = text(ingress.at(&["metadata", "annotations", &key]));
    let body = json!({"metadata": {"annotations": {&key: &new}}});
    ingress.merge(None, body, vec![change(&annotation_field(&key), from, new)])
}
