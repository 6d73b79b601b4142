//! A healthy canary driven to the end by `kshift autopilot`, once per kind whose
//! roles are inferred (Istio, Gateway API, SMI, NGINX, replica canary), with no
//! `stable`/`canary` in any name: the run ends at 100% with exit 0 and says
//! "promoted", kubectl sees all traffic on the new version, and a `kshift step`
//! afterwards is refused as already promoted. Before roles followed ages, the
//! autopilot went on to step the old version back in, for ever.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Demo, Prometheus, have_tool};
use serde_json::{Value, json};

const NS: &str = "plain";

fn deployment(app: &str, version: &str, replicas: i64) -> Value {
    let labels = json!({"app": app, "version": version});
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": format!("{app}-{version}"), "namespace": NS, "labels": labels.clone()},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels.clone()},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app",
                "image": format!("ghcr.io/kshift-demo/{app}:{version}"),
                "ports": [{"name": "http", "containerPort": 8080}]}]}}}})
}

fn service(name: &str, selector: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": NS},
        "spec": {"selector": selector, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}})
}

/// `app-v1` and `app-v2`, each behind a Service of its own name.
fn two_versions(app: &str) -> Vec<Value> {
    ["v1", "v2"]
        .into_iter()
        .flat_map(|v| {
            [
                deployment(app, v, 2),
                service(&format!("{app}-{v}"), json!({"app": app, "version": v})),
            ]
        })
        .collect()
}

fn ingress(name: &str, service: &str, annotations: Value) -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": name, "namespace": NS, "annotations": annotations},
        "spec": {"ingressClassName": "nginx", "rules": [{"host": "front.example", "http": {"paths": [
            {"path": "/", "pathType": "Prefix",
             "backend": {"service": {"name": service, "port": {"number": 80}}}}]}}]}})
}

/// One release of each kind, 90/10 (the replica canary 4/1), in namespace `plain`.
fn manifests() -> Vec<Value> {
    let mut objects = vec![json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": NS, "labels": {"istio-injection": "enabled"}}})];
    // Istio: one Service, subsets v1 and v2 of a DestinationRule.
    objects.extend([
        deployment("checkout", "v1", 2),
        deployment("checkout", "v2", 2),
        service("checkout", json!({"app": "checkout"})),
        json!({"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
            "metadata": {"name": "checkout", "namespace": NS},
            "spec": {"host": "checkout", "subsets": [
                {"name": "v1", "labels": {"version": "v1"}},
                {"name": "v2", "labels": {"version": "v2"}}]}}),
        json!({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": {"name": "checkout", "namespace": NS},
            "spec": {"hosts": ["checkout"], "http": [{"route": [
                {"destination": {"host": "checkout", "subset": "v1"}, "weight": 90},
                {"destination": {"host": "checkout", "subset": "v2"}, "weight": 10}]}]}}),
    ]);
    objects.extend(two_versions("search"));
    objects.push(
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": "search", "namespace": NS},
        "spec": {"rules": [{"backendRefs": [
            {"name": "search-v1", "port": 80, "weight": 90},
            {"name": "search-v2", "port": 80, "weight": 10}]}]}}),
    );
    objects.extend(two_versions("notify"));
    objects.push(
        json!({"apiVersion": "split.smi-spec.io/v1alpha2", "kind": "TrafficSplit",
        "metadata": {"name": "notify", "namespace": NS},
        "spec": {"service": "notify", "backends": [
            {"service": "notify-v1", "weight": 90}, {"service": "notify-v2", "weight": 10}]}}),
    );
    objects.extend(two_versions("front"));
    objects.extend([
        ingress("front", "front-v1", json!({})),
        ingress(
            "front-next",
            "front-v2",
            json!({"nginx.ingress.kubernetes.io/canary": "true",
                "nginx.ingress.kubernetes.io/canary-weight": "10"}),
        ),
    ]);
    objects.extend([
        deployment("cart", "v1", 4),
        deployment("cart", "v2", 1),
        service("cart", json!({"app": "cart"})),
    ]);
    objects
}

