//! The embedded cluster at scale: a full list of 10,000 Deployments (and of their
//! ReplicaSets) through the in-process API, and one change fanned out to 100 watches.

use std::time::Duration;

use axum::body::Body;
use criterion::{Criterion, criterion_group, criterion_main};
use futures::StreamExt;
use http::Request;
use http_body_util::BodyExt;
use kshift::demo::{Cluster, ClusterOptions, scenario};
use tower::ServiceExt;

const DEPLOYMENTS: usize = 10_000;

async fn get(router: &axum::Router, uri: &str) -> bytes::Bytes {
    let request = Request::get(uri).body(Body::empty()).expect("request");
    let response = router.clone().oneshot(request).await.expect("response");
    response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
}

/// A cluster holding 10,000 Deployments with their ReplicaSets and Pods, all rolled out
/// (so that the controllers are idle while measuring).
fn scale_cluster(runtime: &tokio::runtime::Runtime) -> Cluster {
    runtime.block_on(async {
        let cluster = Cluster::new(&ClusterOptions::default());
        scenario::apply(&cluster, scenario::scale_objects(DEPLOYMENTS, 100))
            .expect("scale objects");
        cluster.start_controllers(100.0);
        let router = cluster.router();
        let last = format!(
            "/apis/apps/v1/namespaces/scale-099/deployments/app-{:05}",
            DEPLOYMENTS - 1
        );
        while !String::from_utf8_lossy(&get(&router, &last).await)
            .contains(r#""availableReplicas":1"#)
        {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        cluster
    })
}

fn lists(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let cluster = scale_cluster(&runtime);
    let router = cluster.router();
    let mut group = c.benchmark_group("list");
    group.sample_size(10);
    group.bench_function("10k deployments", |b| {
        b.iter(|| runtime.block_on(get(&router, "/apis/apps/v1/deployments")))
    });
    group.bench_function("10k replicasets", |b| {
        b.iter(|| runtime.block_on(get(&router, "/apis/apps/v1/replicasets")))
    });
    group.bench_function("1 namespace of 100", |b| {
        b.iter(|| {
            runtime.block_on(get(
                &router,
                "/apis/apps/v1/namespaces/scale-007/deployments",
            ))
        })
    });
    group.finish();
}

fn watch_fan_out(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let cluster = scale_cluster(&runtime);
    let router = cluster.router();
    let mut watches = runtime.block_on(async {
        let mut bodies = Vec::new();
        for _ in 0..100 {
            let request = Request::get(
                "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=1000000000",
            )
            .body(Body::empty())
            .expect("request");
            let response = router.clone().oneshot(request).await.expect("watch");
            bodies.push(response.into_body().into_data_stream());
        }
        bodies
    });
    let mut counter = 0u64;
    c.bench_function("watch/one change to 100 watches", |b| {
        b.iter(|| {
            counter += 1;
            runtime.block_on(async {
                let body = format!(
                    r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"c{counter}"}}}}"#
                );
                let request = Request::post("/api/v1/namespaces/default/configmaps")
                    .header("content-type", "application/json")
                    .body(Body::from(body))
                    .expect("request");
                router.clone().oneshot(request).await.expect("create");
                for watch in &mut watches {
                    watch.next().await.expect("event").expect("bytes");
                }
            })
        })
    });
}

criterion_group!(benches, lists, watch_fan_out);
criterion_main!(benches);
