//! Hand-built releases for tests: every kind, the odd cases, and a name
//! that tries to retitle the terminal.

use super::{App, EventLine, Msg, Preview};
use crate::actions::{Change, FieldChange, Patch, Plan, Target, Verb};
use crate::input::Keymap;
use crate::model::{Kind, ObjectRef, Phase, Release, Role, Step, Strategy, Thresholds, Version};
use crate::ui::Theme;

/// 2024-05-01T12:00:00Z.
pub const NOW: i64 = 1_714_564_800;

pub fn version(name: &str, role: Role, weight: f64, image: &str, ready: i64) -> Version {
    Version {
        name: name.into(),
        role,
        weight,
        images: vec![image.into()],
        ready,
        desired: ready.max(1),
        workload: Some(ObjectRef::new("Deployment", name)),
        revision: None,
    }
}

pub fn release(
    namespace: &str,
    name: &str,
    kind: Kind,
    strategy: Strategy,
    phase: Phase,
    versions: Vec<Version>,
    changed: &str,
) -> Release {
    Release {
        namespace: namespace.into(),
        name: name.into(),
        kind,
        strategy,
        phase,
        step: None,
        objects: versions.iter().filter_map(|v| v.workload.clone()).collect(),
        versions,
        warnings: Vec::new(),
        plan: Vec::new(),
        last_change: Some(changed.into()),
        change_causes: Vec::new(),
        thresholds: Thresholds::default(),
        annotations: Default::default(),
        waiting_at_step: false,
        autopilot: None,
    }
}

