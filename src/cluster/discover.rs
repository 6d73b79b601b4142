//! Release recognition: live objects in, `Release` values out. Pure and
//! deterministic; every namespace is indexed once and recognised on its own.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use super::routers::index::{Ns, NsObjects, ObjKind};
use super::routers::json::str_at;
use super::routers::{Ctx, argo, flagger, gateway, istio, nginx, rolling, service, smi};
use crate::model::Release;

/// Live objects as the API returns them (JSON), every namespace mixed. A kind
/// whose CRD is absent is an empty Vec.
#[derive(Debug, Clone, Default)]
pub struct Objects {
    pub deployments: Vec<Arc<Value>>,
    pub replicasets: Vec<Arc<Value>>,
    pub services: Vec<Arc<Value>>,
    pub ingresses: Vec<Arc<Value>>,
    pub virtual_services: Vec<Arc<Value>>,
    pub destination_rules: Vec<Arc<Value>>,
    pub http_routes: Vec<Arc<Value>>,
    pub traffic_splits: Vec<Arc<Value>>,
    pub rollouts: Vec<Arc<Value>>,
    pub canaries: Vec<Arc<Value>>,
    /// The autopilots' Leases (labelled `app.kubernetes.io/managed-by: kshift`).
    pub leases: Vec<Arc<Value>>,
}

/// What recognition may be told; everything else it reads from the objects.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Label keys that name a version, in priority order.
    pub version_labels: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            version_labels: ["app.kubernetes.io/version", "version", "color", "track"]
                .map(String::from)
                .to_vec(),
        }
    }
}

/// Below this many objects one thread is quicker than starting others.
const PARALLEL_FROM: usize = 4096;

/// Every release in `objects`, sorted by namespace then name.
pub fn discover(objects: &Objects, settings: &Settings) -> Vec<Release> {
    let lists = [
        (ObjKind::Deployment, &objects.deployments),
        (ObjKind::ReplicaSet, &objects.replicasets),
        (ObjKind::Service, &objects.services),
        (ObjKind::Ingress, &objects.ingresses),
        (ObjKind::VirtualService, &objects.virtual_services),
        (ObjKind::DestinationRule, &objects.destination_rules),
        (ObjKind::HttpRoute, &objects.http_routes),
        (ObjKind::TrafficSplit, &objects.traffic_splits),
        (ObjKind::Rollout, &objects.rollouts),
        (ObjKind::Canary, &objects.canaries),
    ];
    let total: usize = lists.iter().map(|(_, list)| list.len()).sum();
    // Reading the objects is bound by memory latency, which threads overlap.
    let threads = if total < PARALLEL_FROM {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
    };
    let mut releases = discover_on(&lists, settings, threads);
    note_autopilots(&mut releases, &objects.leases);
    releases
}

/// Attaches to each release the holder of its autopilot Lease, if there is one.
fn note_autopilots(releases: &mut [Release], leases: &[Arc<Value>]) {
    if leases.is_empty() {
        return;
    }
    let by_name: HashMap<(&str, &str), &Value> = leases
        .iter()
        .filter_map(|lease| {
            let meta = lease.get("metadata")?;
            Some((
                (str_at(meta, &["namespace"])?, str_at(meta, &["name"])?),
                &**lease,
            ))
        })
        .collect();
    for release in releases {
        let name = crate::autopilot::lease::name_for(&release.name);
        let Some(spec) = by_name
            .get(&(release.namespace.as_str(), name.as_str()))
            .and_then(|lease| lease.get("spec"))
        else {
            continue;
        };
        let Some(holder) = str_at(spec, &["holderIdentity"]).filter(|h| !h.is_empty()) else {
            continue;
        };
        let renewed = str_at(spec, &["renewTime"])
            .or_else(|| str_at(spec, &["acquireTime"]))
            .and_then(crate::ages::parse_rfc3339);
        release.autopilot = Some(crate::model::AutopilotLease {
            holder: holder.to_string(),
            renewed,
            duration_s: spec["leaseDurationSeconds"].as_i64().unwrap_or(0),
        });
    }
}

