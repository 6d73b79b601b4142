//! The non-interactive commands end to end: `kshift list` against `kshift demo --serve`
//! (checked against kubectl's view of the same objects), and `kshift screenshot`.

mod common;

use common::{Demo, have_tool};
use serde_json::Value;

fn kshift(demo: Option<&Demo>, args: &[&str]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_kshift"));
    // Errors are one line, unless a backtrace is asked for.
    command.env_remove("RUST_BACKTRACE");
    if let Some(demo) = demo {
        command.env("KUBECONFIG", &demo.kubeconfig);
    }
    command.args(args).output().expect("run kshift")
}

fn releases(demo: &Demo, args: &[&str]) -> Vec<Value> {
    let output = kshift(Some(demo), args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let parsed: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    parsed.as_array().expect("an array").clone()
}

#[test]
fn list_shows_every_kind_with_the_documented_shape() {
    if !have_tool("kubectl") {
        return;
    }
    let demo = Demo::start(&["--scenario", "showcase"]);
    let all = releases(&demo, &["list", "-o", "json"]);
    let kinds: std::collections::BTreeSet<&str> =
        all.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    for kind in [
        "istio", "gateway", "nginx", "smi", "service", "replicas", "argo", "flagger", "rolling",
    ] {
        assert!(kinds.contains(kind), "no {kind} release in {kinds:?}");
    }
    for release in &all {
        let keys: Vec<&str> = release
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys.len(), 9, "{keys:?}");
        for version in release["versions"].as_array().unwrap() {
            let mut keys: Vec<&str> = version
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            keys.sort_unstable();
            assert_eq!(
                keys,
                [
                    "desired", "health", "images", "name", "ready", "role", "weight"
                ]
            );
        }
    }
    let reviews = all
        .iter()
        .find(|r| r["name"] == "reviews")
        .expect("shop/reviews");
    let weights: Vec<f64> = reviews["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["weight"].as_f64().unwrap())
        .collect();
    assert_eq!(weights, [90.0, 10.0]);
    let argo = all
        .iter()
        .find(|r| r["name"] == "payments-api")
        .expect("payments/payments-api");
    assert_eq!(argo["step"]["index"], 1);
    assert_eq!(argo["phase"], "Paused");
    let odd = all
        .iter()
        .find(|r| r["name"] == "ratings")
        .expect("shop/ratings");
    assert!(
        odd["warnings"][0].as_str().unwrap().contains("sum to 90"),
        "{odd}"
    );

    // A change made with kubectl shows in the next list.
    demo.ok(&["patch", "virtualservice", "reviews", "-n", "shop", "--type=json", "-p", r#"[{"op":"replace","path":"/spec/http/0/route/0/weight","value":75},{"op":"replace","path":"/spec/http/0/route/1/weight","value":25}]"#]);
    let after = releases(&demo, &["list", "-o", "json", "-n", "shop"]);
    assert!(after.iter().all(|r| r["namespace"] == "shop"));
    let reviews = after.iter().find(|r| r["name"] == "reviews").unwrap();
    assert_eq!(reviews["versions"][1]["weight"], 25.0);

    let table = kshift(Some(&demo), &["list"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.starts_with("NAMESPACE") && text.contains("payments-api"),
        "{text}"
    );
    let yaml = kshift(Some(&demo), &["list", "-o", "yaml"]);
    assert!(String::from_utf8_lossy(&yaml.stdout).contains("kind: flagger"));
}

#[test]
fn list_works_without_the_crds_and_fails_clearly_without_a_cluster() {
    if !have_tool("kubectl") {
        return;
    }
    let mut demo = Demo::start(&["--scenario", "empty"]);
    let file = demo.file("web.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: app, image: web:1}]}\n");
    demo.ok(&["apply", "-f", &file]);
    let output = kshift(Some(&demo), &["list", "-o", "json"]);
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("virtualservices") && stderr.contains("not installed"),
        "{stderr}"
    );
    let listed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(listed[0]["kind"], "rolling");

    demo.stop();
    let output = kshift(Some(&demo), &["list"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("kshift: cannot list deployments") && stderr.lines().count() == 1,
        "{stderr}"
    );

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kshift"))
        .env_remove("RUST_BACKTRACE")
        .env("KUBECONFIG", demo.dir.path().join("missing"))
        .args(["list"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("kubeconfig"));
    assert_eq!(kshift(None, &["list", "-o", "xml"]).status.code(), Some(2));
}

#[test]
fn screenshots_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["list.txt", "list.svg", "list.ansi"] {
        let out = dir.path().join(name);
        let output = kshift(
            None,
            &[
                "screenshot",
                "--size",
                "100x30",
                "--out",
                &out.display().to_string(),
            ],
        );
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.contains("payments-api"), "{name}: {text}");
    }
    let txt = std::fs::read_to_string(dir.path().join("list.txt")).unwrap();
    assert_eq!(txt.lines().count(), 30);
    assert!(txt.lines().all(|l| l.chars().count() <= 100));

    let detail = dir.path().join("detail.txt");
    let output = kshift(
        None,
        &[
            "screenshot",
            "--view",
            "detail:shop/reviews",
            "--size",
            "120x40",
            "--theme",
            "mono",
            "--out",
            &detail.display().to_string(),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&detail).unwrap();
    assert!(
        // The verdict comes first in the detail view, the health table below it.
        text.contains("reviews") && text.contains("VERDICT") && text.contains("1.5.0"),
        "{text}"
    );

    let bad = kshift(None, &["screenshot", "--out", "x.png"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains(".svg, .txt or .ansi"));
    let missing = kshift(
        None,
        &[
            "screenshot",
            "--view",
            "detail:shop/nothing",
            "--out",
            &detail.display().to_string(),
        ],
    );
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no release"));
}

#[test]
fn completions_and_the_manual_page() {
    let text = |output: std::process::Output| {
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).expect("UTF-8")
    };
    let bash = text(kshift(None, &["completions", "bash"]));
    assert!(bash.contains("_kshift()"), "{bash}");
    for word in ["autopilot", "screenshot", "--alertmanager", "--prometheus"] {
        assert!(
            bash.contains(word),
            "{word} missing from the bash completions"
        );
    }
    let zsh = text(kshift(None, &["completions", "zsh"]));
    assert!(zsh.starts_with("#compdef kshift"), "{zsh}");
    let fish = text(kshift(None, &["completions", "fish"]));
    assert!(fish.contains("complete -c kshift"), "{fish}");
    let man = text(kshift(None, &["man"]));
    assert!(man.contains(".TH kshift 1"), "{man}");
    assert!(man.contains("autopilot"), "{man}");
    let unknown = kshift(None, &["completions", "tcsh"]);
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("possible values: bash"), "{stderr}");
}

/// `kshift completions bash | true`: a reader that is gone ends the output, not in an
/// error (the pipe is closed before kshift has started, so its write fails).
#[test]
fn a_reader_that_stops_early_is_no_error() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_kshift"))
        .args(["completions", "bash"])
        .env_remove("RUST_BACKTRACE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kshift completions");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait");
    assert!(output.status.success(), "{output:?}");
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// An API server that cannot be reached is said in words with its URL: refused, a
/// name that does not resolve, TLS that fails; exit 1.
#[test]
fn an_unreachable_api_says_why_with_its_url() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A plain HTTP server, spoken to in TLS.
    let plain = common::Canned::start(200, "text/plain", b"hello".to_vec());
    let plain_url = plain.url.replacen("http://", "https://", 1);
    let cases = [
        ("http://user:hunter2@127.0.0.1:1", "refused the connection"),
        ("http://kshift-test.invalid:80", "does not resolve (DNS)"),
        (plain_url.as_str(), "TLS connection failed"),
    ];
    for (server, words) in cases {
        let kubeconfig = dir.path().join("kubeconfig");
        std::fs::write(
            &kubeconfig,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {server}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: c\n  context: {{cluster: c, user: u}}\ncurrent-context: c\nusers:\n- name: u\n  user: {{token: t}}\n"
            ),
        )
        .expect("kubeconfig");
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_kshift"))
            .env_remove("RUST_BACKTRACE")
            .env("KUBECONFIG", &kubeconfig)
            .args(["list"])
            .output()
            .expect("run kshift");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{server}: {stderr}");
        let shown = server.replace("user:hunter2", "***");
        assert!(
            stderr.contains(words) && stderr.contains(&format!("the API server at {shown}")),
            "{server}: {stderr}"
        );
        assert!(!stderr.contains("hunter2"), "{stderr}");
    }
}
