//! The console's autopilots: `A` on a release asks to start one (the popup says what
//! it will do), or stops the one this console runs; the shell runs each with
//! `autopilot::driver` and reports every interval here as `Msg::Autopilot`.

use std::time::Duration;

use super::keys::Outcome;
use super::{App, Asked, Confirm, Effect};
use crate::analysis::{baseline, candidate};
use crate::autopilot::Settings;
use crate::autopilot::driver::{End, Record, Report};
use crate::model::percent;
use crate::model::{Release, Strategy};

/// How the console's autopilots run: from the config's `[autopilot]` section.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PilotSetup {
    pub interval: Duration,
    /// The window each verdict is computed over.
    pub window: Duration,
    pub settings: Settings,
}

impl Default for PilotSetup {
    fn default() -> Self {
        PilotSetup {
            interval: Duration::from_secs(30),
            window: Duration::from_secs(60),
            settings: Settings::default(),
        }
    }
}

/// An autopilot this console started.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pilot {
    pub state: PilotState,
    /// The last interval, once one has run.
    pub last: Option<Record>,
    /// The last interval's error, while the autopilot holds through errors.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PilotState {
    /// Taking the Lease.
    Starting,
    /// Holding the Lease as `holder`.
    Driving { holder: String },
    /// Asked to stop; it does after its current interval.
    Stopping,
    /// Over: a word for the list (`promoted`, `rolled back`, `stopped`, `refused`,
    /// `failed`) and what happened, in full.
    Ended { word: &'static str, text: String },
}

/// What the shell tells of an autopilot it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum PilotEvent {
    /// The Lease is taken; intervals follow.
    Started {
        holder: String,
    },
    Report(Report),
    /// Promoted or rolled back (`Finish::Ended`), stopped, or never started.
    Ended(Ending),
}

/// How a console autopilot ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Ending {
    Finished(End),
    Stopped,
    /// Not started: the Lease is held by another, or the API refused it.
    Refused(String),
    /// Three interval errors in a row, or the Lease lost.
    Failed(String),
}

impl App {
    /// The autopilots' settings, from the config.
    pub fn set_pilot_setup(&mut self, setup: PilotSetup) {
        self.pilot_setup = setup;
    }

    /// `A`: stops the autopilot this console runs on the release in view, or asks to
    /// start one.
    pub(super) fn toggle_autopilot(&mut self, release: &Release) -> Outcome {
        let key = release.key();
        if let Some(pilot) = self.pilots.get_mut(&key) {
            match pilot.state {
                PilotState::Starting | PilotState::Driving { .. } => {
                    pilot.state = PilotState::Stopping;
                    self.status = Some(format!(
                        "stopping the autopilot on {key} (after its current interval)…"
                    ));
                    return (vec![Effect::StopAutopilot(key)], true);
                }
                PilotState::Stopping => {
                    self.status = Some(format!("the autopilot on {key} is stopping"));
                    return (Vec::new(), true);
                }
                PilotState::Ended { .. } => {}
            }
        }
        let refusal = if let Some(held) = release
            .autopilot
            .as_ref()
            .filter(|p| self.now.is_none_or(|now| !p.lapsed(now)))
        {
            Some(format!("another autopilot drives it: {}", held.holder))
        } else if candidate(release).is_none() || baseline(release).is_none() {
            Some("it has no canary or preview to judge against a stable version".into())
        } else if let super::Metrics::Unavailable(why) = &self.metrics {
            Some(format!(
                "the autopilot judges by metrics, and there are none: {why}"
            ))
        } else {
            None
        };
        if let Some(why) = refusal {
            self.status = Some(format!("autopilot on {key}: {why}"));
            return (Vec::new(), true);
        }
        let lines = self.pilot_promise(release);
        self.prompt = None;
        self.status = None;
        self.confirm = Some(Confirm {
            asked: Asked::Autopilot { key, lines },
            scroll: 0,
        });
        self.clamp_scroll();
        (Vec::new(), true)
    }

