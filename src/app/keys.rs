//! Key presses: the prompt takes typed text, otherwise the keymap decides.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::command::{self, Command};
use super::{App, Detail, Effect, Graph, PilotState, Prompt};
use crate::input::Action;

pub(super) type Outcome = (Vec<Effect>, bool);

pub(super) fn nothing() -> Outcome {
    (Vec::new(), false)
}

impl App {
    pub(super) fn on_key(&mut self, key: KeyEvent) -> Outcome {
        if key.kind == KeyEventKind::Release {
            return nothing();
        }
        if self.confirm.is_some() {
            return self.on_confirm_key(key);
        }
        if self.prompt.is_some() {
            return self.on_prompt_key(key);
        }
        let Some(action) = self.keymap.action(&key) else {
            return nothing();
        };
        // A status message lasts until the next thing the user does.
        let cleared = self.status.take().is_some();
        let (effects, changed) = self.on_action(action);
        (effects, changed || cleared)
    }

    fn on_prompt_key(&mut self, key: KeyEvent) -> Outcome {
        let typing = !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        match (key.code, &mut self.prompt) {
            (KeyCode::Esc, Some(Prompt::Filter)) => {
                self.prompt = None;
                self.filter.clear();
                self.refilter();
            }
            (KeyCode::Esc, _) | (KeyCode::Enter, Some(Prompt::Filter)) => self.prompt = None,
            (KeyCode::Enter, Some(Prompt::Command(line))) => {
                let line = std::mem::take(line);
                self.prompt = None;
                return self.run_command(&line);
            }
            // The filter applies as it is typed, as in k9s.
            (KeyCode::Backspace, Some(Prompt::Filter)) => {
                self.filter.pop();
                self.refilter();
            }
            (KeyCode::Backspace, Some(Prompt::Command(text))) => {
                text.pop();
            }
            (KeyCode::Char(c), Some(Prompt::Filter)) if typing => {
                self.filter.push(c);
                self.refilter();
            }
            (KeyCode::Char(c), Some(Prompt::Command(text))) if typing => text.push(c),
            // ctrl-c and the like still quit while typing.
            _ if self.keymap.action(&key) == Some(Action::Quit) => {
                return (vec![Effect::Quit], false);
            }
            _ => return nothing(),
        }
        (Vec::new(), true)
    }

    fn on_action(&mut self, action: Action) -> Outcome {
        if action.dangerous() {
            return self.act(action);
        }
        let changed = match action {
            Action::Quit => return (vec![Effect::Quit], false),
            Action::Help => {
                self.help = if self.help.is_some() { None } else { Some(0) };
                true
            }
            Action::Back => self.back(),
            Action::Filter => {
                self.help = None;
                self.detail = None;
                self.prompt = Some(Prompt::Filter);
                true
            }
            Action::Command => {
                self.prompt = Some(Prompt::Command(String::new()));
                true
            }
            Action::AllNamespaces => return self.switch_namespace(None),
            Action::Open => return self.open(),
            Action::Window | Action::Expand | Action::NextGraph => {
                return self.on_health_key(action);
            }
            _ => self.navigate(action),
        };
        (Vec::new(), changed)
    }

    /// Esc: leave help, then an expanded graph, then the detail view, then
    /// drop the filter.
    fn back(&mut self) -> bool {
        if self.help.take().is_some() {
            return true;
        }
        if let Some(detail) = self.detail.as_mut().filter(|d| d.expanded) {
            detail.expanded = false;
            self.clamp_scroll();
            return true;
        }
        if self.detail.take().is_some() {
            return true;
        }
        if self.filter.is_empty() {
            return false;
        }
        self.filter.clear();
        self.refilter();
        true
    }

    /// Opens the detail view of release `key`, as selecting it and pressing enter
    /// would (for screenshots and the command line); nothing when it is not shown.
    pub fn open_release(&mut self, key: &str) -> Vec<Effect> {
        let rows = &self.rows;
        let Some(index) = self
            .shown
            .iter()
            .position(|&i| rows.get(i).is_some_and(|r| r.key == key))
        else {
            return Vec::new();
        };
        let before = self.metrics_request();
        self.chosen = true;
        self.select(index);
        let mut effects = self.open().0;
        self.ask_again(&before, &mut effects);
        effects
    }

