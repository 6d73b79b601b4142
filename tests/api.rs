//! The embedded cluster's semantics through `kube::Client`, in-process (no sockets):
//! the same client path the console uses.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::authorization::v1::SelfSubjectAccessReview;
use k8s_openapi::api::core::v1::{ConfigMap, Event, Namespace, Pod};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kshift::demo::access::AccessPolicy;
use kshift::demo::{Cluster, ClusterOptions, scenario};
use kube::api::{
    Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams, WatchEvent,
    WatchParams,
};
use kube::core::{ApiResource, GroupVersionKind};
use kube::runtime::watcher;
use serde_json::json;

fn cluster_with(options: ClusterOptions) -> (Cluster, kube::Client) {
    let cluster = Cluster::new(&options);
    cluster.start_controllers(20.0);
    let client = cluster.client();
    (cluster, client)
}

fn cluster() -> (Cluster, kube::Client) {
    cluster_with(ClusterOptions::default())
}

fn deployment(name: &str, image: &str, replicas: i32) -> Deployment {
    serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "app", "image": image}]}},
        },
    }))
    .expect("a deployment")
}

fn code(error: kube::Error) -> u16 {
    match error {
        kube::Error::Api(status) => status.code,
        other => panic!("expected an API error, got {other}"),
    }
}

/// Waits until the Deployment's rollout is complete, as `kubectl rollout status` judges it.
async fn rolled_out(api: &Api<Deployment>, name: &str) -> Deployment {
    for _ in 0..200 {
        let d = api.get(name).await.expect("get deployment");
        let status = d.status.clone().unwrap_or_default();
        let desired = d.spec.replicas.unwrap_or(1);
        if status.observed_generation >= d.metadata.generation
            && status.updated_replicas == Some(desired)
            && status.replicas == Some(desired)
            && status.available_replicas == Some(desired)
        {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("deployment {name} never rolled out");
}

#[tokio::test]
async fn create_get_list_and_already_exists() {
    let (_cluster, client) = cluster();
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let mut cm: ConfigMap = serde_json::from_value(json!({"metadata": {"generateName": "settings-", "labels": {"tier": "web"}}, "data": {"a": "1"}})).unwrap();
    let created = api
        .create(&PostParams::default(), &cm)
        .await
        .expect("create");
    let name = created.metadata.name.clone().unwrap();
    assert!(name.starts_with("settings-") && name.len() == "settings-".len() + 5);
    assert!(created.metadata.uid.is_some() && created.metadata.creation_timestamp.is_some());
    cm.metadata.generate_name = None;
    cm.metadata.name = Some(name.clone());
    assert_eq!(
        code(api.create(&PostParams::default(), &cm).await.unwrap_err()),
        409
    );
    let listed = api
        .list(&ListParams::default().labels("tier in (web,api)"))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
    assert!(
        api.list(&ListParams::default().labels("!tier"))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let by_name = api
        .list(&ListParams::default().fields(&format!("metadata.name={name}")))
        .await
        .unwrap();
    assert_eq!(by_name.items.len(), 1);
    assert_eq!(code(api.get("missing").await.unwrap_err()), 404);
    let bad: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "Bad_Name"}})).unwrap();
    assert_eq!(
        code(api.create(&PostParams::default(), &bad).await.unwrap_err()),
        422
    );
    let elsewhere: Api<ConfigMap> = Api::namespaced(client, "nowhere");
    assert_eq!(
        code(
            elsewhere
                .create(&PostParams::default(), &cm)
                .await
                .unwrap_err()
        ),
        404,
        "namespace must exist"
    );
}

