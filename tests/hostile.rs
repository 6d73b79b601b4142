//! Hostile text in every channel the command line prints: a version name, an autopilot
//! Lease holder, Prometheus and Alertmanager error bodies, a config file, a release
//! name typed on the command line. Whatever kshift writes to stdout and stderr must
//! show it escaped: no ESC, BEL, C1, bidi or zero-width character reaches the terminal.

mod common;

use common::{Canned, Demo, Run, terminal_hazard};

/// Retitles the window, writes the clipboard (OSC 52), clears the screen, starts a CSI
/// with the 8-bit C1, reverses the line and hides a zero-width space.
const YAML_PAYLOAD: &str = r#"x\e]0;PWNED\a\e]52;c;cHduZWQ=\a\e[2J\x9b31m\u202E\u200B\uFEFFy"#;
const PAYLOAD: &str =
    "x\u{1b}]0;PWNED\u{7}\u{1b}]52;c;cHduZWQ=\u{7}\u{1b}[2J\u{9b}31m\u{202e}\u{200b}\u{feff}y";

fn manifests() -> String {
    format!(
        r#"apiVersion: v1
kind: Namespace
metadata:
  name: inj
---
apiVersion: v1
kind: Service
metadata:
  name: app
  namespace: inj
spec:
  selector:
    app: app
  ports:
  - port: 80
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-v1
  namespace: inj
spec:
  replicas: 1
  selector:
    matchLabels: {{app: app, version: v1}}
  template:
    metadata:
      labels: {{app: app, version: v1}}
    spec:
      containers: [{{name: app, image: "app:1"}}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-v2
  namespace: inj
spec:
  replicas: 1
  selector:
    matchLabels: {{app: app, version: "{YAML_PAYLOAD}"}}
  template:
    metadata:
      labels: {{app: app, version: "{YAML_PAYLOAD}"}}
    spec:
      containers: [{{name: app, image: "app:2"}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: app
  namespace: inj
spec:
  host: app
  subsets:
  - name: stable
    labels: {{version: v1}}
  - name: "{YAML_PAYLOAD}"
    labels: {{version: "{YAML_PAYLOAD}"}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: app
  namespace: inj
  annotations:
    note: "{YAML_PAYLOAD}"
spec:
  hosts: [app]
  http:
  - route:
    - destination: {{host: app, subset: stable}}
      weight: 90
    - destination: {{host: app, subset: "{YAML_PAYLOAD}"}}
      weight: 10
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: kshift-autopilot-app
  namespace: inj
spec:
  holderIdentity: "{YAML_PAYLOAD}"
  leaseDurationSeconds: 3600
  acquireTime: "2099-01-01T00:00:00.000000Z"
  renewTime: "2099-01-01T00:00:00.000000Z"
"#
    )
}

/// Where a run wrote a character raw that a terminal would obey, in words.
fn hazards(what: &str, run: &Run) -> Vec<String> {
    let mut found = Vec::new();
    for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        if let Some((at, c)) = terminal_hazard(text.as_bytes()) {
            let near = &text.as_bytes()[at.saturating_sub(40)..(at + 40).min(text.len())];
            found.push(format!(
                "kshift {what}: {c:?} raw in {stream} at byte {at}: {:?}",
                String::from_utf8_lossy(near)
            ));
        }
    }
    found
}

#[test]
fn hostile_text_in_every_channel_reaches_the_terminal_escaped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let folder = dir.path().join("manifests");
    std::fs::create_dir(&folder).expect("manifests folder");
    std::fs::write(folder.join("inj.yaml"), manifests()).expect("write manifests");
    let crd = "istio-virtualservice-destinationrule.yaml";
    std::fs::copy(common::crds_dir().join(crd), folder.join(crd)).expect("Istio's CRDs");
    let demo = Demo::start(&["--manifests", folder.to_str().expect("a UTF-8 path")]);
    // Stable's pods ready, so that the verbs plan (naming the versions) rather than
    // refuse for readiness: the payload is there to be escaped, not to go unused. (The
    // canary, selected by the payload, never becomes available.)
    demo.ok(&[
        "wait",
        "deployment",
        "app-v1",
        "-n",
        "inj",
        "--for=condition=Available",
        "--timeout=60s",
    ]);

    let prometheus_error = serde_json::json!({
        "status": "error", "errorType": "bad_data", "error": PAYLOAD
    });
    let prometheus = Canned::start(
        400,
        "application/json",
        serde_json::to_vec(&prometheus_error).expect("JSON"),
    );
    let alertmanager = Canned::start(500, "text/plain", PAYLOAD.as_bytes().to_vec());
    let bad_config = dir.path().join("bad.toml");
    std::fs::write(&bad_config, format!("[metrics]\nprometheus = {PAYLOAD}\n")).expect("config");
    let hostile_release = format!("inj/{PAYLOAD}");

    let mut runs: Vec<Vec<String>> = vec![
        vec!["list".into()],
        vec!["list".into(), "-o".into(), "json".into()],
        vec!["list".into(), "-o".into(), "yaml".into()],
        vec![
            "list".into(),
            "--prometheus".into(),
            prometheus.url.clone(),
            "--alertmanager".into(),
            alertmanager.url.clone(),
        ],
        vec![
            "list".into(),
            "-o".into(),
            "json".into(),
            "--prometheus".into(),
            prometheus.url.clone(),
            "--alertmanager".into(),
            alertmanager.url.clone(),
        ],
        vec![
            "list".into(),
            "--config".into(),
            bad_config.display().to_string(),
        ],
        vec!["step".into(), hostile_release],
        vec![
            "autopilot".into(),
            "inj/app".into(),
            "--prometheus".into(),
            prometheus.url.clone(),
            "--yes".into(),
        ],
    ];
    for verb in [
        "step", "back", "promote", "flip", "rollback", "pause", "resume", "undo",
    ] {
        for extra in [&["--dry-run"][..], &["--dry-run", "-o", "json"], &["--yes"]] {
            let mut args = vec![verb.to_string(), "inj/app".to_string()];
            args.extend(extra.iter().map(|s| s.to_string()));
            runs.push(args);
        }
    }
    let mut escaped_seen = 0;
    let mut found = Vec::new();
    for args in &runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = demo.kshift(&args);
        found.extend(hazards(&args.join(" "), &run));
        if (run.stdout.clone() + &run.stderr).contains("PWNED") {
            escaped_seen += 1;
        }
    }
    assert!(
        found.is_empty(),
        "{} of {} runs:\n{}",
        found.len(),
        runs.len(),
        found.join("\n")
    );
    // The payload was there to escape: most runs show it (as text).
    assert!(
        escaped_seen >= runs.len() / 2,
        "{escaped_seen} of {}",
        runs.len()
    );
}
