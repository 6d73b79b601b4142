//! The console at scale: recognising releases among 10,000 Deployments with their
//! ReplicaSets, Services and routers, rendering the list of 10,000 releases at 200x50,
//! and judging every canary when metrics arrive.

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use kshift::app::{App, Msg};
use kshift::cluster::discover::{Objects, Settings, discover};
use kshift::input::Keymap;
use kshift::metrics::{Health, Snapshot, key_of};
use kshift::ui::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};

const NAMESPACES: usize = 100;
const PER_NAMESPACE: usize = 100;

fn deployment(ns: &str, name: &str, labels: Value, image: &str) -> (Value, Value) {
    let uid = format!("uid-{ns}-{name}");
    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "uid": uid, "generation": 1, "creationTimestamp": "2026-11-21T10:00:00Z",
                     "annotations": {"deployment.kubernetes.io/revision": "1"}},
        "spec": {"replicas": 2, "selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": image}]}}},
        "status": {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2},
    });
    let replicaset = json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": format!("{name}-abc12"), "namespace": ns, "uid": format!("{uid}-rs"),
                     "annotations": {"deployment.kubernetes.io/revision": "1"},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "uid": uid, "controller": true}]},
        "spec": {"replicas": 2, "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": image}]}}},
        "status": {"replicas": 2, "readyReplicas": 2, "availableReplicas": 2},
    });
    (deployment, replicaset)
}

/// 10,000 Deployments in 100 namespaces: half lone (rolling), half Istio canaries
/// (a VirtualService, a DestinationRule and a Service for each pair).
fn objects() -> Objects {
    let mut objects = Objects::default();
    let push = |list: &mut Vec<Arc<Value>>, v: Value| list.push(Arc::new(v));
    for n in 0..NAMESPACES {
        let ns = format!("team-{n:03}");
        for i in 0..PER_NAMESPACE / 2 {
            let (d, rs) = deployment(
                &ns,
                &format!("lone-{i}"),
                json!({"app": format!("lone-{i}")}),
                "registry/lone:1.0.0",
            );
            push(&mut objects.deployments, d);
            push(&mut objects.replicasets, rs);
        }
        for i in 0..PER_NAMESPACE / 4 {
            let app = format!("svc-{i}");
            for (version, image) in [("v1", "registry/app:1.0.0"), ("v2", "registry/app:1.1.0")] {
                let (d, rs) = deployment(
                    &ns,
                    &format!("{app}-{version}"),
                    json!({"app": app, "version": version}),
                    image,
                );
                push(&mut objects.deployments, d);
                push(&mut objects.replicasets, rs);
            }
            push(
                &mut objects.services,
                json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": app, "namespace": ns}, "spec": {"selector": {"app": app}}}),
            );
            push(
                &mut objects.destination_rules,
                json!({"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": {"name": app, "namespace": ns},
                "spec": {"host": app, "subsets": [{"name": "stable", "labels": {"version": "v1"}}, {"name": "canary", "labels": {"version": "v2"}}]}}),
            );
            push(
                &mut objects.virtual_services,
                json!({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": app, "namespace": ns},
                "spec": {"hosts": [app], "http": [{"route": [{"destination": {"host": app, "subset": "stable"}, "weight": 90}, {"destination": {"host": app, "subset": "canary"}, "weight": 10}]}]}}),
            );
        }
    }
    objects
}

fn recognition(c: &mut Criterion) {
    let objects = objects();
    let settings = Settings::default();
    let releases = discover(&objects, &settings);
    assert_eq!(
        releases.len(),
        NAMESPACES * (PER_NAMESPACE / 2 + PER_NAMESPACE / 4)
    );
    let mut group = c.benchmark_group("recognition");
    group.sample_size(20);
    group.bench_function("10k deployments, 7.5k releases", |b| {
        b.iter(|| discover(&objects, &settings))
    });
    group.finish();
}

/// The console at 200x50 holding `releases`.
fn console(releases: &[kshift::model::Release]) -> App {
    let mut app = App::new(
        Keymap::default(),
        Theme::default(),
        None,
        "bench".to_string(),
    );
    app.update(Msg::Resize(200, 50));
    app.update(Msg::Now(1_795_000_000));
    app.update(Msg::Releases(releases.to_vec()));
    app
}

fn rendering(c: &mut Criterion) {
    let releases: Vec<_> = discover(&objects(), &Settings::default())
        .into_iter()
        .cycle()
        .take(10_000)
        .enumerate()
        .map(|(i, mut r)| {
            r.name = format!("{}-{i}", r.name);
            r
        })
        .collect();
    let mut app = console(&releases);
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    c.bench_function("render/list of 10k releases at 200x50", |b| {
        b.iter(|| {
            terminal
                .draw(|frame| kshift::ui::render(frame, &app))
                .expect("draw");
        })
    });
    c.bench_function("update/a new list of 10k releases", |b| {
        b.iter(|| {
            app.update(Msg::Releases(releases.clone()));
        })
    });
}

/// Health for every version of every release: a busy stable and a canary with a
/// tenth of the traffic, both at about 1 % errors, so each verdict runs the whole
/// model (the Beta integration included); the rows in view are judged. `shift` moves the figures a little, so
/// that two snapshots differ.
fn health_of(releases: &[kshift::model::Release], shift: f64) -> Snapshot {
    let mut snapshot = Snapshot::default();
    for release in releases {
        for version in &release.versions {
            let share = version.weight.max(1.0) / 100.0;
            snapshot.health.insert(
                key_of(release, version),
                Health {
                    requests_per_s: Some(60.0 * share),
                    error_rate: Some(0.01 + shift),
                    p50_ms: Some(40.0),
                    p95_ms: Some(90.0),
                    p99_ms: Some(120.0),
                },
            );
        }
    }
    snapshot
}

fn judging(c: &mut Criterion) {
    let releases = discover(&objects(), &Settings::default());
    let canaries = releases.iter().filter(|r| r.versions.len() > 1).count();
    let mut app = console(&releases);
    let snapshots = [health_of(&releases, 0.0), health_of(&releases, 0.001)];
    let mut next = 0;
    c.bench_function(
        &format!(
            "update/metrics for {} releases ({canaries} canaries) at 200x50",
            releases.len()
        ),
        |b| {
            b.iter(|| {
                next = 1 - next;
                app.update(Msg::Metrics(snapshots[next].clone()));
            })
        },
    );
}

criterion_group!(benches, recognition, rendering, judging);
criterion_main!(benches);
