//! The confirmation popup, written once for every verb: an action key asks
//! for a plan (`Effect::Plan`), the shell answers with `Msg::Preview`, and
//! the popup answers with `Effect::Apply` or `Effect::Cancel`. Starting an
//! autopilot asks in the same popup, and answers `Effect::StartAutopilot`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::keys::{Outcome, nothing};
use super::{App, Effect, Preview};
use crate::input::Action;

/// A question waiting for a yes or a no.
pub(crate) struct Confirm {
    pub asked: Asked,
    /// The first line of the text on screen.
    pub scroll: usize,
}

/// What the popup asks.
pub(crate) enum Asked {
    /// Whether to apply a previewed plan.
    Plan(Preview),
    /// Whether to start the autopilot on a release (`namespace/name`), and what it
    /// will do, in lines.
    Autopilot { key: String, lines: Vec<String> },
}

impl App {
    /// Opens the popup over whatever is on screen; it takes every key.
    /// Read-only mode never asks for a plan, and never confirms one either.
    pub(super) fn on_preview(&mut self, preview: Preview) -> bool {
        if self.read_only {
            let plan = &preview.plan;
            self.status = Some(format!(
                "read-only: {} on {} is not available",
                plan.verb.as_str(),
                plan.release
            ));
            return true;
        }
        // Planned on a context the console has since left: never offered here.
        if preview.context != self.context {
            self.status = Some(format!(
                "dropped: {} on {} was planned on context {}, and the console is on {}",
                preview.plan.verb.as_str(),
                preview.plan.release,
                preview.context,
                self.context
            ));
            return true;
        }
        self.prompt = None;
        self.status = None;
        self.confirm = Some(Confirm {
            asked: Asked::Plan(preview),
            scroll: 0,
        });
        self.clamp_scroll();
        true
    }

    /// `y` or enter applies, `n` or esc cancels, navigation keys scroll;
    /// everything else is ignored, but ctrl-c and the like still quit.
    pub(super) fn on_confirm_key(&mut self, key: KeyEvent) -> Outcome {
        let plain = !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        match key.code {
            KeyCode::Char('y') | KeyCode::Enter if plain => return self.confirmed(),
            KeyCode::Char('n') | KeyCode::Esc if plain => {
                let asked = self.confirm.take().map(|c| c.asked);
                self.status = Some("cancelled".into());
                let effects = match asked {
                    Some(Asked::Plan(_)) => vec![Effect::Cancel],
                    _ => Vec::new(),
                };
                return (effects, true);
            }
            _ => {}
        }
        match self.keymap.action(&key) {
            Some(
                action @ (Action::Up
                | Action::Down
                | Action::PageUp
                | Action::PageDown
                | Action::Top
                | Action::Bottom),
            ) => (Vec::new(), self.navigate(action)),
            Some(Action::Quit) if !plain => (vec![Effect::Cancel, Effect::Quit], false),
            _ => nothing(),
        }
    }

    fn confirmed(&mut self) -> Outcome {
        let preview = match self.confirm.as_ref().map(|c| &c.asked) {
            None => return nothing(),
            Some(Asked::Autopilot { key, .. }) => {
                let key = key.clone();
                self.confirm = None;
                return self.start_autopilot(key);
            }
            Some(Asked::Plan(preview)) => preview,
        };
        // What the server would not take is not sent for real.
        if preview.dry_run.is_err() {
            self.status = Some("cannot apply: the server's dry run failed".into());
            return (Vec::new(), true);
        }
        let plan = &preview.plan;
        self.status = Some(format!(
            "applying {} on {}…",
            plan.verb.as_str(),
            plan.release
        ));
        self.confirm = None;
        (vec![Effect::Apply], true)
    }
}