#[tokio::test]
async fn patches_conflicts_and_dry_run() {
    let (_cluster, client) = cluster();
    let api: Api<Deployment> = Api::namespaced(client, "default");
    api.create(&PostParams::default(), &deployment("web", "web:1", 2))
        .await
        .unwrap();
    let params = PatchParams::default();
    api.patch(
        "web",
        &params,
        &Patch::Merge(json!({"metadata": {"annotations": {"a": "1"}}})),
    )
    .await
    .unwrap();
    let ops: json_patch::Patch = serde_json::from_value(json!([
        {"op": "test", "path": "/spec/replicas", "value": 2},
        {"op": "replace", "path": "/spec/replicas", "value": 3},
    ]))
    .unwrap();
    api.patch("web", &params, &Patch::Json::<()>(ops.clone()))
        .await
        .unwrap();
    // The same guarded patch again fails its test and changes nothing.
    assert_eq!(
        code(
            api.patch("web", &params, &Patch::Json::<()>(ops))
                .await
                .unwrap_err()
        ),
        422
    );
    api.patch("web", &params, &Patch::Strategic(json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "web:2"}]}}}})))
        .await
        .unwrap();
    let web = api.get("web").await.unwrap();
    let spec = web.spec.clone();
    assert_eq!(spec.replicas, Some(3));
    assert_eq!(
        spec.template.spec.unwrap().containers[0].image.as_deref(),
        Some("web:2")
    );
    assert_eq!(web.metadata.generation, Some(3));

    // A stale resourceVersion conflicts, on replace and on a merge patch alike.
    let mut stale = web.clone();
    api.patch(
        "web",
        &params,
        &Patch::Merge(json!({"metadata": {"labels": {"x": "y"}}})),
    )
    .await
    .unwrap();
    stale
        .metadata
        .labels
        .get_or_insert_default()
        .insert("z".into(), "1".into());
    assert_eq!(
        code(
            api.replace("web", &PostParams::default(), &stale)
                .await
                .unwrap_err()
        ),
        409
    );
    let guarded = Patch::Merge(
        json!({"metadata": {"resourceVersion": web.metadata.resource_version, "labels": {"z": "1"}}}),
    );
    assert_eq!(
        code(api.patch("web", &params, &guarded).await.unwrap_err()),
        409
    );

    // Server-side dry run answers as if applied and stores nothing.
    let before = api.get("web").await.unwrap();
    let answer = api
        .patch(
            "web",
            &PatchParams::default().dry_run(),
            &Patch::Merge(json!({"spec": {"replicas": 9}})),
        )
        .await
        .unwrap();
    assert_eq!(answer.spec.replicas, Some(9));
    let after = api.get("web").await.unwrap();
    assert_eq!(after.spec.replicas, Some(3));
    assert!(after.metadata.resource_version >= before.metadata.resource_version);
    let dry_delete = api
        .delete(
            "web",
            &DeleteParams {
                dry_run: true,
                ..DeleteParams::default()
            },
        )
        .await;
    assert!(dry_delete.is_ok());
    assert!(api.get("web").await.is_ok());
}

#[tokio::test]
async fn status_and_scale_subresources() {
    let (_cluster, client) = cluster();
    let api: Api<Deployment> = Api::namespaced(client.clone(), "default");
    api.create(&PostParams::default(), &deployment("web", "web:1", 1))
        .await
        .unwrap();
    rolled_out(&api, "web").await;
    // A write to the main resource leaves status alone.
    api.patch(
        "web",
        &PatchParams::default(),
        &Patch::Merge(json!({"status": {"replicas": 42}})),
    )
    .await
    .unwrap();
    assert_ne!(
        api.get("web").await.unwrap().status.unwrap().replicas,
        Some(42)
    );
    // And a status write leaves the spec alone.
    let written = api
        .patch_status(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 7}, "status": {"observedGeneration": 1}})),
        )
        .await
        .unwrap();
    assert_eq!(written.spec.replicas, Some(1));

    let scale = api.get_scale("web").await.unwrap();
    assert_eq!(scale.spec.unwrap().replicas, Some(1));
    assert_eq!(scale.status.unwrap().selector.as_deref(), Some("app=web"));
    api.patch_scale(
        "web",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"replicas": 3}})),
    )
    .await
    .unwrap();
    let web = rolled_out(&api, "web").await;
    assert_eq!(web.status.unwrap().ready_replicas, Some(3));
    let pods: Api<Pod> = Api::namespaced(client, "default");
    assert_eq!(
        pods.list(&ListParams::default().labels("app=web"))
            .await
            .unwrap()
            .items
            .len(),
        3
    );
}

