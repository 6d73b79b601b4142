//! The differential check: one scenario of kubectl commands run against the embedded
//! demo and against the real control plane (tests/realcluster), the answers normalised
//! (names of generated things, times, versions, uids; the status that controllers
//! write) and compared. Steps known to differ are listed with their reasons in
//! tests/realcluster/differential-known.txt; any other difference fails the test.
//!
//! It runs with `KSHIFT_TEST_CLUSTER=real` (it needs the real control plane, hence Go);
//! plain `cargo test` skips it with a message.

mod common;

use common::{Demo, have_tool, real_cluster};
use serde_json::Value;

const KNOWN: &str = include_str!("realcluster/differential-known.txt");

const APP: &str = "apiVersion: v1
kind: Namespace
metadata: {name: diff}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: diff
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, version: v1}}
    spec:
      containers:
      - name: app
        image: ghcr.io/kshift-demo/web:1.0.0
        ports: [{containerPort: 8080}]
        env: [{name: MODE, value: demo}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: diff}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: diff, labels: {tier: front}}
data: {colour: blue}
";

/// One kubectl command of the scenario, by name.
struct Step {
    name: &'static str,
    args: Vec<String>,
}

fn step(name: &'static str, args: &[&str]) -> Step {
    Step {
        name,
        args: args.iter().map(|a| a.to_string()).collect(),
    }
}

/// What a step answered: exit code, stdout and stderr, normalised.
#[derive(PartialEq, Debug)]
struct Answer {
    code: i32,
    stdout: String,
    stderr: String,
}

fn scenario(app: &str, stale: &str, bad: &str) -> Vec<Step> {
    vec![
        step("create the app", &["create", "-f", app]),
        step("create it again", &["create", "-f", app]),
        step(
            "get the deployment",
            &["get", "deployment", "web", "-n", "diff", "-o", "json"],
        ),
        step(
            "get the service",
            &["get", "service", "web", "-n", "diff", "-o", "json"],
        ),
        step(
            "get the configmap",
            &["get", "configmap", "settings", "-n", "diff", "-o", "json"],
        ),
        step(
            "list by label",
            &[
                "get",
                "configmaps",
                "-n",
                "diff",
                "-l",
                "tier=front",
                "-o",
                "name",
            ],
        ),
        step(
            "list by label, none",
            &[
                "get",
                "configmaps",
                "-n",
                "diff",
                "-l",
                "tier=back",
                "-o",
                "name",
            ],
        ),
        step(
            "merge patch",
            &[
                "patch",
                "configmap",
                "settings",
                "-n",
                "diff",
                "--type=merge",
                "-p",
                r#"{"data":{"size":"L"}}"#,
            ],
        ),
        step(
            "json patch",
            &[
                "patch",
                "configmap",
                "settings",
                "-n",
                "diff",
                "--type=json",
                "-p",
                r#"[{"op":"test","path":"/data/colour","value":"blue"},{"op":"replace","path":"/data/colour","value":"red"}]"#,
            ],
        ),
        step(
            "json patch with a failing test",
            &[
                "patch",
                "configmap",
                "settings",
                "-n",
                "diff",
                "--type=json",
                "-p",
                r#"[{"op":"test","path":"/data/colour","value":"blue"},{"op":"replace","path":"/data/colour","value":"green"}]"#,
            ],
        ),
        step(
            "strategic patch of env",
            &[
                "patch",
                "deployment",
                "web",
                "-n",
                "diff",
                "-p",
                r#"{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"EXTRA","value":"1"}]}]}}}}"#,
            ],
        ),
        step(
            "merge patch deleting a key",
            &[
                "patch",
                "configmap",
                "settings",
                "-n",
                "diff",
                "--type=merge",
                "-p",
                r#"{"data":{"size":null}}"#,
            ],
        ),
        step(
            "the patched configmap",
            &["get", "configmap", "settings", "-n", "diff", "-o", "json"],
        ),
        step(
            "the patched containers",
            &[
                "get",
                "deployment",
                "web",
                "-n",
                "diff",
                "-o",
                "jsonpath={.spec.template.spec.containers}",
            ],
        ),
        step(
            "server dry run",
            &[
                "patch",
                "configmap",
                "settings",
                "-n",
                "diff",
                "--type=merge",
                "--dry-run=server",
                "-p",
                r#"{"data":{"colour":"pink"}}"#,
                "-o",
                "jsonpath={.data.colour}",
            ],
        ),
        step(
            "after the dry run",
            &[
                "get",
                "configmap",
                "settings",
                "-n",
                "diff",
                "-o",
                "jsonpath={.data.colour}",
            ],
        ),
        step("stale replace", &["replace", "-f", stale]),
        step("invalid name", &["create", "-f", bad]),
        step(
            "scale",
            &["scale", "deployment", "web", "-n", "diff", "--replicas=3"],
        ),
        step(
            "the scaled replicas",
            &[
                "get",
                "deployment",
                "web",
                "-n",
                "diff",
                "-o",
                "jsonpath={.spec.replicas}",
            ],
        ),
        step(
            "label",
            &[
                "label",
                "configmap",
                "settings",
                "-n",
                "diff",
                "owner=kshift",
            ],
        ),
        step(
            "annotate",
            &[
                "annotate",
                "configmap",
                "settings",
                "-n",
                "diff",
                "note=hello",
            ],
        ),
        step(
            "a missing object",
            &["get", "deployment", "missing", "-n", "diff"],
        ),
        step(
            "a missing namespace's object",
            &["get", "configmap", "settings", "-n", "nowhere"],
        ),
        step("an unknown kind", &["get", "frobnicators"]),
        step(
            "can-i patch",
            &["auth", "can-i", "patch", "deployments", "-n", "diff"],
        ),
        step(
            "whoami",
            &[
                "auth",
                "whoami",
                "-o",
                "jsonpath={.status.userInfo.username}",
            ],
        ),
        step(
            "delete the configmap",
            &["delete", "configmap", "settings", "-n", "diff"],
        ),
        step(
            "it is gone",
            &["get", "configmap", "settings", "-n", "diff"],
        ),
        step(
            "events of the scenario",
            &[
                "get",
                "events",
                "-n",
                "diff",
                "--field-selector",
                "involvedObject.kind=ConfigMap",
                "-o",
                "name",
            ],
        ),
    ]
}

