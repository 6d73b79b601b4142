//! The embedded cluster held to the real API and the real schemas: the tests drive
//! `kshift demo --serve` with the real kubectl from PATH, and check the scenarios'
//! manifests against the public CRDs with tests/tools/validate_manifests.py.

mod common;

use common::{Demo, crds_dir, have_tool};
use serde_json::Value;

const WEB: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: ghcr.io/kshift-demo/web:1.0.0
        ports: [{containerPort: 8080}]
        env: [{name: MODE, value: blue}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
";

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("kubectl printed JSON")
}

/// `kubectl create -f` of every CRD in tests/crds.
fn create_public_crds(demo: &Demo) {
    for entry in std::fs::read_dir(crds_dir()).expect("tests/crds") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            demo.ok(&["create", "-f", &path.display().to_string()]);
        }
    }
    if demo.real {
        // A real server serves a new kind once its CRD is Established, a moment after
        // the create; the demo serves it at once (and sets no conditions to wait on).
        demo.ok(&[
            "wait",
            "--for=condition=Established",
            "crd",
            "--all",
            "--timeout=60s",
        ]);
    }
}

fn empty_with_web() -> Option<Demo> {
    if !have_tool("kubectl") {
        return None;
    }
    let demo = Demo::start(&["--scenario", "empty", "--speed", "10"]);
    let file = demo.file("web.yaml", WEB);
    demo.ok(&["apply", "-f", &file]);
    demo.ok(&["rollout", "status", "deployment/web", "--timeout=60s"]);
    Some(demo)
}

#[test]
fn every_shared_crd_loads_and_serves_its_kinds() {
    if !have_tool("kubectl") {
        return;
    }
    let demo = Demo::start(&["--scenario", "empty"]);
    create_public_crds(&demo);
    let resources = demo.ok(&["api-resources", "--no-headers"]);
    for short in [
        "vs ",
        "dr ",
        "ro ",
        "ts ",
        "canaries",
        "httproutes",
        "analysisruns",
    ] {
        assert!(
            resources.contains(short),
            "{short} missing from api-resources:\n{resources}"
        );
    }
    // Client-side apply stores the whole object in an annotation: too big for the largest CRD.
    let rollout_crd = crds_dir()
        .join("argo-rollouts-rollout-crd.yaml")
        .display()
        .to_string();
    let error = demo.fails(&["apply", "-f", &rollout_crd]);
    // The demo words it as older servers did ("must have at most"), v1.37 says
    // "may not be more than": the size is what matters.
    assert!(
        error.contains("Too long") && error.contains("262144 bytes"),
        "{error}"
    );

    // An object created as v1beta1 is served as v1 too, and listed under both.
    let vs = demo.file(
        "vs.yaml",
        "apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews, subset: stable}, weight: 90}
    - {destination: {host: reviews, subset: canary}, weight: 10}
",
    );
    demo.ok(&["create", "-f", &vs]);
    let v1 = json(&demo.ok(&[
        "get",
        "virtualservices.v1.networking.istio.io",
        "reviews",
        "-o",
        "json",
    ]));
    assert_eq!(v1["apiVersion"], "networking.istio.io/v1");
    assert_eq!(v1["spec"]["http"][0]["route"][1]["weight"], 10);
    let beta = json(&demo.ok(&[
        "get",
        "virtualservices.v1beta1.networking.istio.io",
        "-o",
        "json",
    ]));
    assert_eq!(
        beta["items"][0]["apiVersion"],
        "networking.istio.io/v1beta1"
    );
    // Deleting the CRD removes the kind from discovery.
    demo.ok(&["delete", "crd", "virtualservices.networking.istio.io"]);
    let error = demo.fails(&["get", "vs"]);
    assert!(
        error.contains("the server doesn't have a resource type")
            || error.contains("could not find the requested resource"),
        "{error}"
    );
}

