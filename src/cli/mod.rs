//! The command line: arguments (clap) and what each subcommand runs.

mod act;
mod autopilot;
mod console;
mod demo;
mod list;
mod man;
mod screenshot;

use clap::{CommandFactory, Parser, Subcommand};
use color_eyre::eyre::Result;

use crate::actions::Verb;
use crate::alerts::alertmanager::Alertmanager;
use crate::config::Config;
use crate::metrics::feed::Feed;
use crate::metrics::{Prometheus, Templates};
pub use act::Refused;
pub use autopilot::Interrupted;

pub use demo::DemoArgs;

#[derive(Debug, Parser)]
#[command(
    name = "kshift",
    version,
    about = "A terminal console for progressive delivery on Kubernetes"
)]
pub struct Cli {
    /// The kubeconfig context to use (default: the current one).
    #[arg(long, global = true)]
    pub context: Option<String>,
    /// Only this namespace (default: all namespaces).
    #[arg(short = 'n', long, global = true, conflicts_with = "all_namespaces")]
    pub namespace: Option<String>,
    /// All namespaces (the default).
    #[arg(short = 'A', long, global = true)]
    pub all_namespaces: bool,
    /// A theme: default, mono, nord, a file in ~/.config/kshift/themes, or a path.
    #[arg(long, global = true)]
    pub theme: Option<String>,
    /// A Prometheus-compatible API (Prometheus, Thanos, Mimir) for health per version.
    #[arg(long, global = true, value_name = "URL")]
    pub prometheus: Option<String>,
    /// An Alertmanager whose firing alerts show on the releases they concern.
    #[arg(long, global = true, value_name = "URL")]
    pub alertmanager: Option<String>,
    /// The config file (default: ~/.config/kshift/config.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Offer and allow no action that changes the cluster.
    #[arg(long, global = true)]
    pub readonly: bool,
    /// A keymap: a file in ~/.config/kshift/keymaps, or a path (a partial override).
    #[arg(long, global = true)]
    pub keymap: Option<String>,
    /// Colours: auto, never, 16, 256, truecolor (NO_COLOR is honoured under auto).
    #[arg(long, global = true, value_parser = ["auto", "never", "16", "256", "truecolor"])]
    pub color: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the embedded demo cluster (a Kubernetes API that kubectl can drive).
    Demo(DemoArgs),
    /// List the releases of the cluster, without the console.
    List(list::ListArgs),
    /// Render the console over a demo scenario into a file (.svg, .txt, .ansi).
    Screenshot(screenshot::ScreenshotArgs),
    /// Move the canary to the next weight of its step plan (Argo: promote).
    Step(act::ActArgs),
    /// Move the canary to the previous weight of its step plan.
    Back(act::ActArgs),
    /// Send all traffic to the canary (Argo: promote; --full: promote --full).
    Promote(act::PromoteArgs),
    /// Blue/green: send the traffic to the other version.
    Flip(act::ActArgs),
    /// All traffic back to stable (Argo: abort; a rolling Deployment: undo).
    Rollback(act::ActArgs),
    /// Pause the release (Deployment, Rollout, Canary; routers: for the autopilot).
    Pause(act::ActArgs),
    /// Resume a paused release.
    Resume(act::ActArgs),
    /// Back to the previous revision, as `kubectl rollout undo` does.
    Undo(act::ActArgs),
    /// Drive a release by itself: step forward while healthy, roll back on failure
    /// (exit 0 promoted, 3 rolled back or refused, 1 error, 130/143 stopped by a signal).
    Autopilot(autopilot::AutopilotArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `kshift man | man -l -`.
    Man,
}

impl Cli {
    /// Whether this run draws the console (and so must keep logs off the terminal).
    pub fn opens_console(&self) -> bool {
        match &self.command {
            None => true,
            Some(Command::Demo(args)) => !args.headless,
            Some(_) => false,
        }
    }

    /// The namespace to look at; `None` is every namespace.
    pub fn scope(&self) -> Option<&str> {
        self.namespace.as_deref().filter(|_| !self.all_namespaces)
    }
}

/// Where health comes from: `--prometheus` (or the config's), else the demo's simulator
/// when there is one, else nothing, with the reason.
pub fn feed(cli: &Cli, config: &Config, demo: Option<&crate::demo::Cluster>) -> Result<Feed> {
    match cli.prometheus.clone().or_else(|| config.prometheus.clone()) {
        Some(url) => {
            let (templates, warnings) = Templates::from_toml(&config.text);
            for warning in warnings {
                tracing::warn!("config: {warning}");
            }
            let auth =
                crate::redact::authorization("prometheus", |key| config.string("metrics", key));
            let prometheus = Prometheus::with_auth(&url, PROMETHEUS_TIMEOUT, auth)
                .map_err(|e| color_eyre::eyre::eyre!(e))?;
            Ok(Feed::Prometheus(Box::new(
                prometheus.with_templates(templates),
            )))
        }
        None => Ok(match demo {
            Some(cluster) => Feed::Demo(cluster.traffic()),
            None => Feed::Off(
                "not configured (--prometheus URL, or metrics.prometheus in the config)".into(),
            ),
        }),
    }
}

/// The Alertmanager of `--alertmanager` (or the config's), if any.
pub fn alertmanager(cli: &Cli, config: &Config) -> Result<Option<Alertmanager>> {
    cli.alertmanager
        .as_deref()
        .or(config.alertmanager.as_deref())
        .map(|url| {
            let auth =
                crate::redact::authorization("alertmanager", |key| config.string("alerts", key));
            Alertmanager::with_auth(url, PROMETHEUS_TIMEOUT, auth)
                .map_err(|e| color_eyre::eyre::eyre!(e))
        })
        .transpose()
}

/// Writes a command's output to stdout, sanitised (see `crate::output`).
pub fn print_out(text: &str) -> Result<()> {
    crate::output::stdout(text)
}

/// The window verdicts are computed over when neither a flag nor the config says.
pub const DEFAULT_VERDICT_WINDOW: std::time::Duration = std::time::Duration::from_secs(60);

/// How long a Prometheus query or an Alertmanager request may take before it is
/// reported as slow.
const PROMETHEUS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(4);

pub async fn run(cli: Cli) -> Result<()> {
    match &cli.command {
        None => console::on_kubeconfig(&cli).await,
        Some(Command::Demo(args)) => demo::run(&cli, args).await,
        Some(Command::List(args)) => list::run(&cli, args).await,
        Some(Command::Screenshot(args)) => screenshot::run(&cli, args).await,
        Some(Command::Step(args)) => act::run(&cli, Verb::Step, args).await,
        Some(Command::Back(args)) => act::run(&cli, Verb::Back, args).await,
        Some(Command::Promote(args)) => {
            let verb = if args.full {
                Verb::PromoteFull
            } else {
                Verb::Promote
            };
            act::run(&cli, verb, &args.act).await
        }
        Some(Command::Flip(args)) => act::run(&cli, Verb::Flip, args).await,
        Some(Command::Rollback(args)) => act::run(&cli, Verb::Rollback, args).await,
        Some(Command::Pause(args)) => act::run(&cli, Verb::Pause, args).await,
        Some(Command::Resume(args)) => act::run(&cli, Verb::Resume, args).await,
        Some(Command::Undo(args)) => act::run(&cli, Verb::Undo, args).await,
        Some(Command::Autopilot(args)) => autopilot::run(&cli, args).await,
        Some(Command::Completions { shell }) => {
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "kshift", &mut script);
            crate::output::stdout_trusted(&script)
        }
        Some(Command::Man) => crate::output::stdout_trusted(&man::page()?),
    }
}
