//! Releases as plain values: what the console shows and what actions plan from.
//! Built by `cluster::discover` from live objects; never does I/O.

use serde::Serialize;

/// How a release's traffic is split, by what recognised it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An Istio VirtualService with a weighted route.
    Istio,
    /// A Gateway API HTTPRoute with weighted backendRefs.
    Gateway,
    /// An NGINX canary Ingress beside its primary.
    Nginx,
    /// An SMI TrafficSplit.
    Smi,
    /// A Service whose selector picks one of several Deployments (blue/green).
    Service,
    /// Several Deployments behind one Service, weighted by ready replicas.
    Replicas,
    /// An Argo Rollouts `Rollout`.
    Argo,
    /// A Flagger `Canary`.
    Flagger,
    /// A lone Deployment, one version per live ReplicaSet revision.
    Rolling,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Istio,
        Kind::Gateway,
        Kind::Nginx,
        Kind::Smi,
        Kind::Service,
        Kind::Replicas,
        Kind::Argo,
        Kind::Flagger,
        Kind::Rolling,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Istio => "istio",
            Kind::Gateway => "gateway",
            Kind::Nginx => "nginx",
            Kind::Smi => "smi",
            Kind::Service => "service",
            Kind::Replicas => "replicas",
            Kind::Argo => "argo",
            Kind::Flagger => "flagger",
            Kind::Rolling => "rolling",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Strategy {
    #[serde(rename = "canary")]
    Canary,
    #[serde(rename = "bluegreen")]
    BlueGreen,
    #[serde(rename = "rolling")]
    Rolling,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Canary => "canary",
            Strategy::BlueGreen => "bluegreen",
            Strategy::Rolling => "rolling",
        }
    }
}

/// The words `kubectl argo rollouts` uses, for every kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Phase {
    Healthy,
    Progressing,
    Paused,
    Degraded,
    /// A canary that takes all traffic: the older version has none and can go.
    Promoted,
    Unknown,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Healthy => "Healthy",
            Phase::Progressing => "Progressing",
            Phase::Paused => "Paused",
            Phase::Degraded => "Degraded",
            Phase::Promoted => "Promoted",
            Phase::Unknown => "Unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Stable,
    Canary,
    Active,
    Preview,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Stable => "stable",
            Role::Canary => "canary",
            Role::Active => "active",
            Role::Preview => "preview",
        }
    }
}

/// Argo's `currentStepIndex` of its step count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Step {
    pub index: u32,
    pub count: u32,
}

/// One version of a release: a workload and the share of traffic it gets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Version {
    pub name: String,
    pub role: Role,
    /// Percent of the release's traffic, 0 to 100.
    pub weight: f64,
    pub images: Vec<String>,
    pub ready: i64,
    pub desired: i64,
    /// The workload behind this version (`Deployment/reviews-v2`, `ReplicaSet/web-5d9f`).
    #[serde(skip)]
    pub workload: Option<ObjectRef>,
    /// Its revision, where the workload has one.
    #[serde(skip)]
    pub revision: Option<u64>,
}

/// An object a release is made of.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ObjectRef {
    pub kind: String,
    pub name: String,
}

impl ObjectRef {
    pub fn new(kind: &str, name: &str) -> Self {
        ObjectRef {
            kind: kind.to_string(),
            name: name.to_string(),
        }
    }
}

/// One release: a service whose traffic two or more versions share, or a single
/// workload being rolled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Release {
    pub namespace: String,
    pub name: String,
    pub kind: Kind,
    pub strategy: Strategy,
    pub phase: Phase,
    pub step: Option<Step>,
    pub versions: Vec<Version>,
    pub objects: Vec<ObjectRef>,
    pub warnings: Vec<String>,
    /// The canary weights the release steps through (Argo's setWeight steps, the
    /// `kshift.dev/steps` annotation, or 5, 10, 25, 50, 100).
    #[serde(skip)]
    pub plan: Vec<f64>,
    /// When any of its objects last changed, as far as the objects tell (RFC 3339).
    #[serde(skip)]
    pub last_change: Option<String>,
    /// `kubernetes.io/change-cause` annotations of its workloads, newest first.
    #[serde(skip)]
    pub change_causes: Vec<String>,
    /// The limits its health is judged by.
    #[serde(skip)]
    pub thresholds: Thresholds,
    /// Its objects' `kshift.dev/` annotations (a router's over a Service's over a
    /// workload's, where several set one): the verdict's thresholds and the like.
    #[serde(skip)]
    pub annotations: std::collections::BTreeMap<String, String>,
    /// Paused by its controller at one of its own steps (an Argo Rollouts pause step, a
    /// Flagger promotion gate) and waiting to be promoted, rather than by an operator.
    #[serde(skip)]
    pub waiting_at_step: bool,
    /// The autopilot driving it, as its Lease tells (`kshift-autopilot-<name>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autopilot: Option<AutopilotLease>,
}

/// Who holds a release's autopilot Lease, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AutopilotLease {
    /// `user@host/pid`.
    pub holder: String,
    /// Unix seconds of its last renewal (or acquisition).
    pub renewed: Option<i64>,
    /// How long a renewal holds, in seconds.
    pub duration_s: i64,
}

impl AutopilotLease {
    /// Whether the holder has let the Lease lapse by `now` (Unix seconds): its
    /// autopilot is gone without releasing it, and another may take over.
    pub fn lapsed(&self, now: i64) -> bool {
        self.renewed
            .is_none_or(|renewed| renewed.saturating_add(self.duration_s) < now)
    }
}

/// Limits of a release's health, from the annotations `kshift.dev/max-error-rate`
/// and `kshift.dev/max-p99-ms`; `None` where none is set.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Thresholds {
    /// Failed requests over all requests, a fraction from 0 to 1.
    pub max_error_rate: Option<f64>,
    /// The 99th percentile latency, in milliseconds.
    pub max_p99_ms: Option<f64>,
}

/// A weight as text: `10`, `33.33`.
pub fn percent(w: f64) -> String {
    let rounded = (w * 100.0).round() / 100.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded}")
    }
}

/// The step plan when a release names none.
pub const DEFAULT_PLAN: [f64; 5] = [5.0, 10.0, 25.0, 50.0, 100.0];

impl Release {
    /// `namespace/name`, the key a release is known by.
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// Whether an operator should look at it first.
    pub fn needs_attention(&self) -> bool {
        !self.warnings.is_empty()
            || matches!(
                self.phase,
                Phase::Paused | Phase::Progressing | Phase::Degraded
            )
    }
}
