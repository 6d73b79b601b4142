//! The console's I/O shell: the terminal, the loop that turns terminal events, watcher
//! updates and ticks into messages for `app::App`, and the effects it asks for.

mod pilots;
pub mod terminal;

use std::sync::Arc;
use std::time::Duration;

use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use k8s_openapi::api::core::v1::Event as KubeEvent;
use kube::Client;
use kube::api::{Api, ListParams};
use tokio::sync::mpsc;

use crate::actions::apply::Executor;
use crate::actions::{self, Options, Plan};
use crate::alerts::alertmanager::Alertmanager;
use crate::app::{App, Effect, EventLine, Msg, Preview, WatchStatus};
use crate::cluster::discover::Objects;
use crate::cluster::discover::Settings;
use crate::cluster::{connect, watch};
use crate::metrics::feed::{Feed, Request};
use crate::metrics::{self, VersionKey};
use crate::model::Release;
use pilots::{Means, Pilots};

/// How the console reaches clusters: the kubeconfig (contexts can be switched), or
/// one fixed client (the embedded demo cluster).
pub enum Connector {
    Kubeconfig,
    Fixed(Client),
}

/// What the console starts on.
pub struct Start {
    pub connector: Connector,
    /// Where health comes from.
    pub feed: Arc<Feed>,
    /// Where alerts come from, if anywhere.
    pub alertmanager: Option<Arc<Alertmanager>>,
    pub client: Client,
    pub context: String,
    pub namespace: Option<String>,
}

/// The watchers of one cluster and namespace; dropping this stops them.
struct Watching {
    updates: mpsc::UnboundedReceiver<watch::Update>,
    /// False once the watchers' channel closed: it is no longer polled (it would
    /// answer `None` at once, for ever).
    open: bool,
    task: tokio::task::JoinHandle<()>,
}

impl Watching {
    fn start(client: &Client, namespace: Option<String>) -> Watching {
        let (tx, updates) = mpsc::unbounded_channel();
        let task = watch::spawn(client.clone(), namespace, Settings::default(), tx);
        Watching {
            updates,
            open: true,
            task,
        }
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The cluster the console looks at and acts on: its client, its context's name, and
/// who we are there (asked once, in a task: never awaited in the loop).
#[derive(Clone)]
pub(crate) struct Cluster {
    pub client: Client,
    pub context: String,
    executor: Arc<tokio::sync::OnceCell<Arc<Executor>>>,
}

impl Cluster {
    fn new(client: Client, context: String) -> Cluster {
        Cluster {
            client,
            context,
            executor: Arc::default(),
        }
    }

    /// The executor for this cluster, made on first use (it asks the API who we are).
    pub async fn executor(&self) -> Arc<Executor> {
        self.executor
            .get_or_init(|| async {
                Arc::new(Executor::new(self.client.clone(), &self.context).await)
            })
            .await
            .clone()
    }
}

/// What a context switch found: the new context's client, or why there is none.
type Switched = (String, Result<Client, String>);

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Runs the console until the user quits or a signal ends it; the terminal is restored
/// in every case: on quit, on error, on each terminating signal (then the error is
/// `terminal::Ended`, exit 128 + its number), and on panic (the hook below).
pub async fn run(mut app: App, start: Start) -> Result<()> {
    // Signals first: from here on none of them leaves the terminal raw.
    let mut signals = terminal::signals().wrap_err("installing the signal handlers")?;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = terminal::restore();
        previous(info);
    }));
    let mut console = match terminal::open() {
        Ok(console) => console,
        Err(error) => {
            let _ = terminal::restore();
            return Err(error).wrap_err("opening the terminal");
        }
    };
    let mut pilots = Pilots::default();
    let ended = event_loop(&mut console, &mut app, start, &mut pilots, &mut signals).await;
    // The terminal first: whatever the network does, the operator gets it back now.
    let restored = terminal::restore();
    drop(console);
    // Then its autopilots stop between two steps and let go of their Leases.
    pilots.stop_all().await;
    restored.wrap_err("restoring the terminal")?;
    // Made only now: with RUST_BACKTRACE set, a report takes a second to capture its
    // backtrace, and the terminal must not wait for it.
    match ended? {
        Some(signal) => Err(signal.into()),
        None => Ok(()),
    }
}

