//! `kshift step|back|promote|flip|rollback|pause|resume|undo NS/RELEASE`: one action,
//! planned, checked by the server, confirmed (or `--yes`), applied.

use std::io::{BufRead, IsTerminal, Write};

use color_eyre::eyre::{Result, eyre};
use serde_json::json;

use super::Cli;
use crate::actions::apply::{Executor, Failure};
pub use crate::actions::checked::Refused;
use crate::actions::checked::{apply_failed, checked_plan, dry_run_failed};
use crate::actions::{Options, Plan, Verb};
use crate::cluster::{connect, discover, fetch};
use crate::model::Release;
use crate::ui::sanitize;

#[derive(Debug, clap::Args)]
pub struct ActArgs {
    /// The release, as NAMESPACE/NAME (see `kshift list`).
    #[arg(value_name = "NS/RELEASE", value_parser = parse_release)]
    pub release: (String, String),
    /// Print the plan and the server's dry-run verdict; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Act even when the target version has no or too few ready pods.
    #[arg(long)]
    pub force: bool,
    /// Output: text, or json (the plan, the verdict and the result).
    #[arg(short = 'o', long, value_parser = ["text", "json"], default_value = "text")]
    pub output: String,
}

#[derive(Debug, clap::Args)]
pub struct PromoteArgs {
    /// Promote fully: past every remaining step and analysis (Argo's `promote --full`).
    #[arg(long)]
    pub full: bool,
    #[command(flatten)]
    pub act: ActArgs,
}

pub(super) fn parse_release(text: &str) -> Result<(String, String), String> {
    match text.split_once('/') {
        Some((ns, name)) if !ns.is_empty() && !name.is_empty() && !name.contains('/') => {
            Ok((ns.to_string(), name.to_string()))
        }
        _ => Err(format!("{text:?} is not NAMESPACE/NAME")),
    }
}

/// The plan as `kshift <verb>` prints it: the summary, each object and field it
/// changes, the caveats and the server's dry-run verdict. Cluster text is sanitised:
/// an annotation may hold escape sequences meant for the reader's terminal.
fn plan_text(plan: &Plan, verdict: &Result<(), Failure>) -> String {
    let mut lines = vec![format!(
        "{} {}: {}",
        plan.verb.as_str(),
        plan.release,
        plan.summary
    )];
    for change in &plan.changes {
        let sub = change
            .subresource
            .as_deref()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        lines.push(format!(
            "  {}/{}{sub}",
            change.target.kind, change.target.name
        ));
        for field in &change.fields {
            lines.push(format!(
                "    {}: {} -> {}",
                field.field, field.from, field.to
            ));
        }
    }
    for caveat in &plan.caveats {
        lines.push(format!("  note: {caveat}"));
    }
    lines.push(match verdict {
        Ok(()) => "server dry run: ok".to_string(),
        Err(failure) => format!("server dry run: {failure}"),
    });
    lines
        .iter()
        .map(|line| format!("{}\n", sanitize(line)))
        .collect()
}

/// Asks `question` on the terminal; refused (exit 3) when there is none.
pub(super) fn confirm(question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(Refused(
            "not applied: no terminal to confirm on; pass --yes to apply without asking".into(),
        )
        .into());
    }
    print!("{question} [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// The release `namespace/name` among those discovered, or an error that says where to
/// look. Two releases of one name (a VirtualService and a blue/green Service both
/// called `web`) are refused, naming both: picking one silently could act on the other.
pub(super) fn find<'a>(
    releases: &'a [Release],
    namespace: &str,
    name: &str,
) -> Result<&'a Release> {
    let named: Vec<&Release> = releases
        .iter()
        .filter(|r| r.namespace == namespace && r.name == name)
        .collect();
    match named.as_slice() {
        [one] => Ok(one),
        [] => Err(eyre!(
            "no release {namespace}/{name} (kshift list -n {namespace} shows the releases there)"
        )),
        several => {
            let which: Vec<String> = several
                .iter()
                .map(|r| match r.objects.first() {
                    Some(o) => format!("{} ({} {})", r.kind.as_str(), o.kind, o.name),
                    None => r.kind.as_str().to_string(),
                })
                .collect();
            Err(Refused(format!(
                "{} releases are named {namespace}/{name}: {}; kshift will not guess which one \
                 to act on (rename one of them, or act on its objects with kubectl)",
                several.len(),
                which.join(", ")
            ))
            .into())
        }
    }
}

