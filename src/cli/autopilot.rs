//! `kshift autopilot NS/RELEASE`: drives one release by itself. Every interval: read
//! the release, judge its canary (or preview) against stable (or active) on the
//! Prometheus window, decide (`autopilot::decide`), and carry a step or a rollback out
//! as `kshift step|rollback --yes` would, one log line per decision. Holds the
//! release's Lease all along.

use std::io::IsTerminal;
use std::time::Duration;

use color_eyre::eyre::{Result, eyre};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

use super::Cli;
use super::act::{Refused, apply_failed, checked_plan, confirm, dry_run_failed, find};
use crate::actions::apply::{Executor, Label};
use crate::actions::{Options, Verb};
use crate::analysis::{Thresholds, Verdict, baseline, candidate, verdict_of};
use crate::autopilot::lease::{self, Lease, LeaseError};
use crate::autopilot::{Counters, Decision, Settings, decide};
use crate::cluster::discover::Objects;
use crate::cluster::{connect, discover, fetch};
use crate::config::Config;
use crate::metrics::feed::{Feed, Request};
use crate::metrics::{self, Snapshot};
use crate::model::{Release, Strategy};

#[derive(Debug, clap::Args)]
pub struct AutopilotArgs {
    /// The release, as NAMESPACE/NAME (see `kshift list`).
    #[arg(value_name = "NS/RELEASE", value_parser = super::act::parse_release)]
    pub release: (String, String),
    /// How often to judge and decide.
    #[arg(long, default_value = "30s", value_parser = crate::ages::parse_duration)]
    pub interval: Duration,
    /// Consecutive healthy verdicts before a step forward.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub healthy_intervals: u32,
    /// Consecutive failing verdicts before a rollback.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
    pub failing_intervals: u32,
    /// The canary weight (percent) at which the release counts as promoted.
    #[arg(long, default_value_t = 100.0)]
    pub max_weight: f64,
    /// The window each verdict is computed over (default: the config's, else 1m).
    #[arg(long, value_parser = crate::ages::parse_duration)]
    pub window: Option<Duration>,
    /// Start without asking (needed without a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// Stopped by a signal, between two decisions, with the lease released: exit 130
/// (SIGINT) or 143 (SIGTERM), as a shell reports a process killed by them.
#[derive(Debug)]
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

/// The verdict window when neither `--window` nor the config says.
const DEFAULT_WINDOW: Duration = Duration::from_secs(60);

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
    let window = args.window.or(config.window).unwrap_or(DEFAULT_WINDOW);
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
        lease::duration_for(args.interval),
    )
    .await
    .map_err(|e| match e {
        LeaseError::Held(m) => color_eyre::Report::from(Refused(m)),
        LeaseError::Api(m) => eyre!(m),
    })?;
    eprintln!(
        "kshift: autopilot on {namespace}/{name} as {holder} (Lease {}), every {}s over a {}s window",
        lease::name_for(name),
        args.interval.as_secs_f64(),
        window.as_secs_f64()
    );
    let pilot = Pilot {
        cli,
        args,
        client,
        executor,
        feed,
        window,
        settings: Settings {
            healthy_intervals: args.healthy_intervals,
            failing_intervals: args.failing_intervals,
            max_weight: args.max_weight,
        },
    };
    let mut lease = lease;
    let result = pilot.drive(&mut lease, stop).await;
    if let Err(error) = lease.release().await {
        eprintln!("kshift: {error}");
    }
    result
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

/// What one interval ended with.
enum Outcome {
    Continue,
    Done(Result<()>),
}

struct Pilot<'a> {
    cli: &'a Cli,
    args: &'a AutopilotArgs,
    client: kube::Client,
    executor: Executor,
    feed: Feed,
    window: Duration,
    settings: Settings,
}

/// Leaves the loop with `Interrupted` once a signal has come.
fn check(stop: &watch::Receiver<Option<Interrupted>>) -> Result<()> {
    match &*stop.borrow() {
        Some(stopped) => Err(Interrupted {
            code: stopped.code,
            signal: stopped.signal,
        }
        .into()),
        None => Ok(()),
    }
}

/// Interval errors in a row the autopilot holds through before it stops (exit 1).
const ERRORS_TOLERATED: u32 = 3;