/// Leaves out what legitimately changes from run to run or is written by controllers.
fn normalise_json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("status");
            if let Some(Value::Object(meta)) = map.get_mut("metadata") {
                for key in [
                    "uid",
                    "resourceVersion",
                    "creationTimestamp",
                    "managedFields",
                    "generation",
                ] {
                    meta.remove(key);
                }
                if let Some(Value::Object(annotations)) = meta.get_mut("annotations") {
                    annotations.remove("deployment.kubernetes.io/revision");
                    if annotations.is_empty() {
                        meta.remove("annotations");
                    }
                }
            }
            for (key, inner) in map.iter_mut() {
                if key != "metadata" {
                    normalise_json(inner);
                }
            }
            // A Service's cluster IPs are allocated: their presence is what counts.
            for key in ["clusterIP", "clusterIPs"] {
                if map.contains_key(key) {
                    map.insert(key.to_string(), Value::String("<allocated>".into()));
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalise_json),
        _ => {}
    }
}

fn normalise_text(text: &str, demo: &Demo) -> String {
    let text = text.replace(&demo.url, "<server>");
    let text = text.replace(&demo.dir.path().display().to_string(), "<dir>");
    if let Ok(mut value) = serde_json::from_str::<Value>(&text) {
        normalise_json(&mut value);
        return serde_json::to_string_pretty(&value).unwrap_or_default();
    }
    text.trim_end().to_string()
}

fn run(demo: &Demo, steps: &[Step]) -> Vec<Answer> {
    steps
        .iter()
        .map(|step| {
            let args: Vec<&str> = step.args.iter().map(String::as_str).collect();
            let output = demo.kubectl(&args);
            Answer {
                code: output.status.code().unwrap_or(-1),
                stdout: normalise_text(&String::from_utf8_lossy(&output.stdout), demo),
                stderr: normalise_text(&String::from_utf8_lossy(&output.stderr), demo),
            }
        })
        .collect()
}

/// The files the scenario reads, written into the demo's folder.
fn files(demo: &Demo) -> (String, String, String) {
    let app = demo.file("app.yaml", APP);
    let stale = demo.file(
        "stale.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: diff, resourceVersion: \"1\"}\ndata: {colour: old}\n",
    );
    let bad = demo.file(
        "bad.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Not_Valid, namespace: diff}\n",
    );
    (app, stale, bad)
}

fn known() -> Vec<(&'static str, &'static str)> {
    KNOWN
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .map(|(name, why)| (name.trim(), why.trim()))
        .collect()
}

#[test]
fn one_kubectl_scenario_answers_alike_on_the_demo_and_the_real_control_plane() {
    if !real_cluster() {
        eprintln!(
            "\n**********\nSKIPPED: the differential check needs the real control plane; run it with KSHIFT_TEST_CLUSTER=real (Go required)\n**********\n"
        );
        return;
    }
    if !have_tool("kubectl") {
        return;
    }
    let real = Demo::start_real(&["--scenario", "empty"]);
    let embedded = Demo::start_embedded(&["--scenario", "empty"]);
    let answers: Vec<Vec<Answer>> = [&embedded, &real]
        .iter()
        .map(|demo| {
            let (app, stale, bad) = files(demo);
            let steps = scenario(&app, &stale, &bad);
            // Both clusters create the app; its names are the same on both.
            let answers = run(demo, &steps);
            answers
                .into_iter()
                .map(|mut a| {
                    a.stdout = a.stdout.replace(&app, "app.yaml");
                    a.stderr = a
                        .stderr
                        .replace(&app, "app.yaml")
                        .replace(&stale, "stale.yaml")
                        .replace(&bad, "bad.yaml");
                    a
                })
                .collect()
        })
        .collect();
    let (app, stale, bad) = files(&embedded);
    let steps = scenario(&app, &stale, &bad);
    let known = known();
    let mut unexpected = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        let (demo, real) = (&answers[0][index], &answers[1][index]);
        let listed = known.iter().find(|(name, _)| *name == step.name);
        match (demo == real, listed) {
            (true, Some((_, why))) => eprintln!(
                "note: step {:?} now answers alike; its entry in differential-known.txt ({why}) can go",
                step.name
            ),
            (false, None) => unexpected.push(format!(
                "step {:?} (kubectl {}):\n  demo: exit {}\n{}\n{}\n  real: exit {}\n{}\n{}",
                step.name,
                step.args.join(" "),
                demo.code,
                demo.stdout,
                demo.stderr,
                real.code,
                real.stdout,
                real.stderr
            )),
            _ => {}
        }
    }
    for (name, _) in &known {
        assert!(
            steps.iter().any(|s| s.name == *name),
            "differential-known.txt names a step the scenario does not have: {name:?}"
        );
    }
    assert!(
        unexpected.is_empty(),
        "{} step(s) answer differently on the demo and the real control plane:\n\n{}",
        unexpected.len(),
        unexpected.join("\n\n")
    );
}
