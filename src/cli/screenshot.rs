//! `kshift screenshot`: the console over a demo scenario, rendered into a file.

use std::path::PathBuf;
use std::time::Duration;

use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::Cli;
use crate::app::Msg;
use crate::cluster::discover::{self, Settings};
use crate::cluster::{fetch, sources};
use crate::demo::{Cluster, ClusterOptions, scenario};
use crate::metrics::feed::{Feed, Request};
use crate::metrics::{self, VersionKey};
use crate::ui::{ColorDepth, detect};

#[derive(Debug, clap::Args)]
pub struct ScreenshotArgs {
    /// The demo scenario to show.
    #[arg(long, default_value = "showcase")]
    pub scenario: String,
    /// `list`, or `detail:NAMESPACE/NAME`.
    #[arg(long, default_value = "list")]
    pub view: String,
    /// The terminal size, WIDTHxHEIGHT.
    #[arg(long, default_value = "120x40", value_parser = parse_size)]
    pub size: (u16, u16),
    /// The file to write: .svg, .txt or .ansi.
    #[arg(long)]
    pub out: PathBuf,
}

fn parse_size(text: &str) -> Result<(u16, u16), String> {
    let parsed = text
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u16>().ok()?, h.parse::<u16>().ok()?)));
    match parsed {
        Some((w, h)) if (40..=1000).contains(&w) && (10..=500).contains(&h) => Ok((w, h)),
        _ => Err(format!(
            "{text:?} is not a size like 120x40 (40x10 to 1000x500)"
        )),
    }
}

/// How long the demo's traffic runs before the picture, so that rates and graphs show
/// and a canary at 10 % has served the 50 requests a verdict needs (60 a second per
/// release): with less, every verdict in the picture is honestly `inconclusive`.
const TRAFFIC: Duration = Duration::from_secs(10);

/// Waits until the demo's Deployments have rolled out, so the picture shows a settled cluster.
async fn settle(client: &kube::Client) {
    let api: kube::Api<k8s_openapi::api::apps::v1::Deployment> = kube::Api::all(client.clone());
    for _ in 0..100 {
        let Ok(list) = api.list(&Default::default()).await else {
            return;
        };
        let done = list.items.iter().all(|d| {
            let status = d.status.clone().unwrap_or_default();
            status.observed_generation >= d.metadata.generation
                && status.available_replicas.unwrap_or(0) >= d.spec.replicas.unwrap_or(1)
        });
        if done {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn run(cli: &Cli, args: &ScreenshotArgs) -> Result<()> {
    let extension = args
        .out
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_string();
    if !matches!(extension.as_str(), "svg" | "txt" | "ansi") {
        bail!(
            "--out {}: the file must end in .svg, .txt or .ansi",
            args.out.display()
        );
    }
    let cluster = Cluster::new(&ClusterOptions::default());
    scenario::load_builtin(&cluster, &args.scenario)?;
    cluster.start_controllers(50.0);
    let client = cluster.client();
    settle(&client).await;
    let (served, skipped) = sources::resolve(&client).await;
    let (objects, _) = fetch::fetch(&client, cli.scope()).await?;
    let releases = discover::discover(&objects, &Settings::default());
    let depth = match &cli.color {
        Some(flag) => detect(None, None, None, Some(flag)),
        None => ColorDepth::TrueColor,
    };
    let config = crate::config::Config::load(cli.config.as_deref())?;
    let (mut app, _) = super::console::build_app(cli, &config, "kshift-demo".to_string(), depth)?;
    let (width, height) = args.size;
    app.update(Msg::Resize(width, height));
    app.update(Msg::WatchedKinds(
        served.iter().map(|s| s.source.plural.to_string()).collect(),
        skipped,
    ));
    let keys: Vec<VersionKey> = releases
        .iter()
        .flat_map(|r| r.versions.iter().map(move |v| metrics::key_of(r, v)))
        .collect();
    app.update(Msg::Releases(releases));
    app.update(Msg::Now(jiff::Timestamp::now().as_second()));
    if let Some(key) = args.view.strip_prefix("detail:") {
        let release = app
            .release(key)
            .cloned()
            .ok_or_else(|| eyre!("no release {key:?} in scenario {}", args.scenario))?;
        app.open_release(key);
        let events = crate::console::recent_events(&client, &release).await?;
        app.update(Msg::Events(key.to_string(), events));
    } else if args.view != "list" {
        bail!(
            "--view {:?}: expected list or detail:NAMESPACE/NAME",
            args.view
        );
    }
    // Health from the demo's simulated traffic, over the seconds it has run.
    tokio::time::sleep(TRAFFIC).await;
    let request = Request {
        window: Duration::from_secs(300),
        history: args.view != "list",
    };
    let snapshot = Feed::Demo(cluster.traffic()).refresh(&keys, request).await;
    app.update(Msg::Metrics(snapshot));
    let mut terminal =
        Terminal::new(TestBackend::new(width, height)).wrap_err("a test terminal")?;
    terminal
        .draw(|frame| crate::ui::render(frame, &app))
        .wrap_err("rendering")?;
    let buffer = terminal.backend().buffer();
    let text = match extension.as_str() {
        "svg" => crate::screenshot::to_svg(buffer),
        "ansi" => crate::screenshot::to_ansi(buffer),
        _ => crate::screenshot::to_text(buffer),
    };
    std::fs::write(&args.out, text).wrap_err_with(|| format!("writing {}", args.out.display()))?;
    Ok(())
}
