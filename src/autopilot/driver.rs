//! One autopilot interval against a cluster, shared by `kshift autopilot` and the
//! console: read the release, judge its canary (or preview) against stable (or active)
//! on the metrics window, decide (`decide`), and carry a step or a rollback out as
//! `kshift step|rollback --yes` would, with the autopilot's Event reasons.

use std::sync::Arc;
use std::time::Duration;

use color_eyre::eyre::{Result, eyre};
use kube::Client;
use tokio::sync::watch;

use super::lease::Lease;
use super::{Counters, Decision, Settings, decide};
use crate::actions::apply::{Executor, Label};
use crate::actions::checked::{Refused, apply_failed, checked_plan, dry_run_failed};
use crate::actions::{Options, Verb};
use crate::alerts::{self, alertmanager::Alertmanager};
use crate::analysis::{Thresholds, Verdict, baseline, candidate, verdict_of};
use crate::cluster::discover::{self, Objects};
use crate::cluster::fetch;
use crate::metrics::feed::{Feed, Request};
use crate::metrics::{self, Snapshot};
use crate::model::{Release, Strategy, percent};

/// What drives one release.
pub struct Driver {
    pub namespace: String,
    pub name: String,
    pub client: Client,
    pub executor: Arc<Executor>,
    pub feed: Arc<Feed>,
    /// The window each verdict is computed over.
    pub window: Duration,
    /// The verdict's thresholds before the release's annotations (the config's).
    pub thresholds: Thresholds,
    pub settings: Settings,
    /// Where a firing critical alert on the release makes the verdict failing (the
    /// config's `[alerts] critical_fails`), when it does.
    pub critical_alerts: Option<Arc<Alertmanager>>,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum End {
    /// At the maximum weight, or flipped (blue/green).
    Promoted,
    /// Rolled back, with the verdict's reason.
    RolledBack(String),
    /// The version it was started on is no longer the canary (another version came,
    /// or it went): it stops without moving traffic, and says why.
    Abandoned(String),
}

/// One interval, as logged and shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub verdict: Verdict,
    /// The decision as carried out: `step`, `hold`, `rollback`, `promoted`, `paused`,
    /// `step (promoted)`, or `hold` for a step the planner or the server refused.
    pub decision: &'static str,
    /// The candidate's weight when the interval started.
    pub weight: f64,
    pub counters: Counters,
    /// The decision's reason, the verdict's and what was applied, in words.
    pub reason: String,
    /// The canary weight the next step goes to, while there is one.
    pub next_weight: Option<f64>,
    pub end: Option<End>,
}

impl Record {
    /// The one log line `kshift autopilot` prints for the interval.
    pub fn line(&self, key: &str, settings: &Settings, at: jiff::Timestamp) -> String {
        format!(
            "{} {key} {} {} weight {}% healthy {}/{} failing {}/{}: {}",
            at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            self.verdict.state.as_str(),
            self.decision,
            percent(self.weight),
            self.counters.healthy,
            settings.healthy_intervals,
            self.counters.failing,
            settings.failing_intervals,
            self.reason
        )
    }
}

/// What `Driver::drive` reports as it goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    Interval(Box<Record>),
    /// An interval failed (the API or Prometheus not answering) and holds.
    ErrorHold {
        error: String,
        in_a_row: u32,
    },
}

/// How `Driver::drive` came back.
#[derive(Debug, Clone, PartialEq)]
pub enum Finish {
    Ended(End),
    /// Told to stop, between two intervals.
    Stopped,
}

/// Interval errors in a row the autopilot holds through before it stops with an error.
pub const ERRORS_TOLERATED: u32 = 3;

