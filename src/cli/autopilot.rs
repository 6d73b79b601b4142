//! `kshift autopilot NS/RELEASE`: drives one release by itself. Every interval: read
//! the release, judge its canary (or preview) against stable (or active) on the
//! Prometheus window, decide (`autopilot::decide`), and carry a step or a rollback out
//! as `kshift step|rollback --yes` would, one log line per decision. Holds the
//! release's Lease all along.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use color_eyre::eyre::{Result, eyre};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

use super::Cli;
use super::act::{Refused, confirm, find};
use crate::actions::apply::Executor;
use crate::autopilot::Settings;
use crate::autopilot::driver::{Driver, ERRORS_TOLERATED, End, Finish, Report};
use crate::autopilot::lease::{self, Lease, LeaseError};
use crate::cluster::{connect, discover, fetch};
use crate::config::Config;
use crate::metrics::feed::Feed;

#[derive(Debug, clap::Args)]
pub struct AutopilotArgs {
    /// The release, as NAMESPACE/NAME (see `kshift list`).
    #[arg(value_name = "NS/RELEASE", value_parser = super::act::parse_release)]
    pub release: (String, String),
    /// How often to judge and decide (default: the config's, else 30s).
    #[arg(long, value_parser = crate::config::parse_interval)]
    pub interval: Option<Duration>,
    /// Consecutive healthy verdicts before a step forward (default: the config's, else 3).
    #[arg(long, value_parser = crate::config::parse_intervals)]
    pub healthy_intervals: Option<u32>,
    /// Consecutive failing verdicts before a rollback (default: the config's, else 2).
    #[arg(long, value_parser = crate::config::parse_intervals)]
    pub failing_intervals: Option<u32>,
    /// The canary weight (percent) at which the release counts as promoted (default:
    /// the config's, else 100).
    #[arg(long, value_parser = crate::config::parse_weight)]
    pub max_weight: Option<f64>,
    /// The window each verdict is computed over (default: the config's, else 1m).
    #[arg(long, value_parser = crate::ages::parse_duration)]
    pub window: Option<Duration>,
    /// Start without asking (needed without a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// Stopped by a signal, between two decisions, with the lease released: exit 130
/// (SIGINT) or 143 (SIGTERM), as a shell reports a process killed by them.
#[derive(Debug, Clone)]
pub struct Interrupted {
    pub code: u8,
    pub signal: &'static str,
}

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "autopilot stopped by {} between two decisions; its lease is released",
            self.signal
        )
    }
}

impl std::error::Error for Interrupted {}

pub async fn run(cli: &Cli, args: &AutopilotArgs) -> Result<()> {
    let (namespace, name) = &args.release;
    if cli.readonly {
        return Err(Refused("read-only mode: the autopilot is not allowed".into()).into());
    }
    let config = Config::load(cli.config.as_deref())?;
    let feed = super::feed(cli, &config, None)?;
    if let Feed::Off(_) = feed {
        return Err(eyre!(
            "the autopilot needs --prometheus URL (or metrics.prometheus in the config) to judge the canary"
        ));
    }
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(Refused(
                "not started: no terminal to confirm on; pass --yes to let the autopilot apply steps and rollbacks".into(),
            )
            .into());
        }
        let question =
            format!("let the autopilot step and roll back {namespace}/{name} without asking?");
        if !confirm(&question)? {
            return Err(Refused("not started".into()).into());
        }
    }
    let window = args
        .window
        .or(config.window)
        .unwrap_or(super::DEFAULT_VERDICT_WINDOW);
    let interval = args.interval.unwrap_or(config.autopilot.interval);
    let base = config.autopilot.settings;
    let settings = Settings {
        healthy_intervals: args.healthy_intervals.unwrap_or(base.healthy_intervals),
        failing_intervals: args.failing_intervals.unwrap_or(base.failing_intervals),
        max_weight: args.max_weight.unwrap_or(base.max_weight),
    };
    let (client, context) = connect::from_kubeconfig(cli.context.as_deref()).await?;
    // The release must exist before its lease is taken.
    let (objects, _) = fetch::fetch(&client, Some(namespace)).await?;
    find(
        &discover::discover(&objects, &discover::Settings::default()),
        namespace,
        name,
    )?;
    let executor = Executor::new(client.clone(), &context).await;
    let stop = on_signals()?;
    let holder = lease::identity(executor.user());
    let lease = Lease::acquire(
        client.clone(),
        namespace,
        name,
        &holder,
        lease::duration_for(interval),
    )
    .await
    .map_err(|e| match e {
        LeaseError::Held(m) => color_eyre::Report::from(Refused(m)),
        LeaseError::Api(m) => eyre!(m),
    })?;
    crate::output::stderr(&format!(
        "autopilot on {namespace}/{name} as {holder} (Lease {}), every {}s over a {}s window",
        lease::name_for(name),
        interval.as_secs_f64(),
        window.as_secs_f64()
    ));
    let driver = Driver {
        namespace: namespace.clone(),
        name: name.clone(),
        client,
        executor: Arc::new(executor),
        feed: Arc::new(feed),
        window,
        thresholds: config.thresholds,
        settings,
        critical_alerts: super::alertmanager(cli, &config)?
            .filter(|_| config.critical_alerts_fail)
            .map(Arc::new),
    };
    let mut lease = lease;
    let mut stop = stop;
    let key = driver.key();
    let finish = driver
        .drive(&mut lease, interval, &mut stop, |report| {
            let line = match report {
                Report::Interval(record) => {
                    record.line(&key, &driver.settings, jiff::Timestamp::now())
                }
                Report::ErrorHold { error, in_a_row } => format!(
                    "{} {key} error hold ({in_a_row} of {ERRORS_TOLERATED} in a row): {error}",
                    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ")
                ),
            };
            // The log is for whoever reads it: a reader gone (`| head`) or a full disk
            // must not stop the autopilot in the middle of a release. Cluster text in
            // it (version names, reasons) is escaped, as everywhere on a terminal.
            let line = format!("{}\n", crate::ui::sanitize(&line));
            if let Err(error) = super::print_out(&line) {
                tracing::warn!("autopilot log line not written: {error}");
            }
        })
        .await;
    if let Err(error) = lease.release().await {
        crate::output::stderr(&error.to_string());
    }
    match finish? {
        Finish::Ended(End::Promoted) => Ok(()),
        Finish::Ended(End::RolledBack(reason)) => {
            Err(Refused(format!("rolled back {key}: {reason}")).into())
        }
        Finish::Ended(End::Abandoned(reason)) => {
            Err(Refused(format!("stopped on {key}: {reason}")).into())
        }
        Finish::Stopped => {
            let stopped = stop.borrow().clone();
            Err(stopped
                .unwrap_or(Interrupted {
                    code: 130,
                    signal: "SIGINT",
                })
                .into())
        }
    }
}

/// A watch that turns to `Some` on the first SIGINT or SIGTERM.
fn on_signals() -> Result<watch::Receiver<Option<Interrupted>>> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let (sender, receiver) = watch::channel(None);
    tokio::spawn(async move {
        let stopped = tokio::select! {
            _ = interrupt.recv() => Interrupted { code: 130, signal: "SIGINT" },
            _ = terminate.recv() => Interrupted { code: 143, signal: "SIGTERM" },
        };
        let _ = sender.send(Some(stopped));
    });
    Ok(receiver)
}
