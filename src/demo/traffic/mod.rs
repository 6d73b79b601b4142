//! Simulated traffic: requests for every release by its live routing, with faults set
//! per workload by annotations (`demo.kshift.dev/error-rate`, `demo.kshift.dev/latency-ms`),
//! counted under the metric names and labels of the real exporters (see
//! `metrics::Source`) and keyed as `metrics::key_of` keys versions.
//!
//! A version with no ready pod answers every request it is routed with a 503, as a
//! proxy with no endpoint does: a broken canary shows as failing, not as idle. So that a
//! cluster that has just loaded its scenario does not fail its first requests, traffic
//! starts once its routed pods are ready (or after 10 s).

mod counters;
mod exposition;
mod model;
mod plan;
mod task;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

pub use counters::{HISTORY, Histogram, Reading};
pub use exposition::CONTENT_TYPE;
pub use model::BOUNDS_MS;
pub(super) use task::spawn;

use crate::metrics::VersionKey;
use counters::Counters;

/// The simulator's counters, for readers; clones share them.
#[derive(Clone, Default)]
pub struct TrafficReader(Arc<Mutex<Counters>>);

impl TrafficReader {
    fn lock(&self) -> MutexGuard<'_, Counters> {
        // Counters stay consistent between two writes: a panic elsewhere does not spoil them.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// When the simulator last added requests; `None` before its first tick.
    pub fn last_tick(&self) -> Option<SystemTime> {
        self.lock().last_tick()
    }

    /// A version's counters at the last tick, or `None` when the simulator never saw it.
    pub fn latest(&self, key: &VersionKey) -> Option<Reading> {
        self.lock().latest(key)
    }

    /// A version's counters at past ticks from `since` on (at most `HISTORY` back), oldest
    /// first, ending with the last tick's. A large cluster keeps fewer ticks (one every
    /// 30 s at 10,000 versions), so that memory stays bounded.
    pub fn history(&self, key: &VersionKey, since: SystemTime) -> Vec<Reading> {
        self.lock().history(key, since)
    }

    /// Every series in the Prometheus text format (`CONTENT_TYPE`).
    pub fn exposition(&self) -> String {
        // Formatting 10,000 versions takes a while: not under the lock the simulator needs.
        let series = self.lock().series().to_vec();
        exposition::render(&series)
    }
}
