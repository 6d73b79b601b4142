//! Flagger: its controller moves the traffic; kshift pulls the levers its
//! maintainers document (suspend, skipAnalysis, failing the checks).

use serde_json::{Value, json};

use super::{Ctx, Live, Planned, Refusal, Verb, at, change, number, percent, refuse, str_at, text};
use crate::model::Role;

/// The threshold when the Canary names none: any Flagger default is at most this.
const DEFAULT_THRESHOLD: i64 = 5;

pub(super) fn plan(ctx: &Ctx<'_>, verb: Verb) -> Result<Planned, Refusal> {
    let canary = ctx.first("Canary")?;
    let analysis = canary
        .at(&["spec", "analysis"])
        .or_else(|| canary.at(&["spec", "canaryAnalysis"]));
    let target = str_at(canary.value, &["spec", "targetRef", "name"]).unwrap_or("its target");
    let mut planned = match verb {
        Verb::Pause | Verb::Resume => suspend(canary, verb == Verb::Pause)?,
        Verb::Promote | Verb::PromoteFull => skip_analysis(ctx, canary)?,
        Verb::Rollback => fail_checks(ctx, canary, analysis)?,
        Verb::Step => {
            return refuse(
                "Flagger steps the canary itself on each analysis interval; use promote to skip the analysis",
            );
        }
        Verb::Back => return refuse("Flagger has no step back; use rollback"),
        Verb::Flip => {
            return refuse("Flagger decides when to switch; use promote to skip the analysis");
        }
        Verb::Undo => {
            return refuse(format!(
                "Flagger has no undo: revert the template of Deployment {target} (kubectl rollout undo) and Flagger analyses it as a new revision"
            ));
        }
    };
    let interval = analysis
        .and_then(|a| str_at(a, &["interval"]))
        .unwrap_or("1m");
    planned.caveats.push(format!(
        "Flagger acts on its next analysis interval ({interval}), not at once; GitOps tools (Argo CD, Flux) may revert spec patches."
    ));
    Ok(planned)
}

fn phase<'a>(canary: Live<'a>) -> &'a str {
    str_at(canary.value, &["status", "phase"]).unwrap_or("unknown")
}

fn flag(canary: Live<'_>, field: &str) -> bool {
    canary.at(&["spec", field]).and_then(Value::as_bool) == Some(true)
}

fn suspend(canary: Live<'_>, on: bool) -> Result<Planned, Refusal> {
    match (on, flag(canary, "suspend")) {
        (true, true) => return refuse("already paused (spec.suspend is true)"),
        (false, false) => return refuse("not paused"),
        _ => {}
    }
    let fields = vec![change(
        "spec.suspend",
        text(canary.at(&["spec", "suspend"])),
        on.to_string(),
    )];
    let change = canary.merge(None, json!({"spec": {"suspend": on}}), fields)?;
    Ok(Planned::new(
        if on { "pause" } else { "resume" },
        vec![change],
    ))
}

fn skip_analysis(ctx: &Ctx<'_>, canary: Live<'_>) -> Result<Planned, Refusal> {
    let phase = phase(canary);
    if !matches!(phase, "Waiting" | "Progressing" | "WaitingPromotion") {
        return refuse(format!(
            "{} has no analysis to skip (phase {phase}); skipAnalysis would promote its next revision unchecked",
            canary.what()
        ));
    }
    if flag(canary, "skipAnalysis") {
        return refuse("already promoting: spec.skipAnalysis is true");
    }
    let new = ctx.release.versions.iter().find(|v| v.role == Role::Canary);
    if let Some(v) = new {
        ctx.may_gain(v)?;
    }
    let fields = vec![change(
        "spec.skipAnalysis",
        text(canary.at(&["spec", "skipAnalysis"])),
        "true",
    )];
    let change = canary.merge(None, json!({"spec": {"skipAnalysis": true}}), fields)?;
    let summary = match new {
        Some(v) => format!(
            "skip the analysis: canary {} {}% -> 100%",
            v.name,
            percent(v.weight)
        ),
        None => "skip the analysis".to_string(),
    };
    let mut planned = Planned::new(summary, vec![change]);
    planned.caveats.push(
        "spec.skipAnalysis stays true: later revisions are promoted without analysis until it is set back to false.".into(),
    );
    if flag(canary, "suspend") {
        planned
            .caveats
            .push("The Canary is suspended: nothing happens until it is resumed.".into());
    }
    Ok(planned)
}

/// The maintainers' workaround (fluxcd/flagger#1467): failedChecks at the
/// threshold makes the controller roll back.
fn fail_checks(
    ctx: &Ctx<'_>,
    canary: Live<'_>,
    analysis: Option<&Value>,
) -> Result<Planned, Refusal> {
    let phase = phase(canary);
    if !matches!(phase, "Progressing" | "WaitingPromotion") {
        return refuse(format!(
            "Flagger rolls back only during an analysis (phase Progressing or WaitingPromotion); {} is {phase}",
            canary.what()
        ));
    }
    let threshold = analysis
        .and_then(|a| a.get("threshold"))
        .and_then(number)
        .map(|t| t as i64)
        .filter(|t| *t > 0)
        .unwrap_or(DEFAULT_THRESHOLD);
    let failed = canary
        .at(&["status", "failedChecks"])
        .and_then(number)
        .map_or(0, |f| f as i64);
    if failed >= threshold {
        return refuse(format!(
            "already failing: failedChecks is {failed} of threshold {threshold}"
        ));
    }
    let versions = &ctx.release.versions;
    let stable = versions.iter().find(|v| v.role == Role::Stable);
    if let Some(v) = stable {
        ctx.may_gain(v)?;
    }
    let fields = vec![change(
        "status.failedChecks",
        text(at(canary.value, &["status", "failedChecks"])),
        threshold.to_string(),
    )];
    let body = json!({"status": {"failedChecks": threshold}});
    let change = canary.merge(Some("status"), body, fields)?;
    let summary = match (versions.iter().find(|v| v.role == Role::Canary), stable) {
        (Some(c), Some(s)) => format!(
            "fail the analysis: canary {} {}% -> 0%, all traffic to stable {}",
            c.name,
            percent(c.weight),
            s.name
        ),
        _ => "fail the analysis: roll back".to_string(),
    };
    Ok(Planned::new(summary, vec![change]))
}