    fn open(&mut self) -> Outcome {
        if self.help.is_some() || self.detail.is_some() {
            return nothing();
        }
        let (Some(&row), Some(key)) = (self.shown.get(self.selected), self.selected_key()) else {
            return nothing();
        };
        self.detail = Some(Detail {
            key: key.clone(),
            row: Some(row),
            events: None,
            scroll: 0,
            graph: Graph::Errors,
            expanded: false,
        });
        (vec![Effect::LoadEvents(key)], true)
    }

    /// Moves the selection in the list, or scrolls the popup, detail or help text.
    pub(super) fn navigate(&mut self, action: Action) -> bool {
        let page = match (&self.confirm, &self.help, &self.detail) {
            (Some(confirm), _, _) => crate::ui::confirm::scroll_room(self, confirm).0,
            (None, None, None) => self.list_rows(),
            (None, None, Some(detail)) => crate::ui::detail::text_rows(self, detail),
            _ => crate::ui::page_rows(self.height),
        }
        .max(1);
        let moved = |at: usize| match action {
            Action::Up => at.saturating_sub(1),
            Action::Down => at.saturating_add(1),
            Action::PageUp => at.saturating_sub(page),
            Action::PageDown => at.saturating_add(page),
            Action::Top => 0,
            _ => usize::MAX,
        };
        let before = self.position();
        if let Some(confirm) = &mut self.confirm {
            confirm.scroll = moved(confirm.scroll);
        } else if let Some(scroll) = &mut self.help {
            *scroll = moved(*scroll);
        } else if let Some(detail) = &mut self.detail {
            detail.scroll = moved(detail.scroll);
        } else {
            self.chosen = true;
            self.select(moved(self.selected));
        }
        self.clamp_scroll();
        before != self.position()
    }

    /// Everything navigation moves, to tell whether a key moved anything.
    fn position(&self) -> [Option<usize>; 5] {
        let detail = self.detail.as_ref().map(|d| d.scroll);
        let confirm = self.confirm.as_ref().map(|c| c.scroll);
        [
            Some(self.selected),
            Some(self.offset),
            self.help,
            detail,
            confirm,
        ]
    }

    fn run_command(&mut self, line: &str) -> Outcome {
        match command::parse(line) {
            Ok(Command::Namespace(ns)) => self.switch_namespace(Some(ns)),
            Ok(Command::Context(ctx)) => self.switch_context(ctx),
            Ok(Command::Help) => {
                self.help = Some(0);
                (Vec::new(), true)
            }
            Ok(Command::Quit) => (vec![Effect::Quit], false),
            Err(message) => {
                self.status = (!message.is_empty()).then_some(message);
                (Vec::new(), true)
            }
        }
    }

    /// Asks the shell to connect to context `ctx`. Nothing changes here until it
    /// answers (`Msg::Connected`): until then the header, the list and every action
    /// key stay on the current context.
    fn switch_context(&mut self, ctx: String) -> Outcome {
        if ctx == self.context {
            self.status = Some(format!("already on context {ctx}"));
            return (Vec::new(), true);
        }
        // An autopilot drives a release of this cluster; it would go on unseen.
        let driving = self
            .pilots
            .values()
            .filter(|p| !matches!(p.state, PilotState::Ended { .. }))
            .count();
        if driving > 0 {
            self.status = Some(format!(
                "refused: {driving} autopilot(s) run on context {}: stop them (A) before switching",
                self.context
            ));
            return (Vec::new(), true);
        }
        self.status = Some(format!(
            "connecting to context {ctx}… (still on {})",
            self.context
        ));
        self.switching = Some(ctx.clone());
        (vec![Effect::SwitchContext(ctx)], true)
    }

    fn switch_namespace(&mut self, namespace: Option<String>) -> Outcome {
        if self.namespace == namespace {
            return nothing();
        }
        self.namespace = namespace.clone();
        self.detail = None;
        self.help = None;
        self.refilter();
        (vec![Effect::SwitchNamespace(namespace)], true)
    }
}