pub async fn run(cli: &Cli, verb: Verb, args: &ActArgs) -> Result<()> {
    let (namespace, name) = &args.release;
    let (client, context) = connect::from_kubeconfig(cli.context.as_deref()).await?;
    let (objects, _) = fetch::fetch(&client, Some(namespace)).await?;
    let releases = discover::discover(&objects, &discover::Settings::default());
    let release = find(&releases, namespace, name)?;
    let executor = Executor::new(client, &context).await;
    let (plan, verdict) = checked_plan(
        cli.readonly,
        &executor,
        release,
        &objects,
        verb,
        &Options { force: args.force },
    )
    .await?;
    let json = args.output == "json";
    if !json {
        super::print_out(&plan_text(&plan, &verdict))?;
    }
    let report = |applied: bool, result: &str| {
        let verdict_text = match &verdict {
            Ok(()) => json!({"ok": true}),
            Err(f) => json!({"ok": false, "message": f.to_string()}),
        };
        let report =
            json!({"plan": plan, "dry_run": verdict_text, "applied": applied, "result": result});
        super::print_out(&crate::output::json(&report, false)?)
    };
    if let Err(failure) = &verdict {
        if json {
            report(false, "the server's dry run failed")?;
        }
        return Err(dry_run_failed(failure));
    }
    if args.dry_run {
        if json {
            report(false, "dry run: nothing changed")?;
        }
        return Ok(());
    }
    if !args.yes && !confirm("apply?")? {
        return Err(Refused("not applied".into()).into());
    }
    match executor.apply(&plan).await {
        Ok(()) => {
            if json {
                report(true, "applied")
            } else {
                let text = format!(
                    "applied {} on {} by {}",
                    verb.as_str(),
                    plan.release,
                    executor.user()
                );
                super::print_out(&format!("{}\n", sanitize(&text)))
            }
        }
        Err(failure) => {
            if json {
                report(false, &failure.to_string())?;
            }
            Err(apply_failed(failure))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn two_releases_of_one_name_are_refused_naming_both() {
        use crate::model::{Kind, ObjectRef};
        let release = |kind: Kind, object: &str| {
            let mut r = crate::app::fixtures::releases()
                .into_iter()
                .next()
                .unwrap_or_else(|| panic!("a fixture release"));
            (r.namespace, r.name, r.kind) = ("shop".into(), "web".into(), kind);
            r.objects = vec![ObjectRef::new(object, "web")];
            r
        };
        let both = [
            release(Kind::Istio, "VirtualService"),
            release(Kind::Service, "Service"),
        ];
        let error = super::find(&both, "shop", "web")
            .err()
            .map(|e| e.to_string());
        let error = error.unwrap_or_default();
        assert!(
            error.starts_with(
                "2 releases are named shop/web: istio (VirtualService web), service (Service web)"
            ),
            "{error}"
        );
        assert!(super::find(&both[..1], "shop", "web").is_ok());
        assert!(super::find(&both, "shop", "other").is_err());
    }

    use super::*;

    #[test]
    fn a_plan_prints_with_cluster_text_escaped() {
        let evil = "x\u{1b}]0;pwned\u{7}y";
        let mut plan = crate::app::fixtures::preview(Ok(())).plan;
        plan.summary = evil.into();
        plan.caveats = vec![evil.into()];
        plan.changes[0].fields[0].to = evil.into();
        let text = plan_text(&plan, &Err(Failure::Error(evil.into())));
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text:?}"
        );
        assert_eq!(text.matches("x\\x1b]0;pwned\\x07y").count(), 4, "{text}");
        assert!(text.starts_with(&format!("{} {}: ", plan.verb.as_str(), plan.release)));
        assert!(text.ends_with("\n"));
    }
}
