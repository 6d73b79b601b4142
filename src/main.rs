use std::process::ExitCode;

use clap::Parser;
use kshift::cli::{Cli, run};

#[tokio::main]
async fn main() -> ExitCode {
    // color-eyre's hooks first, so panics and errors keep their context.
    if let Err(error) = color_eyre::install() {
        eprintln!("kshift: {error}");
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KSHIFT_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(report) => {
            if std::env::var_os("RUST_BACKTRACE").is_some() {
                eprintln!("kshift: {report:?}");
            } else {
                eprintln!("kshift: {report:#}");
            }
            ExitCode::from(1)
        }
    }
}