async fn event_loop(
    terminal: &mut terminal::Console,
    app: &mut App,
    start: Start,
    pilots: &mut Pilots,
    signals: &mut mpsc::UnboundedReceiver<terminal::Signalled>,
) -> Result<Option<terminal::Ended>> {
    let Start {
        connector,
        feed,
        alertmanager,
        client,
        context,
        namespace,
    } = start;
    let mut cluster = Cluster::new(client, context);
    // A context switch in flight: its name, and the task trying it.
    let (switch_tx, mut switch_rx) = mpsc::unbounded_channel::<Switched>();
    let mut switching: Option<(String, tokio::task::JoinHandle<()>)> = None;
    let mut keys = EventStream::new();
    let mut watching = Watching::start(&cluster.client, namespace);
    let (events_tx, mut events_rx) = mpsc::unbounded_channel::<Msg>();
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    let mut objects: Arc<Objects> = Arc::new(Objects::default());
    // The plan the confirmation popup shows and the context it was made on, applied
    // on `Effect::Apply`.
    let mut pending: Option<(String, Plan)> = None;
    // Health: what the app last asked for, the versions to ask about, the one refresh in flight.
    let mut wanted = metrics_request(app.metrics_request());
    let mut version_keys: Vec<VersionKey> = Vec::new();
    let mut refreshing: Option<tokio::task::JoinHandle<()>> = None;
    let mut refresh_ticks = tokio::time::interval(METRICS_REFRESH);
    let mut alert_ticks = tokio::time::interval(ALERTS_REFRESH);
    if let Feed::Off(reason) = feed.as_ref() {
        app.update(Msg::MetricsUnavailable(reason.clone()));
    }
    // Clamped: the size the terminal draws at.
    let size = terminal.size().wrap_err("reading the terminal size")?;
    app.update(Msg::Resize(size.width, size.height));
    app.update(Msg::Now(now()));
    terminal.draw(|frame| crate::ui::render(frame, app))?;
    loop {
        let msg = tokio::select! {
            event = keys.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => Msg::Key(key),
                Some(Ok(Event::Resize(width, height))) => {
                    let (width, height) = terminal::clamp(width, height);
                    Msg::Resize(width, height)
                }
                Some(Ok(_)) => continue,
                Some(Err(error)) => return Err(error).wrap_err("reading the terminal"),
                None => return Ok(None),
            },
            update = watching.updates.recv(), if watching.open => match update {
                Some(watch::Update::Releases(releases, seen)) => {
                    objects = seen;
                    version_keys = releases.iter().flat_map(|r| r.versions.iter().map(move |v| metrics::key_of(r, v))).collect();
                    Msg::Releases(releases)
                }
                Some(watch::Update::Kinds { watched, skipped }) => Msg::WatchedKinds(watched, skipped),
                Some(watch::Update::Broken(None)) => Msg::Watch(WatchStatus::Connected),
                Some(watch::Update::Broken(Some(reason))) => Msg::Watch(WatchStatus::Reconnecting(reason)),
                None => {
                    watching.open = false;
                    Msg::Watch(WatchStatus::Reconnecting("the watchers stopped".into()))
                }
            },
            Some(msg) = events_rx.recv() => {
                if let Msg::Preview(preview) = &msg {
                    pending = Some((preview.context.clone(), preview.plan.clone()));
                }
                msg
            }
            Some((name, result)) = switch_rx.recv() => {
                // Only the latest switch asked for counts.
                if switching.as_ref().is_none_or(|(wanted, _)| *wanted != name) {
                    continue;
                }
                switching = None;
                match result {
                    Ok(client) => {
                        // Everything moves at once, before the app hears of it: the
                        // client, who we are, the watchers, and no plan of the old one.
                        cluster = Cluster::new(client, name.clone());
                        pending = None;
                        objects = Arc::default();
                        version_keys.clear();
                        watching = Watching::start(&cluster.client, app.namespace.clone());
                        Msg::Connected(name)
                    }
                    Err(why) => Msg::ContextFailed(name, why),
                }
            }
            _ = ticks.tick() => Msg::Now(now()),
            _ = refresh_ticks.tick(), if !matches!(feed.as_ref(), Feed::Off(_)) => {
                refreshing = Some(refresh(&feed, &version_keys, wanted, &events_tx, refreshing.take()));
                continue;
            }
            _ = alert_ticks.tick(), if alertmanager.is_some() => {
                if let Some(alertmanager) = alertmanager.clone() {
                    let tx = events_tx.clone();
                    tokio::spawn(async move {
                        let _ = tx.send(Msg::Alerts(alertmanager.firing().await));
                    });
                }
                continue;
            }
            Some(signalled) = signals.recv() => match signalled {
                terminal::Signalled::End(ended) => return Ok(Some(ended)),
                terminal::Signalled::Suspend => {
                    terminal::suspend().wrap_err("suspending")?;
                    continue;
                }
                terminal::Signalled::Resume => {
                    terminal::reenter(terminal).wrap_err("resuming")?;
                    terminal.draw(|frame| crate::ui::render(frame, app))?;
                    continue;
                }
            },
        };
        let (effects, redraw) = app.update(msg);
        for effect in effects {
            match effect {
                Effect::Quit => return Ok(None),
                Effect::LoadEvents(key) => {
                    if let Some(release) = app.release(&key).cloned() {
                        let (client, tx) = (cluster.client.clone(), events_tx.clone());
                        tokio::spawn(async move {
                            let msg = match recent_events(&client, &release).await {
                                Ok(lines) => Msg::Events(key, lines),
                                Err(error) => Msg::Status(format!("events of {key}: {error}")),
                            };
                            let _ = tx.send(msg);
                        });
                    }
                }
                Effect::Plan(verb, key) => {
                    let Some(release) = app.release(&key) else {
                        continue;
                    };
                    match actions::plan(release, &objects, verb, &Options::default()) {
                        Err(refusal) => {
                            let _ = events_tx.send(Msg::Refused(key, verb, refusal.reason));
                        }
                        Ok(plan) => {
                            let (cluster, tx) = (cluster.clone(), events_tx.clone());
                            tokio::spawn(async move {
                                let executor = cluster.executor().await;
                                let msg = match executor.authorize(&plan).await {
                                    Err(failure) => Msg::Refused(key, verb, failure.to_string()),
                                    Ok(()) => {
                                        let dry_run = executor
                                            .dry_run(&plan)
                                            .await
                                            .map_err(|f| f.to_string());
                                        Msg::Preview(Preview {
                                            context: cluster.context.clone(),
                                            plan,
                                            dry_run,
                                        })
                                    }
                                };
                                let _ = tx.send(msg);
                            });
                        }
                    }
                }
                Effect::Apply => {
                    match pending.take() {
                        // Never on another cluster than the one it was planned on.
                        Some((context, plan)) if context != cluster.context => {
                            let _ = events_tx.send(Msg::Applied(format!(
                                "not applied: {} on {} was planned on context {context}, not {}",
                                plan.verb.as_str(),
                                plan.release,
                                cluster.context
                            )));
                        }
                        Some((_, plan)) => {
                            let (cluster, tx) = (cluster.clone(), events_tx.clone());
                            tokio::spawn(async move {
                                let executor = cluster.executor().await;
                                let text = match executor.apply(&plan).await {
                                    Ok(()) => format!(
                                        "applied {} on {}: {}",
                                        plan.verb.as_str(),
                                        plan.release,
                                        plan.summary
                                    ),
                                    Err(failure) => {
                                        format!(
                                            "{} on {}: {failure}",
                                            plan.verb.as_str(),
                                            plan.release
                                        )
                                    }
                                };
                                let _ = tx.send(Msg::Applied(text));
                            });
                        }
                        None => {}
                    }
                }
                Effect::Cancel => pending = None,
                Effect::Metrics { window, history } => {
                    wanted = Request { window, history };
                    if !matches!(feed.as_ref(), Feed::Off(_)) {
                        refreshing = Some(refresh(
                            &feed,
                            &version_keys,
                            wanted,
                            &events_tx,
                            refreshing.take(),
                        ));
                    }
                }
                Effect::StartAutopilot(key) => {
                    let Some(release) = app.release(&key) else {
                        continue;
                    };
                    let (namespace, name) = (release.namespace.clone(), release.name.clone());
                    let means = Means {
                        cluster: cluster.clone(),
                        feed: feed.clone(),
                        setup: app.pilot_setup,
                        thresholds: app.thresholds,
                        critical_alerts: alertmanager.clone().filter(|_| app.critical_alerts_fail),
                    };
                    pilots.start(&namespace, &name, means, events_tx.clone());
                }
                Effect::StopAutopilot(key) => pilots.stop(&key),
                Effect::SwitchNamespace(namespace) => {
                    watching = Watching::start(&cluster.client, namespace);
                }
                Effect::SwitchContext(name) => match &connector {
                    Connector::Fixed(_) => {
                        let why =
                            format!("the demo cluster has a single context, {}", cluster.context);
                        let _ = events_tx.send(Msg::ContextFailed(name, why));
                    }
                    Connector::Kubeconfig => {
                        if let Some((_, task)) = switching.take() {
                            task.abort();
                        }
                        let tx = switch_tx.clone();
                        let wanted = name.clone();
                        let task = tokio::spawn(async move {
                            let result = match connect::from_kubeconfig(Some(&wanted)).await {
                                Err(error) => Err(format!("{error:#}")),
                                Ok((client, _)) => connect::probe(&client).await.map(|()| client),
                            };
                            let _ = tx.send((wanted, result));
                        });
                        switching = Some((name, task));
                    }
                },
            }
        }
        if redraw {
            terminal.draw(|frame| crate::ui::render(frame, app))?;
        }
    }
}

