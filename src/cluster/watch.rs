//! Live objects for the console: one kube-runtime watcher per served kind (no periodic
//! LIST), the objects kept as they arrive, and release recognition re-run shortly after
//! a change (once for a burst of changes).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::core::ApiResource;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use serde_json::Value;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinSet;

use super::discover::{self, Objects, Settings};
use super::sources::{self, Served, Slot};
use crate::model::Release;

/// What the watchers tell the console.
#[derive(Debug)]
pub enum Update {
    /// The kinds watched, and those skipped with the reason.
    Kinds {
        watched: Vec<String>,
        skipped: Vec<String>,
    },
    /// The releases, and the objects they were recognised in (for planning actions).
    Releases(Vec<Release>, Arc<Objects>),
    /// `None` when every watch is connected, else why one is reconnecting.
    Broken(Option<String>),
}

/// How long recognition waits after a change for more changes to arrive with it.
const SETTLE: Duration = Duration::from_millis(100);

/// How long a broken watch waits before it lists and watches again: doubling from the
/// first to the last, back to the first once a list went through.
const RETRY_FIRST: Duration = Duration::from_millis(500);
const RETRY_MAX: Duration = Duration::from_secs(8);

type Key = (String, String);

#[derive(Default)]
struct Shared {
    objects: HashMap<usize, HashMap<Key, Arc<Value>>>,
    /// Why each broken kind is, by kind: ordered, so that the header names the same
    /// one from one retry to the next rather than flickering between them.
    broken: BTreeMap<String, String>,
}

fn key(object: &DynamicObject) -> Key {
    (object.namespace().unwrap_or_default(), object.name_any())
}

/// Starts the watchers; updates arrive on `updates`. Aborting the returned task stops
/// every watcher with it.
pub fn spawn(
    client: Client,
    namespace: Option<String>,
    settings: Settings,
    updates: mpsc::UnboundedSender<Update>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // Until the server answers, the header says why, and it is asked again.
        let mut delay = RETRY_FIRST;
        let mut failed = false;
        while let Err(why) = super::connect::probe(&client).await {
            failed = true;
            if updates.send(Update::Broken(Some(why))).is_err() {
                return;
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(RETRY_MAX);
        }
        if failed && updates.send(Update::Broken(None)).is_err() {
            return;
        }
        let (served, skipped) = sources::resolve(&client).await;
        let watched = served.iter().map(|s| s.source.plural.to_string()).collect();
        if updates.send(Update::Kinds { watched, skipped }).is_err() {
            return;
        }
        let shared = Arc::new(Mutex::new(Shared::default()));
        let changed = Arc::new(Notify::new());
        let slots: Vec<Slot> = served.iter().map(|s| s.source.slot).collect();
        // Owned here, so that aborting this task drops (and aborts) them all.
        let mut watchers = JoinSet::new();
        for (index, served) in served.into_iter().enumerate() {
            let api = match &namespace {
                Some(ns) => Api::namespaced_with(client.clone(), ns, &served.resource),
                None => Api::all_with(client.clone(), &served.resource),
            };
            watchers.spawn(watch_kind(
                index,
                served,
                api,
                shared.clone(),
                changed.clone(),
                updates.clone(),
            ));
        }
        recognise(slots, settings, shared, changed, updates).await;
        watchers.shutdown().await;
    })
}