/// Ten releases, one or more of every kind, in no particular order.
pub fn releases() -> Vec<Release> {
    use Kind::*;
    use Phase::*;
    use Role::{Active, Canary, Preview, Stable};
    use Strategy::{BlueGreen, Rolling as Roll};
    let canary = Strategy::Canary;
    let img = |name: &str, tag: &str| format!("registry.example.com/shop/{name}:{tag}");

    let mut reviews = release(
        "shop",
        "reviews",
        Istio,
        canary,
        Healthy,
        vec![
            version("reviews-v1", Stable, 90.0, &img("reviews", "1.20"), 3),
            version("reviews-v2", Canary, 10.0, &img("reviews", "1.21"), 1),
        ],
        "2024-05-01T11:56:48Z",
    );
    reviews
        .objects
        .insert(0, ObjectRef::new("VirtualService", "reviews"));
    reviews
        .objects
        .push(ObjectRef::new("DestinationRule", "reviews"));

    let mut checkout = release(
        "shop",
        "checkout",
        Argo,
        canary,
        Paused,
        vec![
            version("checkout-7c9d4", Stable, 80.0, &img("checkout", "2.3.0"), 4),
            version("checkout-5f6b8", Canary, 20.0, &img("checkout", "2.4.0"), 1),
        ],
        "2024-05-01T11:59:15Z",
    );
    checkout.step = Some(Step { index: 2, count: 4 });
    // As recognition reads them from the annotations that set them.
    checkout.thresholds = super::health_fixtures::LIMITS;
    checkout.annotations = [
        ("kshift.dev/max-error-rate", "0.05"),
        ("kshift.dev/max-p99-ms", "300"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    checkout.plan = vec![20.0, 50.0, 100.0];
    checkout.objects = vec![
        ObjectRef::new("Rollout", "checkout"),
        ObjectRef::new("ReplicaSet", "checkout-7c9d4"),
        ObjectRef::new("ReplicaSet", "checkout-5f6b8"),
        ObjectRef::new("Service", "checkout-stable"),
        ObjectRef::new("Service", "checkout-canary"),
    ];
    checkout.versions[0].revision = Some(7);
    checkout.versions[1].revision = Some(8);
    checkout.versions[1]
        .images
        .push("registry.example.com/shop/envoy-sidecar:1.30".into());
    checkout.change_causes =
        vec!["kubectl argo rollouts set image checkout app=checkout:2.4.0".into()];

    let frontend = release(
        "shop",
        "frontend",
        Service,
        BlueGreen,
        Healthy,
        vec![
            version("frontend-blue", Active, 100.0, &img("frontend", "5.1"), 3),
            version("frontend-green", Preview, 0.0, &img("frontend", "5.2"), 3),
        ],
        "2024-04-29T08:00:00Z",
    );

    let mut ledger = release(
        "payments",
        "ledger",
        Gateway,
        canary,
        Degraded,
        vec![
            version("ledger-v1", Stable, 90.0, &img("ledger", "0.9.1"), 2),
            version("ledger-v2", Canary, 5.0, &img("ledger", "1.0.0"), 0),
        ],
        "2024-05-01T11:59:30Z",
    );
    ledger.versions[1].desired = 2;
    ledger.warnings = vec![
        "weights sum to 95, not 100".into(),
        "ledger-v2 has no ready pods".into(),
    ];

    let api = release(
        "payments",
        "api",
        Nginx,
        canary,
        Healthy,
        vec![
            version("api", Stable, 95.0, &img("api", "3.2"), 2),
            version("api-canary", Canary, 5.0, &img("api", "3.3"), 1),
        ],
        "2024-03-20T10:00:00Z",
    );

    let cart = release(
        "mesh",
        "cart",
        Smi,
        canary,
        Progressing,
        vec![
            version("cart-v1", Stable, 50.0, &img("cart", "1.0"), 2),
            version("cart-v2", Canary, 50.0, &img("cart", "1.1"), 2),
        ],
        "2024-05-01T09:00:00Z",
    );

    let catalog = release(
        "web",
        "catalog",
        Replicas,
        canary,
        Healthy,
        vec![
            version("catalog-v1", Stable, 66.666, &img("catalog", "4.0"), 2),
            version("catalog-v2", Canary, 33.333, &img("catalog", "4.1"), 1),
        ],
        "2024-05-01T06:30:00Z",
    );

    let search = release(
        "web",
        "search",
        Flagger,
        canary,
        Healthy,
        vec![
            version("search-primary", Stable, 100.0, &img("search", "7.2"), 3),
            version("search-canary", Canary, 0.0, &img("search", "7.2"), 0),
        ],
        "not a time",
    );

    let mut static_site = release(
        "web",
        "static",
        Rolling,
        Roll,
        Healthy,
        vec![version(
            "static-6b7f9",
            Stable,
            100.0,
            &img("static", "latest"),
            2,
        )],
        "2023-01-01T00:00:00Z",
    );
    static_site.versions[0].revision = Some(12);

    let mut evil = release(
        "web",
        "evil\u{1b}]0;pwned\u{7}",
        Rolling,
        Roll,
        Unknown,
        vec![version("evil-1", Stable, 100.0, "evil:1\u{1b}[2J", 1)],
        "2024-05-01T11:00:00Z",
    );
    evil.warnings = vec!["annotation \u{1b}]0;pwned\u{7} ignored \u{202e}gnp.exe".into()];

    vec![
        static_site,
        reviews,
        search,
        evil,
        frontend,
        catalog,
        api,
        checkout,
        cart,
        ledger,
    ]
}

pub fn events() -> Vec<EventLine> {
    let event = |ago: i64, kind: &str, reason: &str, object: &str, message: &str| EventLine {
        timestamp: Some(NOW - ago),
        kind: kind.into(),
        reason: reason.into(),
        object: object.into(),
        message: message.into(),
    };
    vec![
        event(
            620,
            "Normal",
            "RolloutUpdated",
            "Rollout/checkout",
            "Rollout updated to revision 8",
        ),
        event(
            45,
            "Normal",
            "RolloutPaused",
            "Rollout/checkout",
            "Rollout is paused (CanaryPauseStep)",
        ),
        event(
            130,
            "Warning",
            "ProgressDeadline",
            "ReplicaSet/checkout-5f6b8",
            "evil \u{1b}]0;pwned\u{7} message that is long enough to be cut at 80 columns",
        ),
    ]
}

/// A console at 80x24 with the fixture releases, watching, at `NOW`.
/// The context the fixture app starts on.
pub const CONTEXT: &str = "kind-demo";

pub fn app(theme: Theme) -> App {
    let mut app = App::new(Keymap::default(), theme, None, CONTEXT.into());
    app.update(Msg::Resize(80, 24));
    app.update(Msg::Now(NOW));
    app.update(Msg::WatchedKinds(
        [
            "deployments",
            "replicasets",
            "services",
            "ingresses",
            "virtualservices",
            "httproutes",
            "trafficsplits",
            "rollouts",
            "canaries",
        ]
        .map(String::from)
        .to_vec(),
        vec!["grpcroutes: CRD not installed".into()],
    ));
    app.update(Msg::Releases(releases()));
    app
}

/// One replica-scaling change, as a replica canary's plan holds them.
pub fn scale(name: &str, from: i64, to: i64) -> Change {
    Change {
        target: Target {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            plural: "deployments".into(),
            namespace: "web".into(),
            name: name.into(),
        },
        subresource: Some("scale".into()),
        patch: Patch::Json(vec![
            serde_json::json!({"op": "test", "path": "/spec/replicas", "value": from}),
            serde_json::json!({"op": "replace", "path": "/spec/replicas", "value": to}),
        ]),
        fields: vec![FieldChange {
            field: "spec.replicas".into(),
            from: from.to_string(),
            to: to.to_string(),
        }],
    }
}

/// Promoting the replica canary web/catalog: the canary scales up before
/// the stable version scales down.
pub fn preview(dry_run: Result<(), String>) -> Preview {
    Preview {
        context: CONTEXT.into(),
        plan: Plan {
            verb: Verb::Promote,
            release: "web/catalog".into(),
            summary: "canary catalog-v2 33% -> 100%".into(),
            changes: vec![scale("catalog-v2", 1, 3), scale("catalog-v1", 2, 0)],
            caveats: vec![
                "a HorizontalPodAutoscaler targets Deployment/catalog-v2 and may change its replicas again".into(),
            ],
        },
        dry_run,
    }
}

/// A dry run the server turned down.
pub fn refused_dry_run() -> Result<(), String> {
    Err(
        "admission webhook \"validate.kyverno.svc-fail\" denied the request: \
         resource Deployment/web/catalog-v2 was blocked due to the following policies: \
         require-pdb: more than 2 replicas need a PodDisruptionBudget"
            .into(),
    )
}
