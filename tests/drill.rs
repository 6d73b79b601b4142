//! The incident drill: `kshift demo` with a failing canary, at 200x50 and 80x24.
//! From launch, the failing release must be on top and selected, and two keys (`a`,
//! `y`) roll it back: kubectl sees all traffic on stable. The seconds each step took
//! are printed for the README's figures (never asserted: speed is for benchmarks).

mod common;

use std::process::Command;
use std::time::Instant;

use common::{Tmux, have_tool};

/// (scenario, release, its VirtualService's namespace, width, height).
const DRILLS: &[(&str, &str, &str, u16, u16)] = &[
    ("bad-canary", "orders", "orders", 200, 50),
    ("showcase", "recommendations", "shop", 80, 24),
];

fn weights(kubeconfig: &str, namespace: &str, name: &str) -> String {
    let output = Command::new("kubectl")
        .args(["--kubeconfig", kubeconfig, "get", "virtualservice", name])
        .args([
            "-n",
            namespace,
            "-o",
            "jsonpath={.spec.http[0].route[*].weight}",
        ])
        .output()
        .expect("run kubectl");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

#[test]
fn a_failing_canary_is_on_top_selected_and_rolled_back_in_two_keys() {
    if !have_tool("tmux") || !have_tool("kubectl") {
        return;
    }
    for &(scenario, release, namespace, width, height) in DRILLS {
        let dir = tempfile::tempdir().expect("temp dir");
        let kubeconfig = dir.path().join("kc").display().to_string();
        let command = format!(
            "sh -c '{} demo --scenario {scenario} --serve 127.0.0.1:0 --kubeconfig-out {kubeconfig}; echo exit=$?; sleep 60'",
            env!("CARGO_BIN_EXE_kshift")
        );
        let launched = Instant::now();
        let tmux = Tmux::start(&command, width, height);
        let what = format!("{release} failing, on top and selected ({scenario}, {width}x{height})");
        let screen = tmux.wait_for(60, &what, |s| {
            let first = s
                .lines()
                .skip_while(|l| !l.contains("NAME"))
                .nth(1)
                .unwrap_or_default();
            first.contains(release)
                && first.trim_start_matches('│').starts_with('>')
                && (first.contains("failing") || first.contains("FAIL"))
        });
        let on_top = launched.elapsed();
        tmux.keys(&["a"]);
        tmux.wait_for(30, "the rollback's preview", |s| {
            s.contains("server dry run")
        });
        tmux.keys(&["y"]);
        let deadline = Instant::now() + std::time::Duration::from_secs(20);
        let stable_first = |w: &str| w.split(' ').next() == Some("100");
        while !stable_first(&weights(&kubeconfig, namespace, release)) {
            assert!(
                Instant::now() < deadline,
                "{release} not rolled back: {}\n{screen}",
                weights(&kubeconfig, namespace, release)
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let rolled_back = launched.elapsed();
        let after = weights(&kubeconfig, namespace, release);
        assert!(
            after.split(' ').skip(1).all(|w| w == "0"),
            "{release}: {after}"
        );
        eprintln!(
            "drill {scenario} {width}x{height}: {release} failing on top and selected {:.1}s \
             after launch; keys a y; kubectl sees {after} {:.1}s after launch",
            on_top.as_secs_f64(),
            rolled_back.as_secs_f64()
        );
        tmux.keys(&["q"]);
        tmux.wait_for(10, "a clean exit", |s| s.contains("exit=0"));
    }
}