    /// What the autopilot will do on `release`, for the popup that asks to start it.
    fn pilot_promise(&self, release: &Release) -> Vec<String> {
        let PilotSetup {
            interval,
            window,
            settings,
        } = self.pilot_setup;
        let name =
            |v: Option<&crate::model::Version>| v.map_or_else(|| "-".into(), |v| v.name.clone());
        let (judged, against) = (name(candidate(release)), name(baseline(release)));
        let step = match release.strategy {
            Strategy::BlueGreen => format!("flip the live traffic to {judged}"),
            _ => {
                let weight = candidate(release).map_or(0.0, |v| v.weight);
                let ahead: Vec<String> = release
                    .plan
                    .iter()
                    .copied()
                    .filter(|&w| w > weight + 1e-9 && w <= settings.max_weight + 1e-9)
                    .map(|w| format!("{}%", percent(w)))
                    .collect();
                let path = if ahead.is_empty() {
                    format!("{}%", percent(settings.max_weight))
                } else {
                    ahead.join(" → ")
                };
                format!("step {judged} forward ({path})")
            }
        };
        vec![
            format!(
                "Every {}, judge {judged} against {against} over the last {}, and:",
                super::window_label(interval),
                super::window_label(window)
            ),
            format!(
                "- after {} healthy verdict(s) in a row, {step};",
                settings.healthy_intervals
            ),
            format!(
                "- after {} failing verdict(s) in a row, roll back to {against};",
                settings.failing_intervals
            ),
            "- hold on inconclusive verdicts, and while the release is paused.".into(),
            String::new(),
            format!(
                "Steps and rollbacks are applied without asking, checked as a key press is, \
                 and recorded as Events. It holds the Lease {} while it runs; press {} \
                 again to stop it. Quitting the console stops it.",
                crate::autopilot::lease::name_for(&release.name),
                self.keymap
                    .keys(crate::input::Action::Autopilot)
                    .first()
                    .map_or_else(|| "the autopilot key".to_string(), ToString::to_string)
            ),
        ]
    }

    /// The operator said yes to starting the autopilot on `key`.
    pub(super) fn start_autopilot(&mut self, key: String) -> Outcome {
        self.status = Some(format!("starting the autopilot on {key}…"));
        self.pilots.insert(
            key.clone(),
            Pilot {
                state: PilotState::Starting,
                last: None,
                error: None,
            },
        );
        (vec![Effect::StartAutopilot(key)], true)
    }

    pub(super) fn on_pilot_event(&mut self, key: String, event: PilotEvent) -> bool {
        let Some(pilot) = self.pilots.get_mut(&key) else {
            return false;
        };
        match event {
            PilotEvent::Started { holder } => {
                // A stop asked for while the Lease was being taken stands.
                if pilot.state == PilotState::Starting {
                    self.status = Some(format!("autopilot on {key}: driving it as {holder}"));
                    pilot.state = PilotState::Driving { holder };
                }
            }
            PilotEvent::Report(Report::Interval(record)) => {
                pilot.error = None;
                pilot.last = Some(*record);
            }
            PilotEvent::Report(Report::ErrorHold { error, in_a_row }) => {
                pilot.error = Some(format!(
                    "interval failed ({in_a_row} in a row; {} end the run): {error}",
                    crate::autopilot::driver::ERRORS_TOLERATED
                ));
            }
            PilotEvent::Ended(ending) => {
                let (word, text) = match ending {
                    Ending::Finished(End::Promoted) => ("promoted", "promoted".to_string()),
                    Ending::Finished(End::RolledBack(why)) => {
                        ("rolled back", format!("rolled back: {why}"))
                    }
                    Ending::Finished(End::Abandoned(why)) => ("stopped", format!("stopped: {why}")),
                    Ending::Stopped => ("stopped", "stopped".to_string()),
                    Ending::Refused(why) => ("refused", format!("not started: {why}")),
                    Ending::Failed(why) => ("failed", format!("stopped on an error: {why}")),
                };
                self.status = Some(format!("autopilot on {key}: {text}"));
                pilot.state = PilotState::Ended { word, text };
            }
        }
        // The list and the detail view show it; the status bar too when it ended.
        true
    }

    /// The autopilot this console runs (or ran) on a release.
    pub(crate) fn pilot(&self, key: &str) -> Option<&Pilot> {
        self.pilots.get(key)
    }

    /// Whether any release has an autopilot to show: this console's or a Lease's.
    pub(crate) fn any_pilot(&self) -> bool {
        !self.pilots.is_empty() || self.extras.leases
    }
}
