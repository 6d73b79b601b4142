//! `kshift list`: the releases of the cluster as a table, JSON or YAML.

use std::fmt::Write;

use clap::ValueEnum;
use color_eyre::eyre::Result;

use super::Cli;
use crate::alerts::{self, Alert};
use crate::analysis::{Thresholds, Verdict, candidate, verdict_of};
use crate::cluster::{connect, discover, fetch};
use crate::config::Config;
use crate::metrics::feed::{Feed, Request};
use crate::metrics::{self, Snapshot, VersionKey};
use crate::model::Release;
use crate::ui::sanitize;
use serde_json::Value;
use std::time::Duration;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Yaml,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: Format,
    /// The window health is computed over (default: the config's, else 1m).
    #[arg(long, value_parser = crate::ages::parse_duration)]
    pub window: Option<std::time::Duration>,
}

pub async fn run(cli: &Cli, args: &ListArgs) -> Result<()> {
    let (client, _context) = connect::from_kubeconfig(cli.context.as_deref()).await?;
    let (objects, notes) = fetch::fetch(&client, cli.scope()).await?;
    let releases = discover::discover(&objects, &discover::Settings::default());
    for note in &notes {
        crate::output::stderr(&format!("skipped {note}"));
    }
    let config = Config::load(cli.config.as_deref())?;
    let window = args
        .window
        .or(config.window)
        .unwrap_or(super::DEFAULT_VERDICT_WINDOW);
    let feed = super::feed(cli, &config, None)?;
    let keys: Vec<VersionKey> = releases
        .iter()
        .flat_map(|r| r.versions.iter().map(move |v| metrics::key_of(r, v)))
        .collect();
    // Without a Prometheus health is unknown, and without Alertmanager alerts are:
    // neither is an error.
    let judged = !matches!(feed, Feed::Off(_));
    let snapshot = match feed {
        Feed::Off(_) => Snapshot::default(),
        feed => {
            feed.refresh(
                &keys,
                Request {
                    window,
                    history: false,
                },
            )
            .await
        }
    };
    let alerts = match super::alertmanager(cli, &config)? {
        Some(alertmanager) => Some(alertmanager.firing().await),
        None => None,
    };
    let facts = Facts {
        snapshot: &snapshot,
        window,
        thresholds: judged.then_some(&config.thresholds),
        alerts: alerts.as_ref(),
        critical_alerts_fail: config.critical_alerts_fail,
    };
    let text = match args.output {
        Format::Json => crate::output::json(&with_health(&releases, &facts), true)?,
        Format::Yaml => crate::output::yaml(&with_health(&releases, &facts))?,
        Format::Table => {
            for error in &snapshot.errors {
                crate::output::stderr(&format!("metrics: {error}"));
            }
            if let Some(Err(error)) = &alerts {
                crate::output::stderr(&format!("alerts: {error}"));
            }
            table(&releases, &facts)
        }
    };
    super::print_out(&text)
}

/// What `kshift list` knows besides the releases.
struct Facts<'a> {
    snapshot: &'a Snapshot,
    window: Duration,
    /// The thresholds before the annotations, when there are metrics to judge by.
    thresholds: Option<&'a Thresholds>,
    /// The firing alerts, or why Alertmanager did not say, when one is configured.
    alerts: Option<&'a Result<Vec<Alert>, String>>,
    critical_alerts_fail: bool,
}

impl Facts<'_> {
    /// The alerts about a release (none when Alertmanager did not answer).
    fn alerts_about<'a>(&'a self, release: &Release) -> Vec<&'a Alert> {
        match self.alerts {
            Some(Ok(alerts)) => alerts::about(alerts, release),
            _ => Vec::new(),
        }
    }

    /// The verdict on a release's candidate, when there are metrics and a candidate;
    /// a critical alert makes it failing when the config says so.
    fn verdict(&self, release: &Release) -> Option<Verdict> {
        let thresholds = self.thresholds?;
        candidate(release)?;
        let (verdict, _) = verdict_of(release, self.snapshot, self.window, thresholds);
        Some(if self.critical_alerts_fail {
            alerts::overrule(verdict, &self.alerts_about(release))
        } else {
            verdict
        })
    }
}

