//! An action checked before it is applied, as every caller does it (`kshift <verb>`,
//! the autopilot): refused when read-only, when the planner refuses, or when RBAC
//! forbids it; then the server's dry run. Refusals are errors of their own kind, since
//! the command line ends them with exit code 3.

use color_eyre::eyre::{Result, eyre};

use super::apply::{Executor, Failure};
use super::{Options, Plan, Verb, plan};
use crate::cluster::discover::Objects;
use crate::model::Release;

/// An action refused (precondition, conflict, forbidden, read-only): exit code 3.
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// `verb` planned on `release` and checked: refused in read-only mode, when the planner
/// refuses or RBAC forbids it; the server's dry-run verdict is returned for the caller
/// to report.
pub async fn checked_plan(
    read_only: bool,
    executor: &Executor,
    release: &Release,
    objects: &Objects,
    verb: Verb,
    options: &Options,
) -> Result<(Plan, Result<(), Failure>)> {
    if read_only {
        return Err(Refused(format!("read-only mode: {} is not allowed", verb.as_str())).into());
    }
    let plan = plan::plan(release, objects, verb, options)
        .map_err(|r| Refused(format!("refused: {r}")))?;
    executor
        .authorize(&plan)
        .await
        .map_err(|f| Refused(f.to_string()))?;
    let verdict = executor.dry_run(&plan).await;
    Ok((plan, verdict))
}

/// A failed server dry run as an error: refused (exit 3) for a conflict, a prohibition
/// (RBAC or an admission webhook); an error (exit 1) for an invalid change or an API
/// that failed or did not answer.
pub fn dry_run_failed(failure: &Failure) -> color_eyre::Report {
    match failure {
        Failure::Error(m) | Failure::Invalid(m) => eyre!("the server's dry run failed: {m}"),
        other => Refused(other.to_string()).into(),
    }
}

/// A failed apply as an error, as `dry_run_failed` does.
pub fn apply_failed(failure: Failure) -> color_eyre::Report {
    match failure {
        Failure::Error(m) | Failure::Invalid(m) => eyre!("{m}"),
        other => Refused(other.to_string()).into(),
    }
}