#[test]
fn manifests_of_every_router_kind_apply_and_read_back() {
    if !have_tool("kubectl") {
        return;
    }
    let demo = Demo::start(&["--scenario", "empty"]);
    create_public_crds(&demo);
    let showcase = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/demo/scenarios/showcase.yaml"
    );
    // Namespaces first, as kubectl needs them before the objects in them.
    let namespaces = demo.file(
        "ns.yaml",
        &std::fs::read_to_string(showcase)
            .unwrap()
            .split("\n---")
            .filter(|d| d.contains("kind: Namespace"))
            .collect::<Vec<_>>()
            .join("\n---"),
    );
    demo.ok(&["apply", "-f", &namespaces]);
    demo.ok(&["apply", "-f", showcase]);
    for kind in [
        "virtualservices",
        "destinationrules",
        "httproutes",
        "ingresses",
        "trafficsplits",
        "rollouts",
        "canaries.flagger.app",
        "services",
        "deployments",
    ] {
        let listed = json(&demo.ok(&["get", kind, "-A", "-o", "json"]));
        assert!(
            !listed["items"].as_array().unwrap().is_empty(),
            "no {kind} after applying the showcase"
        );
    }
    // The canary Ingress keeps its annotations as strings.
    let ingresses = json(&demo.ok(&["get", "ingresses", "-A", "-o", "json"]));
    assert!(
        ingresses["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary"] == "true")
    );
}

