//! The command line: arguments (clap) and what each subcommand runs.

mod console;
mod demo;
mod list;
mod screenshot;

use clap::{Parser, Subcommand};
use color_eyre::eyre::Result;

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

pub async fn run(cli: Cli) -> Result<()> {
    match &cli.command {
        None => console::on_kubeconfig(&cli).await,
        Some(Command::Demo(args)) => demo::run(&cli, args).await,
        Some(Command::List(args)) => list::run(&cli, args).await,
        Some(Command::Screenshot(args)) => screenshot::run(&cli, args).await,
    }
}