impl Driver {
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// Drives the release every `every` until it is promoted or rolled back, or until
    /// `stop` holds `Some`: renews the lease, runs an interval, reports it. A stop is
    /// only heeded between intervals: a plan is applied whole or not at all.
    pub async fn drive<S>(
        &self,
        lease: &mut Lease,
        every: Duration,
        stop: &mut watch::Receiver<Option<S>>,
        mut report: impl FnMut(Report),
    ) -> Result<Finish> {
        let mut counters = Counters::default();
        let mut errors_in_a_row = 0;
        let mut pinned = None;
        loop {
            if stop.borrow().is_some() {
                return Ok(Finish::Stopped);
            }
            lease.renew().await.map_err(|e| eyre!(e))?;
            match self.interval(&mut counters, &mut pinned).await {
                Ok(record) => {
                    errors_in_a_row = 0;
                    let end = record.end.clone();
                    report(Report::Interval(Box::new(record)));
                    if let Some(end) = end {
                        return Ok(Finish::Ended(end));
                    }
                }
                // A passing API or Prometheus error holds for an interval; a lasting one
                // ends the run.
                Err(error) if errors_in_a_row + 1 < ERRORS_TOLERATED => {
                    errors_in_a_row += 1;
                    report(Report::ErrorHold {
                        error: format!("{error:#}"),
                        in_a_row: errors_in_a_row,
                    });
                }
                Err(error) => return Err(error),
            }
            if stop.borrow().is_some() {
                return Ok(Finish::Stopped);
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// One interval: read, judge, decide, act. A step the planner or the server refuses
    /// holds (the next interval tries again); any other failure is an error. `pinned`
    /// is the canary the run drives, taken at its first interval: traffic only ever
    /// moves towards it, or back from it by an announced rollback.
    pub async fn interval(
        &self,
        counters: &mut Counters,
        pinned: &mut Option<String>,
    ) -> Result<Record> {
        let (namespace, name) = (&self.namespace, &self.name);
        let (objects, _) = fetch::fetch(&self.client, Some(namespace)).await?;
        let releases = discover::discover(&objects, &discover::Settings::default());
        let found = releases
            .iter()
            .find(|r| &r.namespace == namespace && &r.name == name)
            .ok_or_else(|| {
                eyre!("no release {namespace}/{name}: it is gone, the autopilot stops")
            })?;
        let release = &capped(found, self.settings.max_weight);
        let (verdict, errors) = self.judge(release).await;
        let weight = candidate(release).map_or(0.0, |v| v.weight);
        if let Some(end) = pin(pinned, release, self.settings.max_weight) {
            let reason = match &end {
                End::Abandoned(why) => why.clone(),
                _ => format!("{} takes all traffic", pinned.as_deref().unwrap_or("")),
            };
            return Ok(Record {
                decision: if end == End::Promoted {
                    "promoted"
                } else {
                    "stop"
                },
                verdict,
                weight,
                counters: *counters,
                reason,
                next_weight: None,
                end: Some(end),
            });
        }
        let decision = decide(release, &verdict, counters, &self.settings);
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
        let mut end = None;
        match decision {
            Decision::Hold(_) | Decision::Paused => {}
            Decision::Promoted => end = Some(End::Promoted),
            Decision::Step => {
                let verb = step_verb(release, weight);
                match self.act(release, &objects, verb, &verdict).await {
                    Ok(summary) => {
                        reason = format!("{} {summary}; {reason}", verb.as_str());
                        if release.strategy == Strategy::BlueGreen {
                            // Flipped: the preview is live, and roles have changed sides.
                            shown = "step (promoted)";
                            end = Some(End::Promoted);
                        }
                    }
                    Err(error) if error.downcast_ref::<Refused>().is_some() => {
                        shown = "hold";
                        reason = format!("{} refused: {error}; {reason}", verb.as_str());
                    }
                    Err(error) => return Err(error),
                }
            }
            Decision::Rollback => {
                let summary = self
                    .act(release, &objects, Verb::Rollback, &verdict)
                    .await?;
                reason = format!("rollback {summary}; {reason}");
                end = Some(End::RolledBack(verdict.reason.clone()));
            }
        }
        let mut next = next_weight(release, weight, &self.settings);
        if shown == "step" {
            // Stepped: the next step starts from where this one went.
            next = next.and_then(|w| next_weight(release, w, &self.settings));
        }
        Ok(Record {
            next_weight: next,
            verdict,
            decision: shown,
            weight,
            counters: *counters,
            reason,
            end,
        })
    }

    /// The verdict on the release's candidate against its baseline, with the metrics'
    /// errors.
    async fn judge(&self, release: &Release) -> (Verdict, Vec<String>) {
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
        let (verdict, warnings) = verdict_of(release, &snapshot, self.window, &self.thresholds);
        let mut errors = snapshot.errors;
        errors.extend(warnings);
        let verdict = match &self.critical_alerts {
            None => verdict,
            Some(alertmanager) => match alertmanager.firing().await {
                Ok(firing) => alerts::overrule(verdict, &alerts::about(&firing, release)),
                // Alertmanager down says nothing of the canary: the metrics decide.
                Err(error) => {
                    errors.push(format!("alerts: {error}"));
                    verdict
                }
            },
        };
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
            false,
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
                verdict.state.as_str(),
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

/// Pins the run to the release's canary at its first interval; later, how the run
/// ends when the canary is no longer the pinned version: promoted when that version
/// takes at least `max_weight`, abandoned otherwise (never a step of another version).
fn pin(pinned: &mut Option<String>, release: &Release, max_weight: f64) -> Option<End> {
    let now = candidate(release).map(|v| v.name.as_str());
    let Some(mine) = pinned.as_deref() else {
        *pinned = now.map(str::to_string);
        return None;
    };
    if now == Some(mine) {
        return None;
    }
    let weight = release
        .versions
        .iter()
        .find(|v| v.name == mine)
        .map(|v| v.weight);
    if weight.is_some_and(|w| w >= max_weight - 1e-9) {
        return Some(End::Promoted);
    }
    let why = match (now, weight) {
        (Some(other), Some(_)) => format!(
            "the canary is now {other}, not {mine} that this autopilot was started on; it stops without moving traffic (start it again to drive {other})"
        ),
        (Some(other), None) => format!(
            "{mine}, the version this autopilot was started on, is gone and the canary is now {other}; it stops without moving traffic"
        ),
        (None, _) => format!(
            "the release has no canary any more ({mine} was driven); it stops without moving traffic"
        ),
    };
    Some(End::Abandoned(why))
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

/// The release with its step plan stopping at `max_weight`: a step that would pass it
/// goes to it instead (the planner steps through `plan` for routers and replica
/// canaries; Argo Rollouts and Flagger step by their own controllers' steps).
fn capped(release: &Release, max_weight: f64) -> Release {
    let mut capped = release.clone();
    if capped.plan.iter().any(|&w| w > max_weight) {
        capped.plan = capped.plan.iter().map(|&w| w.min(max_weight)).collect();
        capped.plan.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
    }
    capped
}

/// The canary weight a step forward from `weight` reaches: the plan's next weight, or
/// 100 past its end; `None` for blue/green, whose step is the flip.
fn next_weight(release: &Release, weight: f64, settings: &Settings) -> Option<f64> {
    if release.strategy == Strategy::BlueGreen || weight >= settings.max_weight - 1e-9 {
        return None;
    }
    let next = release
        .plan
        .iter()
        .copied()
        .find(|&w| w > weight + 1e-9)
        .unwrap_or(100.0);
    Some(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::health_fixtures::canary;
    use crate::model::Phase;

    fn release(strategy: Strategy, plan: &[f64]) -> Release {
        let mut release = canary("reviews", 0.0, Phase::Progressing);
        release.strategy = strategy;
        release.plan = plan.to_vec();
        release
    }

    fn settings(max_weight: f64) -> Settings {
        Settings {
            max_weight,
            ..Settings::default()
        }
    }

    fn capped_plan(plan: &[f64], max: f64) -> Vec<f64> {
        capped(&release(Strategy::Canary, plan), max).plan
    }

    #[test]
    fn steps_follow_the_plan_then_promote_and_blue_green_flips() {
        let canary = release(Strategy::Canary, &[10.0, 25.0, 50.0]);
        assert_eq!(step_verb(&canary, 10.0), Verb::Step);
        assert_eq!(step_verb(&canary, 50.0), Verb::Promote);
        assert_eq!(next_weight(&canary, 10.0, &settings(100.0)), Some(25.0));
        assert_eq!(next_weight(&canary, 50.0, &settings(100.0)), Some(100.0));
        assert_eq!(next_weight(&canary, 100.0, &settings(100.0)), None);
        let blue_green = release(Strategy::BlueGreen, &[]);
        assert_eq!(step_verb(&blue_green, 0.0), Verb::Flip);
        assert_eq!(next_weight(&blue_green, 0.0, &settings(100.0)), None);
    }

    fn with_canary(name: &str, weight: f64) -> Release {
        let mut release = release(Strategy::Canary, &[10.0, 100.0]);
        let (stable, canary) = (0, 1);
        release.versions[canary].name = name.into();
        release.versions[canary].weight = weight;
        release.versions[stable].weight = 100.0 - weight;
        release
    }

    #[test]
    fn a_run_is_pinned_to_the_canary_it_started_on() {
        let mut pinned = None;
        assert_eq!(pin(&mut pinned, &with_canary("v2", 10.0), 100.0), None);
        assert_eq!(pinned.as_deref(), Some("v2"));
        assert_eq!(pin(&mut pinned, &with_canary("v2", 50.0), 100.0), None);
        // The other version called the canary: never stepped, the run stops.
        let mut swapped = with_canary("v2", 0.0);
        swapped.versions[0].name = "v2".into();
        swapped.versions[0].weight = 100.0;
        swapped.versions[1].name = "v1".into();
        assert_eq!(
            pin(&mut pinned.clone(), &swapped, 100.0),
            Some(End::Promoted)
        );
        swapped.versions[0].weight = 60.0;
        swapped.versions[1].weight = 40.0;
        let Some(End::Abandoned(why)) = pin(&mut pinned.clone(), &swapped, 100.0) else {
            panic!("abandoned")
        };
        assert!(why.contains("the canary is now v1, not v2"), "{why}");
        let Some(End::Abandoned(why)) = pin(&mut pinned, &with_canary("v3", 0.0), 100.0) else {
            panic!("abandoned")
        };
        assert!(
            why.contains("v2, the version this autopilot was started on, is gone"),
            "{why}"
        );
    }

    #[test]
    fn the_maximum_weight_caps_the_plan() {
        let canary = release(Strategy::Canary, &[5.0, 10.0, 25.0, 50.0, 100.0]);
        let capped = capped(&canary, 60.0);
        assert_eq!(capped.plan, [5.0, 10.0, 25.0, 50.0, 60.0]);
        assert_eq!(next_weight(&capped, 50.0, &settings(60.0)), Some(60.0));
        assert_eq!(next_weight(&capped, 60.0, &settings(60.0)), None);
        // Weights past the maximum fold into one step to it.
        assert_eq!(
            capped_plan(&[10.0, 30.0, 70.0, 90.0], 40.0),
            [10.0, 30.0, 40.0]
        );
        assert_eq!(capped_plan(&[10.0, 20.0], 60.0), [10.0, 20.0]);
    }
}