#[test]
fn json_merge_and_strategic_patches() {
    let Some(demo) = empty_with_web() else { return };
    demo.ok(&[
        "patch",
        "deployment",
        "web",
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/spec/replicas","value":2}]"#,
    ]);
    demo.ok(&[
        "patch",
        "deployment",
        "web",
        "--type=merge",
        "-p",
        r#"{"metadata":{"labels":{"tier":"front"}}}"#,
    ]);
    // Strategic: the container list merges by name, env by name.
    demo.ok(&["patch", "deployment", "web", "-p", r#"{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"EXTRA","value":"1"}]}]}}}}"#]);
    let web = json(&demo.ok(&["get", "deployment", "web", "-o", "json"]));
    assert_eq!(web["spec"]["replicas"], 2);
    assert_eq!(web["metadata"]["labels"]["tier"], "front");
    let container = &web["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["image"], "ghcr.io/kshift-demo/web:1.0.0");
    let env: Vec<&str> = container["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(env.len(), 2, "{env:?}");
    assert!(env.contains(&"MODE") && env.contains(&"EXTRA"));
    assert_eq!(
        web["metadata"]["generation"], 3,
        "replicas and template changed, the label did not"
    );

    // A failing test op rejects the whole patch.
    let error = demo.fails(&["patch", "deployment", "web", "--type=json", "-p", r#"[{"op":"replace","path":"/spec/replicas","value":5},{"op":"test","path":"/spec/replicas","value":9}]"#]);
    // The demo passes on the JSON patch library's words; the real server answers 422
    // Invalid with a generic message (tests/realcluster/DIFFERENCES.md).
    let expected = if demo.real {
        "the server rejected our request due to an error in our request"
    } else {
        "did not match"
    };
    assert!(error.contains(expected), "{error}");
    let after = json(&demo.ok(&["get", "deployment", "web", "-o", "json"]));
    assert_eq!(after["spec"]["replicas"], 2);
    assert_eq!(
        after["metadata"]["generation"], 3,
        "the rejected patch changed nothing"
    );

    // Service ports merge by port (a Service with several ports names each of them:
    // a real server refuses an unnamed one, the demo does not check).
    demo.ok(&[
        "patch",
        "service",
        "web",
        "-p",
        r#"{"spec":{"ports":[{"port":9090,"name":"metrics"}]}}"#,
    ]);
    let service = json(&demo.ok(&["get", "service", "web", "-o", "json"]));
    assert_eq!(service["spec"]["ports"].as_array().unwrap().len(), 2);
}

#[test]
fn stale_replace_conflicts_and_server_dry_run_changes_nothing() {
    let Some(demo) = empty_with_web() else { return };
    let stale = demo.ok(&["get", "service", "web", "-o", "json"]);
    demo.ok(&["label", "service", "web", "changed=yes"]);
    let file = demo.file("stale.json", &stale);
    let error = demo.fails(&["replace", "-f", &file]);
    assert!(error.contains("the object has been modified"), "{error}");

    let before = json(&demo.ok(&["get", "deployment", "web", "-o", "json"]));
    let printed = demo.ok(&[
        "scale",
        "deployment",
        "web",
        "--replicas=7",
        "--dry-run=server",
    ]);
    assert!(printed.contains("scaled (server dry run)"), "{printed}");
    demo.ok(&[
        "patch",
        "deployment",
        "web",
        "--dry-run=server",
        "-p",
        r#"{"spec":{"replicas":9}}"#,
    ]);
    demo.ok(&["delete", "deployment", "web", "--dry-run=server"]);
    demo.ok(&[
        "set",
        "image",
        "deployment/web",
        "app=web:2",
        "--dry-run=server",
    ]);
    let after = json(&demo.ok(&["get", "deployment", "web", "-o", "json"]));
    assert_eq!(
        after["metadata"]["resourceVersion"],
        before["metadata"]["resourceVersion"]
    );
    assert_eq!(after["spec"]["replicas"], 3);
}

#[test]
fn rollout_set_image_status_history_undo_and_scale() {
    let Some(demo) = empty_with_web() else { return };
    demo.ok(&[
        "annotate",
        "deployment",
        "web",
        "kubernetes.io/change-cause=first",
    ]);
    demo.ok(&[
        "set",
        "image",
        "deployment/web",
        "app=ghcr.io/kshift-demo/web:2.0.0",
    ]);
    demo.ok(&[
        "annotate",
        "deployment",
        "web",
        "kubernetes.io/change-cause=second",
        "--overwrite",
    ]);
    demo.ok(&["rollout", "status", "deployment/web", "--timeout=60s"]);
    let rs = json(&demo.ok(&["get", "rs", "-l", "app=web", "-o", "json"]));
    assert_eq!(
        rs["items"].as_array().unwrap().len(),
        2,
        "one ReplicaSet per template"
    );
    let history = demo.ok(&["rollout", "history", "deployment/web"]);
    assert!(history.contains("second"), "{history}");

    demo.ok(&["rollout", "undo", "deployment/web"]);
    demo.ok(&["rollout", "status", "deployment/web", "--timeout=60s"]);
    let web = json(&demo.ok(&["get", "deployment", "web", "-o", "json"]));
    assert_eq!(
        web["spec"]["template"]["spec"]["containers"][0]["image"],
        "ghcr.io/kshift-demo/web:1.0.0"
    );
    assert_eq!(
        web["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "3"
    );
    let rs = json(&demo.ok(&["get", "rs", "-l", "app=web", "-o", "json"]));
    assert_eq!(
        rs["items"].as_array().unwrap().len(),
        2,
        "undo reuses the old ReplicaSet"
    );
    let reused = rs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["spec"]["replicas"] == 3)
        .expect("active rs");
    assert_eq!(
        reused["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"],
        "1"
    );

    demo.ok(&["rollout", "pause", "deployment/web"]);
    let error = demo.fails(&["rollout", "undo", "deployment/web"]);
    assert!(error.contains("paused"), "{error}");
    demo.ok(&["rollout", "resume", "deployment/web"]);
    let web = json(&demo.ok(&["get", "deployment", "web", "-o", "json"]));
    assert!(
        web["spec"].get("paused").is_none(),
        "resume sends paused: null, which deletes it"
    );
    demo.ok(&["rollout", "restart", "deployment/web"]);
    demo.ok(&["rollout", "status", "deployment/web", "--timeout=60s"]);

    demo.ok(&["scale", "deployment", "web", "--replicas=5"]);
    demo.ok(&["rollout", "status", "deployment/web", "--timeout=60s"]);
    let pods = demo.eventually(&["get", "pods", "-l", "app=web", "-o", "name"], 30, |t| {
        t.lines().count() == 5
    });
    assert_eq!(pods.lines().count(), 5);
    let events = demo.ok(&["get", "events"]);
    assert!(events.contains("ScalingReplicaSet"), "{events}");
}

#[test]
fn watch_sees_changes() {
    let Some(demo) = empty_with_web() else { return };
    let mut watch = std::process::Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&demo.kubeconfig)
        .args([
            "get",
            "deployment",
            "web",
            "--watch",
            "--output-watch-events",
            "-o",
            "jsonpath={.type} {.object.metadata.labels.step}{\"\\n\"}",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("kubectl watch");
    std::thread::sleep(std::time::Duration::from_secs(1));
    demo.ok(&["label", "deployment", "web", "step=one"]);
    demo.ok(&["label", "deployment", "web", "step=two", "--overwrite"]);
    std::thread::sleep(std::time::Duration::from_secs(1));
    let _ = watch.kill();
    let output = watch.wait_with_output().expect("watch output");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.lines().next().is_some_and(|l| l.starts_with("ADDED")),
        "{text}"
    );
    assert!(
        text.contains("MODIFIED one") && text.contains("MODIFIED two"),
        "{text}"
    );
}

#[test]
fn events_are_one_store_under_two_apis() {
    let Some(demo) = empty_with_web() else { return };
    let uid = demo.ok(&["get", "deployment", "web", "-o", "jsonpath={.metadata.uid}"]);
    let event = demo.file(
        "event.yaml",
        &format!(
            "apiVersion: events.k8s.io/v1
kind: Event
metadata: {{name: web.kshift1}}
eventTime: 2026-01-01T00:00:00.000000Z
reportingController: kshift.dev/console
reportingInstance: test
action: Step
reason: KshiftStep
note: canary 10% -> 25% by tester
type: Normal
regarding: {{apiVersion: apps/v1, kind: Deployment, name: web, namespace: default, uid: {uid}}}
"
        ),
    );
    demo.ok(&["create", "-f", &event]);
    let core = json(&demo.ok(&["get", "events.v1.", "web.kshift1", "-o", "json"]));
    assert_eq!(core["message"], "canary 10% -> 25% by tester");
    assert_eq!(core["involvedObject"]["name"], "web");
    let listed = demo.ok(&["get", "events", "--field-selector", "reason=KshiftStep"]);
    assert!(listed.contains("deployment/web"), "{listed}");
    let described = demo.ok(&["describe", "deployment", "web"]);
    assert!(described.contains("KshiftStep"), "{described}");
}

#[test]
fn malformed_requests_get_kubernetes_status_errors() {
    let Some(demo) = empty_with_web() else { return };
    let bad_json = demo.file("bad.json", "{\"kind\": \"ConfigMap\", ");
    let error = demo.fails(&[
        "create",
        "--raw",
        "/api/v1/namespaces/default/configmaps",
        "-f",
        &bad_json,
    ]);
    assert!(
        error.contains("BadRequest") || error.contains("json parse error"),
        "{error}"
    );
    let bad_name = demo.file(
        "name.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Not_Valid}\n",
    );
    let error = demo.fails(&["create", "-f", &bad_name]);
    assert!(
        error.contains("is invalid") && error.contains("RFC 1123"),
        "{error}"
    );
    let error = demo.fails(&["get", "--raw", "/apis/nothing.example/v1"]);
    assert!(
        error.contains("NotFound") || error.contains("could not find"),
        "{error}"
    );
    let error = demo.fails(&["get", "deployment", "missing"]);
    assert!(
        error.contains("deployments.apps \"missing\" not found"),
        "{error}"
    );
    let again = demo.file("again.yaml", WEB);
    let error = demo.fails(&["create", "-f", &again]);
    assert!(error.contains("already exists"), "{error}");
    let big = demo.file("big.json", &format!("{{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{{\"name\":\"big\"}},\"data\":{{\"x\":\"{}\"}}}}", "a".repeat(4 * 1024 * 1024)));
    let error = demo.fails(&[
        "create",
        "--raw",
        "/api/v1/namespaces/default/configmaps",
        "-f",
        &big,
    ]);
    assert!(
        error.contains("too large") || error.contains("413"),
        "{error}"
    );
    if demo.real {
        // A real server applies server-side; the demo says it does not.
        demo.ok(&["apply", "--server-side", "-f", &again]);
    } else {
        let error = demo.fails(&["apply", "--server-side", "-f", &again]);
        assert!(
            error.contains("server-side apply is not supported"),
            "{error}"
        );
    }
    // Nothing above took the server down or stored anything (a real controller
    // manager publishes kube-root-ca.crt in every namespace by itself).
    demo.ok(&["get", "deployment", "web"]);
    let configmaps = demo.ok(&["get", "configmaps", "-o", "name"]);
    let configmaps = configmaps.replace("configmap/kube-root-ca.crt", "");
    assert!(configmaps.trim().is_empty(), "{configmaps}");
}

#[test]
fn denied_verbs_are_forbidden_and_reviewed_consistently() {
    if !have_tool("kubectl") {
        return;
    }
    let demo = Demo::start(&[
        "--scenario",
        "empty",
        "--deny",
        "patch:apps/deployments",
        "--deny",
        "delete:services",
    ]);
    let file = demo.file("web.yaml", WEB);
    demo.ok(&["apply", "-f", &file]);
    let error = demo.fails(&[
        "patch",
        "deployment",
        "web",
        "-p",
        r#"{"spec":{"replicas":1}}"#,
    ]);
    assert!(
        error.contains("forbidden") && error.contains("cannot patch resource \"deployments\""),
        "{error}"
    );
    let can_i = |verb: &str, resource: &str| {
        String::from_utf8_lossy(&demo.kubectl(&["auth", "can-i", verb, resource]).stdout)
            .into_owned()
    };
    assert!(can_i("patch", "deployments").starts_with("no"));
    assert!(can_i("delete", "services").starts_with("no"));
    assert_eq!(can_i("get", "deployments"), "yes\n");
    assert_eq!(can_i("patch", "services"), "yes\n");
    demo.fails(&["delete", "service", "web"]);
    let whoami = demo.ok(&["auth", "whoami"]);
    assert!(whoami.contains("kshift-demo"), "{whoami}");
}

#[test]
fn manifests_folder_and_bad_input() {
    if !have_tool("kubectl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.yaml"),
        format!(
            "apiVersion: v1\nkind: Namespace\nmetadata: {{name: shop}}\n---\n{}",
            WEB.replace(
                "name: web\n  labels",
                "name: web\n  namespace: shop\n  labels"
            )
        ),
    )
    .unwrap();
    let demo = Demo::start(&["--manifests", &dir.path().display().to_string()]);
    demo.ok(&["get", "deployment", "web", "-n", "shop"]);
    drop(demo);

    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_kshift"))
            .args(args)
            .output()
            .expect("run kshift")
    };
    std::fs::write(
        dir.path().join("z-broken.yaml"),
        "kind: ConfigMap\n---\nmetadata: [oops\n",
    )
    .unwrap();
    let output = run(&[
        "demo",
        "--headless",
        "--manifests",
        &dir.path().display().to_string(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("z-broken.yaml: document 2"), "{stderr}");

    let output = run(&["demo", "--headless", "--scenario", "nope"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown scenario") && stderr.contains("showcase"),
        "{stderr}"
    );

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = listener.local_addr().unwrap().to_string();
    let output = run(&[
        "demo",
        "--headless",
        "--scenario",
        "empty",
        "--serve",
        &taken,
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("already in use"));

    let output = run(&["demo", "--deny", "nonsense"]);
    assert_eq!(output.status.code(), Some(2), "a usage error");
}

#[test]
fn scenario_manifests_validate_against_the_public_crd_schemas() {
    if !have_tool("python3") {
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let output = std::process::Command::new("python3")
        .arg(format!("{root}/tests/tools/validate_manifests.py"))
        .arg(format!("{root}/src/demo/scenarios/showcase.yaml"))
        .arg(format!("{root}/src/demo/scenarios/bad-canary.yaml"))
        .output()
        .expect("run the validator");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{printed}");
    assert!(printed.contains("ok: "), "{printed}");
}
