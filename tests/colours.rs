//! Colours as the README promises them: `NO_COLOR` turns them off, and an explicit
//! `--color 16` beats it (no-color.org: a command-line flag wins). Read from the
//! escape sequences tmux's pane received.

mod common;

use std::process::Command;

use common::{Demo, Tmux, have_tool};

/// The pane with its escape sequences.
fn raw_screen(tmux: &Tmux) -> String {
    let output = Command::new("tmux")
        .args(["capture-pane", "-e", "-p", "-t", &tmux.session])
        .output()
        .expect("capture-pane");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Whether any foreground or background colour was set (SGR 30-37, 90-97, 40-47,
/// 38;5 and so on), as tmux writes them back.
fn coloured(screen: &str) -> bool {
    screen.split("\u{1b}[").skip(1).any(|sgr| {
        let params = sgr.split('m').next().unwrap_or_default();
        params.split(';').any(|p| {
            matches!(
                p.parse::<u32>(),
                Ok(30..=37 | 90..=97 | 40..=47 | 100..=107 | 38 | 48)
            )
        })
    })
}

#[test]
fn no_color_is_honoured_and_an_explicit_flag_beats_it() {
    if !have_tool("tmux") || !have_tool("kubectl") {
        return;
    }
    let demo = Demo::start(&["--scenario", "showcase"]);
    for (flag, want) in [("", false), ("--color 16", true)] {
        let command = format!(
            "sh -c 'NO_COLOR=1 KUBECONFIG={} {} {flag}; sleep 60'",
            demo.kubeconfig.display(),
            env!("CARGO_BIN_EXE_kshift")
        );
        let tmux = Tmux::start(&command, 120, 30);
        tmux.wait_for(30, "the release list", |s| s.contains("reviews"));
        let screen = raw_screen(&tmux);
        assert_eq!(coloured(&screen), want, "NO_COLOR=1 {flag}:\n{screen:?}");
    }
}