/// Re-runs recognition after each burst of changes.
async fn recognise(
    slots: Vec<Slot>,
    settings: Settings,
    shared: Arc<Mutex<Shared>>,
    changed: Arc<Notify>,
    updates: mpsc::UnboundedSender<Update>,
) {
    let mut last_broken: Option<String> = None;
    loop {
        changed.notified().await;
        tokio::time::sleep(SETTLE).await;
        let (objects, broken) = {
            let shared = shared.lock().unwrap_or_else(|p| p.into_inner());
            let mut objects = Objects::default();
            for (index, slot) in slots.iter().enumerate() {
                if let Some(kept) = shared.objects.get(&index) {
                    slot.of(&mut objects).extend(kept.values().cloned());
                }
            }
            let broken = shared
                .broken
                .iter()
                .next()
                .map(|(kind, reason)| format!("{kind}: {reason}"));
            (objects, broken)
        };
        if broken != last_broken {
            last_broken = broken.clone();
            if updates.send(Update::Broken(broken)).is_err() {
                return;
            }
        }
        // Recognition over 10,000 Deployments takes tens of milliseconds: off the runtime.
        let settings_now = settings.clone();
        let objects = Arc::new(objects);
        let seen = objects.clone();
        let Ok(releases) =
            tokio::task::spawn_blocking(move || discover::discover(&seen, &settings_now)).await
        else {
            return;
        };
        if updates.send(Update::Releases(releases, objects)).is_err() {
            return;
        }
    }
}

/// Watches one kind for as long as the console runs. After any error it lists and
/// watches afresh (after a pause): a watch that merely resumes says nothing when it
/// succeeds, so only a completed list (or a change) proves the kind healthy again, and
/// a server that came back with other objects is seen as it now is.
async fn watch_kind(
    index: usize,
    served: Served,
    api: Api<DynamicObject>,
    shared: Arc<Mutex<Shared>>,
    changed: Arc<Notify>,
    updates: mpsc::UnboundedSender<Update>,
) {
    let kind = served.source.plural;
    let mut config = watcher::Config::default();
    if let Some(labels) = served.source.labels {
        config = config.labels(labels);
    }
    let mut delay = RETRY_FIRST;
    loop {
        let stream = watcher(api.clone(), config.clone())
            .modify(|object| object.managed_fields_mut().clear());
        futures::pin_mut!(stream);
        // A list arrives as Init, InitApply..., InitDone: the new set replaces the old.
        let mut relisting: Option<HashMap<Key, Arc<Value>>> = None;
        while let Some(event) = stream.next().await {
            if updates.is_closed() {
                return;
            }
            let mut shared_state = shared.lock().unwrap_or_else(|p| p.into_inner());
            let failed = match event {
                Ok(event) => {
                    let kept = shared_state.objects.entry(index).or_default();
                    // Init comes before the list is even asked for: it proves nothing.
                    let answered = !matches!(event, watcher::Event::Init);
                    match event {
                        watcher::Event::Init => relisting = Some(HashMap::new()),
                        watcher::Event::InitApply(object) => {
                            if let Some(set) = relisting.as_mut() {
                                set.insert(key(&object), as_value(object, &served.resource));
                            }
                        }
                        watcher::Event::InitDone => {
                            if let Some(set) = relisting.take() {
                                *kept = set;
                            }
                            delay = RETRY_FIRST;
                        }
                        watcher::Event::Apply(object) => {
                            kept.insert(key(&object), as_value(object, &served.resource));
                        }
                        watcher::Event::Delete(object) => {
                            kept.remove(&key(&object));
                        }
                    }
                    if answered && relisting.is_none() {
                        shared_state.broken.remove(kind);
                    }
                    false
                }
                Err(error) => {
                    shared_state.broken.insert(kind.to_string(), worded(&error));
                    true
                }
            };
            drop(shared_state);
            if relisting.is_none() || failed {
                changed.notify_one();
            }
            if failed {
                break;
            }
        }
        if updates.is_closed() {
            return;
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(RETRY_MAX);
    }
}

/// A watcher error in words: the transport failure under it as `connect` words it.
fn worded(error: &watcher::Error) -> String {
    use kube::runtime::watcher::Error;
    match error {
        Error::InitialListFailed(e) | Error::WatchStartFailed(e) | Error::WatchFailed(e) => {
            super::connect::describe(e)
        }
        other => other.to_string(),
    }
}

fn as_value(object: DynamicObject, resource: &ApiResource) -> Arc<Value> {
    Arc::new(sources::slim(
        serde_json::to_value(object).unwrap_or(Value::Null),
        resource,
    ))
}