#[tokio::test]
async fn rolling_update_pause_rollback_and_cascade() {
    let (_cluster, client) = cluster();
    let api: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let sets: Api<ReplicaSet> = Api::namespaced(client.clone(), "default");
    api.create(&PostParams::default(), &deployment("web", "web:1", 4))
        .await
        .unwrap();
    rolled_out(&api, "web").await;
    let image = |i: &str| {
        Patch::Strategic(
            json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": i}]}}}}),
        )
    };
    api.patch("web", &PatchParams::default(), &image("web:2"))
        .await
        .unwrap();
    let web = rolled_out(&api, "web").await;
    assert_eq!(
        web.metadata.annotations.unwrap()["deployment.kubernetes.io/revision"],
        "2"
    );
    let all = sets.list(&ListParams::default()).await.unwrap().items;
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|rs| {
        rs.metadata
            .labels
            .as_ref()
            .unwrap()
            .contains_key("pod-template-hash")
    }));

    // Paused: a new template makes no new ReplicaSet until resumed.
    api.patch(
        "web",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"paused": true}})),
    )
    .await
    .unwrap();
    api.patch("web", &PatchParams::default(), &image("web:3"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        sets.list(&ListParams::default()).await.unwrap().items.len(),
        2
    );
    api.patch(
        "web",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"paused": null}})),
    )
    .await
    .unwrap();
    rolled_out(&api, "web").await;
    assert_eq!(
        sets.list(&ListParams::default()).await.unwrap().items.len(),
        3
    );

    // Back to web:1 reuses revision 1's ReplicaSet, renumbered.
    api.patch("web", &PatchParams::default(), &image("web:1"))
        .await
        .unwrap();
    let web = rolled_out(&api, "web").await;
    assert_eq!(
        web.metadata.annotations.unwrap()["deployment.kubernetes.io/revision"],
        "4"
    );
    assert_eq!(
        sets.list(&ListParams::default()).await.unwrap().items.len(),
        3
    );

    api.delete("web", &DeleteParams::default()).await.unwrap();
    assert!(
        sets.list(&ListParams::default())
            .await
            .unwrap()
            .items
            .is_empty(),
        "owned ReplicaSets go with it"
    );
    let pods: Api<Pod> = Api::namespaced(client, "default");
    assert!(
        pods.list(&ListParams::default())
            .await
            .unwrap()
            .items
            .is_empty(),
        "and their pods"
    );
}

#[tokio::test]
async fn watches_resume_and_expire() {
    let (_cluster, client) = cluster_with(ClusterOptions {
        history: 5,
        ..ClusterOptions::default()
    });
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let start = api
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let cm = |n: &str| -> ConfigMap {
        serde_json::from_value(json!({"metadata": {"name": n}})).unwrap()
    };
    api.create(&PostParams::default(), &cm("one"))
        .await
        .unwrap();
    let mut events = api
        .watch(&WatchParams::default().timeout(5), &start)
        .await
        .unwrap()
        .boxed();
    match events.try_next().await.unwrap() {
        Some(WatchEvent::Added(added)) => assert_eq!(added.metadata.name.as_deref(), Some("one")),
        other => panic!("expected ADDED one, got {other:?}"),
    }
    api.delete("one", &DeleteParams::default()).await.unwrap();
    match events.try_next().await.unwrap() {
        Some(WatchEvent::Deleted(deleted)) => {
            assert_eq!(deleted.metadata.name.as_deref(), Some("one"))
        }
        other => panic!("expected DELETED one, got {other:?}"),
    }
    for i in 0..10 {
        api.create(&PostParams::default(), &cm(&format!("c{i}")))
            .await
            .unwrap();
    }
    let mut expired = api
        .watch(&WatchParams::default(), &start)
        .await
        .unwrap()
        .boxed();
    match expired.try_next().await.unwrap() {
        Some(WatchEvent::Error(status)) => assert_eq!(status.code, 410),
        other => panic!("expected 410 Gone, got {other:?}"),
    }

    // kube-runtime's watcher (list, then watch) sees what changes afterwards.
    let seen = watcher(
        api.clone(),
        watcher::Config::default().labels("watched=yes"),
    );
    let mut seen = Box::pin(seen);
    let mut labelled = cm("late");
    labelled.metadata.labels = Some([("watched".to_string(), "yes".to_string())].into());
    let creator = api.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        creator
            .create(&PostParams::default(), &labelled)
            .await
            .unwrap();
    });
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(event) = seen.try_next().await.unwrap() {
            if let watcher::Event::Apply(cm) = event {
                return cm.metadata.name;
            }
        }
        None
    })
    .await
    .expect("the watcher saw the new object");
    assert_eq!(found.as_deref(), Some("late"));
}

