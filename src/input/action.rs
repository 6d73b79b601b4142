//! Everything a key can ask the console to do.

/// An action a key is bound to; its name is the key of the keymap file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Back,
    Filter,
    Command,
    Help,
    AllNamespaces,
    Window,
    Expand,
    NextGraph,
    Quit,
    Step,
    BackStep,
    Promote,
    PromoteFull,
    Flip,
    Rollback,
    Undo,
    Pause,
    Autopilot,
}

/// Where the help screen lists an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Navigation,
    Views,
    Actions,
}

impl Group {
    pub const ALL: [Group; 3] = [Group::Navigation, Group::Views, Group::Actions];

    pub fn title(self) -> &'static str {
        match self {
            Group::Navigation => "navigation",
            Group::Views => "views",
            Group::Actions => "actions",
        }
    }
}

impl Action {
    /// In the order the help screen lists them.
    pub const ALL: [Action; 25] = [
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::Open,
        Action::Back,
        Action::Filter,
        Action::Command,
        Action::Help,
        Action::AllNamespaces,
        Action::Window,
        Action::Expand,
        Action::NextGraph,
        Action::Quit,
        Action::Step,
        Action::BackStep,
        Action::Promote,
        Action::PromoteFull,
        Action::Flip,
        Action::Rollback,
        Action::Undo,
        Action::Pause,
        Action::Autopilot,
    ];

    /// The name used in keymap files.
    pub fn name(self) -> &'static str {
        match self {
            Action::Up => "up",
            Action::Down => "down",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::Open => "open",
            Action::Back => "back",
            Action::Filter => "filter",
            Action::Command => "command",
            Action::Help => "help",
            Action::AllNamespaces => "all_namespaces",
            Action::Window => "window",
            Action::Expand => "expand",
            Action::NextGraph => "next_graph",
            Action::Quit => "quit",
            Action::Step => "step",
            Action::BackStep => "back_step",
            Action::Promote => "promote",
            Action::PromoteFull => "promote_full",
            Action::Flip => "flip",
            Action::Rollback => "rollback",
            Action::Undo => "undo",
            Action::Pause => "pause",
            Action::Autopilot => "autopilot",
        }
    }

    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    /// What the help screen says it does, in the words of `kubectl argo rollouts`.
    pub fn description(self) -> &'static str {
        match self {
            Action::Up => "move up",
            Action::Down => "move down",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "go to the top",
            Action::Bottom => "go to the bottom",
            Action::Open => "open the detail view",
            Action::Back => "back, clear filter",
            Action::Filter => "filter releases",
            Action::Command => "command mode",
            Action::Help => "this help",
            Action::AllNamespaces => "all namespaces",
            Action::Window => "window 5m/15m/1h/6h",
            Action::Expand => "expand graph / back",
            Action::NextGraph => "next graph",
            Action::Quit => "quit",
            Action::Step => "step forward",
            Action::BackStep => "step back",
            Action::Promote => "promote",
            Action::PromoteFull => "promote fully",
            Action::Flip => "flip blue/green",
            Action::Rollback => "abort / roll back",
            Action::Undo => "undo",
            Action::Pause => "pause / resume",
            Action::Autopilot => "autopilot on / off",
        }
    }

    /// Whether it changes the cluster: read-only mode removes these.
    pub fn dangerous(self) -> bool {
        matches!(
            self,
            Action::Step
                | Action::BackStep
                | Action::Promote
                | Action::PromoteFull
                | Action::Flip
                | Action::Rollback
                | Action::Undo
                | Action::Pause
                | Action::Autopilot
        )
    }

    pub fn group(self) -> Group {
        match self {
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom => Group::Navigation,
            _ if self.dangerous() => Group::Actions,
            _ => Group::Views,
        }
    }
}
