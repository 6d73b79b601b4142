//! The canary verdict and the autopilot as the console shows them: a cell each in the
//! list, and a section each in the detail view with the reasoning in full.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::health::{ms, rate};
use super::text::{fit, wrap};
use super::theme::{Slot, Theme};
use crate::analysis::{State, Verdict};
use crate::app::{App, Pilot, PilotState, Row, window_label};
use crate::autopilot::{Counters, Settings};
use crate::model::percent;

fn verdict_slot(state: State) -> Slot {
    match state {
        State::Healthy => Slot::Healthy,
        State::Inconclusive => Slot::Muted,
        State::Failing => Slot::Degraded,
    }
}

/// `healthy`, `failing`, `inconclusive`, or `ok`, `FAIL`, `?` where that does not fit;
/// nothing without a verdict.
pub(super) fn verdict_cell(app: &App, row: &Row, width: usize) -> Line<'static> {
    match app.verdict(&row.key) {
        Some(v) => {
            let word = v.state.as_str();
            let text = if word.len() <= width {
                word
            } else {
                match v.state {
                    State::Healthy => "ok",
                    State::Inconclusive => "?",
                    State::Failing => "FAIL",
                }
            };
            Line::styled(text, app.theme.style(verdict_slot(v.state)))
        }
        None => Line::styled("-", app.theme.style(Slot::Muted)),
    }
}

/// This console's autopilot on the release (`2/3 →25% hold`, `fail 1/2 hold`,
/// `promoted`), or
/// the holder of its Lease (`by ana@laptop/42`), or nothing.
pub(super) fn pilot_cell(app: &App, row: &Row, width: usize) -> Line<'static> {
    let theme = &app.theme;
    let (text, slot) = match app.pilot(&row.key) {
        Some(pilot) if !matches!(pilot.state, PilotState::Ended { .. }) || !held(app, row) => {
            own(pilot, &app.pilot_setup.settings)
        }
        _ => match &row.release.autopilot {
            Some(lease) if app.now.is_some_and(|now| lease.lapsed(now)) => {
                (format!("lapsed: {}", lease.holder), Slot::Muted)
            }
            Some(lease) => (format!("by {}", lease.holder), Slot::Progressing),
            None => ("-".into(), Slot::Muted),
        },
    };
    Line::styled(fit(&text, width), theme.style(slot))
}

/// Whether someone holds the release's Lease (another autopilot, once ours ended).
fn held(app: &App, row: &Row) -> bool {
    row.release
        .autopilot
        .as_ref()
        .is_some_and(|l| app.now.is_none_or(|now| !l.lapsed(now)))
}

/// The list's words for an autopilot this console runs, and their style.
fn own(pilot: &Pilot, settings: &Settings) -> (String, Slot) {
    match &pilot.state {
        PilotState::Starting => ("starting…".into(), Slot::Progressing),
        PilotState::Stopping => ("stopping…".into(), Slot::Progressing),
        PilotState::Ended { word, .. } => {
            let slot = match *word {
                "promoted" => Slot::Healthy,
                "stopped" => Slot::Muted,
                _ => Slot::Degraded,
            };
            ((*word).to_string(), slot)
        }
        PilotState::Driving { .. } if pilot.error.is_some() => {
            ("error, holding".into(), Slot::Warning)
        }
        PilotState::Driving { .. } => match &pilot.last {
            None => ("on, first verdict…".into(), Slot::Progressing),
            Some(last) => {
                let Counters { healthy, failing } = last.counters;
                let (counts, slot) = if failing > 0 {
                    let text = format!("fail {failing}/{}", settings.failing_intervals);
                    (text, Slot::Degraded)
                } else {
                    let text = format!("{healthy}/{}", settings.healthy_intervals);
                    (text, Slot::Progressing)
                };
                let next = last
                    .next_weight
                    .map(|w| format!(" →{}%", percent(w)))
                    .unwrap_or_default();
                (format!("{counts}{next} {}", last.decision), slot)
            }
        },
    }
}

fn section(out: &mut Vec<Line<'static>>, title: String, theme: &Theme) {
    out.push(Line::raw(""));
    out.push(Line::styled(title, theme.style(Slot::Header)));
}

fn wrapped(out: &mut Vec<Line<'static>>, text: &str, width: usize, style: Style) {
    for line in wrap(text, width.saturating_sub(2)) {
        out.push(Line::styled(format!(" {line}"), style));
    }
}

