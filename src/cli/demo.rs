//! `kshift demo`: the embedded cluster, headless or under the console.

use std::path::PathBuf;

use crate::config::Config;
use color_eyre::eyre::{Result, WrapErr};

use crate::console::{Connector, Start};
use crate::demo::access::{AccessPolicy, DenyRule};
use crate::demo::{self, Cluster, ClusterOptions, scenario};

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// A built-in scenario: showcase, bad-canary, empty, scale.
    #[arg(long, default_value = "showcase", conflicts_with = "manifests")]
    pub scenario: String,
    /// Start from every YAML file in this folder instead of a scenario.
    #[arg(long, value_name = "DIR")]
    pub manifests: Option<PathBuf>,
    /// Also serve the API over HTTP on this loopback address (port 0 picks a free port).
    #[arg(long, value_name = "ADDR")]
    pub serve: Option<String>,
    /// Write a kubeconfig for the served API (context `kshift-demo`).
    #[arg(long, value_name = "FILE", requires = "serve")]
    pub kubeconfig_out: Option<PathBuf>,
    /// Run the cluster without a console, until interrupted.
    #[arg(long)]
    pub headless: bool,
    /// Simulated time runs this many times faster (pods start in 1.5 s at 1).
    #[arg(long, default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,
    /// Deny the demo user a verb on a resource, as VERB:GROUP/RESOURCE (repeatable),
    /// e.g. patch:networking.istio.io/virtualservices.
    #[arg(long, value_name = "VERB:GROUP/RESOURCE")]
    pub deny: Vec<DenyRule>,
}

fn parse_speed(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(speed) if speed.is_finite() && (0.01..=1000.0).contains(&speed) => Ok(speed),
        _ => Err(format!("{text:?} is not a speed between 0.01 and 1000")),
    }
}

/// Builds the demo cluster the arguments describe, with its controllers running.
fn start_cluster(args: &DemoArgs) -> Result<Cluster> {
    let options = ClusterOptions {
        access: AccessPolicy {
            deny: args.deny.clone(),
        },
        speed: args.speed,
        ..ClusterOptions::default()
    };
    let cluster = Cluster::new(&options);
    match &args.manifests {
        Some(dir) => scenario::load_dir(&cluster, dir)?,
        None => scenario::load_builtin(&cluster, &args.scenario)?,
    }
    cluster.start_controllers(options.speed);
    Ok(cluster)
}

pub async fn run(cli: &super::Cli, args: &DemoArgs) -> Result<()> {
    let cluster = start_cluster(args)?;
    if let Some(addr) = &args.serve {
        let (bound, _server) = cluster.serve(addr).await?;
        if let Some(path) = &args.kubeconfig_out {
            std::fs::write(path, demo::kubeconfig(bound))
                .wrap_err_with(|| format!("writing the kubeconfig to {}", path.display()))?;
            println!(
                "kubeconfig written to {} (context kshift-demo)",
                path.display()
            );
        }
        println!("serving the Kubernetes API on http://{bound}");
    }
    if args.headless {
        return wait_for_shutdown().await;
    }
    let client = cluster.client();
    let config = Config::load(cli.config.as_deref())?;
    let feed = std::sync::Arc::new(super::feed(cli, &config, Some(&cluster))?);
    let alertmanager = super::alertmanager(cli, &config)?.map(std::sync::Arc::new);
    let start = Start {
        feed,
        alertmanager,
        connector: Connector::Fixed(client.clone()),
        client,
        context: "kshift-demo".to_string(),
        namespace: cli.scope().map(str::to_string),
    };
    super::console::open(cli, &config, start).await
}

/// Returns on Ctrl-C, SIGTERM or SIGHUP.
async fn wait_for_shutdown() -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).wrap_err("installing the SIGTERM handler")?;
    let mut hangup = signal(SignalKind::hangup()).wrap_err("installing the SIGHUP handler")?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
        _ = hangup.recv() => {}
    }
    Ok(())
}
