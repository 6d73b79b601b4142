//! Actions end to end: `kshift <verb> NS/RELEASE --yes` against `kshift demo --serve`,
//! every result checked with the real kubectl.

mod common;

use common::{Demo, Run, have_tool};
use serde_json::Value;

fn kshift(demo: &Demo, args: &[&str]) -> Run {
    demo.kshift(args)
}

/// Runs `kshift ARGS`, which must exit with `code`.
fn ended(demo: &Demo, args: &[&str], code: i32) -> Run {
    let run = kshift(demo, args);
    assert_eq!(
        run.code,
        code,
        "kshift {}: {}{}",
        args.join(" "),
        run.stdout,
        run.stderr
    );
    run
}

fn applied(demo: &Demo, args: &[&str]) -> Run {
    ended(demo, args, 0)
}

fn refused(demo: &Demo, args: &[&str]) -> Run {
    ended(demo, args, 3)
}

fn get(demo: &Demo, args: &[&str]) -> Value {
    let mut all = vec!["get"];
    all.extend_from_slice(args);
    all.extend(["-o", "json"]);
    serde_json::from_str(&demo.ok(&all)).expect("kubectl JSON")
}

fn weights(object: &Value, path: &[&str], list: &str) -> Vec<i64> {
    let found = path.iter().fold(object, |v, p| match p.parse::<usize>() {
        Ok(i) => &v[i],
        Err(_) => &v[*p],
    });
    found[list]
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["weight"].as_i64().unwrap_or(-1))
        .collect()
}

/// The showcase with every Deployment rolled out (actions refuse to send traffic to
/// versions without ready pods).
fn showcase_with(args: &[&str]) -> Option<Demo> {
    if !have_tool("kubectl") {
        return None;
    }
    let mut all = vec!["--scenario", "showcase", "--speed", "10"];
    all.extend_from_slice(args);
    let demo = Demo::start(&all);
    demo.rolled_out();
    Some(demo)
}

fn showcase() -> Option<Demo> {
    showcase_with(&[])
}

/// The Event and the annotation every applied action leaves.
fn assert_traced(demo: &Demo, namespace: &str, kind: &str, name: &str, reason: &str) {
    let object = get(demo, &[kind, name, "-n", namespace]);
    let record: Value = serde_json::from_str(
        object["metadata"]["annotations"]["kshift.dev/last-action"]
            .as_str()
            .expect("last-action annotation"),
    )
    .expect("JSON record");
    assert_eq!(record["user"], "kshift-demo");
    let events = demo.ok(&[
        "get",
        "events",
        "-n",
        namespace,
        "--field-selector",
        &format!("reason={reason},involvedObject.name={name}"),
        "-o",
        "jsonpath={.items[*].message}",
    ]);
    assert!(
        events.contains("by kshift-demo"),
        "no {reason} Event on {kind}/{name}: {events:?}"
    );
}

#[test]
fn istio_step_back_promote_rollback_pause_resume() {
    let Some(demo) = showcase() else { return };
    let vs = || {
        weights(
            &get(&demo, &["virtualservice", "reviews", "-n", "shop"]),
            &["spec", "http", "0"],
            "route",
        )
    };
    assert_eq!(vs(), [90, 10]);
    let preview = applied(&demo, &["step", "shop/reviews", "--dry-run"]);
    assert!(
        preview.stdout.contains("10 -> 25") && preview.stdout.contains("server dry run: ok"),
        "{}",
        preview.stdout
    );
    assert_eq!(vs(), [90, 10], "a dry run changes nothing");
    applied(&demo, &["step", "shop/reviews", "--yes"]);
    assert_eq!(vs(), [75, 25]);
    assert_traced(&demo, "shop", "virtualservice", "reviews", "KshiftStep");
    applied(&demo, &["back", "shop/reviews", "--yes"]);
    assert_eq!(vs(), [90, 10]);
    applied(&demo, &["promote", "shop/reviews", "--yes"]);
    assert_eq!(vs(), [0, 100]);
    refused(&demo, &["step", "shop/reviews", "--yes"]);
    applied(&demo, &["rollback", "shop/reviews", "--yes"]);
    assert_eq!(vs(), [100, 0]);
    assert_traced(&demo, "shop", "virtualservice", "reviews", "KshiftRollback");
    applied(&demo, &["pause", "shop/reviews", "--yes"]);
    let listed: Value =
        serde_json::from_str(&applied(&demo, &["list", "-o", "json", "-n", "shop"]).stdout)
            .unwrap();
    let reviews = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "reviews")
        .unwrap();
    assert_eq!(reviews["phase"], "Paused");
    applied(&demo, &["resume", "shop/reviews", "--yes"]);
    let run = refused(&demo, &["undo", "shop/reviews", "--yes"]);
    assert!(run.stderr.contains("refused"), "{}", run.stderr);
}