/// VERDICT: the state and its reason, then the numbers behind it.
pub(super) fn verdict_section(out: &mut Vec<Line<'static>>, app: &App, row: &Row, width: usize) {
    let Some(verdict) = app.verdict(&row.key) else {
        return;
    };
    let theme = &app.theme;
    section(out, format!(" VERDICT {}", window_label(app.window)), theme);
    // The state word leads the reason's first line, in the verdict's colour.
    let word = verdict.state.as_str();
    let text = format!("{word}: {}", verdict.reason);
    for (i, line) in wrap(&text, width.saturating_sub(2)).into_iter().enumerate() {
        match line.strip_prefix(word) {
            Some(rest) if i == 0 => out.push(Line::from(vec![
                Span::styled(format!(" {word}"), theme.style(verdict_slot(verdict.state))),
                Span::raw(rest.to_string()),
            ])),
            _ => out.push(Line::raw(format!(" {line}"))),
        }
    }
    wrapped(out, &numbers(verdict), width, theme.style(Slot::Muted));
}

/// `requests canary 1,200 stable 10,800 · errors canary 0.4% stable 0.3% · P(worse) 2%
/// · p99 canary 120ms stable 110ms`, leaving out what is unknown.
fn numbers(v: &Verdict) -> String {
    let mut parts = vec![format!(
        "requests canary {:.0}, stable {:.0}",
        v.canary_requests, v.stable_requests
    )];
    if let (Some(c), Some(s)) = (v.canary_error_rate, v.stable_error_rate) {
        parts.push(format!("errors canary {}, stable {}", rate(c), rate(s)));
    }
    if let Some(p) = v.probability_worse {
        parts.push(format!("P(canary worse) {}", rate(p)));
    }
    if let (Some(c), Some(s)) = (v.canary_p99_ms, v.stable_p99_ms) {
        parts.push(format!("p99 canary {}, stable {}", ms(c), ms(s)));
    }
    parts.join(" · ")
}

/// AUTOPILOT: who drives the release, its counters and next step, its last decision.
pub(super) fn pilot_section(out: &mut Vec<Line<'static>>, app: &App, row: &Row, width: usize) {
    let theme = &app.theme;
    let pilot = app.pilot(&row.key);
    let lease = row.release.autopilot.as_ref();
    if pilot.is_none() && lease.is_none() {
        return;
    }
    section(out, " AUTOPILOT".into(), theme);
    let muted = theme.style(Slot::Muted);
    let setup = app.pilot_setup;
    if let Some(pilot) = pilot {
        let (words, slot) = own(pilot, &setup.settings);
        let state = match &pilot.state {
            PilotState::Driving { holder } => format!(
                "driven by this console as {holder}, every {} over {}",
                window_label(setup.interval),
                window_label(setup.window)
            ),
            PilotState::Ended { text, .. } => text.clone(),
            _ => words.clone(),
        };
        out.push(Line::styled(
            fit(&format!(" {state}"), width),
            theme.style(slot),
        ));
        if let Some(last) = &pilot.last {
            let settings = setup.settings;
            let next = match last.next_weight {
                Some(w) => format!(" before the next step, to {}%", percent(w)),
                None => " before the flip".into(),
            };
            let counts = format!(
                "healthy {} of {}{next}; failing {} of {} before rolling back",
                last.counters.healthy,
                settings.healthy_intervals,
                last.counters.failing,
                settings.failing_intervals
            );
            wrapped(out, &counts, width, Style::new());
            let decision = format!(
                "last: {} at {}% ({}): {}",
                last.decision,
                percent(last.weight),
                last.verdict.state.as_str(),
                last.reason
            );
            wrapped(out, &decision, width, muted);
        }
        if let Some(error) = &pilot.error {
            wrapped(out, error, width, theme.style(Slot::Warning));
        }
    }
    let ours = matches!(
        pilot.map(|p| &p.state),
        Some(PilotState::Driving { .. } | PilotState::Stopping)
    );
    if let (Some(lease), false) = (lease, ours) {
        let renewed = crate::ages::age(lease.renewed, app.now);
        let text = if app.now.is_some_and(|now| lease.lapsed(now)) {
            format!(
                "Lease lapsed: {} last renewed it {renewed} ago; an autopilot started here takes it over",
                lease.holder
            )
        } else {
            format!(
                "driven by {} (Lease renewed {renewed} ago); it must stop before another can start",
                lease.holder
            )
        };
        wrapped(out, &text, width, Style::new());
    }
}