/// The releases' JSON with `health` on every version (null where unknown),
/// `metrics_error` on every release when metrics failed, the canary `verdict` when
/// there are metrics at all, and with Alertmanager the `alerts` about each release (or
/// `alerts_error` when it did not answer).
fn with_health(releases: &[Release], facts: &Facts) -> Value {
    let snapshot = facts.snapshot;
    let metrics_error = (!snapshot.errors.is_empty()).then(|| snapshot.errors.join("; "));
    let listed: Vec<Value> = releases
        .iter()
        .map(|release| {
            let mut value = serde_json::to_value(release).unwrap_or(Value::Null);
            if let Some(versions) = value["versions"].as_array_mut() {
                for (version, model) in versions.iter_mut().zip(&release.versions) {
                    let health = snapshot
                        .health
                        .get(&metrics::key_of(release, model))
                        .copied()
                        .unwrap_or_default();
                    version["health"] = serde_json::to_value(health).unwrap_or(Value::Null);
                }
            }
            if let Some(error) = &metrics_error {
                value["metrics_error"] = Value::String(error.clone());
            }
            if let Some(base) = facts.thresholds {
                value["verdict"] =
                    serde_json::to_value(facts.verdict(release)).unwrap_or(Value::Null);
                let limits = crate::analysis::limits_of(release, base);
                value["thresholds"] = serde_json::json!({
                    "max_error_rate": limits.max_error_rate,
                    "max_p99_ms": limits.max_p99_ms,
                });
            }
            match facts.alerts {
                Some(Ok(_)) => {
                    value["alerts"] =
                        serde_json::to_value(facts.alerts_about(release)).unwrap_or(Value::Null);
                }
                Some(Err(error)) => value["alerts_error"] = Value::String(error.clone()),
                None => {}
            }
            value
        })
        .collect();
    Value::Array(listed)
}

fn health_cell(
    release: &Release,
    snapshot: &Snapshot,
    read: impl Fn(&crate::metrics::Health) -> Option<String>,
) -> String {
    release
        .versions
        .iter()
        .map(|v| {
            snapshot
                .health
                .get(&metrics::key_of(release, v))
                .and_then(&read)
                .unwrap_or_else(|| "-".into())
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// `90|10`: the weights in the order of the versions.
fn weights(release: &Release) -> String {
    release
        .versions
        .iter()
        .map(|v| format!("{}", v.weight.round()))
        .collect::<Vec<_>>()
        .join("|")
}

fn versions(release: &Release) -> String {
    release
        .versions
        .iter()
        .map(|v| format!("{}({})", sanitize(&v.name), v.role.as_str()))
        .collect::<Vec<_>>()
        .join(",")
}

fn ready(release: &Release) -> String {
    release
        .versions
        .iter()
        .map(|v| format!("{}/{}", v.ready, v.desired))
        .collect::<Vec<_>>()
        .join(",")
}

/// A kubectl-style table: columns as wide as their widest cell.
fn table(releases: &[Release], facts: &Facts) -> String {
    let snapshot = facts.snapshot;
    let mut header = vec![
        "NAMESPACE",
        "NAME",
        "KIND",
        "STRATEGY",
        "PHASE",
        "STEP",
        "WEIGHTS",
        "VERSIONS",
        "READY",
        "ERRORS",
        "P99",
        "WARNINGS",
    ];
    let (verdicts, alerted) = (facts.thresholds.is_some(), facts.alerts.is_some());
    if verdicts {
        header.push("VERDICT");
    }
    if alerted {
        header.push("ALERTS");
    }
    let rows: Vec<Vec<String>> = releases
        .iter()
        .map(|r| {
            let mut row = vec![
                sanitize(&r.namespace).into_owned(),
                sanitize(&r.name).into_owned(),
                r.kind.as_str().to_string(),
                r.strategy.as_str().to_string(),
                r.phase.as_str().to_string(),
                r.step
                    .map_or_else(|| "-".to_string(), |s| format!("{}/{}", s.index, s.count)),
                weights(r),
                versions(r),
                ready(r),
                health_cell(r, snapshot, |h| {
                    h.error_rate.map(|e| format!("{:.1}%", e * 100.0))
                }),
                health_cell(r, snapshot, |h| h.p99_ms.map(|p| format!("{p:.0}ms"))),
                r.warnings.len().to_string(),
            ];
            if verdicts {
                row.push(
                    facts
                        .verdict(r)
                        .map_or_else(|| "-".into(), |v| v.state.as_str().to_string()),
                );
            }
            if alerted {
                row.push(alerts::badge(&facts.alerts_about(r)).unwrap_or_else(|| "-".into()));
            }
            row
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[&str]| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                let _ = write!(text, "{cell:<width$}   ", width = widths[i]);
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&header);
    for row in &rows {
        line(&row.iter().map(String::as_str).collect::<Vec<_>>());
    }
    if releases.is_empty() {
        return "No releases found.\n".to_string();
    }
    out
}
