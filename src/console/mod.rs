//! The console's I/O shell: the terminal, the loop that turns terminal events, watcher
//! updates and ticks into messages for `app::App`, and the effects it asks for.

mod pilots;

use std::sync::Arc;
use std::time::Duration;

use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use k8s_openapi::api::core::v1::Event as KubeEvent;
use kube::Client;
use kube::api::{Api, ListParams};
use tokio::signal::unix::{SignalKind, signal};
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
    task: tokio::task::JoinHandle<()>,
}

impl Watching {
    fn start(client: &Client, namespace: Option<String>) -> Watching {
        let (tx, updates) = mpsc::unbounded_channel();
        let task = watch::spawn(client.clone(), namespace, Settings::default(), tx);
        Watching { updates, task }
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Runs the console until the user quits or a signal (SIGTERM, SIGHUP) arrives; the
/// terminal is restored in every case, panics included (ratatui's hook).
pub async fn run(mut app: App, start: Start) -> Result<()> {
    let mut terminal = ratatui::try_init().wrap_err("opening the terminal")?;
    let mut pilots = Pilots::default();
    let result = event_loop(&mut terminal, &mut app, start, &mut pilots).await;
    // However the console ends, its autopilots stop between two steps and let go of
    // their Leases.
    pilots.stop_all().await;
    ratatui::try_restore().wrap_err("restoring the terminal")?;
    result
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    start: Start,
    pilots: &mut Pilots,
) -> Result<()> {
    let Start {
        connector,
        feed,
        alertmanager,
        mut client,
        mut context,
        namespace,
    } = start;
    let mut terminate =
        signal(SignalKind::terminate()).wrap_err("installing the SIGTERM handler")?;
    let mut hangup = signal(SignalKind::hangup()).wrap_err("installing the SIGHUP handler")?;
    let mut keys = EventStream::new();
    let mut watching = Watching::start(&client, namespace);
    let (events_tx, mut events_rx) = mpsc::unbounded_channel::<Msg>();
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    let mut objects: Arc<Objects> = Arc::new(Objects::default());
    let mut executor: Option<Arc<Executor>> = None;
    // The plan the confirmation popup shows, applied on `Effect::Apply`.
    let mut pending: Option<Plan> = None;
    // Health: what the app last asked for, the versions to ask about, the one refresh in flight.
    let mut wanted = metrics_request(app.metrics_request());
    let mut version_keys: Vec<VersionKey> = Vec::new();
    let mut refreshing: Option<tokio::task::JoinHandle<()>> = None;
    let mut refresh_ticks = tokio::time::interval(METRICS_REFRESH);
    let mut alert_ticks = tokio::time::interval(ALERTS_REFRESH);
    if let Feed::Off(reason) = feed.as_ref() {
        app.update(Msg::MetricsUnavailable(reason.clone()));
    }
    let size = terminal.size().wrap_err("reading the terminal size")?;
    app.update(Msg::Resize(size.width, size.height));
    app.update(Msg::Now(now()));
    terminal.draw(|frame| crate::ui::render(frame, app))?;
    loop {
        let msg = tokio::select! {
            event = keys.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => Msg::Key(key),
                Some(Ok(Event::Resize(width, height))) => Msg::Resize(width, height),
                Some(Ok(_)) => continue,
                Some(Err(error)) => return Err(error).wrap_err("reading the terminal"),
                None => return Ok(()),
            },
            update = watching.updates.recv() => match update {
                Some(watch::Update::Releases(releases, seen)) => {
                    objects = seen;
                    version_keys = releases.iter().flat_map(|r| r.versions.iter().map(move |v| metrics::key_of(r, v))).collect();
                    Msg::Releases(releases)
                }
                Some(watch::Update::Kinds { watched, skipped }) => Msg::WatchedKinds(watched, skipped),
                Some(watch::Update::Broken(None)) => Msg::Watch(WatchStatus::Connected),
                Some(watch::Update::Broken(Some(reason))) => Msg::Watch(WatchStatus::Reconnecting(reason)),
                None => Msg::Watch(WatchStatus::Reconnecting("the watchers stopped".into())),
            },
            Some(msg) = events_rx.recv() => {
                if let Msg::Preview(preview) = &msg {
                    pending = Some(preview.plan.clone());
                }
                msg
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
            _ = terminate.recv() => return Ok(()),
            _ = hangup.recv() => return Ok(()),
        };
        let (effects, redraw) = app.update(msg);
        for effect in effects {
            match effect {
                Effect::Quit => return Ok(()),
                Effect::LoadEvents(key) => {
                    if let Some(release) = app.release(&key).cloned() {
                        let (client, tx) = (client.clone(), events_tx.clone());
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
                            app.update(Msg::Refused(key, verb, refusal.reason));
                        }
                        Ok(plan) => {
                            let executor = executor_for(&mut executor, &client, &context).await;
                            let tx = events_tx.clone();
                            tokio::spawn(async move {
                                let msg = match executor.authorize(&plan).await {
                                    Err(failure) => Msg::Refused(key, verb, failure.to_string()),
                                    Ok(()) => {
                                        let dry_run = executor
                                            .dry_run(&plan)
                                            .await
                                            .map_err(|f| f.to_string());
                                        Msg::Preview(Preview { plan, dry_run })
                                    }
                                };
                                let _ = tx.send(msg);
                            });
                        }
                    }
                }
                Effect::Apply => {
                    if let Some(plan) = pending.take() {
                        let executor = executor_for(&mut executor, &client, &context).await;
                        let tx = events_tx.clone();
                        tokio::spawn(async move {
                            let text = match executor.apply(&plan).await {
                                Ok(()) => format!(
                                    "applied {} on {}: {}",
                                    plan.verb.as_str(),
                                    plan.release,
                                    plan.summary
                                ),
                                Err(failure) => {
                                    format!("{} on {}: {failure}", plan.verb.as_str(), plan.release)
                                }
                            };
                            let _ = tx.send(Msg::Applied(text));
                        });
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
                        client: client.clone(),
                        executor: executor_for(&mut executor, &client, &context).await,
                        feed: feed.clone(),
                        setup: app.pilot_setup,
                        thresholds: app.thresholds,
                        critical_alerts: alertmanager.clone().filter(|_| app.critical_alerts_fail),
                    };
                    pilots.start(&namespace, &name, means, events_tx.clone());
                }
                Effect::StopAutopilot(key) => pilots.stop(&key),
                Effect::SwitchNamespace(namespace) => {
                    watching = Watching::start(&client, namespace);
                }
                Effect::SwitchContext(name) => match &connector {
                    Connector::Fixed(_) => {
                        app.update(Msg::Status("the demo cluster has a single context".into()));
                    }
                    Connector::Kubeconfig => match connect::from_kubeconfig(Some(&name)).await {
                        Ok((new_client, new_context)) => {
                            client = new_client;
                            context = new_context;
                            executor = None;
                            watching = Watching::start(&client, None);
                        }
                        Err(error) => {
                            app.update(Msg::Status(format!("{error:#}")));
                        }
                    },
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

/// The executor for the current cluster, made on first use (it asks the API who we are).
async fn executor_for(
    slot: &mut Option<Arc<Executor>>,
    client: &Client,
    context: &str,
) -> Arc<Executor> {
    if let Some(executor) = slot {
        return executor.clone();
    }
    let executor = Arc::new(Executor::new(client.clone(), context).await);
    *slot = Some(executor.clone());
    executor
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
