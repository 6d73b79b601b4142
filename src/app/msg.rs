//! What comes into the app (messages) and what goes out (effects).

use crossterm::event::KeyEvent;

use crate::model::Release;

/// Everything that can change the console's state.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    /// A full new list from the watchers; it replaces the old one.
    Releases(Vec<Release>),
    Watch(WatchStatus),
    /// Kinds watched, and kinds skipped with why (`rollouts: CRD not installed`).
    WatchedKinds(Vec<String>, Vec<String>),
    /// Recent events of the objects of a release (`namespace/name`).
    Events(String, Vec<EventLine>),
    /// Unix seconds, about once a second: the app reads no clock itself.
    Now(i64),
    Resize(u16, u16),
    /// A message for the status bar, such as an error from the I/O shell.
    Status(String),
}

/// Whether the watches are up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchStatus {
    Connected,
    /// A watch broke and is being retried, with why.
    Reconnecting(String),
}

/// One Kubernetes Event of an object of a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventLine {
    /// Unix seconds of its last occurrence, so its age follows `Msg::Now`.
    pub timestamp: Option<i64>,
    /// `Normal` or `Warning`.
    pub kind: String,
    pub reason: String,
    /// `Kind/name` of the object it is about.
    pub object: String,
    pub message: String,
}

/// What the I/O shell must do after an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Quit,
    /// Fetch recent events of a release's objects and send `Msg::Events`.
    LoadEvents(String),
    /// Watch one namespace, or all of them (`None`).
    SwitchNamespace(Option<String>),
    SwitchContext(String),
}
