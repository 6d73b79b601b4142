use std::process::ExitCode;

use clap::Parser;
use kshift::cli::{Cli, run};

#[tokio::main]
async fn main() -> ExitCode {
    // color-eyre's hooks first, so panics and errors keep their context.
    if let Err(error) = color_eyre::install() {
        eprintln!("kshift: {error}");
    }
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("KSHIFT_LOG")
        .unwrap_or_else(|_| "kshift=warn".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    if cli.opens_console() {
        // Logs written to the terminal would tear the console's screen: they go to a file.
        match kshift::config::log_file() {
            Some(file) => logs
                .with_ansi(false)
                .with_writer(std::sync::Mutex::new(file))
                .init(),
            None => logs.with_writer(std::io::sink).init(),
        }
    } else {
        logs.with_writer(std::io::stderr).init();
    }
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(report) if report.downcast_ref::<kshift::cli::Interrupted>().is_some() => {
            eprintln!("kshift: {report}");
            let code = report
                .downcast_ref::<kshift::cli::Interrupted>()
                .map_or(1, |stopped| stopped.code);
            ExitCode::from(code)
        }
        Err(report)
            if report
                .downcast_ref::<kshift::console::terminal::Ended>()
                .is_some() =>
        {
            // The terminal is restored; exit as a shell reports a process the signal killed.
            eprintln!("kshift: {report}");
            let code = report
                .downcast_ref::<kshift::console::terminal::Ended>()
                .map_or(1, |ended| ended.code());
            ExitCode::from(code)
        }
        Err(report) if report.downcast_ref::<kshift::cli::Refused>().is_some() => {
            eprintln!("kshift: {report}");
            ExitCode::from(3)
        }
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