#[tokio::test]
async fn crds_register_kinds_and_serve_every_version() {
    let (cluster, client) = cluster();
    let crds = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/crds/istio-virtualservice-destinationrule.yaml"
    ))
    .unwrap();
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    for document in scenario::parse_documents(&crds, "istio").unwrap() {
        let crd: CustomResourceDefinition = serde_json::from_value(document).unwrap();
        api.create(&PostParams::default(), &crd).await.unwrap();
    }
    let discovery = kube::Discovery::new(client.clone()).run().await.unwrap();
    let group = discovery
        .get("networking.istio.io")
        .expect("istio group discovered");
    assert_eq!(group.preferred_version_or_latest(), "v1");

    let gvk = |v: &str| GroupVersionKind::gvk("networking.istio.io", v, "VirtualService");
    let beta: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        "default",
        &ApiResource::from_gvk(&gvk("v1beta1")),
    );
    let vs: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
        "metadata": {"name": "reviews"},
        "spec": {"hosts": ["reviews"], "http": [{"route": [{"destination": {"host": "reviews", "subset": "v1"}, "weight": 100}]}]},
    }))
    .unwrap();
    beta.create(&PostParams::default(), &vs).await.unwrap();
    let v1: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        "default",
        &ApiResource::from_gvk(&gvk("v1")),
    );
    let read = v1.get("reviews").await.unwrap();
    assert_eq!(read.types.unwrap().api_version, "networking.istio.io/v1");
    assert_eq!(read.data["spec"]["http"][0]["route"][0]["weight"], 100);
    // Strategic merge patch is for built-in kinds only.
    let strategic = v1
        .patch(
            "reviews",
            &PatchParams::default(),
            &Patch::Strategic(json!({"spec": {}})),
        )
        .await;
    assert_eq!(code(strategic.unwrap_err()), 415);

    api.delete(
        "virtualservices.networking.istio.io",
        &DeleteParams::default(),
    )
    .await
    .unwrap();
    assert_eq!(code(v1.get("reviews").await.unwrap_err()), 404);
    drop(cluster);
}

#[tokio::test]
async fn events_share_one_store_and_namespaces_take_their_contents() {
    let (_cluster, client) = cluster();
    let namespaces: Api<Namespace> = Api::all(client.clone());
    namespaces
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": "shop"}})).unwrap(),
        )
        .await
        .unwrap();
    let v1: Api<k8s_openapi::api::events::v1::Event> = Api::namespaced(client.clone(), "shop");
    let event: k8s_openapi::api::events::v1::Event = serde_json::from_value(json!({
        "metadata": {"name": "web.1"},
        "eventTime": "2026-01-01T00:00:00.000000Z",
        "reason": "KshiftStep", "note": "canary 10% -> 25%", "type": "Normal", "action": "Step",
        "reportingController": "kshift.dev/console", "reportingInstance": "test",
        "regarding": {"kind": "Deployment", "name": "web", "namespace": "shop"},
    }))
    .unwrap();
    v1.create(&PostParams::default(), &event).await.unwrap();
    let core: Api<Event> = Api::namespaced(client.clone(), "shop");
    let seen = core.get("web.1").await.unwrap();
    assert_eq!(seen.message.as_deref(), Some("canary 10% -> 25%"));
    assert_eq!(seen.involved_object.name.as_deref(), Some("web"));
    namespaces
        .delete("shop", &DeleteParams::default())
        .await
        .unwrap();
    assert!(
        core.list(&ListParams::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn denied_verbs_are_forbidden_and_reviewed() {
    let policy = AccessPolicy {
        deny: vec!["patch:apps/deployments".parse().unwrap()],
    };
    let (_cluster, client) = cluster_with(ClusterOptions {
        access: policy,
        ..ClusterOptions::default()
    });
    let api: Api<Deployment> = Api::namespaced(client.clone(), "default");
    api.create(&PostParams::default(), &deployment("web", "web:1", 1))
        .await
        .unwrap();
    let denied = api
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 2}})),
        )
        .await;
    assert_eq!(code(denied.unwrap_err()), 403);
    let reviews: Api<SelfSubjectAccessReview> = Api::all(client);
    let ask = |verb: &str| -> SelfSubjectAccessReview {
        serde_json::from_value(json!({"spec": {"resourceAttributes": {"verb": verb, "group": "apps", "resource": "deployments", "namespace": "default"}}})).unwrap()
    };
    let answer = reviews
        .create(&PostParams::default(), &ask("patch"))
        .await
        .unwrap();
    assert!(!answer.status.unwrap().allowed);
    let answer = reviews
        .create(&PostParams::default(), &ask("get"))
        .await
        .unwrap();
    assert!(answer.status.unwrap().allowed);
}

