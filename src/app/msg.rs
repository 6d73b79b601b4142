//! What comes into the app (messages) and what goes out (effects).

use std::time::Duration;

use crossterm::event::KeyEvent;

use super::PilotEvent;
use crate::actions::{Plan, Verb};
use crate::alerts::Alert;
use crate::metrics::Snapshot;
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
    /// The plan `Effect::Plan` asked for, checked by the server: opens the
    /// confirmation. A newer preview replaces one still open.
    Preview(Preview),
    /// The planner refused a verb on a release (`namespace/name`), with why.
    Refused(String, Verb, String),
    /// What applying did, or why it stopped, for the status bar.
    Applied(String),
    /// A refresh of health per version; it replaces the last one, and its
    /// errors are shown as they are.
    Metrics(Snapshot),
    /// No metrics to be had, and why: `not configured (--prometheus URL)`.
    MetricsUnavailable(String),
    /// Alertmanager's firing alerts, or why it did not answer.
    Alerts(Result<Vec<Alert>, String>),
    /// What an autopilot this console runs did (release `namespace/name`).
    Autopilot(String, PilotEvent),
    /// The context `Effect::SwitchContext` asked for answered: the shell's client,
    /// watchers and actions now point at it.
    Connected(String),
    /// The context `Effect::SwitchContext` asked for did not answer (or does not
    /// exist), with why: the shell still points at the old one.
    ContextFailed(String, String),
}

/// A plan to confirm, as `Msg::Preview` brings it.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    /// The context the plan was made and dry-run on: the only one it may be applied on.
    pub context: String,
    pub plan: Plan,
    /// The server-side dry run's verdict: Ok, or the API's message.
    pub dry_run: Result<(), String>,
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
    /// Connect to another kubeconfig context, keeping the current one until the new
    /// one answers; then send `Msg::Connected` (or `Msg::ContextFailed`).
    SwitchContext(String),
    /// Plan a verb on a release (`namespace/name`), dry-run it on the server,
    /// and send `Msg::Preview` (or `Msg::Refused`).
    Plan(Verb, String),
    /// The operator confirmed the last preview: apply its plan and send
    /// `Msg::Applied`.
    Apply,
    /// The operator turned the last preview down: forget its plan.
    Cancel,
    /// Refresh health over `window` (ending now), with the series for graphs
    /// when `history`, and send `Msg::Metrics`; keep only the latest request
    /// in flight. Returned whenever the window changes or the detail view
    /// opens or closes; `App::metrics_request` gives the first one.
    Metrics {
        window: Duration,
        history: bool,
    },
    /// Take the autopilot Lease of a release (`namespace/name`) and drive it,
    /// reporting each interval as `Msg::Autopilot`.
    StartAutopilot(String),
    /// Stop the autopilot on a release after its current interval, releasing its Lease.
    StopAutopilot(String),
}
