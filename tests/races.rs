//! Two operators at once: every pair of verbs whose plans have several patches, run
//! at the same time as two `kshift` processes, many rounds, on every kind whose plans
//! have several patches (a replica canary: two scales; an Argo Rollout paused by its
//! spec: a status patch, then the unpause). The release must end in a state that one
//! of them, or both one after the other, would have left (never half of a plan), and
//! what each process says must match what happened.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Demo, have_tool};
use serde_json::{Value, json};

fn rounds() -> usize {
    std::env::var("KSHIFT_RACE_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(6)
}

/// A release to race on: how to put it back where it started and read its state.
trait Subject {
    fn release(&self) -> &str;
    fn verbs(&self) -> &[&'static str];
    /// Back to the start, ready for any verb.
    fn reset(&self, demo: &Demo);
    /// Ready for the next verb after one was applied (pods started).
    fn settle(&self, _demo: &Demo) {}
    /// What the verbs change, as comparable text.
    fn state(&self, demo: &Demo) -> String;
    /// Rounds for a pair: more where half a plan can happen.
    fn rounds(&self, a: usize, b: usize) -> usize;
}

/// The showcase's replica canary: stable 4 replicas, canary 1.
struct Replicas;

const DEPLOYMENTS: [&str; 2] = ["search-stable", "search-canary"];
const START: [i64; 2] = [4, 1];

/// Desired and ready replicas of both Deployments.
fn replicas(demo: &Demo) -> ([i64; 2], [i64; 2]) {
    let text = demo.ok(&["get", "deployments", "-n", "search", "-o", "json"]);
    let list: Value = serde_json::from_str(&text).expect("JSON");
    let mut desired = [0; 2];
    let mut ready = [0; 2];
    for item in list["items"].as_array().expect("items") {
        if let Some(i) = DEPLOYMENTS
            .iter()
            .position(|d| item["metadata"]["name"] == *d)
        {
            desired[i] = item["spec"]["replicas"].as_i64().unwrap_or(1);
            ready[i] = item["status"]["readyReplicas"].as_i64().unwrap_or(0);
        }
    }
    (desired, ready)
}

fn wait(what: &str, check: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check() {
        assert!(Instant::now() < deadline, "{what}: not within 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Subject for Replicas {
    fn release(&self) -> &str {
        "search/search"
    }
    fn verbs(&self) -> &[&'static str] {
        &["step", "back", "promote", "rollback"]
    }
    fn reset(&self, demo: &Demo) {
        for (name, count) in DEPLOYMENTS.iter().zip(START) {
            demo.ok(&[
                "scale",
                "deployment",
                name,
                "-n",
                "search",
                &format!("--replicas={count}"),
            ]);
        }
        wait("reset", || replicas(demo) == (START, START));
    }
    fn settle(&self, demo: &Demo) {
        wait("pods ready", || {
            let (desired, ready) = replicas(demo);
            desired == ready
        });
    }
    fn state(&self, demo: &Demo) -> String {
        format!("{:?}", replicas(demo).0)
    }
    fn rounds(&self, a: usize, b: usize) -> usize {
        // Step and promote scale the canary up first, back and rollback the stable:
        // two verbs that grow different sides each get their first patch in.
        let canary_first = |v: usize| v == 0 || v == 2;
        if canary_first(a) == canary_first(b) {
            rounds()
        } else {
            rounds() * 3
        }
    }
}

/// The showcase's Argo canary at its pause step, paused by its spec too: step,
/// promote and resume clear the pause condition, then unpause the spec.
struct Argo {
    /// The Rollout as it starts, for `kubectl replace` (spec and status).
    file: String,
}

impl Argo {
    fn new(demo: &Demo) -> Argo {
        demo.ok(&[
            "patch",
            "rollout",
            "payments-api",
            "-n",
            "payments",
            "--type=merge",
            "-p",
            r#"{"spec":{"paused":true}}"#,
        ]);
        let text = demo.ok(&[
            "get",
            "rollout",
            "payments-api",
            "-n",
            "payments",
            "-o",
            "json",
        ]);
        let mut rollout: Value = serde_json::from_str(&text).expect("JSON");
        if let Some(meta) = rollout["metadata"].as_object_mut() {
            meta.remove("resourceVersion");
        }
        Argo {
            file: demo.file("rollout.json", &rollout.to_string()),
        }
    }
}

impl Subject for Argo {
    fn release(&self) -> &str {
        "payments/payments-api"
    }
    fn verbs(&self) -> &[&'static str] {
        // Resume plans as step does (the pause condition, then the unpause).
        &["step", "promote-full", "rollback", "undo"]
    }
    fn reset(&self, demo: &Demo) {
        demo.ok(&["replace", "-f", &self.file]);
        demo.ok(&["replace", "--subresource=status", "-f", &self.file]);
    }
    fn state(&self, demo: &Demo) -> String {
        let text = demo.ok(&[
            "get",
            "rollout",
            "payments-api",
            "-n",
            "payments",
            "-o",
            "json",
        ]);
        let r: Value = serde_json::from_str(&text).expect("JSON");
        json!({
            "paused": r["spec"]["paused"],
            "template": r["spec"]["template"],
            "abort": r["status"]["abort"],
            "pauseConditions": r["status"]["pauseConditions"],
            "controllerPause": r["status"]["controllerPause"],
            "currentStepIndex": r["status"]["currentStepIndex"],
            "promoteFull": r["status"]["promoteFull"],
        })
        .to_string()
    }
    fn rounds(&self, _a: usize, _b: usize) -> usize {
        rounds().div_ceil(3)
    }
}

/// `promote-full` is `promote --full`.
fn args<'a>(verb: &'a str, release: &'a str) -> Vec<&'a str> {
    match verb {
        "promote-full" => vec!["promote", "--full", release, "--yes"],
        _ => vec![verb, release, "--yes"],
    }
}

fn spawn(demo: &Demo, verb: &str, release: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_kshift"))
        .env("KUBECONFIG", &demo.kubeconfig)
        .env_remove("RUST_BACKTRACE")
        .args(args(verb, release))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kshift")
}

fn run(demo: &Demo, subject: &dyn Subject, verb: &str) {
    let output = spawn(demo, verb, subject.release())
        .wait_with_output()
        .expect("kshift ran");
    let code = output.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 3,
        "{verb}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Where each verb alone, and each pair one after the other, leaves the release.
fn legal_states(demo: &Demo, subject: &dyn Subject) -> BTreeMap<(usize, usize), BTreeSet<String>> {
    subject.reset(demo);
    let start = subject.state(demo);
    let verbs = subject.verbs();
    let mut after_one = Vec::new();
    for verb in verbs {
        subject.reset(demo);
        run(demo, subject, verb);
        after_one.push(subject.state(demo));
    }
    let mut legal = BTreeMap::new();
    for a in 0..verbs.len() {
        for b in a..verbs.len() {
            let mut states =
                BTreeSet::from([start.clone(), after_one[a].clone(), after_one[b].clone()]);
            for (first, second) in [(a, b), (b, a)] {
                subject.reset(demo);
                run(demo, subject, verbs[first]);
                subject.settle(demo);
                run(demo, subject, verbs[second]);
                states.insert(subject.state(demo));
            }
            legal.insert((a, b), states);
        }
    }
    legal
}

/// Races every pair; what went wrong, in words, and the number of rounds.
fn race(demo: &Demo, subject: &dyn Subject) -> (Vec<String>, usize, usize) {
    let legal = legal_states(demo, subject);
    subject.reset(demo);
    let start = subject.state(demo);
    let verbs = subject.verbs();
    let (mut wrong, mut total, mut undone) = (Vec::new(), 0, 0);
    for (&(a, b), states) in &legal {
        for _ in 0..subject.rounds(a, b) {
            subject.reset(demo);
            let (first, second) = (
                spawn(demo, verbs[a], subject.release()),
                spawn(demo, verbs[b], subject.release()),
            );
            let outputs = [
                first.wait_with_output().expect("kshift ran"),
                second.wait_with_output().expect("kshift ran"),
            ];
            total += 1;
            let state = subject.state(demo);
            let said: Vec<String> = outputs
                .iter()
                .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                .collect();
            let codes: Vec<i32> = outputs
                .iter()
                .map(|o| o.status.code().unwrap_or(-1))
                .collect();
            undone += said.iter().filter(|s| s.contains("then undone")).count();
            let round = format!(
                "{} {} & {}: {state} (legal: {states:?}), exit codes {codes:?}: {}",
                subject.release(),
                verbs[a],
                verbs[b],
                said.join(" | ")
            );
            if !states.contains(&state) {
                wrong.push(format!("half-applied: {round}"));
            } else if codes.iter().any(|c| *c != 0 && *c != 3) {
                wrong.push(format!("neither applied nor refused: {round}"));
            } else if codes == [3, 3] && state != start {
                wrong.push(format!("both refused, yet the release moved: {round}"));
            }
        }
    }
    (wrong, total, undone)
}

#[test]
fn two_verbs_at_once_never_leave_half_a_plan() {
    if !have_tool("kubectl") {
        return;
    }
    let demo = Demo::start(&["--scenario", "showcase", "--speed", "20"]);
    demo.rolled_out();
    let argo = Argo::new(&demo);
    let mut wrong = Vec::new();
    let mut rounds = 0;
    for subject in [&Replicas as &dyn Subject, &argo] {
        let (found, total, undone) = race(&demo, subject);
        eprintln!(
            "{}: {total} rounds, {} wrong; {undone} plans put back after a later refusal",
            subject.release(),
            found.len()
        );
        wrong.extend(found);
        rounds += total;
    }
    assert!(
        wrong.is_empty(),
        "{} of {rounds} rounds:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
