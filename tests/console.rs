//! The console end to end: the real binary in tmux against `kshift demo --serve`,
//! driven with send-keys and read with capture-pane.

mod common;

use common::{Demo, Tmux, have_tool};

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
        s.contains("quit") && s.contains("filter")
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
    tmux.wait_for(10, "help while disconnected", |s| s.contains("filter"));
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
