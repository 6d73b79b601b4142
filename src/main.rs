use std::process::ExitCode;

use clap::Parser;
use kshift::cli::{Cli, run};
use kshift::output;

#[tokio::main]
async fn main() -> ExitCode {
    // color-eyre's hooks first, so panics and errors keep their context. No colours
    // of its own: its report is sanitised like everything on stderr (kshift::output),
    // which would show its escape sequences as text.
    let hooks = color_eyre::config::HookBuilder::default().theme(color_eyre::config::Theme::new());
    if let Err(error) = hooks.install() {
        output::stderr(&error.to_string());
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
        // Log messages quote the cluster and the API: sanitised, without colours.
        logs.with_ansi(false)
            .with_writer(|| output::LogWriter)
            .init();
    }
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(report) if report.downcast_ref::<kshift::cli::Interrupted>().is_some() => {
            output::stderr(&report.to_string());
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
            output::stderr(&report.to_string());
            ExitCode::from(3)
        }
        Err(report) => {
            if std::env::var_os("RUST_BACKTRACE").is_some() {
                output::stderr(&format!("{report:?}"));
            } else {
                output::stderr(&format!("{report:#}"));
            }
            ExitCode::from(1)
        }
    }
}
