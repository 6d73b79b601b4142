//! `kshift list`: the releases of the cluster as a table, JSON or YAML.

use std::fmt::Write;

use clap::ValueEnum;
use color_eyre::eyre::{Result, WrapErr};

use super::Cli;
use crate::cluster::{connect, discover, fetch};
use crate::model::Release;
use crate::ui::sanitize;

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
}

pub async fn run(cli: &Cli, args: &ListArgs) -> Result<()> {
    let (client, _context) = connect::from_kubeconfig(cli.context.as_deref()).await?;
    let (objects, notes) = fetch::fetch(&client, cli.scope()).await?;
    let releases = discover::discover(&objects, &discover::Settings::default());
    for note in &notes {
        eprintln!("kshift: skipped {note}");
    }
    let text = match args.output {
        Format::Json => serde_json::to_string_pretty(&releases).wrap_err("writing JSON")? + "\n",
        Format::Yaml => serde_saphyr::to_string(&releases).wrap_err("writing YAML")?,
        Format::Table => table(&releases),
    };
    print!("{text}");
    Ok(())
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
fn table(releases: &[Release]) -> String {
    let header = [
        "NAMESPACE",
        "NAME",
        "KIND",
        "STRATEGY",
        "PHASE",
        "STEP",
        "WEIGHTS",
        "VERSIONS",
        "READY",
        "WARNINGS",
    ];
    let rows: Vec<[String; 10]> = releases
        .iter()
        .map(|r| {
            [
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
                r.warnings.len().to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
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
        line(&row.each_ref().map(String::as_str));
    }
    if releases.is_empty() {
        return "No releases found.\n".to_string();
    }
    out
}
