//! The autopilot: every interval, a verdict on the canary (or the preview) and a
//! decision. `decide` is the pure state machine; `driver` runs it against a cluster
//! (for `kshift autopilot` and the console); `lease` is the Kubernetes Lease that lets
//! only one autopilot drive a release at a time.
//!
//! # The state machine
//!
//! - At the canary's weight ≥ the maximum weight: `Promoted`, whatever else holds.
//! - A paused release (`kshift pause`, `z`, the `kshift.dev/paused` annotation, any
//!   phase `Paused`): `Paused`, and both counters start again at zero, since what was
//!   seen before a pause says little about what runs after it. A release its own
//!   controller holds at a step (an Argo pause step, a Flagger promotion gate) is not
//!   paused in this sense: it waits for the promotion the autopilot is there to give.
//! - `healthy`: the failing counter goes to zero and the healthy one up; at N, `Step`
//!   and the healthy counter goes back to zero.
//! - `failing`: the healthy counter goes to zero and the failing one up; at M,
//!   `Rollback`.
//! - `inconclusive`: `Hold`, and neither counter changes. A window without enough data
//!   neither confirms nor refutes what the windows around it said: resetting on it
//!   would let a canary that fails in every window with data, between windows without,
//!   escape rollback forever (and a healthy one never step on sparse traffic).

pub mod driver;
pub mod lease;

use crate::analysis::{State, Verdict, candidate};
use crate::model::{Phase, Release};

/// How many verdicts make a decision, and where promotion ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Consecutive healthy verdicts before a step forward.
    pub healthy_intervals: u32,
    /// Consecutive failing verdicts before a rollback.
    pub failing_intervals: u32,
    /// The canary weight (percent) at which the release counts as promoted.
    pub max_weight: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            healthy_intervals: 3,
            failing_intervals: 2,
            max_weight: 100.0,
        }
    }
}

/// Consecutive verdicts so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub healthy: u32,
    pub failing: u32,
}

/// What the autopilot does this interval.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// One step forward along the release's plan.
    Step,
    /// All traffic back to stable.
    Rollback,
    /// Nothing this interval, and why.
    Hold(String),
    /// The canary is at the maximum weight: the autopilot's work is done.
    Promoted,
    /// The release is paused: nothing until it is resumed.
    Paused,
}

impl Decision {
    pub fn as_str(&self) -> &'static str {
        match self {
            Decision::Step => "step",
            Decision::Rollback => "rollback",
            Decision::Hold(_) => "hold",
            Decision::Promoted => "promoted",
            Decision::Paused => "paused",
        }
    }
}

/// Weights closer than this are equal.
const EPSILON: f64 = 1e-9;

