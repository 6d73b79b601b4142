//! Shared helpers for tests that drive real tools (kubectl, Prometheus, tmux) against
//! the `kshift demo` binary.
#![allow(dead_code)] // each test binary uses its own part of these helpers

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Whether `tool` is on PATH. Without it a test is skipped loudly, except under CI,
/// where a missing tool fails the run.
pub fn have_tool(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        if std::env::var_os("CI").is_some() {
            panic!(
                "{tool} is not on PATH, and CI is set: the tests that need it cannot be skipped"
            );
        }
        eprintln!(
            "\n**********\nSKIPPED: {tool} is not on PATH; install it to run this test\n**********\n"
        );
    }
    found
}

/// The folder of the public CRDs the tests load (tests/crds, see its README).
pub fn crds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/crds")
}

/// A `kshift demo --headless --serve` process and the kubeconfig it wrote, or, with
/// `KSHIFT_TEST_CLUSTER=real`, a real control plane (tests/realcluster) loaded with the
/// same scenario.
pub struct Demo {
    child: Child,
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
    pub url: String,
    /// Whether this is the real control plane (its processes form one process group).
    pub real: bool,
}

impl Demo {
    /// Starts the demo with extra arguments (a scenario, `--deny`, ...), or the real
    /// control plane when `KSHIFT_TEST_CLUSTER=real`.
    pub fn start(args: &[&str]) -> Demo {
        if real_cluster() {
            return Demo::start_real(args);
        }
        Demo::start_embedded(args)
    }

    /// Starts `kshift demo --headless --serve` whatever `KSHIFT_TEST_CLUSTER` says.
    pub fn start_embedded(args: &[&str]) -> Demo {
        let dir = tempfile::tempdir().expect("temp dir");
        let kubeconfig = dir.path().join("demo.kubeconfig");
        let mut child = Command::new(env!("CARGO_BIN_EXE_kshift"))
            .args([
                "demo",
                "--headless",
                "--serve",
                "127.0.0.1:0",
                "--kubeconfig-out",
            ])
            .arg(&kubeconfig)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start kshift demo");
        let url = served_url(&mut child, "kshift demo");
        Demo {
            child,
            dir,
            kubeconfig,
            url,
            real: false,
        }
    }