#[test]
fn gateway_nginx_and_smi_step() {
    let Some(demo) = showcase() else { return };
    applied(&demo, &["step", "search/autocomplete", "--yes"]);
    let route = get(&demo, &["httproute", "autocomplete", "-n", "search"]);
    assert_eq!(
        weights(&route, &["spec", "rules", "0"], "backendRefs"),
        [75, 25]
    );
    assert_traced(&demo, "search", "httproute", "autocomplete", "KshiftStep");

    applied(&demo, &["step", "shop/storefront", "--yes"]);
    let canary = get(&demo, &["ingress", "storefront-canary", "-n", "shop"]);
    assert_eq!(
        canary["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-weight"],
        "25"
    );

    applied(&demo, &["step", "notifications/notifier", "--yes"]);
    let split = get(&demo, &["trafficsplit", "notifier", "-n", "notifications"]);
    let backends = weights(&split, &["spec"], "backends");
    assert_eq!(backends.iter().sum::<i64>(), 100);
    assert!(backends.contains(&50), "{backends:?}");
}

#[test]
fn service_flip_and_rollback_and_replica_canary() {
    let Some(demo) = showcase() else { return };
    let color = || {
        get(&demo, &["service", "checkout", "-n", "shop"])["spec"]["selector"]["color"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(color(), "blue");
    refused(&demo, &["step", "shop/checkout", "--yes"]);
    applied(&demo, &["flip", "shop/checkout", "--yes"]);
    assert_eq!(color(), "green");
    assert_traced(&demo, "shop", "service", "checkout", "KshiftFlip");
    applied(&demo, &["rollback", "shop/checkout", "--yes"]);
    assert_eq!(color(), "blue");

    let replicas = |name: &str| {
        get(&demo, &["deployment", name, "-n", "search"])["spec"]["replicas"]
            .as_i64()
            .unwrap()
    };
    let total = replicas("search-stable") + replicas("search-canary");
    applied(&demo, &["rollback", "search/search", "--yes"]);
    assert_eq!(
        (replicas("search-stable"), replicas("search-canary")),
        (total, 0)
    );
}

#[test]
fn argo_and_flagger_send_what_their_tools_send() {
    let Some(demo) = showcase() else { return };
    let rollout = || get(&demo, &["rollout", "payments-api", "-n", "payments"]);
    assert!(rollout()["status"]["pauseConditions"].is_array());
    applied(&demo, &["step", "payments/payments-api", "--yes"]);
    assert!(
        rollout()["status"].get("pauseConditions").is_none(),
        "promote clears the pause conditions"
    );
    refused(&demo, &["back", "payments/payments-api", "--yes"]);
    applied(&demo, &["pause", "payments/payments-api", "--yes"]);
    assert_eq!(rollout()["spec"]["paused"], true);
    applied(
        &demo,
        &["promote", "--full", "payments/payments-api", "--yes"],
    );
    assert_eq!(rollout()["status"]["promoteFull"], true);
    applied(&demo, &["rollback", "payments/payments-api", "--yes"]);
    assert_eq!(rollout()["status"]["abort"], true);

    let canary = || {
        get(
            &demo,
            &["canary.flagger.app", "fraud-check", "-n", "payments"],
        )
    };
    applied(&demo, &["pause", "payments/fraud-check", "--yes"]);
    assert_eq!(canary()["spec"]["suspend"], true);
    applied(&demo, &["resume", "payments/fraud-check", "--yes"]);
    applied(&demo, &["promote", "payments/fraud-check", "--yes"]);
    assert_eq!(canary()["spec"]["skipAnalysis"], true);
    applied(&demo, &["rollback", "payments/fraud-check", "--yes"]);
    assert!(canary()["status"]["failedChecks"].as_i64().unwrap() >= 5);
    refused(&demo, &["step", "payments/fraud-check", "--yes"]);
}

#[test]
fn rolling_pause_resume_and_undo_like_kubectl() {
    let Some(demo) = showcase() else { return };
    demo.ok(&[
        "set",
        "image",
        "deployment/inventory",
        "-n",
        "shop",
        "app=ghcr.io/kshift-demo/inventory:9.9.9",
    ]);
    demo.ok(&[
        "rollout",
        "status",
        "deployment/inventory",
        "-n",
        "shop",
        "--timeout=60s",
    ]);
    applied(&demo, &["pause", "shop/inventory", "--yes"]);
    assert_eq!(
        get(&demo, &["deployment", "inventory", "-n", "shop"])["spec"]["paused"],
        true
    );
    let run = refused(&demo, &["undo", "shop/inventory", "--yes"]);
    assert!(run.stderr.contains("paused"), "{}", run.stderr);
    applied(&demo, &["resume", "shop/inventory", "--yes"]);
    applied(&demo, &["undo", "shop/inventory", "--yes"]);
    demo.ok(&[
        "rollout",
        "status",
        "deployment/inventory",
        "-n",
        "shop",
        "--timeout=60s",
    ]);
    let image = demo.ok(&[
        "get",
        "deployment",
        "inventory",
        "-n",
        "shop",
        "-o",
        "jsonpath={.spec.template.spec.containers[0].image}",
    ]);
    assert!(!image.contains("9.9.9"), "{image}");
    let history = demo.ok(&["rollout", "history", "deployment/inventory", "-n", "shop"]);
    assert!(
        history.contains('3'),
        "undo is a roll forward to a new revision: {history}"
    );
}

#[test]
fn read_only_denied_and_unconfirmed_actions_change_nothing() {
    let Some(demo) = showcase_with(&["--deny", "patch:networking.istio.io/virtualservices"]) else {
        return;
    };
    let before = get(&demo, &["virtualservice", "reviews", "-n", "shop"]);
    let run = refused(&demo, &["--readonly", "step", "shop/reviews", "--yes"]);
    assert!(run.stderr.contains("read-only"), "{}", run.stderr);
    let run = refused(&demo, &["step", "shop/reviews", "--yes"]);
    assert!(run.stderr.contains("forbidden"), "{}", run.stderr);
    let run = refused(&demo, &["step", "shop/storefront"]);
    assert!(run.stderr.contains("--yes"), "{}", run.stderr);
    let after = get(&demo, &["virtualservice", "reviews", "-n", "shop"]);
    assert_eq!(
        before["metadata"]["resourceVersion"],
        after["metadata"]["resourceVersion"]
    );
    let canary = get(&demo, &["ingress", "storefront-canary", "-n", "shop"]);
    assert_eq!(
        canary["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-weight"],
        "20"
    );
    assert_eq!(kshift(&demo, &["step", "nonsense"]).code, 2);
    assert_eq!(kshift(&demo, &["step", "shop/nothing", "--yes"]).code, 1);
    let json = applied(
        &demo,
        &["step", "shop/storefront", "--dry-run", "-o", "json"],
    );
    let parsed: Value = serde_json::from_str(json.stdout.trim()).expect("JSON output");
    assert_eq!(parsed["applied"], false);
    assert_eq!(parsed["dry_run"]["ok"], true);
}

#[test]
fn patched_objects_still_validate_against_their_crds() {
    if !have_tool("python3") {
        return;
    }
    let Some(demo) = showcase() else { return };
    for args in [
        ["step", "shop/reviews"],
        ["step", "search/autocomplete"],
        ["step", "notifications/notifier"],
        ["pause", "payments/payments-api"],
        ["promote", "payments/fraud-check"],
    ] {
        applied(&demo, &[args[0], args[1], "--yes"]);
    }
    // One YAML document per object (JSON is YAML), as the validator reads them.
    // The whole cluster as the validator checks a scenario: namespaces first, then every
    // object the routers point at, then the patched routers and controllers.
    let mut documents: Vec<String> = Vec::new();
    for kinds in [
        "namespaces",
        "services,deployments,replicasets,ingresses,destinationrules",
        "virtualservices,httproutes,trafficsplits,rollouts,canaries.flagger.app",
    ] {
        let listed = get(&demo, &[kinds, "-A"]);
        documents.extend(
            listed["items"]
                .as_array()
                .expect("items")
                .iter()
                .filter(|object| !made_by_the_control_plane(object))
                .map(Value::to_string),
        );
    }
    assert!(documents.len() >= 8, "{documents:?}");
    let file = demo.file("patched.yaml", &documents.join("\n---\n"));
    let root = env!("CARGO_MANIFEST_DIR");
    let output = std::process::Command::new("python3")
        .arg(format!("{root}/tests/tools/validate_manifests.py"))
        .arg(&file)
        .output()
        .expect("validator");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{printed}");
}

/// What a real control plane creates by itself (the `kubernetes` Service, the kube-*
/// namespaces' objects): not the scenario's, and not bound by the demo's rules.
fn made_by_the_control_plane(object: &Value) -> bool {
    let namespace = object["metadata"]["namespace"].as_str().unwrap_or_default();
    namespace.starts_with("kube-")
        || (namespace == "default"
            && object["kind"] == "Service"
            && object["metadata"]["name"] == "kubernetes")
}

#[test]
fn every_verb_on_every_release_applies_or_is_refused_with_a_reason() {
    let Some(demo) = showcase() else { return };
    let listed: Value =
        serde_json::from_str(&applied(&demo, &["list", "-o", "json"]).stdout).unwrap();
    let verbs = [
        "step", "back", "promote", "flip", "rollback", "pause", "resume", "undo",
    ];
    let mut outcomes = Vec::new();
    for release in listed.as_array().unwrap() {
        let key = format!(
            "{}/{}",
            release["namespace"].as_str().unwrap(),
            release["name"].as_str().unwrap()
        );
        for verb in verbs {
            let run = kshift(&demo, &[verb, &key, "--yes"]);
            assert!(
                run.code == 0 || run.code == 3,
                "{verb} {key} ended with {}: {}{}",
                run.code,
                run.stdout,
                run.stderr
            );
            if run.code == 3 {
                assert!(
                    run.stderr.trim().len() > "kshift: refused: ".len(),
                    "{verb} {key}: a refusal says why: {}",
                    run.stderr
                );
            }
            outcomes.push(format!(
                "{verb} {key}: {}",
                if run.code == 0 { "applied" } else { "refused" }
            ));
        }
    }
    let applied_count = outcomes.iter().filter(|o| o.ends_with("applied")).count();
    assert!(
        applied_count >= 30,
        "too few actions applied:\n{}",
        outcomes.join("\n")
    );
    // Whatever was done, every release is still recognised.
    let after: Value =
        serde_json::from_str(&applied(&demo, &["list", "-o", "json"]).stdout).unwrap();
    assert_eq!(
        after.as_array().unwrap().len(),
        listed.as_array().unwrap().len()
    );
}