/// This interval's decision for `release` given the verdict; updates the counters.
pub fn decide(
    release: &Release,
    verdict: &Verdict,
    counters: &mut Counters,
    settings: &Settings,
) -> Decision {
    let Some(weight) = candidate(release).map(|v| v.weight) else {
        return Decision::Hold("the release has no canary or preview version".into());
    };
    if weight >= settings.max_weight - EPSILON {
        return Decision::Promoted;
    }
    if release.phase == Phase::Paused && !release.waiting_at_step {
        *counters = Counters::default();
        return Decision::Paused;
    }
    let (healthy, failing) = (
        settings.healthy_intervals.max(1),
        settings.failing_intervals.max(1),
    );
    match verdict.state {
        State::Healthy => {
            counters.failing = 0;
            counters.healthy += 1;
            if counters.healthy >= healthy {
                counters.healthy = 0;
                Decision::Step
            } else {
                Decision::Hold(format!(
                    "{} more healthy verdict(s) before the next step",
                    healthy - counters.healthy
                ))
            }
        }
        State::Failing => {
            counters.healthy = 0;
            counters.failing += 1;
            if counters.failing >= failing {
                Decision::Rollback
            } else {
                Decision::Hold(format!(
                    "{} more failing verdict(s) before rolling back",
                    failing - counters.failing
                ))
            }
        }
        State::Inconclusive => Decision::Hold("inconclusive".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::health_fixtures::{canary, verdict};

    fn release(weight: f64, phase: Phase) -> Release {
        canary("reviews", weight, phase)
    }

    /// The decisions for a run of verdicts from fresh counters.
    fn run(states: &[State], settings: &Settings) -> Vec<&'static str> {
        let release = release(10.0, Phase::Progressing);
        let mut counters = Counters::default();
        states
            .iter()
            .map(|&s| decide(&release, &verdict(s), &mut counters, settings).as_str())
            .collect()
    }

    use State::{Failing as F, Healthy as H, Inconclusive as I};

    #[test]
    fn steps_after_n_consecutive_healthy_verdicts_then_counts_again() {
        let settings = Settings::default();
        assert_eq!(
            run(&[H, H, H, H, H, H], &settings),
            ["hold", "hold", "step", "hold", "hold", "step"]
        );
    }

    #[test]
    fn a_failure_resets_the_success_counter() {
        let settings = Settings {
            failing_intervals: 5,
            ..Settings::default()
        };
        assert_eq!(
            run(&[H, H, F, H, H, H], &settings),
            ["hold", "hold", "hold", "hold", "hold", "step"]
        );
    }

    #[test]
    fn rolls_back_after_m_consecutive_failures_and_health_resets_them() {
        let settings = Settings::default();
        assert_eq!(run(&[F, F], &settings), ["hold", "rollback"]);
        assert_eq!(run(&[F, H, F, H, F], &settings), ["hold"; 5]);
    }

    #[test]
    fn inconclusive_holds_and_keeps_both_counters() {
        let settings = Settings::default();
        let release = release(10.0, Phase::Progressing);
        let mut counters = Counters {
            healthy: 2,
            failing: 0,
        };
        let decision = decide(&release, &verdict(I), &mut counters, &settings);
        assert_eq!(decision, Decision::Hold("inconclusive".into()));
        assert_eq!(
            counters,
            Counters {
                healthy: 2,
                failing: 0
            }
        );
        assert_eq!(run(&[H, I, H, I, H], &settings)[4], "step");
        assert_eq!(
            run(&[F, I, I, F], &settings),
            ["hold", "hold", "hold", "rollback"]
        );
        assert_eq!(run(&[I; 10], &settings), ["hold"; 10]);
    }

    #[test]
    fn one_interval_settings_act_at_once() {
        let settings = Settings {
            healthy_intervals: 1,
            failing_intervals: 1,
            max_weight: 100.0,
        };
        assert_eq!(run(&[H, I, F], &settings), ["step", "hold", "rollback"]);
        // Zero is taken as one: a decision needs at least one verdict.
        let zero = Settings {
            healthy_intervals: 0,
            failing_intervals: 0,
            max_weight: 100.0,
        };
        assert_eq!(run(&[H, F], &zero), ["step", "rollback"]);
    }

    #[test]
    fn a_paused_release_holds_and_starts_counting_again() {
        let settings = Settings::default();
        let mut counters = Counters {
            healthy: 2,
            failing: 1,
        };
        let paused = release(10.0, Phase::Paused);
        for state in [H, F, I] {
            assert_eq!(
                decide(&paused, &verdict(state), &mut counters, &settings),
                Decision::Paused
            );
        }
        assert_eq!(counters, Counters::default());
    }

    #[test]
    fn a_release_waiting_at_its_own_pause_step_is_judged_and_stepped() {
        let settings = Settings {
            healthy_intervals: 1,
            ..Settings::default()
        };
        let mut waiting = release(10.0, Phase::Paused);
        waiting.waiting_at_step = true;
        let mut counters = Counters::default();
        assert_eq!(
            decide(&waiting, &verdict(H), &mut counters, &settings),
            Decision::Step
        );
    }

    #[test]
    fn promoted_at_the_maximum_weight_even_when_failing_or_paused() {
        let settings = Settings {
            max_weight: 50.0,
            ..Settings::default()
        };
        let mut counters = Counters::default();
        for (weight, phase) in [
            (50.0, Phase::Progressing),
            (75.0, Phase::Paused),
            (100.0, Phase::Healthy),
        ] {
            assert_eq!(
                decide(
                    &release(weight, phase),
                    &verdict(F),
                    &mut counters,
                    &settings
                ),
                Decision::Promoted
            );
        }
        assert_eq!(counters, Counters::default());
        let below = decide(
            &release(49.0, Phase::Progressing),
            &verdict(H),
            &mut counters,
            &settings,
        );
        assert_eq!(below.as_str(), "hold");
    }

    #[test]
    fn without_a_canary_it_holds() {
        let mut alone = release(10.0, Phase::Healthy);
        alone.versions.truncate(1);
        let decision = decide(
            &alone,
            &verdict(H),
            &mut Counters::default(),
            &Settings::default(),
        );
        assert!(matches!(decision, Decision::Hold(ref r) if r.contains("no canary")));
    }
}
