//! The autopilot end to end: `kshift autopilot NS/RELEASE --yes` against
//! `kshift demo --serve`, judged on a real Prometheus scraping the demo's `/metrics`,
//! every result checked with the real kubectl.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Demo, Tmux, have_tool, scraped_showcase};

/// A running `kshift autopilot`, its output going to files of the demo's folder.
struct Pilot {
    child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

struct Finished {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Pilot {
    fn start(demo: &Demo, label: &str, args: &[&str]) -> Pilot {
        let stdout = demo.dir.path().join(format!("{label}.out"));
        let stderr = demo.dir.path().join(format!("{label}.err"));
        let child = Command::new(env!("CARGO_BIN_EXE_kshift"))
            .env("KUBECONFIG", &demo.kubeconfig)
            .env_remove("RUST_BACKTRACE")
            .arg("autopilot")
            .args(args)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).expect("stdout file"))
            .stderr(std::fs::File::create(&stderr).expect("stderr file"))
            .spawn()
            .expect("start kshift autopilot");
        Pilot {
            child,
            stdout,
            stderr,
        }
    }

    fn output(&self) -> (String, String) {
        (
            std::fs::read_to_string(&self.stdout).unwrap_or_default(),
            std::fs::read_to_string(&self.stderr).unwrap_or_default(),
        )
    }

