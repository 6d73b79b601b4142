//! The console end to end: the real binary in tmux against `kshift demo --serve`,
//! driven with send-keys and read with capture-pane.

mod common;

use common::{Demo, Tmux, cooked, have_tool, scraped_showcase, silent_server, stty};

#[test]
fn filter_detail_and_escapes_never_reach_the_terminal() {
    if !have_tool("tmux") || !have_tool("kubectl") {
        return;
    }
    let demo = Demo::start(&["--scenario", "showcase"]);
    // An OSC "set window title" sequence hidden in an annotation the detail view shows.
    demo.ok(&[
        "annotate",
        "deployment",
        "inventory",
        "-n",
        "shop",
        "--overwrite",
        "kubernetes.io/change-cause=deploy \u{1b}]0;pwned\u{7} now",
    ]);
    let tmux = Tmux::start(&demo.console(""), 120, 40);
    tmux.wait_for(30, "the release list", |s| {
        s.contains("reviews") && s.contains("checkout")
    });
    let title = tmux.title();

    tmux.type_text("/inventory");
    tmux.keys(&["Enter"]);
    tmux.wait_for(10, "the filtered list", |s| {
        s.contains("inventory") && !s.contains("checkout")
    });
    tmux.keys(&["Enter"]);
    let detail = tmux.wait_for(10, "the detail view", |s| {
        s.contains("deploy \\x1b]0;pwned\\x07 now")
    });
    assert!(
        detail.contains("ReplicaSet") || detail.contains("Deployment"),
        "{detail}"
    );
    assert_eq!(
        tmux.title(),
        title,
        "the pane title changed: an escape sequence reached the terminal"
    );
    assert!(!tmux.title().contains("pwned"));

    tmux.keys(&["Escape"]);
    // A key right after Escape would read as Alt-key: wait for the escape to land.
    tmux.wait_for(10, "the list again", |s| !s.contains("ROLE "));
    tmux.keys(&["?"]);
    tmux.wait_for(10, "the help screen", |s| {
        s.contains("navigation") && s.contains("filter")
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for(10, "the help to close", |s| !s.contains("navigation"));
    tmux.keys(&["q"]);
    tmux.wait_for(10, "a clean exit", |s| s.contains("exit=0"));
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "0",
        "the terminal was left in the alternate screen"
    );
}

#[test]
fn sigterm_and_sighup_restore_the_terminal() {
    if !have_tool("tmux") || !have_tool("kubectl") {
        return;
    }
    let demo = Demo::start(&["--scenario", "showcase"]);
    for signal in ["TERM", "HUP"] {
        let tmux = Tmux::start(&demo.console(""), 80, 24);
        tmux.wait_for(30, "the release list", |s| s.contains("reviews"));
        assert_eq!(tmux.format("#{alternate_on}"), "1");
        let shell = tmux.format("#{pane_pid}");
        let status = std::process::Command::new("pkill")
            .args([&format!("-{signal}"), "-P", &shell])
            .status()
            .expect("pkill");
        assert!(status.success(), "no console process to signal");
        tmux.wait_for(10, "the console to exit", |s| s.contains("exit="));
        assert_eq!(
            tmux.format("#{alternate_on}"),
            "0",
            "SIG{signal} left the alternate screen on"
        );
        assert_eq!(
            tmux.format("#{cursor_flag}"),
            "1",
            "SIG{signal} left the cursor hidden"
        );
    }
}

#[test]
fn a_broken_watch_shows_reconnecting_and_the_console_keeps_working() {
    if !have_tool("tmux") || !have_tool("kubectl") {
        return;
    }
    let mut demo = Demo::start(&["--scenario", "showcase"]);
    let tmux = Tmux::start(&demo.console(""), 120, 40);
    tmux.wait_for(30, "the release list", |s| s.contains("reviews"));
    demo.stop();
    let screen = tmux.wait_for(30, "the reconnecting notice", |s| {
        s.to_lowercase().contains("reconnecting")
    });
    assert!(
        screen.contains("reviews"),
        "the last known releases stay on screen:\n{screen}"
    );
    tmux.keys(&["?"]);
    tmux.wait_for(10, "help while disconnected", |s| s.contains("navigation"));
    tmux.keys(&["Escape"]);
    tmux.wait_for(10, "the help to close", |s| !s.contains("navigation"));
    tmux.keys(&["q"]);
    tmux.wait_for(10, "a clean exit", |s| s.contains("exit=0"));
}

#[test]
fn step_from_the_console_with_preview_and_confirmation() {
    if !have_tool("tmux") || !have_tool("kubectl") {
        return;
    }
    let demo = Demo::start(&["--scenario", "showcase"]);
    let tmux = Tmux::start(&demo.console(""), 120, 40);
    tmux.wait_for(30, "the release list", |s| s.contains("reviews"));
    tmux.type_text("/reviews");
    tmux.keys(&["Enter"]);
    // Steps are refused while the canary has no ready pods: wait for the rollout.
    tmux.wait_for(30, "the filtered list, rolled out", |s| {
        s.contains("reviews") && !s.contains("checkout") && s.contains("5/5")
    });
    tmux.keys(&["]"]);
    let preview = tmux.wait_for(15, "the preview", |s| {
        s.contains("server dry run") && s.contains("10 -> 25")
    });
    assert!(preview.contains("VirtualService/reviews"), "{preview}");
    let weights = || demo.route_weights("reviews");
    assert_eq!(
        weights(),
        "90 10",
        "nothing is applied before the confirmation"
    );
    tmux.keys(&["y"]);
    demo.eventually(
        &[
            "get",
            "virtualservice",
            "reviews",
            "-n",
            "shop",
            "-o",
            "jsonpath={.spec.http[0].route[*].weight}",
        ],
        15,
        |w| w == "75 25",
    );
    tmux.wait_for(15, "the live view confirming the step", |s| {
        s.contains("75|25")
    });
    // Esc cancels a preview and nothing changes.
    tmux.keys(&["["]);
    tmux.wait_for(15, "the back preview", |s| s.contains("25 -> 10"));
    tmux.keys(&["Escape"]);
    tmux.wait_for(10, "the cancel", |s| s.contains("cancelled"));
    assert_eq!(weights(), "75 25");
    tmux.keys(&["q"]);
    tmux.wait_for(10, "a clean exit", |s| s.contains("exit=0"));
}

/// `--readonly` reaches the console: the header says so, and action keys (the
/// autopilot's too) are refused with a message, nothing asked for.
#[test]
fn read_only_refuses_every_action_key() {
    if !have_tool("tmux") {
        return;
    }
    let demo = Demo::start(&["--scenario", "showcase"]);
    let command = demo.console("--readonly -n shop");
    let tmux = Tmux::start(&command, 120, 30);
    tmux.wait_for(30, "the list, read-only", |s| {
        s.contains("reviews") && s.contains("read-only")
    });
    tmux.keys(&["]"]);
    tmux.wait_for(10, "the refusal", |s| {
        s.contains("read-only: step forward is not available")
    });
    tmux.keys(&["A"]);
    tmux.wait_for(10, "the autopilot refused", |s| {
        s.contains("read-only: autopilot on / off is not available")
    });
    tmux.keys(&["q"]);
    tmux.wait_for(10, "a clean exit", |s| s.contains("exit=0"));
}

/// A kubeconfig with the demo's context and `silent`, a server that never answers.
fn with_silent_context(demo: &Demo, silent: &str) -> String {
    let text = format!(
        "apiVersion: v1
kind: Config
clusters:
- name: kshift-demo
  cluster:
    server: {demo}
- name: silent
  cluster:
    server: {silent}
contexts:
- name: kshift-demo
  context:
    cluster: kshift-demo
    user: kshift-demo
- name: silent
  context:
    cluster: silent
    user: kshift-demo
current-context: kshift-demo
users:
- name: kshift-demo
  user: {{}}
",
        demo = demo.url
    );
    demo.file("two.kubeconfig", &text)
}

/// `:ctx` to a context that does not exist, or that never answers, is refused in
/// words, and the console stays on the old one in every respect: the header, the
/// list, and where the action keys act.
#[test]
fn ctx_is_refused_in_words_and_the_old_context_stays() {
    if !have_tool("tmux") || !have_tool("kubectl") {
        return;
    }
    if common::embedded_only(
        "its two-context kubeconfig is written for the demo's plain-HTTP API, without the real cluster's certificates",
    ) {
        return;
    }
    let demo = Demo::start(&["--scenario", "showcase"]);
    let kubeconfig = with_silent_context(&demo, &silent_server());
    let command = format!(
        "sh -c 'KUBECONFIG={kubeconfig} {} -n shop; echo \"exit=$?\"; sleep 60'",
        env!("CARGO_BIN_EXE_kshift")
    );
    let tmux = Tmux::start(&command, 120, 30);
    tmux.wait_for(30, "the release list", |s| s.contains("reviews"));
    tmux.type_text(":ctx nope");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for(10, "the refusal", |s| {
        s.contains("cannot switch to context nope")
    });
    assert!(
        screen.contains("context kshift-demo") && screen.contains("reviews"),
        "{screen}"
    );
    tmux.type_text(":ctx silent");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for(10, "the switch being tried", |s| {
        s.contains("connecting to context silent")
    });
    assert!(screen.contains("context kshift-demo"), "{screen}");
    // The server never answers: refused within the request timeout, in words.
    let screen = tmux.wait_for(30, "the silent context refused", |s| {
        s.contains("cannot switch to context silent")
    });
    assert!(
        screen.contains("no answer from http://127.0.0.1:"),
        "{screen}"
    );
    assert!(
        screen.contains("context kshift-demo") && screen.contains("reviews"),
        "{screen}"
    );
    // The action keys still act on the demo, and the popup says so.
    tmux.type_text("/reviews");
    tmux.keys(&["Enter"]);
    tmux.wait_for(30, "reviews rolled out", |s| {
        s.contains("reviews") && s.contains("5/5")
    });
    tmux.keys(&["]"]);
    tmux.wait_for(15, "the preview on the demo", |s| {
        s.contains("server dry run") && s.contains("on context kshift-demo")
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for(10, "the cancel", |s| s.contains("cancelled"));
    tmux.keys(&["q"]);
    tmux.wait_for(10, "a clean exit", |s| s.contains("exit=0"));
}

/// In the demo there is no other context: refused in words.
#[test]
fn ctx_in_the_demo_is_refused_in_words() {
    if !have_tool("tmux") {
        return;
    }
    let command = format!(
        "sh -c '{} demo --scenario showcase; echo \"exit=$?\"; sleep 60'",
        env!("CARGO_BIN_EXE_kshift")
    );
    let tmux = Tmux::start(&command, 120, 30);
    tmux.wait_for(30, "the release list", |s| s.contains("reviews"));
    tmux.type_text(":ctx prod");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for(10, "the refusal", |s| {
        s.contains("cannot switch to context prod")
    });
    assert!(screen.contains("single context"), "{screen}");
    assert!(
        screen.contains("context kshift-demo") && screen.contains("reviews"),
        "{screen}"
    );
    tmux.keys(&["q"]);
    tmux.wait_for(10, "a clean exit", |s| s.contains("exit=0"));
}

/// A server that accepts connections and never answers: the console says so in words
/// and still quits at once; `kshift list` fails within its timeout, exit 1.
#[test]
fn a_server_that_never_answers_freezes_nothing() {
    if !have_tool("tmux") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let silent = silent_server();
    let kubeconfig = dir.path().join("silent.kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: s\n  cluster:\n    server: {silent}\n\
             contexts:\n- name: s\n  context:\n    cluster: s\n    user: u\ncurrent-context: s\n\
             users:\n- name: u\n  user: {{}}\n"
        ),
    )
    .expect("write kubeconfig");
    let mut list = std::process::Command::new(env!("CARGO_BIN_EXE_kshift"))
        .env("KUBECONFIG", &kubeconfig)
        .env_remove("RUST_BACKTRACE")
        .arg("list")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run kshift list");
    // The test's own bound, far above kshift's timeout: a list that hangs fails here.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = list.try_wait().expect("wait for kshift list") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = list.kill();
            panic!("kshift list did not end against a server that never answers");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut list.stderr.take().expect("stderr"), &mut stderr)
        .expect("read stderr");
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("no answer from {silent} in 10 s")),
        "{stderr}"
    );

    let command = format!(
        "sh -c 'KUBECONFIG={} {}; echo \"exit=$?\"; sleep 60'",
        kubeconfig.display(),
        env!("CARGO_BIN_EXE_kshift")
    );
    let tmux = Tmux::start(&command, 120, 30);
    tmux.wait_for(10, "the console", |s| s.contains("context s"));
    // Keys are taken while the first requests hang.
    tmux.keys(&["?"]);
    tmux.wait_for(10, "help while the server hangs", |s| {
        s.contains("navigation")
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for(30, "the reason in words", |s| {
        s.contains("reconnecting") && s.contains(&format!("no answer from {silent}"))
    });
    tmux.keys(&["q"]);
    tmux.wait_for(10, "the exit", |s| s.contains("exit=0"));
    assert_eq!(tmux.format("#{alternate_on}"), "0");
}

/// The API goes away and comes back on the same address: `reconnecting` shows, then
/// clears once the watches are healthy again, and the list is the new server's.
#[test]
fn the_reconnecting_notice_clears_when_the_api_is_back() {
    if !have_tool("tmux") || !have_tool("kubectl") {
        return;
    }
    if common::embedded_only("it stops the demo and serves it again on the same port") {
        return;
    }
    let mut demo = Demo::start(&["--scenario", "showcase"]);
    let tmux = Tmux::start(&demo.console(""), 120, 40);
    tmux.wait_for(30, "the release list", |s| s.contains("reviews"));
    demo.stop();
    tmux.wait_for(30, "the reconnecting notice", |s| {
        s.contains("reconnecting")
    });
    demo.serve_again(&["--scenario", "showcase"]);
    let screen = tmux.wait_for(60, "the notice to clear", |s| {
        !s.contains("reconnecting") && s.contains("watching")
    });
    assert!(screen.contains("reviews"), "{screen}");
    // Live again: a change made now shows.
    demo.ok(&[
        "scale",
        "deployment",
        "checkout-blue",
        "-n",
        "shop",
        "--replicas",
        "7",
    ]);
    tmux.wait_for(30, "the change on screen", |s| {
        s.lines()
            .any(|line| line.contains("checkout") && line.contains("10/10"))
    });
    tmux.keys(&["q"]);
    tmux.wait_for(10, "a clean exit", |s| s.contains("exit=0"));
}

/// Every terminating signal restores the terminal: cooked mode (as `stty -a` reads the
/// pane's tty), the main screen, the cursor shown; the exit code is 128 + the signal.
#[test]
fn every_terminating_signal_restores_the_terminal() {
    if !have_tool("tmux") || !have_tool("kubectl") {
        return;
    }
    let demo = Demo::start(&["--scenario", "showcase"]);
    for (signal, code) in [("INT", 130), ("QUIT", 131), ("USR1", 138), ("ALRM", 142)] {
        let tmux = Tmux::start(&demo.console(""), 80, 24);
        tmux.wait_for(30, "the release list", |s| s.contains("reviews"));
        assert!(!cooked(&stty(&tmux)), "the console runs in raw mode");
        signal_console(&tmux, signal);
        let screen = tmux.wait_for(10, "the console to exit", |s| s.contains("exit="));
        assert!(
            screen.contains(&format!("exit={code}")),
            "SIG{signal}: {screen}"
        );
        assert!(
            screen.contains(&format!("stopped by SIG{signal}")),
            "SIG{signal}: {screen}"
        );
        assert!(cooked(&stty(&tmux)), "SIG{signal} left the tty raw");
        assert_eq!(tmux.format("#{alternate_on}"), "0", "SIG{signal}");
        assert_eq!(tmux.format("#{cursor_flag}"), "1", "SIG{signal}");
    }
}

/// Sends `signal` (a name: `TERM`) to the console, the child of the pane's shell.
fn signal_console(tmux: &Tmux, signal: &str) {
    let shell = tmux.format("#{pane_pid}");
    let status = std::process::Command::new("pkill")
        .args([&format!("-{signal}"), "-P", &shell, "kshift"])
        .status()
        .expect("pkill");
    assert!(status.success(), "no console process to send SIG{signal}");
}

/// SIGTSTP gives the terminal back (cooked, main screen) and stops the console;
/// SIGCONT takes it again (raw, alternate screen, redrawn) and the keys work.
#[test]
fn suspend_and_resume() {
    if !have_tool("tmux") || !have_tool("kubectl") {
        return;
    }
    let demo = Demo::start(&["--scenario", "showcase"]);
    let tmux = Tmux::start(&demo.console(""), 100, 30);
    tmux.wait_for(30, "the release list", |s| s.contains("reviews"));
    signal_console(&tmux, "TSTP");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while tmux.format("#{alternate_on}") != "0" || !cooked(&stty(&tmux)) {
        assert!(
            std::time::Instant::now() < deadline,
            "SIGTSTP did not give the terminal back: {}",
            stty(&tmux)
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(tmux.format("#{cursor_flag}"), "1");
    signal_console(&tmux, "CONT");
    tmux.wait_for(10, "the console redrawn", |s| s.contains("reviews"));
    assert_eq!(tmux.format("#{alternate_on}"), "1");
    assert!(!cooked(&stty(&tmux)), "resumed in cooked mode");
    tmux.keys(&["?"]);
    tmux.wait_for(10, "help after resuming", |s| s.contains("navigation"));
    tmux.keys(&["Escape"]);
    tmux.wait_for(10, "the help to close", |s| !s.contains("navigation"));
    tmux.keys(&["q"]);
    tmux.wait_for(10, "a clean exit", |s| s.contains("exit=0"));
    assert!(cooked(&stty(&tmux)));
}

/// A terminal that reports 65535x65535 is drawn at a clamped size, not allocated.
#[test]
fn an_absurd_terminal_size_is_clamped() {
    if !have_tool("tmux") || !have_tool("kubectl") {
        return;
    }
    let demo = Demo::start(&["--scenario", "showcase"]);
    let command = format!(
        "sh -c 'stty rows 65535 cols 65535; KUBECONFIG={} {}; echo \"exit=$?\"; stty sane; sleep 60'",
        demo.kubeconfig.display(),
        env!("CARGO_BIN_EXE_kshift")
    );
    let tmux = Tmux::start(&command, 100, 30);
    std::thread::sleep(std::time::Duration::from_secs(2));
    tmux.keys(&["q"]);
    let screen = tmux.wait_for(20, "the console to exit", |s| s.contains("exit="));
    assert!(screen.contains("exit=0"), "{screen}");
}

/// A signal ends the console as quitting does: its autopilot stops and releases the
/// Lease (it stayed behind for 90 s), and the terminal is restored.
#[test]
fn a_signal_releases_the_autopilots_lease() {
    if !have_tool("tmux") {
        return;
    }
    let Some((demo, prometheus)) = scraped_showcase() else {
        return;
    };
    let config = demo.file(
        "console.toml",
        "[autopilot]\ninterval = \"3s\"\n[metrics]\nwindow = \"15s\"\n",
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
    tmux.wait_for(10, "the question", |s| {
        s.contains("start the autopilot on shop/reviews?")
    });
    tmux.keys(&["y"]);
    tmux.wait_for(20, "the autopilot driving", |s| s.contains("driving it as"));
    let lease = ["get", "lease", "kshift-autopilot-reviews", "-n", "shop"];
    demo.ok(&lease);
    signal_console(&tmux, "INT");
    let screen = tmux.wait_for(30, "the console to exit", |s| s.contains("exit="));
    assert!(screen.contains("exit=130"), "{screen}");
    demo.fails(&lease);
    assert!(cooked(&stty(&tmux)));
    assert_eq!(tmux.format("#{alternate_on}"), "0");
}
