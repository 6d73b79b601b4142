//! Watches: the changes after a resourceVersion (or the current state first), filtered
//! by namespace and selectors, as a stream of JSON lines; bookmarks when asked, `410
//! Expired` when the version is older than the kept history, and an end at `timeoutSeconds`.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use super::Cluster;
use super::api::{State, Target};
use super::errors::ApiError;
use super::selectors::{FieldSelector, LabelSelector};
use super::store::{Change, ChangeKind};

/// How often an idle watch that asked for bookmarks gets one.
const BOOKMARK_INTERVAL: Duration = Duration::from_secs(15);

pub struct WatchRequest {
    pub target: Target,
    pub labels: LabelSelector,
    pub fields: FieldSelector,
    pub resource_version: Option<String>,
    pub bookmarks: bool,
    pub send_initial_events: bool,
    pub timeout: Option<Duration>,
}

fn line(event_type: &str, object: &Value) -> Bytes {
    let mut text =
        serde_json::to_vec(&json!({"type": event_type, "object": object})).unwrap_or_default();
    text.push(b'\n');
    Bytes::from(text)
}

fn error_line(error: &ApiError) -> Bytes {
    line("ERROR", &error.to_status())
}

impl WatchRequest {
    fn selects(&self, object: &Value) -> bool {
        self.labels.matches_object(object) && self.fields.matches(object)
    }

    /// The event type this watch sees for a change, if it sees it at all: an object
    /// that enters the selection is ADDED, one that leaves it is DELETED.
    fn event_for(&self, change: &Change) -> Option<&'static str> {
        let target = &self.target;
        if change.store != target.resource.store
            || (!target.namespace.is_empty() && change.namespace != target.namespace)
        {
            return None;
        }
        let now = change.kind != ChangeKind::Deleted && self.selects(&change.object);
        let before = change.previous.as_deref().is_some_and(|p| self.selects(p));
        match (before, now) {
            (_, true) if change.kind == ChangeKind::Added => Some("ADDED"),
            (true, true) => Some("MODIFIED"),
            (false, true) => Some("ADDED"),
            (true, false) => Some("DELETED"),
            (false, false) => None,
        }
    }

    fn bookmark(&self, resource_version: u64, initial_events_end: bool) -> Bytes {
        let mut metadata = json!({"resourceVersion": resource_version.to_string()});
        if initial_events_end {
            metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let resource = &self.target.resource;
        line(
            "BOOKMARK",
            &json!({"kind": resource.kind, "apiVersion": resource.api_version(&self.target.version), "metadata": metadata}),
        )
    }

    fn present(&self, change: &Change) -> Value {
        State::present(&self.target.resource, &self.target.version, &change.object)
    }
}

/// Opens a watch: returns the receiving end of its stream of lines.
pub fn open(cluster: &Cluster, request: WatchRequest) -> mpsc::Receiver<Bytes> {
    let (tx, rx) = mpsc::channel(1024);
    let mut first: Vec<Bytes> = Vec::new();
    let mut failed = false;
    let (changes, start) = {
        let state = cluster.lock();
        let current = state.store.resource_version();
        let from = request
            .resource_version
            .as_deref()
            .filter(|rv| !rv.is_empty() && *rv != "0" && !request.send_initial_events);
        match from.map(|rv| rv.parse::<u64>()) {
            None => {
                let namespace = (!request.target.namespace.is_empty())
                    .then_some(request.target.namespace.as_str());
                for object in state.store.list(&request.target.resource.store, namespace) {
                    if request.selects(&object) {
                        first.push(line(
                            "ADDED",
                            &State::present(
                                &request.target.resource,
                                &request.target.version,
                                &object,
                            ),
                        ));
                    }
                }
                if request.send_initial_events && request.bookmarks {
                    first.push(request.bookmark(current, true));
                }
            }
            Some(Err(_)) => {
                failed = true;
                first.push(error_line(&ApiError::bad_request(
                    "invalid resource version",
                )));
            }
            Some(Ok(rv)) => match state.store.changes_since(rv) {
                Some(changes) => {
                    for change in changes {
                        if let Some(kind) = request.event_for(&change) {
                            first.push(line(kind, &request.present(&change)));
                        }
                    }
                }
                None => {
                    failed = true;
                    first.push(error_line(&ApiError::expired(format!(
                        "too old resource version: {rv} ({current})"
                    ))));
                }
            },
        }
        (state.store.subscribe(), current)
    };
    tokio::spawn(stream(request, first, changes, start, tx, failed));
    rx
}

async fn stream(
    request: WatchRequest,
    first: Vec<Bytes>,
    mut changes: broadcast::Receiver<Arc<Change>>,
    mut seen: u64,
    tx: mpsc::Sender<Bytes>,
    ends_at_once: bool,
) {
    for event in first {
        if tx.send(event).await.is_err() {
            return;
        }
    }
    if ends_at_once {
        return;
    }
    let deadline = tokio::time::sleep(
        request
            .timeout
            .unwrap_or(Duration::from_secs(3600 * 24 * 365)),
    );
    tokio::pin!(deadline);
    let mut bookmarks = tokio::time::interval_at(
        tokio::time::Instant::now() + BOOKMARK_INTERVAL,
        BOOKMARK_INTERVAL,
    );
    loop {
        tokio::select! {
            received = changes.recv() => match received {
                Ok(change) => {
                    seen = seen.max(change.resource_version);
                    if let Some(kind) = request.event_for(&change)
                        && tx.send(line(kind, &request.present(&change))).await.is_err()
                    {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let _ = tx.send(error_line(&ApiError::expired("the watch fell too far behind; list again"))).await;
                    return;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = bookmarks.tick(), if request.bookmarks => {
                if tx.send(request.bookmark(seen, false)).await.is_err() {
                    return;
                }
            }
            _ = &mut deadline => return,
            _ = tx.closed() => return,
        }
    }
}
