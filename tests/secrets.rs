//! Secrets stay off the screen: a password or token in `--prometheus` and
//! `--alertmanager` URLs never shows in what `kshift list` writes, and credentials can
//! come from the environment instead of the URL.

mod common;

use std::process::{Command, Stdio};

use common::{Canned, Demo};

fn list(demo: &Demo, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_kshift"))
        .env("KUBECONFIG", &demo.kubeconfig)
        .env_remove("RUST_BACKTRACE")
        .envs(env.iter().copied())
        .arg("list")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run kshift");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), text)
}

#[test]
fn passwords_and_tokens_in_urls_are_hidden_and_credentials_come_from_the_environment() {
    let demo = Demo::start(&["--scenario", "showcase"]);
    // Nothing listens on port 1: the error names the URL.
    let prometheus = "http://admin:hunter2@127.0.0.1:1/?access_token=sekrit1";
    let alertmanager = "http://bob:sekrit2@127.0.0.1:1";
    for output in ["table", "json", "yaml"] {
        let (code, text) = list(
            &demo,
            &[
                "-o",
                output,
                "--prometheus",
                prometheus,
                "--alertmanager",
                alertmanager,
            ],
            &[],
        );
        assert_eq!(code, 0, "{text}");
        assert!(
            text.contains("127.0.0.1:1"),
            "the URL is still named: {text}"
        );
        for secret in ["hunter2", "sekrit1", "sekrit2", "admin", "bob"] {
            assert!(
                !text.contains(secret),
                "{secret} shown in -o {output}: {text}"
            );
        }
    }
    // A bad URL in the config is quoted without its password.
    let config = demo.file(
        "config.toml",
        "[metrics]\nprometheus = \"ftp://u:hunter2@prom\"\n",
    );
    let (code, text) = list(&demo, &["--config", &config], &[]);
    assert_eq!(code, 1, "{text}");
    assert!(!text.contains("hunter2"), "{text}");

    // Credentials from the environment are sent, and never shown.
    let canned = Canned::start(500, "text/plain", b"no".to_vec());
    let (_, text) = list(
        &demo,
        &["--prometheus", &canned.url, "--alertmanager", &canned.url],
        &[
            ("KSHIFT_PROMETHEUS_TOKEN", "tok-prom"),
            ("KSHIFT_ALERTMANAGER_USER", "am"),
            ("KSHIFT_ALERTMANAGER_PASSWORD", "pw"),
        ],
    );
    assert!(!text.contains("tok-prom"), "{text}");
    let requests = canned.requests.lock().expect("requests").clone();
    let prometheus_asked = requests.iter().filter(|r| r.contains("/api/v1/")).all(|r| {
        r.to_ascii_lowercase()
            .contains("authorization: bearer tok-prom")
    });
    let alertmanager_asked = requests
        .iter()
        .filter(|r| r.contains("/api/v2/alerts"))
        .all(|r| {
            r.to_ascii_lowercase()
                .contains("authorization: basic yw06chc=")
        });
    assert!(
        requests.len() > 1 && prometheus_asked && alertmanager_asked,
        "{requests:#?}"
    );
}