#[tokio::test]
async fn showcase_scenario_loads_with_statuses() {
    let (cluster, client) = cluster();
    scenario::load_builtin(&cluster, "showcase").expect("showcase loads");
    let rollouts: Api<DynamicObject> = Api::all_with(
        client.clone(),
        &ApiResource::from_gvk(&GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Rollout")),
    );
    let listed = rollouts.list(&ListParams::default()).await.unwrap();
    assert!(!listed.items.is_empty());
    assert!(
        listed
            .items
            .iter()
            .all(|r| r.data["status"]["phase"].is_string()),
        "statuses were loaded"
    );
    let deployments: Api<Deployment> = Api::all(client);
    let all = deployments.list(&ListParams::default()).await.unwrap();
    assert!(all.items.len() >= 10);
    let unknown = scenario::load_builtin(&cluster, "nope")
        .unwrap_err()
        .to_string();
    assert!(unknown.contains("showcase") && unknown.contains("bad-canary"));
}

#[tokio::test]
async fn two_operators_on_one_release_never_lose_an_update() {
    use kshift::actions::apply::{Executor, Failure};
    use kshift::actions::{Options, Verb, plan};
    use kshift::cluster::{discover, fetch};

    let (cluster, client) = cluster();
    scenario::load_builtin(&cluster, "showcase").expect("showcase loads");
    let shop: Api<Deployment> = Api::namespaced(client.clone(), "shop");
    rolled_out(&shop, "reviews-v1").await;
    rolled_out(&shop, "reviews-v2").await;
    // Both look at the release at the same moment, and both plan a step: 10% -> 25%.
    let (objects, _) = fetch::fetch(&client, Some("shop")).await.unwrap();
    let releases = discover::discover(&objects, &discover::Settings::default());
    let reviews = releases
        .iter()
        .find(|r| r.name == "reviews")
        .expect("shop/reviews");
    let first = plan::plan(reviews, &objects, Verb::Step, &Options::default()).unwrap();
    let second = first.clone();
    let alice = Executor::new(client.clone(), "alice").await;
    let bob = Executor::new(client.clone(), "bob").await;
    alice.apply(&first).await.expect("the first one wins");
    match bob.apply(&second).await {
        Err(Failure::Conflict(message)) => assert!(
            message.contains("changed since you looked: now"),
            "{message}"
        ),
        other => panic!("the second must report the conflict, got {other:?}"),
    }
    let gvk = GroupVersionKind::gvk("networking.istio.io", "v1", "VirtualService");
    let vs: Api<DynamicObject> = Api::namespaced_with(client, "shop", &ApiResource::from_gvk(&gvk));
    let route = &vs.get("reviews").await.unwrap().data["spec"]["http"][0]["route"];
    assert_eq!(
        (route[0]["weight"].as_i64(), route[1]["weight"].as_i64()),
        (Some(75), Some(25)),
        "applied once, not twice"
    );
}

#[tokio::test]
async fn an_invalid_change_is_not_reported_as_a_conflict() {
    use kshift::actions::apply::{Executor, Failure};
    use kshift::actions::{Options, Patch, Verb, plan};
    use kshift::cluster::{discover, fetch};

    let (cluster, client) = cluster();
    scenario::load_builtin(&cluster, "showcase").expect("showcase loads");
    let shop: Api<Deployment> = Api::namespaced(client.clone(), "shop");
    rolled_out(&shop, "reviews-v1").await;
    rolled_out(&shop, "reviews-v2").await;
    let (objects, _) = fetch::fetch(&client, Some("shop")).await.unwrap();
    let releases = discover::discover(&objects, &discover::Settings::default());
    let reviews = releases
        .iter()
        .find(|r| r.name == "reviews")
        .expect("shop/reviews");
    let mut step = plan::plan(reviews, &objects, Verb::Step, &Options::default()).unwrap();
    let executor = Executor::new(client.clone(), "alice").await;
    // The server answers 422 to a patch that cannot apply: a path that is not there.
    step.changes[0].patch = Patch::Json(vec![
        json!({"op": "replace", "path": "/spec/nothing/here", "value": 1}),
    ]);
    match executor.dry_run(&step).await {
        Err(Failure::Invalid(message)) => assert!(
            message.contains("VirtualService shop/reviews")
                && message.contains("invalid")
                && !message.contains("changed since you looked"),
            "{message}"
        ),
        other => panic!("an invalid patch must say so, got {other:?}"),
    }
    // A failed `test` op is a conflict, with the values as they are now.
    step.changes[0].patch = Patch::Json(vec![
        json!({"op": "test", "path": "/spec/http/0/route/0/weight", "value": 42}),
    ]);
    match executor.dry_run(&step).await {
        Err(Failure::Conflict(message)) => assert!(
            message.contains("changed since you looked: now spec.http[0].route[1].weight = 10"),
            "{message}"
        ),
        other => panic!("a failed test op is a conflict, got {other:?}"),
    }
}