impl Pilot<'_> {
    async fn drive(
        &self,
        lease: &mut Lease,
        mut stop: watch::Receiver<Option<Interrupted>>,
    ) -> Result<()> {
        let mut counters = Counters::default();
        let mut errors_in_a_row = 0;
        loop {
            check(&stop)?;
            lease.renew().await.map_err(|e| eyre!(e))?;
            // Not interrupted inside: a plan is applied whole or not at all.
            match self.interval(&mut counters).await {
                Ok(Outcome::Done(result)) => return result,
                Ok(Outcome::Continue) => errors_in_a_row = 0,
                // A passing API or Prometheus error holds for an interval; a lasting one ends the run.
                Err(error) if errors_in_a_row + 1 < ERRORS_TOLERATED => {
                    errors_in_a_row += 1;
                    let (namespace, name) = &self.args.release;
                    let now = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ");
                    println!(
                        "{now} {namespace}/{name} error hold ({errors_in_a_row} of {ERRORS_TOLERATED} in a row): {error:#}"
                    );
                }
                Err(error) => return Err(error),
            }
            check(&stop)?;
            tokio::select! {
                _ = tokio::time::sleep(self.args.interval) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// One interval: read, judge, decide, act, log.
    async fn interval(&self, counters: &mut Counters) -> Result<Outcome> {
        let (namespace, name) = &self.args.release;
        let (objects, _) = fetch::fetch(&self.client, Some(namespace)).await?;
        let releases = discover::discover(&objects, &discover::Settings::default());
        let release = find(&releases, namespace, name)
            .map_err(|e| eyre!("{e}: it is gone, the autopilot stops"))?;
        let (verdict, errors) = self.judge(release, &objects).await;
        let decision = decide(release, &verdict, counters, &self.settings);
        let weight = candidate(release).map_or(0.0, |v| v.weight);
        let mut reason = match &decision {
            Decision::Hold(why) => format!("{why} ({})", verdict.reason),
            Decision::Paused => format!(
                "paused: nothing until it is resumed (kshift resume {namespace}/{name}); {}",
                verdict.reason
            ),
            Decision::Promoted => format!(
                "the canary is at {}%, the maximum weight {}%",
                percent(weight),
                percent(self.settings.max_weight)
            ),
            Decision::Step | Decision::Rollback => verdict.reason.clone(),
        };
        if !errors.is_empty() {
            reason.push_str(&format!("; metrics: {}", errors.join("; ")));
        }
        let mut shown = decision.as_str();
        let outcome = match decision {
            Decision::Hold(_) | Decision::Paused => Outcome::Continue,
            Decision::Promoted => Outcome::Done(Ok(())),
            Decision::Step => {
                let verb = step_verb(release, weight);
                match self.act(release, &objects, verb, &verdict).await {
                    Ok(summary) => {
                        reason = format!("{} {summary}; {reason}", verb.as_str());
                        if release.strategy == Strategy::BlueGreen {
                            // Flipped: the preview is live, and roles have changed sides.
                            shown = "step (promoted)";
                            Outcome::Done(Ok(()))
                        } else {
                            Outcome::Continue
                        }
                    }
                    Err(error) if error.downcast_ref::<Refused>().is_some() => {
                        shown = "hold";
                        reason = format!("{} refused: {error}; {reason}", verb.as_str());
                        Outcome::Continue
                    }
                    Err(error) => return Err(error),
                }
            }
            Decision::Rollback => {
                let summary = self
                    .act(release, &objects, Verb::Rollback, &verdict)
                    .await?;
                reason = format!("rollback {summary}; {reason}");
                Outcome::Done(Err(Refused(format!(
                    "rolled back {namespace}/{name}: {}",
                    verdict.reason
                ))
                .into()))
            }
        };
        println!(
            "{} {namespace}/{name} {} {shown} weight {}% healthy {}/{} failing {}/{}: {reason}",
            jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            state_word(&verdict),
            percent(weight),
            counters.healthy,
            self.settings.healthy_intervals,
            counters.failing,
            self.settings.failing_intervals,
        );
        Ok(outcome)
    }

    /// The verdict on the release's candidate against its baseline, with the metrics'
    /// errors.
    async fn judge(&self, release: &Release, objects: &Objects) -> (Verdict, Vec<String>) {
        let (canary, stable) = (candidate(release), baseline(release));
        let keys: Vec<_> = [canary, stable]
            .into_iter()
            .flatten()
            .map(|v| metrics::key_of(release, v))
            .collect();
        let snapshot: Snapshot = self
            .feed
            .refresh(
                &keys,
                Request {
                    window: self.window,
                    history: false,
                },
            )
            .await;
        let (verdict, warnings) = verdict_of(
            release,
            objects,
            &snapshot,
            self.window,
            &Thresholds::default(),
        );
        let mut errors = snapshot.errors;
        errors.extend(warnings);
        (verdict, errors)
    }

    /// Plans, checks and applies `verb` as `kshift <verb> --yes` does, with the
    /// autopilot's Event reason and the verdict in the Event; the plan's summary.
    async fn act(
        &self,
        release: &Release,
        objects: &Objects,
        verb: Verb,
        verdict: &Verdict,
    ) -> Result<String> {
        let (plan, dry_run) = checked_plan(
            self.cli,
            &self.executor,
            release,
            objects,
            verb,
            &Options::default(),
        )
        .await?;
        dry_run.map_err(|f| dry_run_failed(&f))?;
        let reason = if verb == Verb::Rollback {
            "KshiftAutopilotRollback"
        } else {
            "KshiftAutopilotStep"
        };
        let label = Label {
            reason: reason.into(),
            note: format!(
                "; autopilot verdict {}: {}",
                state_word(verdict),
                verdict.reason
            ),
        };
        self.executor
            .apply_labelled(&plan, &label)
            .await
            .map_err(apply_failed)?;
        Ok(plan.summary)
    }
}

/// The verb of a step forward: flip for blue/green, promote past the plan's last step,
/// step otherwise.
fn step_verb(release: &Release, weight: f64) -> Verb {
    if release.strategy == Strategy::BlueGreen {
        Verb::Flip
    } else if release.plan.iter().all(|&w| w <= weight + 1e-9) {
        Verb::Promote
    } else {
        Verb::Step
    }
}

fn state_word(verdict: &Verdict) -> String {
    serde_json::to_value(verdict.state)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// A weight as text: `10`, `33.33`.
fn percent(w: f64) -> String {
    let rounded = (w * 100.0).round() / 100.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded}")
    }
}
