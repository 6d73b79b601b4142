//! The autopilots the console runs: one task per release, holding its Lease, driving
//! it with `autopilot::driver` and reporting to the app as `Msg::Autopilot`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::alerts::alertmanager::Alertmanager;
use crate::analysis::Thresholds;
use crate::app::{Ending, Msg, PilotEvent, PilotSetup};
use crate::autopilot::driver::{Driver, Finish};
use crate::autopilot::lease::{self, Lease};
use crate::metrics::feed::Feed;

/// The autopilots running, by release key.
#[derive(Default)]
pub struct Pilots {
    running: HashMap<String, Running>,
}

struct Running {
    stop: watch::Sender<Option<()>>,
    task: JoinHandle<()>,
}

/// What an autopilot needs besides its release.
pub struct Means {
    /// The cluster it drives on; who we are there is asked in the autopilot's task.
    pub cluster: super::Cluster,
    pub feed: Arc<Feed>,
    pub setup: PilotSetup,
    pub thresholds: Thresholds,
    /// Set when a firing critical alert counts as a failing verdict.
    pub critical_alerts: Option<Arc<Alertmanager>>,
}

/// How long quitting waits for autopilots to finish their interval and release their
/// Leases; past it they are cut off, and their Leases lapse on their own.
const STOP_WAIT: Duration = Duration::from_secs(15);

impl Pilots {
    /// Starts the autopilot on `namespace/name`; a finished one there is replaced.
    pub fn start(
        &mut self,
        namespace: &str,
        name: &str,
        means: Means,
        tx: mpsc::UnboundedSender<Msg>,
    ) {
        let key = format!("{namespace}/{name}");
        self.running.retain(|_, r| !r.task.is_finished());
        if self.running.contains_key(&key) {
            // The app asked for a new one: it must hear why there is none.
            let why = "the previous autopilot on it is still stopping; try again".to_string();
            let _ = tx.send(Msg::Autopilot(key, PilotEvent::Ended(Ending::Refused(why))));
            return;
        }
        let (stop, mut stopped) = watch::channel(None);
        let (namespace, name) = (namespace.to_string(), name.to_string());
        let task_key = key.clone();
        let task = tokio::spawn(async move {
            let send = |event| {
                let _ = tx.send(Msg::Autopilot(task_key.clone(), event));
            };
            let Means {
                cluster,
                feed,
                setup,
                thresholds,
                critical_alerts,
            } = means;
            let client = cluster.client.clone();
            let executor = cluster.executor().await;
            let holder = lease::identity(executor.user());
            let acquired = Lease::acquire(
                client.clone(),
                &namespace,
                &name,
                &holder,
                lease::duration_for(setup.interval),
            )
            .await;
            let mut lease = match acquired {
                Ok(lease) => lease,
                Err(error) => {
                    send(PilotEvent::Ended(Ending::Refused(error.to_string())));
                    return;
                }
            };
            send(PilotEvent::Started { holder });
            let driver = Driver {
                namespace,
                name,
                client,
                executor,
                feed,
                window: setup.window,
                thresholds,
                settings: setup.settings,
                critical_alerts,
            };
            let finish = driver
                .drive(&mut lease, setup.interval, &mut stopped, |report| {
                    send(PilotEvent::Report(report));
                })
                .await;
            let released = lease.release().await;
            let ending = match (finish, released) {
                (Err(error), _) => Ending::Failed(format!("{error:#}")),
                (Ok(_), Err(error)) => Ending::Failed(error.to_string()),
                (Ok(Finish::Ended(end)), Ok(())) => Ending::Finished(end),
                (Ok(Finish::Stopped), Ok(())) => Ending::Stopped,
            };
            send(PilotEvent::Ended(ending));
        });
        self.running.insert(key, Running { stop, task });
    }

    /// Asks the autopilot on `key` to stop after its current interval.
    pub fn stop(&self, key: &str) {
        if let Some(running) = self.running.get(key) {
            let _ = running.stop.send(Some(()));
        }
    }

    /// Stops every autopilot and waits for each to release its Lease (a bounded time).
    pub async fn stop_all(&mut self) {
        for running in self.running.values() {
            let _ = running.stop.send(Some(()));
        }
        let tasks: Vec<JoinHandle<()>> = self.running.drain().map(|(_, r)| r.task).collect();
        let aborts: Vec<_> = tasks.iter().map(JoinHandle::abort_handle).collect();
        if tokio::time::timeout(STOP_WAIT, futures::future::join_all(tasks))
            .await
            .is_err()
        {
            aborts.iter().for_each(tokio::task::AbortHandle::abort);
        }
    }
}
