//! The simulator: once a second it reads the live routing and faults from the store and
//! adds a second of requests to the counters. No I/O; the loop only keeps time.

use std::time::{Duration, Instant, SystemTime};

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::counters::Slot;
use super::model::{self, Faults, LatencyTable, Outcome};
use super::plan::{self, Workload};
use crate::cluster::discover::{self, Objects, Settings};
use crate::cluster::sources::SOURCES;
use crate::demo::Cluster;
use crate::demo::resources::StoreKey;
use crate::demo::store::Store;

const TICK: Duration = Duration::from_secs(1);
/// A late tick makes up for at most this much time.
const MAX_CATCH_UP: Duration = Duration::from_secs(5);
/// After a change, recognition runs again once the time since its last run is 50 times
/// what that run cost: every tick for the showcase, every few seconds at 10,000 releases.
const DISCOVER_SHARE: u32 = 50;
const MAX_DISCOVER_EVERY: Duration = Duration::from_secs(30);
/// Traffic starts once every routed workload has a ready pod, or after this long: a
/// cluster that has just loaded its scenario would otherwise fail its first requests.
const WARM_UP: Duration = Duration::from_secs(10);

/// A version as the simulator drives it.
struct Route {
    weight: f64,
    ready: bool,
    workload: Option<Workload>,
    faults: Faults,
    slot: Slot,
}

pub struct Simulator {
    cluster: Cluster,
    rng: StdRng,
    table: LatencyTable,
    /// Per release, its versions.
    routes: Vec<Vec<Route>>,
    next_discover: Option<Instant>,
    /// The store's resourceVersion when the routes and when the faults were read: an
    /// idle cluster is not read again.
    routes_read: Option<u64>,
    faults_read: Option<u64>,
    created: Instant,
    last_tick: Option<SystemTime>,
}

impl Simulator {
    pub fn new(cluster: Cluster, rng: StdRng) -> Self {
        Simulator {
            cluster,
            rng,
            table: LatencyTable::default(),
            routes: Vec::new(),
            next_discover: None,
            routes_read: None,
            faults_read: None,
            created: Instant::now(),
            last_tick: None,
        }
    }

    /// Adds the requests of the time since the last tick (a second for the first).
    pub fn tick(&mut self, now: SystemTime) {
        if self.next_discover.is_none_or(|at| Instant::now() >= at) {
            self.discover();
        }
        let unready = || {
            let mut routes = self.routes.iter().flatten();
            routes.any(|r| r.weight > 0.0 && !r.ready && r.workload.is_some())
        };
        if self.last_tick.is_none() && self.created.elapsed() < WARM_UP && unready() {
            return;
        }
        self.read_faults();
        let seconds = self
            .last_tick
            .and_then(|last| now.duration_since(last).ok())
            .unwrap_or(TICK)
            .min(MAX_CATCH_UP)
            .as_secs_f64();
        self.last_tick = Some(now);
        let mut counters = self.cluster.inner.traffic.lock();
        for routes in &self.routes {
            let arrivals = model::arrivals(&mut self.rng, seconds);
            let weights: Vec<f64> = routes.iter().map(|r| r.weight).collect();
            let shares = model::split(&mut self.rng, arrivals, &weights);
            for (route, n) in routes.iter().zip(shares) {
                let mut outcome = Outcome::default();
                model::serve(
                    &mut self.rng,
                    &self.table,
                    n,
                    route.faults,
                    route.ready,
                    &mut outcome,
                );
                counters.record(route.slot, &outcome);
            }
        }
        counters.finish_tick(now);
    }

    /// Recognises the releases again (outside the cluster's lock) and interns their
    /// series, when the store changed since the last time.
    fn discover(&mut self) {
        let started = Instant::now();
        let (objects, version) = {
            let state = self.cluster.lock();
            let version = state.store.resource_version();
            if self.routes_read == Some(version) {
                return;
            }
            (objects(&state.store), version)
        };
        let releases = discover::discover(&objects, &Settings::default());
        let plans = plan::plan(&releases, &objects);
        let mut counters = self.cluster.inner.traffic.lock();
        self.routes = plans
            .into_iter()
            .map(|versions| {
                versions
                    .into_iter()
                    .map(|v| Route {
                        weight: v.weight,
                        ready: v.ready,
                        workload: v.workload,
                        faults: Faults::default(),
                        slot: counters.intern(v.series, v.key),
                    })
                    .collect()
            })
            .collect();
        drop(counters);
        self.routes_read = Some(version);
        self.faults_read = None;
        let every = started.elapsed() * DISCOVER_SHARE;
        self.next_discover = (every > TICK).then(|| started + every.min(MAX_DISCOVER_EVERY));
    }

    /// The faults of every version, from its workload, when the store changed.
    fn read_faults(&mut self) {
        let state = self.cluster.lock();
        let version = state.store.resource_version();
        if self.faults_read == Some(version) {
            return;
        }
        for route in self.routes.iter_mut().flatten() {
            route.faults = route
                .workload
                .as_ref()
                .and_then(|w| state.store.get(&w.store, &w.namespace, &w.name))
                .map_or_else(Faults::default, |object| Faults::of(&object));
        }
        self.faults_read = Some(version);
    }
}

/// The objects recognition reads, as the store holds them.
pub(super) fn objects(store: &Store) -> Objects {
    let mut objects = Objects::default();
    for source in SOURCES {
        *source.slot.of(&mut objects) =
            store.list(&StoreKey::new(source.group, source.plural), None);
    }
    objects
}

/// Ticks until the runtime stops; each tick runs off the async workers, as recognising
/// a large cluster takes a while.
pub fn spawn(cluster: Cluster) {
    tokio::spawn(async move {
        let mut simulator = Simulator::new(cluster, StdRng::from_rng(&mut rand::rng()));
        let mut ticks = tokio::time::interval(TICK);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let ticked = tokio::task::spawn_blocking(move || {
                simulator.tick(SystemTime::now());
                simulator
            })
            .await;
            match ticked {
                Ok(next) => simulator = next,
                Err(error) => {
                    tracing::error!("the traffic simulator stopped: {error}");
                    return;
                }
            }
        }
    });
}
