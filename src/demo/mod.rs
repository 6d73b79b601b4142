//! The embedded cluster behind `kshift demo`: a real HTTP implementation of the part of
//! the Kubernetes API that kshift and kubectl use, with simulated controllers. The
//! console reaches it in-process as a tower service; `--serve` also puts it on a socket.

pub mod access;
pub mod api;
mod controllers;
mod discovery;
pub mod errors;
mod events_view;
mod http;
mod meta;
mod openapi;
mod patch;
mod protobuf;
pub mod resources;
pub mod scenario;
mod selectors;
pub mod store;
mod strategic;
mod table;
pub mod traffic;
mod watch;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use color_eyre::eyre::{Result, WrapErr, eyre};

use access::AccessPolicy;
use api::State;

/// How many changes are kept for watches that resume from a resourceVersion.
pub const DEFAULT_HISTORY: usize = 10_000;

#[derive(Debug, Clone)]
pub struct ClusterOptions {
    pub access: AccessPolicy,
    /// Divides simulated durations: 2.0 makes pods ready twice as fast.
    pub speed: f64,
    pub history: usize,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            access: AccessPolicy::default(),
            speed: 1.0,
            history: DEFAULT_HISTORY,
        }
    }
}

struct Inner {
    state: Mutex<State>,
    access: AccessPolicy,
    traffic: traffic::TrafficReader,
}

/// A handle on the embedded cluster; clones share it.
#[derive(Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
}

impl Cluster {
    /// A cluster with only the `default` namespace and no controllers running.
    pub fn new(options: &ClusterOptions) -> Self {
        let cluster = Cluster {
            inner: Arc::new(Inner {
                state: Mutex::new(State::new(options.history)),
                access: options.access.clone(),
                traffic: traffic::TrafficReader::default(),
            }),
        };
        scenario::create_namespace(&mut cluster.lock(), "default");
        cluster
    }

    /// Starts the simulated controllers and traffic (needs a tokio runtime).
    pub fn start_controllers(&self, speed: f64) {
        controllers::spawn(self.clone(), speed);
        traffic::spawn(self.clone());
    }

    /// The simulated traffic's counters, also served at `/metrics`.
    pub fn traffic(&self) -> traffic::TrafficReader {
        self.inner.traffic.clone()
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic in one request must not take the whole cluster down with it.
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn access(&self) -> &AccessPolicy {
        &self.inner.access
    }

    /// The API as a tower service (an axum router).
    pub fn router(&self) -> axum::Router {
        http::router(self.clone())
    }

    /// A kube client that talks to this cluster in-process, without sockets.
    pub fn client(&self) -> kube::Client {
        kube::Client::new(self.router(), "default")
    }

    /// Serves the API on `addr` until the returned task is dropped or aborted.
    pub async fn serve(&self, addr: &str) -> Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                eyre!("cannot serve on {addr}: the address is already in use")
            } else {
                eyre!("cannot serve on {addr}: {e}")
            }
        })?;
        let bound = listener
            .local_addr()
            .wrap_err("reading the bound address")?;
        let router = self.router();
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::error!("the demo API server stopped: {error}");
            }
        });
        Ok((bound, task))
    }
}

/// A kubeconfig for a served cluster: context `kshift-demo`, plain http, no auth.
pub fn kubeconfig(addr: SocketAddr) -> String {
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: kshift-demo
  cluster:
    server: http://{addr}
contexts:
- name: kshift-demo
  context:
    cluster: kshift-demo
    user: kshift-demo
    namespace: default
current-context: kshift-demo
users:
- name: kshift-demo
  user: {{}}
"
    )
}