/// `discover` with the work spread over `threads` threads.
fn discover_on(
    lists: &[(ObjKind, &Vec<Arc<Value>>)],
    settings: &Settings,
    threads: usize,
) -> Vec<Release> {
    let parts = run_parallel(threads, |part| group(lists, part, threads));
    let mut by_ns: HashMap<&str, NsObjects<'_>> = HashMap::new();
    // Parts hold consecutive slices of each list: merged in order, the lists keep theirs.
    for part in parts {
        for (ns, objects) in part {
            let merged = by_ns.entry(ns).or_default();
            for (into, from) in merged.lists.iter_mut().zip(objects.lists) {
                into.extend(from);
            }
        }
    }
    let namespaces: Vec<(&str, NsObjects<'_>)> = by_ns.into_iter().collect();
    let next = AtomicUsize::new(0);
    let mut releases: Vec<Release> = run_parallel(threads, |_| {
        let mut out = Vec::new();
        while let Some((name, objects)) = namespaces.get(next.fetch_add(1, Ordering::Relaxed)) {
            out.extend(recognise(&Ns::build(name, objects), settings));
        }
        out
    })
    .into_iter()
    .flatten()
    .collect();
    releases.sort_by(|a, b| (&a.namespace, &a.name, a.kind).cmp(&(&b.namespace, &b.name, b.kind)));
    note_same_names(&mut releases);
    releases
}

/// `work(0..threads)`, on that many threads when more than one.
fn run_parallel<T: Send>(threads: usize, work: impl Fn(usize) -> T + Sync) -> Vec<T> {
    if threads <= 1 {
        return vec![work(0)];
    }
    std::thread::scope(|scope| {
        let work = &work;
        let handles: Vec<_> = (0..threads)
            .map(|part| scope.spawn(move || work(part)))
            .collect();
        handles
            .into_iter()
            // A panic in a worker is a bug: let it surface as it would without threads.
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Part `part` of `parts` of every list, by namespace.
fn group<'a>(
    lists: &[(ObjKind, &'a Vec<Arc<Value>>)],
    part: usize,
    parts: usize,
) -> HashMap<&'a str, NsObjects<'a>> {
    let mut by_ns: HashMap<&str, NsObjects<'_>> = HashMap::new();
    for (kind, list) in lists {
        let size = list.len().div_ceil(parts);
        for v in list.iter().skip(part * size).take(size) {
            let meta = v.get("metadata");
            // An object without a name cannot be referred to, patched or shown.
            let Some(name) = meta
                .and_then(|m| str_at(m, &["name"]))
                .filter(|n| !n.is_empty())
            else {
                continue;
            };
            let ns = meta
                .and_then(|m| str_at(m, &["namespace"]))
                .unwrap_or("default");
            by_ns.entry(ns).or_default().lists[*kind as usize].push((name, v));
        }
    }
    by_ns
}

/// The releases of one namespace, kind by kind: an object claimed by an
/// earlier release is never the basis of a later one.
fn recognise(ns: &Ns<'_>, settings: &Settings) -> Vec<Release> {
    let mut ctx = Ctx::new(ns, settings);
    argo::recognise(&mut ctx);
    flagger::recognise(&mut ctx);
    istio::recognise(&mut ctx);
    gateway::recognise(&mut ctx);
    nginx::recognise(&mut ctx);
    smi::recognise(&mut ctx);
    service::recognise_blue_green(&mut ctx);
    service::recognise_replicas(&mut ctx);
    rolling::recognise(&mut ctx);
    ctx.out
}

/// Two releases with one key (`namespace/name`) cannot be told apart by
/// actions: say so on both.
fn note_same_names(releases: &mut [Release]) {
    for i in 1..releases.len() {
        let (before, after) = releases.split_at_mut(i);
        let (Some(a), Some(b)) = (before.last_mut(), after.first_mut()) else {
            continue;
        };
        if a.namespace == b.namespace && a.name == b.name {
            let (ka, kb) = (a.kind.as_str(), b.kind.as_str());
            a.warnings.push(format!(
                "Another release in namespace {} is also named {} (kind {kb}).",
                b.namespace, b.name
            ));
            b.warnings.push(format!(
                "Another release in namespace {} is also named {} (kind {ka}).",
                a.namespace, a.name
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::routers::testutil;
    use crate::model::{Kind, Phase, Role};
    use serde_json::json;

    /// A release as (key, kind, [(version, role, weight)]).
    type Summary = (String, Kind, Vec<(String, Role, f64)>);

    const SHOWCASE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/demo/scenarios/showcase.yaml"
    );

    fn load(path: &str) -> Objects {
        testutil::objects(fixtures::rolled_out(path))
    }

    #[test]
    fn showcase_has_every_kind_with_its_weights() {
        let releases = discover(&load(SHOWCASE), &Settings::default());
        let summary: Vec<Summary> = releases
            .iter()
            .map(|r| {
                let versions = r
                    .versions
                    .iter()
                    .map(|v| (v.name.clone(), v.role, v.weight))
                    .collect();
                (r.key(), r.kind, versions)
            })
            .collect();
        let v = |name: &str, role: Role, weight: f64| (name.to_string(), role, weight);
        let (old, new) = ("1.4.2", "1.5.0");
        let expected = vec![
            (
                "notifications/notifier",
                Kind::Smi,
                vec![v(old, Role::Stable, 70.0), v(new, Role::Canary, 30.0)],
            ),
            (
                "payments/fraud-check",
                Kind::Flagger,
                vec![v(old, Role::Stable, 80.0), v(new, Role::Canary, 20.0)],
            ),
            (
                "payments/ledger",
                Kind::Argo,
                vec![v(old, Role::Active, 100.0), v(new, Role::Preview, 0.0)],
            ),
            (
                "payments/payments-api",
                Kind::Argo,
                vec![v(old, Role::Stable, 90.0), v(new, Role::Canary, 10.0)],
            ),
            (
                "search/autocomplete",
                Kind::Gateway,
                vec![v(old, Role::Stable, 80.0), v(new, Role::Canary, 20.0)],
            ),
            (
                "search/search",
                Kind::Replicas,
                vec![v(old, Role::Stable, 80.0), v(new, Role::Canary, 20.0)],
            ),
            (
                "shop/cart",
                Kind::Istio,
                vec![v(old, Role::Stable, 75.0), v(new, Role::Canary, 25.0)],
            ),
            (
                "shop/checkout",
                Kind::Service,
                vec![v(old, Role::Active, 100.0), v(new, Role::Preview, 0.0)],
            ),
            (
                "shop/inventory",
                Kind::Rolling,
                vec![v(new, Role::Stable, 100.0)],
            ),
            (
                "shop/ratings",
                Kind::Istio,
                vec![v(old, Role::Stable, 80.0), v(new, Role::Canary, 10.0)],
            ),
            (
                "shop/recommendations",
                Kind::Istio,
                vec![v(old, Role::Stable, 80.0), v("canary", Role::Canary, 20.0)],
            ),
            (
                "shop/reviews",
                Kind::Istio,
                vec![v(old, Role::Stable, 90.0), v(new, Role::Canary, 10.0)],
            ),
            (
                "shop/storefront",
                Kind::Nginx,
                vec![v(old, Role::Stable, 80.0), v(new, Role::Canary, 20.0)],
            ),
        ];
        let expected: Vec<Summary> = expected
            .into_iter()
            .map(|(k, kind, versions)| (k.to_string(), kind, versions))
            .collect();
        assert_eq!(summary, expected);
        for kind in Kind::ALL {
            assert!(
                releases.iter().any(|r| r.kind == kind),
                "no {kind:?} release"
            );
        }
        let by_key = |key: &str| releases.iter().find(|r| r.key() == key).expect(key);
        let warned: Vec<String> = releases
            .iter()
            .filter(|r| !r.warnings.is_empty())
            .map(|r| format!("{}: {:?}", r.key(), r.warnings))
            .collect();
        assert_eq!(warned.len(), 2, "{warned:#?}");
        assert_eq!(
            by_key("shop/ratings").warnings,
            ["VirtualService ratings: weights sum to 90, not 100 (80 + 10)."]
        );
        assert_eq!(
            by_key("shop/recommendations").warnings,
            [
                "VirtualService recommendations sends 20% to subset canary, which DestinationRule recommendations does not define."
            ]
        );
        let api = by_key("payments/payments-api");
        assert_eq!(api.phase, Phase::Paused);
        assert_eq!(api.step, Some(crate::model::Step { index: 1, count: 4 }));
        assert_eq!(api.plan, [10.0, 50.0]);
        assert_eq!(
            (
                api.versions[0].ready,
                api.versions[0].desired,
                api.versions[1].ready
            ),
            (4, 4, 1)
        );
        assert_eq!(by_key("payments/ledger").phase, Phase::Paused);
        assert_eq!(by_key("payments/fraud-check").phase, Phase::Progressing);
        assert_eq!(
            by_key("payments/fraud-check").plan,
            [10.0, 20.0, 30.0, 40.0, 50.0]
        );
        assert_eq!(by_key("shop/checkout").phase, Phase::Healthy);
        assert_eq!(by_key("shop/inventory").phase, Phase::Healthy);
        assert_eq!(by_key("shop/reviews").phase, Phase::Progressing);
        assert_eq!(by_key("shop/reviews").plan, crate::model::DEFAULT_PLAN);
        assert_eq!(
            by_key("shop/inventory").change_causes,
            ["kubectl set image deployment/inventory app=ghcr.io/kshift-demo/inventory:1.5.0"]
        );
        assert_eq!(
            api.last_change.as_deref(),
            Some("2026-11-21T21:14:37Z"),
            "the latest condition of the rollout"
        );
        let objects: Vec<String> = api
            .objects
            .iter()
            .map(|o| format!("{}/{}", o.kind, o.name))
            .collect();
        assert_eq!(
            objects,
            [
                "Rollout/payments-api",
                "ReplicaSet/payments-api-5c4b7f9d86",
                "ReplicaSet/payments-api-7d9f6c8b54",
                "Service/payments-api-canary",
                "Service/payments-api-stable",
                "VirtualService/payments-api",
                "DestinationRule/payments-api",
                "Service/payments-api",
            ]
        );
    }

    #[test]
    fn release_json_has_the_documented_shape() {
        let releases = discover(&load(SHOWCASE), &Settings::default());
        let release = releases
            .iter()
            .find(|r| r.key() == "shop/reviews")
            .expect("shop/reviews");
        let value = serde_json::to_value(release).expect("serialise");
        let keys = |v: &Value| -> Vec<String> {
            let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
            k.sort();
            k
        };
        let sorted = |k: &[&str]| {
            let mut k: Vec<String> = k.iter().map(|s| s.to_string()).collect();
            k.sort();
            k
        };
        assert_eq!(
            keys(&value),
            sorted(&[
                "namespace",
                "name",
                "kind",
                "strategy",
                "phase",
                "step",
                "versions",
                "objects",
                "warnings"
            ])
        );
        assert_eq!(
            keys(&value["versions"][0]),
            sorted(&["name", "role", "weight", "images", "ready", "desired"])
        );
        assert_eq!(keys(&value["objects"][0]), sorted(&["kind", "name"]));
        assert_eq!(value["kind"], "istio");
        assert_eq!(value["strategy"], "canary");
        assert_eq!(value["phase"], "Progressing");
        assert_eq!(value["step"], Value::Null);
        assert_eq!(
            value["versions"][1],
            json!({"name": "1.5.0", "role": "canary", "weight": 10.0,
                "images": ["ghcr.io/kshift-demo/reviews:1.5.0"], "ready": 2, "desired": 2})
        );
        assert_eq!(value["warnings"], json!([]));
    }

    #[test]
    fn odd_inputs_never_panic() {
        let odd = vec![
            json!(null),
            json!("a string"),
            json!([1, 2]),
            json!({"metadata": {"name": 5}}),
            json!({"metadata": {"name": "x", "namespace": 7, "labels": [1]}, "spec": "nope", "status": 3}),
            json!({"metadata": {"name": "y", "annotations": {"kshift.dev/steps": 5}},
                "spec": {"replicas": "many", "selector": {"matchLabels": {"a": {"b": 1}}},
                    "template": {"metadata": {"labels": {"a": 1, "b": true, "c": null}}, "spec": {"containers": "x"}},
                    "strategy": {"canary": {"steps": [{"setWeight": "x"}, 5, null]}},
                    "targetRef": {"name": ["x"]}, "http": [{"route": "x"}], "rules": {"backendRefs": 1},
                    "backends": [{"service": 1, "weight": "1q"}], "selector": ["x"]},
                "status": {"currentStepIndex": -4, "canaryWeight": "x", "readyReplicas": "3",
                    "conditions": "x", "observedGeneration": {"a": 1}}}),
        ];
        let arcs: Vec<Arc<Value>> = odd.into_iter().map(Arc::new).collect();
        let objects = Objects {
            deployments: arcs.clone(),
            replicasets: arcs.clone(),
            services: arcs.clone(),
            ingresses: arcs.clone(),
            virtual_services: arcs.clone(),
            destination_rules: arcs.clone(),
            http_routes: arcs.clone(),
            traffic_splits: arcs.clone(),
            rollouts: arcs.clone(),
            canaries: arcs.clone(),
            leases: arcs,
        };
        let releases = discover(&objects, &Settings::default());
        // The named objects become releases (two rollouts and two canaries
        // claim everything else); nothing panics and nothing is lost silently.
        assert!(releases.iter().any(|r| r.name == "x"));
        assert!(releases.iter().any(|r| r.name == "y"));
        assert!(releases.iter().any(|r| !r.warnings.is_empty()));
    }

    #[test]
    fn huge_numbers_do_not_overflow() {
        let mut a = testutil::deployment("a", json!({"app": "x", "v": "a"}), "r/x:1", 1, 1);
        a["status"]["readyReplicas"] = json!(u64::MAX);
        a["spec"]["replicas"] = json!(1e300);
        let mut b = testutil::deployment("b", json!({"app": "x", "v": "b"}), "r/x:2", 1, 1);
        b["status"]["readyReplicas"] = json!(i64::MAX);
        let releases = testutil::run(vec![a, b, testutil::service("x", json!({"app": "x"}))]);
        let r = testutil::find(&releases, "x");
        assert_eq!(r.versions[0].ready, i64::from(i32::MAX));
        assert_eq!(r.versions[0].weight, 50.0);
    }

    #[test]
    fn releases_sharing_a_name_say_so() {
        let releases = testutil::run(vec![
            json!({"kind": "Rollout", "metadata": {"name": "web", "namespace": "ns"},
                "spec": {"strategy": {"canary": {}}}}),
            testutil::deployment("web", json!({"app": "web"}), "web:1", 1, 1),
        ]);
        assert_eq!(releases.len(), 2);
        assert!(
            releases
                .iter()
                .all(|r| r.warnings.iter().any(|w| w.contains("also named web")))
        );
    }

    /// Per namespace: 25 apps of two tracks (behind an SMI split, an Istio
    /// route, an HTTPRoute or only their Service) and 50 lone Deployments.
    fn scale_objects(namespaces: usize) -> Objects {
        let mut list = Vec::new();
        for n in 0..namespaces {
            let ns = format!("ns{n}");
            for a in 0..25 {
                // Two tracks, each with its ReplicaSet and Service, and a Service over both.
                let app = format!("app{a}");
                for track in ["stable", "canary"] {
                    let name = format!("{app}-{track}");
                    let labels = json!({"app": app, "track": track});
                    list.push(json!({"kind": "Deployment",
                        "metadata": {"name": name, "namespace": ns, "uid": format!("{ns}-{name}"),
                            "labels": labels, "annotations": {"deployment.kubernetes.io/revision": "2"},
                            "generation": 2, "creationTimestamp": "2026-11-01T00:00:00Z"},
                        "spec": {"replicas": 3, "selector": {"matchLabels": labels},
                            "template": {"metadata": {"labels": labels},
                                "spec": {"containers": [{"name": "app", "image": format!("r/{app}:1.0")}]}}},
                        "status": {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3,
                            "readyReplicas": 3, "availableReplicas": 3,
                            "conditions": [{"type": "Available", "lastUpdateTime": "2026-11-02T00:00:00Z"}]}}));
                    list.push(json!({"kind": "ReplicaSet",
                        "metadata": {"name": format!("{name}-abc"), "namespace": ns, "labels": labels,
                            "annotations": {"deployment.kubernetes.io/revision": "2"},
                            "ownerReferences": [{"kind": "Deployment", "name": name, "uid": format!("{ns}-{name}")}]},
                        "spec": {"replicas": 3, "template": {"spec": {"containers": [{"image": format!("r/{app}:1.0")}]}}},
                        "status": {"replicas": 3, "readyReplicas": 3}}));
                    list.push(
                        json!({"kind": "Service", "metadata": {"name": name, "namespace": ns},
                        "spec": {"selector": labels}}),
                    );
                }
                let selector = json!({"app": app});
                list.push(
                    json!({"kind": "Service", "metadata": {"name": app, "namespace": ns},
                    "spec": {"selector": selector}}),
                );
                let backends = json!([{"service": format!("{app}-stable"), "weight": 90},
                    {"service": format!("{app}-canary"), "weight": 10}]);
                match a % 4 {
                    0 => list.push(
                        json!({"kind": "TrafficSplit", "metadata": {"name": app, "namespace": ns},
                        "spec": {"service": app, "backends": backends}}),
                    ),
                    1 => list.push(
                        json!({"kind": "VirtualService", "metadata": {"name": app, "namespace": ns},
                        "spec": {"hosts": [app], "http": [{"route": [
                            {"destination": {"host": format!("{app}-stable")}, "weight": 90},
                            {"destination": {"host": format!("{app}-canary")}, "weight": 10}]}]}}),
                    ),
                    2 => list.push(
                        json!({"kind": "HTTPRoute", "metadata": {"name": app, "namespace": ns},
                        "spec": {"rules": [{"backendRefs": [
                            {"name": format!("{app}-stable"), "weight": 90},
                            {"name": format!("{app}-canary"), "weight": 10}]}]}}),
                    ),
                    _ => {}
                }
            }
            // Lone Deployments, to make 100 per namespace.
            for d in 0..50 {
                let name = format!("solo{d}");
                let labels = json!({"app": name});
                list.push(json!({"kind": "Deployment",
                    "metadata": {"name": name, "namespace": ns, "uid": format!("{ns}-{name}"), "labels": labels},
                    "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                        "template": {"metadata": {"labels": labels},
                            "spec": {"containers": [{"name": "app", "image": "r/solo:2"}]}}},
                    "status": {"replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2}}));
                list.push(
                    json!({"kind": "Service", "metadata": {"name": name, "namespace": ns},
                    "spec": {"selector": labels}}),
                );
            }
        }
        testutil::objects(list)
    }

    #[test]
    fn threads_find_what_one_thread_finds() {
        let objects = scale_objects(3);
        let lists = [
            (ObjKind::Deployment, &objects.deployments),
            (ObjKind::ReplicaSet, &objects.replicasets),
            (ObjKind::Service, &objects.services),
            (ObjKind::VirtualService, &objects.virtual_services),
            (ObjKind::HttpRoute, &objects.http_routes),
            (ObjKind::TrafficSplit, &objects.traffic_splits),
        ];
        let settings = Settings::default();
        let one = discover_on(&lists, &settings, 1);
        assert_eq!(one.len(), 3 * 75);
        assert_eq!(one, discover_on(&lists, &settings, 3));
        assert_eq!(one, discover(&objects, &settings));
    }

    /// Timing at scale: `cargo test --release -- --ignored --nocapture scale`.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn scale_timing() {
        let objects = scale_objects(100);
        assert_eq!(objects.deployments.len(), 10_000);
        let settings = Settings::default();
        let runs = 10;
        let start = std::time::Instant::now();
        let mut count = 0;
        for _ in 0..runs {
            count = discover(&objects, &settings).len();
        }
        let each = start.elapsed() / runs;
        println!("discover: {count} releases from 10,000 Deployments in {each:?} per run");
    }

    #[test]
    fn an_autopilot_lease_names_its_holder_on_the_release() {
        let deployment = |name: &str| {
            json!({"kind": "Deployment", "metadata": {"name": name, "namespace": "shop"},
                "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                    "template": {"metadata": {"labels": {"app": name}}}}})
        };
        let lease = |namespace: &str, name: &str, holder: &str| {
            json!({"kind": "Lease", "metadata": {"name": name, "namespace": namespace},
                "spec": {"holderIdentity": holder, "leaseDurationSeconds": 90,
                    "renewTime": "2026-11-22T04:00:00.000000Z"}})
        };
        let objects = super::fixtures::objects(vec![
            deployment("web"),
            deployment("api"),
            deployment("db"),
            lease("shop", "kshift-autopilot-web", "ana@laptop/42"),
            // Another namespace's, an unheld one, and one not named after a release.
            lease("other", "kshift-autopilot-api", "bo@host/1"),
            lease("shop", "kshift-autopilot-db", ""),
            lease("shop", "kshift-autopilot-nothing", "cy@host/2"),
        ]);
        let releases = discover(&objects, &Settings::default());
        let pilot = |name: &str| {
            releases
                .iter()
                .find(|r| r.name == name)
                .and_then(|r| r.autopilot.clone())
        };
        let web = pilot("web").expect("web's autopilot");
        assert_eq!(web.holder, "ana@laptop/42");
        let renewed = crate::ages::parse_rfc3339("2026-11-22T04:00:00Z").unwrap();
        assert_eq!((web.renewed, web.duration_s), (Some(renewed), 90));
        assert!(!web.lapsed(renewed + 90));
        assert!(web.lapsed(renewed + 91));
        assert_eq!(pilot("api"), None);
        assert_eq!(pilot("db"), None);
    }
}

/// Scenario files as a live cluster holds them, for tests here and in `actions`.
#[cfg(test)]
pub(crate) mod fixtures {
    use std::sync::Arc;

    use serde_json::{Value, json};

    use super::Objects;

    /// Sorts objects into `Objects` by their `kind`.
    pub(crate) fn objects(list: Vec<Value>) -> Objects {
        let mut o = Objects::default();
        for v in list {
            let target = match v.get("kind").and_then(Value::as_str) {
                Some("Deployment") => &mut o.deployments,
                Some("ReplicaSet") => &mut o.replicasets,
                Some("Service") => &mut o.services,
                Some("Ingress") => &mut o.ingresses,
                Some("VirtualService") => &mut o.virtual_services,
                Some("DestinationRule") => &mut o.destination_rules,
                Some("HTTPRoute") => &mut o.http_routes,
                Some("TrafficSplit") => &mut o.traffic_splits,
                Some("Rollout") => &mut o.rollouts,
                Some("Canary") => &mut o.canaries,
                Some("Lease") => &mut o.leases,
                _ => continue,
            };
            target.push(Arc::new(v));
        }
        o
    }

    /// The objects of a scenario file, with the status the demo's controllers would
    /// give Deployments that have none (all pods ready).
    pub(crate) fn rolled_out(path: &str) -> Vec<Value> {
        let text = std::fs::read_to_string(path).expect("read the scenario");
        let mut docs =
            crate::demo::scenario::parse_documents(&text, path).expect("parse the scenario");
        for doc in &mut docs {
            if doc["kind"] == "Deployment" && doc.get("status").is_none() {
                let replicas = doc["spec"]["replicas"].clone();
                doc["status"] = json!({"replicas": replicas, "updatedReplicas": replicas,
                    "readyReplicas": replicas, "availableReplicas": replicas});
            }
        }
        docs
    }
}