/// How often health is refreshed while the console is open.
const METRICS_REFRESH: Duration = Duration::from_secs(5);

/// How often alerts are: Alertmanager groups and repeats on a scale of tens of seconds.
const ALERTS_REFRESH: Duration = Duration::from_secs(10);

fn metrics_request(effect: Effect) -> Request {
    match effect {
        Effect::Metrics { window, history } => Request { window, history },
        _ => Request {
            window: Duration::from_secs(300),
            history: false,
        },
    }
}

/// Starts a refresh, replacing (aborting) the one in flight: only the latest is kept.
fn refresh(
    feed: &Arc<Feed>,
    keys: &[VersionKey],
    request: Request,
    tx: &mpsc::UnboundedSender<Msg>,
    previous: Option<tokio::task::JoinHandle<()>>,
) -> tokio::task::JoinHandle<()> {
    if let Some(previous) = previous {
        previous.abort();
    }
    let (feed, keys, tx) = (feed.clone(), keys.to_vec(), tx.clone());
    tokio::spawn(async move {
        let snapshot = feed.refresh(&keys, request).await;
        let _ = tx.send(Msg::Metrics(snapshot));
    })
}

/// The newest Events of a release's objects (one LIST in its namespace, read on demand).
pub async fn recent_events(client: &Client, release: &Release) -> Result<Vec<EventLine>> {
    let api: Api<KubeEvent> = Api::namespaced(client.clone(), &release.namespace);
    let events = api
        .list(&ListParams::default())
        .await
        .wrap_err("listing events")?;
    let mut lines: Vec<EventLine> = events
        .items
        .into_iter()
        .filter(|e| {
            let involved = &e.involved_object;
            release.objects.iter().any(|o| {
                Some(&o.name) == involved.name.as_ref() && Some(&o.kind) == involved.kind.as_ref()
            })
        })
        .map(|e| {
            let at = e
                .last_timestamp
                .as_ref()
                .map(|t| t.0.as_second())
                .or_else(|| e.event_time.as_ref().map(|t| t.0.as_second()));
            EventLine {
                timestamp: at,
                kind: e.type_.unwrap_or_default(),
                reason: e.reason.unwrap_or_default(),
                object: format!(
                    "{}/{}",
                    e.involved_object.kind.unwrap_or_default(),
                    e.involved_object.name.unwrap_or_default()
                ),
                message: e.message.unwrap_or_default(),
            }
        })
        .collect();
    lines.sort_by_key(|l| std::cmp::Reverse(l.timestamp));
    lines.truncate(20);
    Ok(lines)
}