    /// Waits for it to exit; fails the test (and kills it) after `seconds`.
    fn wait(mut self, seconds: u64) -> Finished {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                let (stdout, stderr) = self.output();
                return Finished {
                    code: status.code().unwrap_or(-1),
                    stdout,
                    stderr,
                };
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let (stdout, stderr) = self.output();
                panic!("the autopilot did not finish in {seconds}s:\n{stdout}{stderr}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Sends it a signal by name (`INT`, `TERM`) and waits for it to exit.
    fn signal(self, name: &str) -> Finished {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
        self.wait(20)
    }

    /// Waits until its stdout has `count` lines (decisions).
    fn decisions(&self, count: usize, seconds: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        loop {
            let (stdout, stderr) = self.output();
            if stdout.lines().count() >= count {
                return stdout;
            }
            assert!(
                Instant::now() < deadline,
                "fewer than {count} decisions in {seconds}s:\n{stdout}{stderr}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Pilot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every 5 s over a 15 s window, one failing verdict to roll back, `healthy` to step.
fn fast<'a>(prometheus: &'a str, healthy: &'a str) -> Vec<&'a str> {
    vec![
        "shop/reviews",
        "--interval",
        "5s",
        "--healthy-intervals",
        healthy,
        "--failing-intervals",
        "1",
        "--window",
        "15s",
        "--prometheus",
        prometheus,
        "--yes",
    ]
}

fn events(demo: &Demo, reason: &str) -> String {
    demo.ok(&[
        "get",
        "events",
        "-n",
        "shop",
        "--field-selector",
        &format!("reason={reason},involvedObject.name=reviews"),
        "-o",
        "jsonpath={.items[*].message}",
    ])
}

/// The lease is gone once the autopilot has exited.
fn assert_no_lease(demo: &Demo) {
    let stderr = demo.fails(&["get", "lease", "kshift-autopilot-reviews", "-n", "shop"]);
    assert!(
        stderr.contains("NotFound") || stderr.contains("not found"),
        "{stderr}"
    );
}

#[test]
fn a_healthy_canary_is_stepped_to_100_percent() {
    let Some((demo, prometheus)) = scraped_showcase() else {
        return;
    };
    assert_eq!(demo.route_weights("reviews"), "90 10");
    let started = Instant::now();
    let run = Pilot::start(&demo, "healthy", &fast(&prometheus.url, "1")).wait(90);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(demo.route_weights("reviews"), "0 100");
    let lines: Vec<&str> = run.stdout.lines().collect();
    let steps: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains(" step weight "))
        .collect();
    assert_eq!(steps.len(), 3, "10 -> 25 -> 50 -> 100:\n{}", run.stdout);
    assert!(
        steps
            .iter()
            .all(|l| l.contains(" shop/reviews healthy step ")),
        "{}",
        run.stdout
    );
    let last = lines.last().expect("a decision");
    assert!(
        last.contains("promoted weight 100% healthy 0/1 failing 0/1:"),
        "{last}"
    );
    let messages = events(&demo, "KshiftAutopilotStep");
    assert!(
        messages.contains("autopilot verdict healthy: canary errors"),
        "{messages}"
    );
    assert_no_lease(&demo);
    eprintln!(
        "promoted 10% -> 100% in {:.1}s:\n{}",
        started.elapsed().as_secs_f64(),
        run.stdout
    );
}

#[test]
fn a_canary_with_errors_is_rolled_back() {
    let Some((demo, prometheus)) = scraped_showcase() else {
        return;
    };
    demo.ok(&[
        "annotate",
        "deployment",
        "reviews-v2",
        "-n",
        "shop",
        "demo.kshift.dev/error-rate=0.25",
    ]);
    // Errors in the window before it starts, so that its first verdict sees them.
    let deadline = Instant::now() + Duration::from_secs(30);
    let query = "sum(rate(istio_requests_total{destination_workload=\"reviews-v2\",response_code=~\"5..\"}[15s])) / sum(rate(istio_requests_total{destination_workload=\"reviews-v2\"}[15s]))";
    while prometheus.value(query).is_none_or(|r| r < 0.1) {
        assert!(Instant::now() < deadline, "no errors in Prometheus");
        std::thread::sleep(Duration::from_millis(500));
    }
    let run = Pilot::start(&demo, "failing", &fast(&prometheus.url, "1")).wait(60);
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert_eq!(demo.route_weights("reviews"), "100 0");
    assert!(
        run.stdout.contains(
            " shop/reviews failing rollback weight 10% healthy 0/1 failing 1/1: rollback "
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("rolled back shop/reviews: canary errors"),
        "{}",
        run.stderr
    );
    let messages = events(&demo, "KshiftAutopilotRollback");
    assert!(
        messages.contains("autopilot verdict failing: canary errors"),
        "{messages}"
    );
    assert_no_lease(&demo);
    eprintln!("{}", run.stdout);
}

/// A canary at 0 % gets no request: its series is there (at a rate of 0), so the
/// verdict is inconclusive, never healthy, and the autopilot holds.
#[test]
fn a_canary_without_traffic_stays_put() {
    let Some((demo, prometheus)) = scraped_showcase() else {
        return;
    };
    demo.ok(&[
        "patch",
        "virtualservice",
        "reviews",
        "-n",
        "shop",
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/spec/http/0/route/0/weight","value":100},{"op":"replace","path":"/spec/http/0/route/1/weight","value":0}]"#,
    ]);
    let pilot = Pilot::start(&demo, "idle", &fast(&prometheus.url, "1"));
    let stdout = pilot.decisions(4, 40);
    let run = pilot.signal("INT");
    assert_eq!(run.code, 130, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("stopped by SIGINT"), "{}", run.stderr);
    for line in stdout.lines() {
        assert!(
            line.contains(
                " shop/reviews inconclusive hold weight 0% healthy 0/1 failing 0/1: inconclusive ("
            ),
            "{stdout}"
        );
    }
    assert_eq!(demo.route_weights("reviews"), "100 0");
    assert_no_lease(&demo);
    eprintln!("{stdout}");
}

#[test]
fn a_second_autopilot_on_the_same_release_is_refused() {
    let Some((demo, prometheus)) = scraped_showcase() else {
        return;
    };
    // Never steps: a hundred healthy verdicts needed.
    let first = Pilot::start(&demo, "first", &fast(&prometheus.url, "100"));
    first.decisions(1, 30);
    let holder = lease(&demo, "{.spec.holderIdentity} {.spec.leaseDurationSeconds}")
        .expect("the first autopilot's Lease");
    let renewed = || lease(&demo, "{.spec.renewTime}").expect("the Lease");
    let renewed_first = renewed();
    first.decisions(2, 20);
    assert_ne!(renewed(), renewed_first, "renewed every interval");
    let pid = first.child.id();
    assert!(holder.starts_with("kshift-demo@"), "{holder}");
    assert!(holder.ends_with(&format!("/{pid} 15")), "{holder}");
    let identity = holder.split(' ').next().unwrap_or_default().to_string();

    let second = Pilot::start(&demo, "second", &fast(&prometheus.url, "1")).wait(30);
    assert_eq!(second.code, 3, "{}{}", second.stdout, second.stderr);
    assert!(second.stdout.is_empty(), "{}", second.stdout);
    assert!(
        second.stderr.contains(&format!(
            "another autopilot drives this release: Lease kshift-autopilot-reviews is held by {identity}"
        )),
        "{}",
        second.stderr
    );
    // Still the first's, untouched by the refusal.
    assert_eq!(lease_holder(&demo), Some(identity));

    let stopped = first.signal("TERM");
    assert_eq!(stopped.code, 143, "{}{}", stopped.stdout, stopped.stderr);
    assert_no_lease(&demo);
    assert_eq!(demo.route_weights("reviews"), "90 10");
}

#[test]
fn refusals_and_errors_before_driving_and_holding_without_metrics() {
    if !have_tool("kubectl") {
        return;
    }
    let demo = Demo::start(&["--scenario", "showcase", "--speed", "10"]);
    let run = |label: &str, args: &[&str]| Pilot::start(&demo, label, args).wait(30);

    let no_prometheus = run("no-prometheus", &["shop/reviews", "--yes"]);
    assert_eq!(no_prometheus.code, 1, "{}", no_prometheus.stderr);
    assert!(
        no_prometheus
            .stderr
            .contains("the autopilot needs --prometheus"),
        "{}",
        no_prometheus.stderr
    );

    // A closed port: Prometheus is down.
    let down = "http://127.0.0.1:1";
    let no_terminal = run("no-yes", &["shop/reviews", "--prometheus", down]);
    assert_eq!(no_terminal.code, 3, "{}", no_terminal.stderr);
    assert!(
        no_terminal.stderr.contains("pass --yes"),
        "{}",
        no_terminal.stderr
    );

    let missing = run("missing", &["shop/nothing", "--prometheus", down, "--yes"]);
    assert_eq!(missing.code, 1, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("no release shop/nothing"),
        "{}",
        missing.stderr
    );

    let readonly = run(
        "readonly",
        &["shop/reviews", "--prometheus", down, "--yes", "--readonly"],
    );
    assert_eq!(readonly.code, 3, "{}", readonly.stderr);

    // No metrics at all: inconclusive, with the reason, and nothing moves.
    let pilot = Pilot::start(
        &demo,
        "down",
        &[
            "shop/reviews",
            "--interval",
            "1s",
            "--prometheus",
            down,
            "--yes",
        ],
    );
    let stdout = pilot.decisions(2, 30);
    let stopped = pilot.signal("TERM");
    assert_eq!(stopped.code, 143, "{}", stopped.stderr);
    for line in stdout.lines() {
        assert!(
            line.contains(" shop/reviews inconclusive hold weight 10% healthy 0/3 failing 0/2: "),
            "{stdout}"
        );
        assert!(line.contains("; metrics: "), "{stdout}");
    }
    assert_eq!(demo.route_weights("reviews"), "90 10");
    assert_no_lease(&demo);
}

/// A JSONPath of reviews' autopilot Lease, or `None` when there is no Lease.
fn lease(demo: &Demo, path: &str) -> Option<String> {
    let out = demo.kubectl(&[
        "get",
        "lease",
        "kshift-autopilot-reviews",
        "-n",
        "shop",
        "-o",
        &format!("jsonpath={path}"),
    ]);
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The Lease's holder, or `None` when there is no Lease.
fn lease_holder(demo: &Demo) -> Option<String> {
    lease(demo, "{.spec.holderIdentity}")
}

/// The console's autopilot, end to end: asked in the popup, driving the release with
/// its Lease held, a headless one refused meanwhile, stopped with the key (Lease
/// released, weights left where they were), another's autopilot shown with its holder,
/// and a running one stopped by quitting.
#[test]
fn the_console_drives_a_release_and_shows_who_else_does() {
    if !have_tool("tmux") {
        return;
    }
    let Some((demo, prometheus)) = scraped_showcase() else {
        return;
    };
    let config = demo.file(
        "console.toml",
        "[autopilot]\ninterval = \"3s\"\nhealthy_intervals = 1\nfailing_intervals = 1\n\
         [metrics]\nwindow = \"15s\"\n",
    );
    let command = demo.console(&format!(
        "--prometheus {} --config {config} -n shop",
        prometheus.url
    ));
    let tmux = Tmux::start(&command, 160, 45);
    tmux.wait_for(30, "the release list", |s| s.contains("reviews"));
    tmux.type_text("/reviews");
    tmux.keys(&["Enter"]);
    tmux.wait_for(30, "the filtered list with a verdict", |s| {
        s.contains("VERDICT") && !s.contains("checkout")
    });
    tmux.keys(&["A"]);
    let asked = tmux.wait_for(10, "the question", |s| {
        s.contains("start the autopilot on shop/reviews?")
    });
    assert!(
        asked.contains("after 1 healthy verdict(s) in a row"),
        "{asked}"
    );
    assert_eq!(lease_holder(&demo), None, "nothing starts before the yes");
    tmux.keys(&["y"]);
    tmux.wait_for(20, "the autopilot driving", |s| s.contains("driving it as"));
    let holder = lease_holder(&demo).expect("the console holds the Lease");
    assert!(holder.contains('@') && holder.contains('/'), "{holder}");
    // A headless autopilot on the same release is refused and names the console.
    let second = Pilot::start(&demo, "second", &fast(&prometheus.url, "1")).wait(30);
    assert_eq!(second.code, 3, "{}{}", second.stdout, second.stderr);
    assert!(second.stderr.contains(&holder), "{}", second.stderr);
    // Healthy: it steps forward on its own.
    let deadline = Instant::now() + Duration::from_secs(60);
    while demo.route_weights("reviews") == "90 10" {
        assert!(Instant::now() < deadline, "no step in 60s");
        std::thread::sleep(Duration::from_millis(500));
    }
    let stepped = tmux.wait_for(20, "a step in the row", |s| s.contains("% step"));
    eprintln!("{stepped}");
    tmux.keys(&["A"]);
    tmux.wait_for(30, "the autopilot stopped", |s| {
        s.contains("autopilot on shop/reviews: stopped")
    });
    assert_eq!(lease_holder(&demo), None, "the Lease is released");
    let stopped_at = demo.route_weights("reviews");
    std::thread::sleep(Duration::from_secs(7));
    assert_eq!(
        demo.route_weights("reviews"),
        stopped_at,
        "no step after the stop"
    );
    // Another autopilot (headless, never stepping) shows with its holder, and the key
    // is refused while it holds the Lease.
    let other = Pilot::start(&demo, "other", &fast(&prometheus.url, "100"));
    other.decisions(1, 30);
    let other_holder = lease_holder(&demo).expect("the headless autopilot's Lease");
    let user = other_holder
        .split('@')
        .next()
        .unwrap_or_default()
        .to_string();
    tmux.wait_for(20, "the other holder in the row", |s| {
        s.contains(&format!("by {user}@"))
    });
    tmux.keys(&["A"]);
    tmux.wait_for(10, "the refusal", |s| {
        s.contains("another autopilot drives it")
    });
    let run = other.signal("INT");
    assert_eq!(run.code, 130, "{}{}", run.stdout, run.stderr);
    // Quitting stops a running autopilot and releases its Lease.
    tmux.wait_for(20, "the Lease gone from the row", |s| {
        !s.contains(&format!("by {user}@"))
    });
    tmux.keys(&["A"]);
    tmux.wait_for(10, "the question again", |s| {
        s.contains("start the autopilot")
    });
    tmux.keys(&["y"]);
    tmux.wait_for(20, "the autopilot driving again", |s| {
        s.contains("driving it as")
    });
    assert!(lease_holder(&demo).is_some());
    tmux.keys(&["q"]);
    tmux.wait_for(30, "a clean exit", |s| s.contains("exit=0"));
    assert_eq!(lease_holder(&demo), None, "quitting released the Lease");
}

/// `--max-weight 40`: a step that would pass it stops at it, and the run ends there.
#[test]
fn the_maximum_weight_ends_the_run_where_it_says() {
    let Some((demo, prometheus)) = scraped_showcase() else {
        return;
    };
    let mut args = fast(&prometheus.url, "1");
    args.extend(["--max-weight", "40"]);
    let run = Pilot::start(&demo, "capped", &args).wait(60);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        demo.route_weights("reviews"),
        "60 40",
        "10 -> 25 -> 40, not 50:\n{}",
        run.stdout
    );
    let last = run.stdout.lines().last().unwrap_or_default();
    assert!(
        last.contains("promoted weight 40%") && last.contains("the maximum weight 40%"),
        "{last}"
    );
}

/// A log reader that is gone (`kshift autopilot … | head -1`) does not stop the
/// autopilot: it carries on and ends as it would have (here promoted at once, the
/// canary being at the maximum weight already).
#[test]
fn a_closed_log_does_not_stop_the_autopilot() {
    let Some((demo, prometheus)) = scraped_showcase() else {
        return;
    };
    let mut args = fast(&prometheus.url, "1");
    args.extend(["--max-weight", "10"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_kshift"))
        .env("KUBECONFIG", &demo.kubeconfig)
        .env_remove("RUST_BACKTRACE")
        .arg("autopilot")
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kshift autopilot");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_no_lease(&demo);
}