    /// Runs kubectl against the demo, with its own discovery cache.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(self.dir.path().join("cache"))
            .args(args)
            .output()
            .expect("run kubectl")
    }

    /// Runs kubectl and returns its stdout, failing the test with its stderr otherwise.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.kubectl(args);
        assert!(
            output.status.success(),
            "kubectl {} failed: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Runs kubectl expecting a failure, and returns its stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let output = self.kubectl(args);
        assert!(
            !output.status.success(),
            "kubectl {} should have failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout)
        );
        String::from_utf8_lossy(&output.stderr).into_owned()
    }

    /// Polls `check` (kubectl output) until it holds; gives up after `seconds`.
    pub fn eventually(&self, args: &[&str], seconds: u64, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        loop {
            let output = self.kubectl(args);
            let text = String::from_utf8_lossy(&output.stdout).into_owned();
            if output.status.success() && check(&text) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "kubectl {} never satisfied the check; last output: {text}",
                args.join(" ")
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Writes `text` into a file of the demo's folder and returns its path.
    pub fn file(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write test file");
        path.display().to_string()
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A tmux session running a command, driven with send-keys and read with capture-pane.
pub struct Tmux {
    pub session: String,
}

impl Tmux {
    /// Starts `command` in a new detached session of the given size. A tmux server
    /// whose last session was just killed (the previous test's) may still be going
    /// away and refuse a new session: asked again, a new server starts.
    pub fn start(command: &str, width: u16, height: u16) -> Tmux {
        let session = format!("kshift-test-{}-{}", std::process::id(), rand_suffix());
        let mut failure = String::new();
        for _ in 0..5 {
            let output = Command::new("tmux")
                .args([
                    "new-session",
                    "-d",
                    "-s",
                    &session,
                    "-x",
                    &width.to_string(),
                    "-y",
                    &height.to_string(),
                    command,
                ])
                .output()
                .expect("start tmux");
            if output.status.success() {
                return Tmux { session };
            }
            failure = String::from_utf8_lossy(&output.stderr).into_owned();
            std::thread::sleep(Duration::from_millis(300));
        }
        panic!("tmux new-session failed five times: {failure}");
    }

    pub fn keys(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["send-keys", "-t", &self.session])
            .args(keys)
            .status()
            .expect("send-keys");
        assert!(status.success());
    }

    /// Types text literally (no key names).
    pub fn type_text(&self, text: &str) {
        let status = Command::new("tmux")
            .args(["send-keys", "-t", &self.session, "-l", text])
            .status()
            .expect("send-keys");
        assert!(status.success());
    }

    pub fn screen(&self) -> String {
        let output = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    pub fn title(&self) -> String {
        let output = Command::new("tmux")
            .args([
                "display-message",
                "-p",
                "-t",
                &self.session,
                "#{pane_title}",
            ])
            .output()
            .expect("display-message");
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    /// Waits until the screen satisfies `check`; fails with the last screen after `seconds`.
    pub fn wait_for(&self, seconds: u64, what: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        loop {
            let screen = self.screen();
            if check(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Whether the session (its command) is still running.
    pub fn alive(&self) -> bool {
        Command::new("tmux")
            .args(["has-session", "-t", &self.session])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .stderr(Stdio::null())
            .status();
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

impl Tmux {
    /// A tmux format of the pane, e.g. `#{alternate_on}` or `#{pane_pid}`.
    pub fn format(&self, format: &str) -> String {
        let output = Command::new("tmux")
            .args(["display-message", "-p", "-t", &self.session, format])
            .output()
            .expect("display-message");
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }
}

impl Demo {
    /// Stops the demo server (its API goes away; the folder stays).
    pub fn stop(&mut self) {
        if self.real {
            realcluster::stop(&mut self.child);
        } else {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A plain HTTP GET on loopback (no client crate needed for a status check).
pub fn http_get(url: &str) -> Option<String> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut stream = std::net::TcpStream::connect(host).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200")
        .then(|| body.to_string())
        .or_else(|| head.starts_with("HTTP/1.0 200").then(|| body.to_string()))
}

/// A real Prometheus (Debian's binary) scraping the given targets every second.
pub struct Prometheus {
    child: Child,
    pub dir: tempfile::TempDir,
    pub url: String,
}

impl Prometheus {
    /// Starts Prometheus on a free loopback port, scraping `targets` (`127.0.0.1:PORT`).
    pub fn start(targets: &[String]) -> Prometheus {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let config = dir.path().join("prometheus.yml");
        let list = targets
            .iter()
            .map(|t| format!("'{t}'"))
            .collect::<Vec<_>>()
            .join(", ");
        std::fs::write(&config, format!("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n- job_name: kshift-demo\n  static_configs:\n  - targets: [{list}]\n")).expect("write config");
        Self::run(dir, port, &config, &[])
    }

    /// Starts Prometheus on an existing TSDB folder (backfilled blocks), scraping nothing.
    pub fn on_tsdb(dir: tempfile::TempDir) -> Prometheus {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(&config, "global:\n  scrape_interval: 1m\n").expect("write config");
        Self::run(dir, port, &config, &["--storage.tsdb.retention.time=100y"])
    }

    fn run(dir: tempfile::TempDir, port: u16, config: &Path, extra: &[&str]) -> Prometheus {
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start prometheus");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while http_get(&format!("{url}/-/ready")).is_none() {
            assert!(Instant::now() < deadline, "Prometheus did not become ready");
            std::thread::sleep(Duration::from_millis(100));
        }
        Prometheus { child, dir, url }
    }

    /// Runs an instant query and returns the first sample's value.
    pub fn value(&self, query: &str) -> Option<f64> {
        let encoded: String = percent_encode(query);
        let body = http_get(&format!("{}/api/v1/query?query={encoded}", self.url))?;
        let parsed: serde_json::Value = serde_json::from_str(&body).ok()?;
        parsed["data"]["result"][0]["value"][1]
            .as_str()?
            .parse()
            .ok()
    }

    /// Instant queries Prometheus has answered, from its own counter
    /// `prometheus_http_requests_total` read straight from its `/metrics`.
    pub fn queries_answered(&self) -> f64 {
        let text = http_get(&format!("{}/metrics", self.url)).unwrap_or_default();
        text.lines()
            .filter(|l| {
                l.starts_with("prometheus_http_requests_total{")
                    && l.contains("handler=\"/api/v1/query\"")
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        self.stop();
    }
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Demo {
    /// A shell command for tmux: the console (`kshift ARGS`) on this demo, then its exit
    /// code printed as `exit=N`, then a pause so the pane stays to be read.
    pub fn console(&self, args: &str) -> String {
        format!(
            "sh -c 'KUBECONFIG={} {} {args}; echo \"exit=$?\"; sleep 60'",
            self.kubeconfig.display(),
            env!("CARGO_BIN_EXE_kshift")
        )
    }

    /// Waits until every Deployment is available (actions refuse to send traffic to
    /// versions without ready pods).
    pub fn rolled_out(&self) {
        self.ok(&[
            "wait",
            "deployment",
            "--all",
            "-A",
            "--for=condition=Available",
            "--timeout=60s",
        ]);
    }

    /// The weights of a VirtualService's first route in namespace shop, stable
    /// first: `"90 10"`.
    pub fn route_weights(&self, virtual_service: &str) -> String {
        self.ok(&[
            "get",
            "virtualservice",
            virtual_service,
            "-n",
            "shop",
            "-o",
            "jsonpath={.spec.http[0].route[*].weight}",
        ])
    }
}

/// The showcase at ten times the speed, its Deployments available, and a real
/// Prometheus scraping its `/metrics`; `None` (the test skipped) without prometheus
/// or kubectl.
pub fn scraped_showcase() -> Option<(Demo, Prometheus)> {
    if !have_tool("prometheus") || !have_tool("kubectl") {
        return None;
    }
    if embedded_only("a real Prometheus scrapes the simulated traffic of the embedded demo") {
        return None;
    }
    let demo = Demo::start(&["--scenario", "showcase", "--speed", "10"]);
    demo.rolled_out();
    let target = demo.url.trim_start_matches("http://").to_string();
    let prometheus = Prometheus::start(&[target]);
    Some((demo, prometheus))
}

/// What a `kshift` run printed and how it ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Demo {
    /// Runs the kshift binary on this demo's kubeconfig, with no terminal and one-line
    /// errors (no backtrace).
    pub fn kshift(&self, args: &[&str]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_kshift"))
            .env("KUBECONFIG", &self.kubeconfig)
            .env_remove("RUST_BACKTRACE")
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run kshift");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// A real Alertmanager (Debian's `prometheus-alertmanager`) on a free loopback port,
/// clustering off, routing every alert to a receiver that sends nothing. Its config,
/// data and log live in a temporary folder that goes with it.
pub struct Alertmanager {
    child: std::process::Child,
    dir: tempfile::TempDir,
    port: u16,
}

impl Alertmanager {
    /// Starts Alertmanager and waits until it is ready; panics with the end of its
    /// log when it is not within 30 s.
    pub fn start() -> Alertmanager {
        use std::process::{Command, Stdio};
        let binary = alertmanager_binary();
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("alertmanager.yml");
        std::fs::write(
            &config,
            "route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n",
        )
        .expect("write alertmanager.yml");
        let log = std::fs::File::create(dir.path().join("alertmanager.log")).expect("log file");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(&binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            // Empty: no gossip port, so parallel tests do not form a cluster or collide.
            .arg("--cluster.listen-address=")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
        // Owned before the wait, so a panic there still stops the process.
        let mut alertmanager = Alertmanager { child, dir, port };
        alertmanager.wait_ready();
        alertmanager
    }

    /// Its base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Posts alerts (a JSON array) as Prometheus does, and asserts they were taken.
    /// The next `GET /api/v2/alerts` already lists them.
    pub fn post(&self, alerts: &serde_json::Value) {
        let body = serde_json::to_vec(alerts).expect("alerts as JSON");
        match self.exchange("POST", "/api/v2/alerts", &body) {
            Ok((200, _)) => {}
            Ok((status, answer)) => {
                panic!("Alertmanager answered {status} to the alerts: {answer}")
            }
            Err(e) => panic!("posting alerts to Alertmanager: {e}\n{}", self.log_tail()),
        }
    }

    /// Stops it (the port then refuses connections; the folder stays until drop).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn wait_ready(&mut self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            if let Ok((200, _)) = self.exchange("GET", "/-/ready", b"") {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("Alertmanager exited ({status}):\n{}", self.log_tail());
            }
            if std::time::Instant::now() > deadline {
                panic!("Alertmanager not ready within 30 s:\n{}", self.log_tail());
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// One HTTP/1.1 request on its own connection: the status and the body (raw,
    /// for messages: a chunked body keeps its chunk sizes).
    fn exchange(&self, method: &str, path: &str, body: &[u8]) -> std::io::Result<(u16, String)> {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.port,
            body.len()
        )?;
        stream.write_all(body)?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        let status = head
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {head:?}")))?;
        Ok((status, body.to_string()))
    }

    fn log_tail(&self) -> String {
        let log =
            std::fs::read_to_string(self.dir.path().join("alertmanager.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Debian names it `prometheus-alertmanager`, upstream's tarball `alertmanager`.
fn alertmanager_binary() -> std::path::PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    ["prometheus-alertmanager", "alertmanager"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
        .expect("neither prometheus-alertmanager nor alertmanager is on PATH")
}

impl Demo {
    /// Starts a new demo (extra arguments `args`) serving on the same address and
    /// writing the same kubeconfig, after `stop`: to a client, the API came back.
    pub fn serve_again(&mut self, args: &[&str]) {
        let addr = self.url.trim_start_matches("http://").to_string();
        let mut child = Command::new(env!("CARGO_BIN_EXE_kshift"))
            .args(["demo", "--headless", "--serve", &addr, "--kubeconfig-out"])
            .arg(&self.kubeconfig)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start kshift demo again");
        let stdout = child.stdout.take().expect("stdout");
        let serving = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|line| line.starts_with("serving the Kubernetes API on "));
        assert!(serving, "kshift demo did not serve again on {addr}");
        self.child = child;
    }
}

/// A server that accepts connections and never answers on them (nor closes them):
/// what a hung API server or a black-holing proxy looks like to a client. Its URL.
pub fn silent_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a silent server");
    let url = format!(
        "http://{}",
        listener.local_addr().expect("the silent server's address")
    );
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().map_while(Result::ok) {
            held.push(stream);
        }
    });
    url
}

/// The pane's terminal settings, as `stty -a` reads them on its tty.
pub fn stty(tmux: &Tmux) -> String {
    let tty = tmux.format("#{pane_tty}");
    let output = Command::new("stty")
        .args(["-a", "-F", &tty])
        .output()
        .expect("stty");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Whether `stty -a` shows cooked mode: line editing and echo on.
pub fn cooked(stty: &str) -> bool {
    let flags: Vec<&str> = stty.split_whitespace().collect();
    flags.contains(&"icanon") && flags.contains(&"echo")
}

/// A loopback HTTP server that answers every request with the same status and body,
/// until dropped: a Prometheus or an Alertmanager that says something odd.
pub struct Canned {
    pub url: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// The head of every request received (request line and headers).
    pub requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Canned {
    pub fn start(status: u16, content_type: &str, body: Vec<u8>) -> Canned {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        listener.set_nonblocking(true).expect("non-blocking");
        let url = format!("http://{}", listener.local_addr().expect("its address"));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let received = requests.clone();
        let head = format!(
            "HTTP/1.1 {status} Canned\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        std::thread::spawn(move || {
            while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
                let Ok((mut stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                let _ = stream.set_nonblocking(false);
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                if let Ok(mut all) = received.lock() {
                    all.push(String::from_utf8_lossy(&request).into_owned());
                }
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            }
        });
        Canned {
            url,
            stop,
            requests,
        }
    }
}

impl Drop for Canned {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The first character of `bytes` a terminal would obey or hide rather than show:
/// a control (C0 but the newline, DEL, C1), a bidi embedding, override or isolate, a
/// line or paragraph separator, or a zero-width character; with its place.
pub fn terminal_hazard(bytes: &[u8]) -> Option<(usize, char)> {
    String::from_utf8_lossy(bytes)
        .char_indices()
        .find(|&(_, c)| {
            (c != '\n' && c.is_control())
                || matches!(c,
                '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}'
                | '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}'
                // Bytes that are not UTF-8, as a lossy read shows them (a raw 8-bit C1).
                | '\u{fffd}')
        })
}

/// Reads the child's stdout up to its "serving the Kubernetes API on URL" line.
fn served_url(child: &mut Child, what: &str) -> String {
    let stdout = child.stdout.take().expect("stdout");
    let mut url = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("read the server's output");
        if let Some(rest) = line.strip_prefix("serving the Kubernetes API on ") {
            url = rest.trim().to_string();
            break;
        }
    }
    assert!(!url.is_empty(), "{what} did not say where it serves");
    url
}

/// Whether the tests run on the real control plane: `KSHIFT_TEST_CLUSTER=real`
/// (`embedded`, the default, is kshift's own demo cluster).
pub fn real_cluster() -> bool {
    match std::env::var("KSHIFT_TEST_CLUSTER").as_deref() {
        Ok("real") => true,
        Ok("embedded") | Ok("") | Err(_) => false,
        Ok(other) => panic!("KSHIFT_TEST_CLUSTER={other:?}: use real or embedded"),
    }
}

/// For a test that only the embedded demo can run: on the real cluster it says why
/// and returns true (the test returns early).
pub fn embedded_only(why: &str) -> bool {
    if real_cluster() {
        eprintln!(
            "\n**********\nSKIPPED on the real cluster (embedded demo only): {why}\n**********\n"
        );
    }
    real_cluster()
}

impl Demo {
    /// Starts the real control plane (tests/realcluster) with the objects the demo
    /// arguments name: `--scenario NAME` loads the same built-in scenario files as the
    /// embedded demo (with its schema-less CRDs), `--manifests DIR` the folder's YAML.
    /// `--deny` becomes RBAC that grants the user everything else; `--speed` has no
    /// meaning there (pods become Ready after half a second).
    pub fn start_real(args: &[&str]) -> Demo {
        let binary = realcluster::binary();
        let dir = tempfile::tempdir().expect("temp dir");
        let mut manifests: Vec<PathBuf> = Vec::new();
        let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/demo/scenarios");
        let mut scenario = "showcase".to_string();
        let mut folder = None;
        let mut denies = Vec::new();
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            match *arg {
                "--scenario" => scenario = rest.next().expect("a scenario").to_string(),
                "--manifests" => folder = Some(PathBuf::from(rest.next().expect("a folder"))),
                "--speed" => {
                    rest.next();
                }
                // RBAC grants the user everything else (tests/realcluster/rbac.go).
                "--deny" => denies.push(rest.next().expect("a deny rule").to_string()),
                other => panic!(
                    "the real cluster cannot play the demo argument {other:?}; mark the test embedded_only"
                ),
            }
        }
        match folder {
            Some(folder) => {
                let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
                    .expect("the manifests folder")
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| {
                        p.extension()
                            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
                    })
                    .collect();
                files.sort();
                manifests.extend(files);
            }
            None if scenario == "empty" => {}
            None => {
                let file = scenarios.join(format!("{scenario}.yaml"));
                assert!(
                    file.is_file(),
                    "the real cluster has no scenario {scenario:?}"
                );
                manifests.push(scenarios.join("crds.yaml"));
                manifests.push(file);
            }
        }
        let mut command = Command::new(&binary);
        command
            .arg("up")
            .arg("--dir")
            .arg(dir.path().join("cluster"))
            .arg("--exit-on-stdin-eof");
        for file in &manifests {
            command.arg("--manifests").arg(file);
        }
        for rule in &denies {
            command.arg("--deny").arg(rule);
        }
        use std::os::unix::process::CommandExt;
        let started = Instant::now();
        let mut child = command
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the real control plane");
        let url = served_url(&mut child, "the real control plane");
        eprintln!(
            "real control plane ready at {url} in {:.1}s",
            started.elapsed().as_secs_f64()
        );
        let kubeconfig = dir.path().join("cluster/kubeconfig");
        Demo {
            child,
            dir,
            kubeconfig,
            url,
            real: true,
        }
    }
}

/// Building and stopping the real control plane.
pub mod realcluster {
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};

    /// Whether Go is there to build the real control plane; without it the real-cluster
    /// tests are skipped loudly, except under CI, where that fails the run.
    pub fn available() -> bool {
        let found = Command::new("sh")
            .args(["-c", "PATH=$PATH:/usr/local/go/bin command -v go"])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            if std::env::var_os("CI").is_some() {
                panic!("go is not on PATH, and CI is set: the real control plane cannot be built");
            }
            eprintln!(
                "\n**********\nSKIPPED: go is not on PATH; install Go 1.26 to build the real control plane (tests/realcluster)\n**********\n"
            );
        }
        found
    }

    /// The realcluster binary, built once per test run by tests/realcluster/build.sh
    /// (which itself skips the build when nothing changed).
    pub fn binary() -> PathBuf {
        static BINARY: OnceLock<PathBuf> = OnceLock::new();
        BINARY
            .get_or_init(|| {
                let root = Path::new(env!("CARGO_MANIFEST_DIR"));
                if !available() {
                    panic!(
                        "KSHIFT_TEST_CLUSTER=real needs Go to build the real control plane (tests/realcluster/build.sh)"
                    );
                }
                let output = Command::new("bash")
                    .arg(root.join("tests/realcluster/build.sh"))
                    .stderr(Stdio::inherit())
                    .output()
                    .expect("run tests/realcluster/build.sh");
                assert!(
                    output.status.success(),
                    "tests/realcluster/build.sh failed"
                );
                PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
            })
            .clone()
    }

    /// Stops the launcher and everything it started: SIGTERM to its process group,
    /// then SIGKILL to whatever is left after ten seconds.
    pub fn stop(child: &mut Child) {
        let group = format!("-{}", child.id());
        let signal = |name: &str| {
            let _ = Command::new("kill")
                .args([name, "--", &group])
                .stderr(Stdio::null())
                .status();
        };
        if child.try_wait().ok().flatten().is_none() {
            signal("-TERM");
            let deadline = Instant::now() + Duration::from_secs(10);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        signal("-KILL");
        let _ = child.wait();
    }
}