/// (release, kubectl arguments reading its weights, the weights once promoted).
const WEIGHTS: &[(&str, &[&str], &str)] = &[
    (
        "checkout",
        &[
            "get",
            "virtualservice",
            "checkout",
            "-o",
            "jsonpath={.spec.http[0].route[*].weight}",
        ],
        "0 100",
    ),
    (
        "search",
        &[
            "get",
            "httproute",
            "search",
            "-o",
            "jsonpath={.spec.rules[0].backendRefs[*].weight}",
        ],
        "0 100",
    ),
    (
        "notify",
        &[
            "get",
            "trafficsplit",
            "notify",
            "-o",
            "jsonpath={.spec.backends[*].weight}",
        ],
        "0 100",
    ),
    (
        "front",
        &[
            "get",
            "ingress",
            "front-next",
            "-o",
            "jsonpath={.metadata.annotations.nginx\\.ingress\\.kubernetes\\.io/canary-weight}",
        ],
        "100",
    ),
    (
        "cart",
        &[
            "get",
            "deployment",
            "cart-v1",
            "cart-v2",
            "-o",
            "jsonpath={.items[*].spec.replicas}",
        ],
        "0 5",
    ),
];

fn weights(demo: &Demo, args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.extend(["-n", NS]);
    demo.ok(&all).trim().to_string()
}

/// Waits for a run to exit; kills it and fails the test after `seconds`.
fn finish(mut child: Child, seconds: u64, what: &str) -> (i32, String) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        if child.try_wait().expect("wait").is_some() {
            let output = child.wait_with_output().expect("output");
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            return (output.status.code().unwrap_or(-1), text);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let output = child.wait_with_output().expect("output");
            panic!(
                "the autopilot on {what} did not end in {seconds}s:\n{}",
                String::from_utf8_lossy(&output.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn every_inferred_kind_is_driven_to_promoted_and_no_further() {
    if !have_tool("prometheus") || !have_tool("kubectl") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let crds = concat!(env!("CARGO_MANIFEST_DIR"), "/src/demo/scenarios/crds.yaml");
    std::fs::copy(crds, dir.path().join("0-crds.yaml")).expect("copy the CRDs");
    let list = json!({"apiVersion": "v1", "kind": "List", "items": manifests()});
    std::fs::write(dir.path().join("1-plain.json"), list.to_string()).expect("manifests");
    let manifests = dir.path().display().to_string();
    let demo = Demo::start(&["--manifests", &manifests, "--speed", "10"]);
    demo.rolled_out();
    let listed = demo.kshift(&["list", "-n", NS]);
    for (name, ..) in WEIGHTS {
        assert!(
            listed.stdout.contains(&format!("{NS} ")) && listed.stdout.contains(name),
            "{name} is not a release:\n{}{}",
            listed.stdout,
            listed.stderr
        );
    }
    let prometheus = Prometheus::start(&[demo.url.trim_start_matches("http://").to_string()]);
    let runs: Vec<(&str, Child)> = WEIGHTS
        .iter()
        .map(|(name, ..)| {
            let child = Command::new(env!("CARGO_BIN_EXE_kshift"))
                .env("KUBECONFIG", &demo.kubeconfig)
                .env_remove("RUST_BACKTRACE")
                .args(["autopilot", &format!("{NS}/{name}"), "--interval", "3s"])
                .args(["--healthy-intervals", "1", "--failing-intervals", "3"])
                .args(["--window", "15s", "--prometheus", &prometheus.url, "--yes"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start kshift autopilot");
            (*name, child)
        })
        .collect();
    for ((name, child), (_, args, promoted)) in runs.into_iter().zip(WEIGHTS) {
        let (code, output) = finish(child, 180, name);
        assert_eq!(code, 0, "{name}:\n{output}");
        let decisions: Vec<&str> = output.lines().filter(|l| l.contains(" weight ")).collect();
        let last = decisions.last().copied().unwrap_or_default();
        assert!(last.contains(" promoted weight 100%"), "{name}:\n{output}");
        assert!(
            !output.contains("canary v1"),
            "{name}: traffic moved towards the old version:\n{output}"
        );
        assert_eq!(weights(&demo, args), *promoted, "{name}:\n{output}");
        let step = demo.kshift(&["step", &format!("{NS}/{name}"), "--yes"]);
        assert_eq!(step.code, 3, "{name}: {}{}", step.stdout, step.stderr);
        assert!(
            step.stderr.contains("already promoted"),
            "{name}: {}",
            step.stderr
        );
        assert_eq!(weights(&demo, args), *promoted, "{name} after step");
    }
}
