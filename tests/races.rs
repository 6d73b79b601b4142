//! Two operators at once: every pair of verbs whose plans have several patches, run
//! at the same time as two `kshift` processes, many rounds. The release must end in a
//! state that one of them, or both one after the other, would have left (never half of
//! a plan), and what each process says must match what happened.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};

use common::{Demo, have_tool};

/// The replica canary of the showcase: stable 4 replicas, canary 1.
const NAMESPACE: &str = "search";
const RELEASE: &str = "search/search";
const DEPLOYMENTS: [&str; 2] = ["search-stable", "search-canary"];
const START: [i64; 2] = [4, 1];
/// The verbs whose plans scale both Deployments (promote-full is promote here).
const VERBS: [&str; 4] = ["step", "back", "promote", "rollback"];
/// Which Deployment each verb scales up first: two verbs that grow different sides
/// each get their first patch in, and only they can leave half a plan.
const GROWS_FIRST: [usize; 4] = [1, 0, 1, 0];

type State = [i64; 2];

fn rounds() -> usize {
    std::env::var("KSHIFT_RACE_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(6)
}

/// Desired and ready replicas of both Deployments.
fn read(demo: &Demo) -> (State, State) {
    let text = demo.ok(&["get", "deployments", "-n", NAMESPACE, "-o", "json"]);
    let list: serde_json::Value = serde_json::from_str(&text).expect("JSON");
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

/// Both Deployments back to the start, and ready (verbs refuse versions without ready
/// pods).
fn reset(demo: &Demo) {
    for (name, replicas) in DEPLOYMENTS.iter().zip(START) {
        demo.ok(&[
            "scale",
            "deployment",
            name,
            "-n",
            NAMESPACE,
            &format!("--replicas={replicas}"),
        ]);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while read(demo) != (START, START) {
        assert!(
            std::time::Instant::now() < deadline,
            "not reset: {:?}",
            read(demo)
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn run(demo: &Demo, verb: &str) -> i32 {
    let run = demo.kshift(&[verb, RELEASE, "--yes"]);
    assert!(
        run.code == 0 || run.code == 3,
        "{verb}: {}{}",
        run.stdout,
        run.stderr
    );
    run.code
}

/// Where each verb alone, and each pair one after the other, leaves the release.
fn legal_states(demo: &Demo) -> BTreeMap<(usize, usize), BTreeSet<State>> {
    let mut after_one = Vec::new();
    for verb in VERBS {
        reset(demo);
        run(demo, verb);
        after_one.push(read(demo).0);
    }
    let mut legal = BTreeMap::new();
    for a in 0..VERBS.len() {
        for b in a..VERBS.len() {
            let mut states = BTreeSet::from([START, after_one[a], after_one[b]]);
            for (first, second) in [(a, b), (b, a)] {
                reset(demo);
                run(demo, VERBS[first]);
                // The second plans from what the first left, once its pods are ready.
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
                while read(demo).0 != read(demo).1 && std::time::Instant::now() < deadline {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                run(demo, VERBS[second]);
                states.insert(read(demo).0);
            }
            legal.insert((a, b), states);
        }
    }
    legal
}

#[test]
fn two_verbs_at_once_never_leave_half_a_plan() {
    if !have_tool("kubectl") {
        return;
    }
    let demo = Demo::start(&["--scenario", "showcase", "--speed", "20"]);
    demo.rolled_out();
    let legal = legal_states(&demo);
    let mut wrong = Vec::new();
    let mut undone = 0;
    let mut total = 0;
    for (&(a, b), states) in &legal {
        let rounds = if GROWS_FIRST[a] == GROWS_FIRST[b] {
            rounds()
        } else {
            rounds() * 3
        };
        for _ in 0..rounds {
            reset(&demo);
            let spawn = |verb: &str| {
                Command::new(env!("CARGO_BIN_EXE_kshift"))
                    .env("KUBECONFIG", &demo.kubeconfig)
                    .env_remove("RUST_BACKTRACE")
                    .args([verb, RELEASE, "--yes"])
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("run kshift")
            };
            let (first, second) = (spawn(VERBS[a]), spawn(VERBS[b]));
            let outputs = [
                first.wait_with_output().expect("kshift ran"),
                second.wait_with_output().expect("kshift ran"),
            ];
            total += 1;
            let state = read(&demo).0;
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
                "{} & {}: replicas {state:?} (legal: {states:?}), exit codes {codes:?}: {}",
                VERBS[a],
                VERBS[b],
                said.join(" | ")
            );
            if !states.contains(&state) {
                wrong.push(format!("half-applied: {round}"));
            } else if codes.iter().any(|c| *c != 0 && *c != 3) {
                wrong.push(format!("neither applied nor refused: {round}"));
            } else if codes == [3, 3] && state != START {
                wrong.push(format!("both refused, yet the release moved: {round}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {total} rounds:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    eprintln!("{total} rounds, all legal; {undone} plans put back after a later refusal");
}
