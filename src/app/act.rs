//! The action keys: each asks the I/O shell to plan a verb on the release in
//! view, unless read-only mode leaves the action out.

use super::keys::{Outcome, nothing};
use super::{App, Effect};
use crate::actions::Verb;
use crate::input::Action;
use crate::model::Phase;

impl App {
    /// A dangerous action: `Effect::Plan` on the selected release (list) or
    /// the open one (detail); the preview comes back as `Msg::Preview`.
    pub(super) fn act(&mut self, action: Action) -> Outcome {
        if !self.offers(action) {
            self.status = Some(format!(
                "read-only: {} is not available",
                action.description()
            ));
            return (Vec::new(), true);
        }
        // The help screen shows no release to act on.
        if self.help.is_some() {
            return nothing();
        }
        let row = match &self.detail {
            Some(detail) => detail.row.and_then(|i| self.rows.get(i)),
            None => self.selected_row(),
        };
        if action == Action::Autopilot {
            let Some(release) = row.map(|r| r.release.clone()) else {
                return nothing();
            };
            return self.toggle_autopilot(&release);
        }
        let Some((verb, key)) =
            row.and_then(|r| Some((verb(action, r.release.phase)?, r.key.clone())))
        else {
            return nothing();
        };
        self.status = Some(format!("checking {} on {key}…", verb.as_str()));
        (vec![Effect::Plan(verb, key)], true)
    }
}

/// The verb an action key asks for: pause resumes a paused release.
fn verb(action: Action, phase: Phase) -> Option<Verb> {
    let verb = match action {
        Action::Step => Verb::Step,
        Action::BackStep => Verb::Back,
        Action::Promote => Verb::Promote,
        Action::PromoteFull => Verb::PromoteFull,
        Action::Flip => Verb::Flip,
        Action::Rollback => Verb::Rollback,
        Action::Undo => Verb::Undo,
        Action::Pause if phase == Phase::Paused => Verb::Resume,
        Action::Pause => Verb::Pause,
        _ => return None,
    };
    Some(verb)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dangerous_action_but_the_autopilot_has_a_verb_and_no_other() {
        for action in Action::ALL {
            assert_eq!(
                verb(action, Phase::Healthy).is_some(),
                action.dangerous() && action != Action::Autopilot,
                "{action:?}"
            );
        }
        assert_eq!(verb(Action::Pause, Phase::Paused), Some(Verb::Resume));
        assert_eq!(verb(Action::Pause, Phase::Degraded), Some(Verb::Pause));
    }
}
