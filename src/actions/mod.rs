//! Actions on releases. `plan` (pure) turns a release, its live objects and a verb into
//! the patches to send, each with the fields it changes and a precondition; `apply`
//! (I/O) checks them with a server-side dry run, sends them in order, and leaves a trace.

pub mod apply;
pub mod checked;
pub mod plan;

pub use plan::plan;

use serde::Serialize;

/// What an operator asks of a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verb {
    /// The canary's weight to the next value of the step plan (Argo: promote).
    Step,
    /// The canary's weight to the previous value of the step plan.
    Back,
    /// The canary to 100% (Argo: promote, Flagger: skip analysis).
    Promote,
    /// Argo: `promote --full`; elsewhere the same as promote.
    PromoteFull,
    /// Blue/green: traffic to the other version.
    Flip,
    /// All traffic back to stable (Argo: abort; rolling: undo).
    Rollback,
    Pause,
    Resume,
    /// A rolling Deployment (or Argo Rollout) back to its previous revision.
    Undo,
}

impl Verb {
    pub const ALL: [Verb; 9] = [
        Verb::Step,
        Verb::Back,
        Verb::Promote,
        Verb::PromoteFull,
        Verb::Flip,
        Verb::Rollback,
        Verb::Pause,
        Verb::Resume,
        Verb::Undo,
    ];

    /// The command-line word (`promote-full` is `promote --full` in Argo's words).
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Step => "step",
            Verb::Back => "back",
            Verb::Promote => "promote",
            Verb::PromoteFull => "promote-full",
            Verb::Flip => "flip",
            Verb::Rollback => "rollback",
            Verb::Pause => "pause",
            Verb::Resume => "resume",
            Verb::Undo => "undo",
        }
    }

    /// The Event reason of an applied action: `KshiftStep`, `KshiftRollback`, ...
    pub fn event_reason(self) -> String {
        let word = self.as_str().split('-').map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        });
        format!("Kshift{}", word.collect::<String>())
    }
}

/// The object a change is sent to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// `networking.istio.io/v1`, `apps/v1`, `v1`: the version the object was read in.
    pub api_version: String,
    pub kind: String,
    /// The resource's plural (`virtualservices`), for the URL.
    pub plural: String,
    pub namespace: String,
    pub name: String,
}

/// A patch body, with its precondition inside: `test` ops (JSON patch) or
/// `metadata.resourceVersion` (merge patch).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "body", rename_all = "lowercase")]
pub enum Patch {
    /// RFC 6902 operations.
    Json(Vec<serde_json::Value>),
    /// RFC 7386 merge patch.
    Merge(serde_json::Value),
}

/// One field a change moves, as the preview shows it: `field: from -> to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub from: String,
    pub to: String,
}

/// One patch to one object (or its `status` / `scale` subresource).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub target: Target,
    pub subresource: Option<String>,
    pub patch: Patch,
    pub fields: Vec<FieldChange>,
}

/// Everything an action will do, in the order it will be done: every intermediate
/// state still serves traffic (scale up before switching, switch before scaling down).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub verb: Verb,
    /// `namespace/name` of the release.
    pub release: String,
    /// What moves, in words: `canary 1.5.0 10% -> 25%`.
    pub summary: String,
    pub changes: Vec<Change>,
    /// What the operator should know before saying yes (a controller that may undo it).
    pub caveats: Vec<String>,
}

/// Why an action is not possible on a release as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub reason: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// Choices that change what a verb may do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Flip (or step) even to a version with no or too few ready pods.
    pub force: bool,
}
