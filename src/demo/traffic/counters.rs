//! The simulator's counters, pure: per exported series (for `/metrics`), per version key
//! (for readers in Rust), and a bounded history of the per-key totals.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, SystemTime};

use super::model::{BOUNDS_MS, Observations, Outcome};
use crate::metrics::{Source, VersionKey};

/// One exported series: its source and labels, without the status code and `le`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Series {
    pub source: Source,
    pub labels: Vec<(&'static str, String)>,
}

/// A series' counters: requests by status code and their latencies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    /// Sorted by code; a code appears once it has been answered.
    pub codes: Vec<(u16, u64)>,
    pub latency: Observations,
}

impl Counts {
    fn add(&mut self, outcome: &Outcome) {
        for (code, n) in outcome.codes() {
            match self.codes.binary_search_by_key(&code, |(c, _)| *c) {
                Ok(at) => self.codes[at].1 += n,
                Err(at) => self.codes.insert(at, (code, n)),
            }
        }
        self.latency.add(&outcome.latency);
    }
}

/// A version's totals since the cluster started.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Tally {
    errors: u64,
    latency: Observations,
}

/// What a version had served by one tick, counted since the cluster started: counters
/// only grow, so a rate is the difference of two readings over the time between them.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub at: SystemTime,
    pub requests: u64,
    /// Requests answered with a 5xx.
    pub errors: u64,
    pub latency: Histogram,
}

/// A latency histogram as Prometheus exposes it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Histogram {
    /// Requests that took at most `BOUNDS_MS[i]` milliseconds (cumulative).
    pub buckets: [u64; BOUNDS_MS.len()],
    /// Every request (the `+Inf` bucket).
    pub count: u64,
    pub sum_ms: f64,
}

impl Histogram {
    fn of(observations: &Observations) -> Self {
        let cumulative = observations.cumulative();
        let mut buckets = [0; BOUNDS_MS.len()];
        buckets.copy_from_slice(&cumulative[..BOUNDS_MS.len()]);
        Histogram {
            buckets,
            count: observations.count(),
            sum_ms: observations.sum_ms,
        }
    }

    /// What was observed after `earlier`.
    pub fn since(&self, earlier: &Histogram) -> Histogram {
        Histogram {
            buckets: std::array::from_fn(|i| self.buckets[i].saturating_sub(earlier.buckets[i])),
            count: self.count.saturating_sub(earlier.count),
            sum_ms: self.sum_ms - earlier.sum_ms,
        }
    }

    /// The `q` quantile in milliseconds, as `histogram_quantile` computes it; `None`
    /// without observations.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        let buckets: Vec<(f64, f64)> = BOUNDS_MS
            .iter()
            .zip(self.buckets)
            .map(|(bound, count)| (*bound, count as f64))
            .chain(std::iter::once((f64::INFINITY, self.count as f64)))
            .collect();
        crate::metrics::math::histogram_quantile(q, &buckets)
    }
}

/// How far back the history reaches.
pub const HISTORY: Duration = Duration::from_secs(600);
/// At most this many (tick, version) points are kept: a large cluster keeps fewer ticks.
const HISTORY_POINTS: usize = 200_000;

/// Where an interned version's counts go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    series: usize,
    key: usize,
}

#[derive(Default)]
pub struct Counters {
    series: Vec<(Series, Counts)>,
    series_index: HashMap<Series, usize>,
    keys: Vec<Tally>,
    key_index: HashMap<VersionKey, usize>,
    /// Per-key totals at past ticks, oldest first; a key's index is its place.
    history: VecDeque<(SystemTime, Vec<Tally>)>,
    last_tick: Option<SystemTime>,
}

impl Counters {
    /// The slot of a series (and of its version key); a new one starts at zero and, like
    /// every other, is kept while the process lives so that counters never reset.
    pub fn intern(&mut self, series: Series, key: VersionKey) -> Slot {
        let key = *self.key_index.entry(key).or_insert_with(|| {
            self.keys.push(Tally::default());
            self.keys.len() - 1
        });
        let series = match self.series_index.get(&series) {
            Some(at) => *at,
            None => {
                self.series.push((series.clone(), Counts::default()));
                self.series_index.insert(series, self.series.len() - 1);
                self.series.len() - 1
            }
        };
        Slot { series, key }
    }

    pub fn record(&mut self, slot: Slot, outcome: &Outcome) {
        self.series[slot.series].1.add(outcome);
        let tally = &mut self.keys[slot.key];
        tally.errors += outcome.errors();
        tally.latency.add(&outcome.latency);
    }

    /// Closes a tick: its time, and a point of history when one is due.
    pub fn finish_tick(&mut self, now: SystemTime) {
        self.last_tick = Some(now);
        let kept = (HISTORY_POINTS / self.keys.len().max(1)).max(1);
        let every = HISTORY.div_f64(kept as f64);
        let due = self.history.back().is_none_or(|(at, _)| {
            now.duration_since(*at)
                .is_ok_and(|elapsed| elapsed >= every)
        });
        if due {
            self.history.push_back((now, self.keys.clone()));
        }
        let old = |at: &SystemTime| now.duration_since(*at).is_ok_and(|age| age > HISTORY);
        while self.history.len() > kept || self.history.front().is_some_and(|(at, _)| old(at)) {
            self.history.pop_front();
        }
    }

    pub fn last_tick(&self) -> Option<SystemTime> {
        self.last_tick
    }

    pub fn latest(&self, key: &VersionKey) -> Option<Reading> {
        let at = self.last_tick?;
        let tally = self.keys.get(*self.key_index.get(key)?)?;
        Some(reading(at, tally))
    }

    /// The readings of a version at or after `since`, oldest first, ending with the
    /// latest tick's.
    pub fn history(&self, key: &VersionKey, since: SystemTime) -> Vec<Reading> {
        let Some(&index) = self.key_index.get(key) else {
            return Vec::new();
        };
        let mut readings: Vec<Reading> = self
            .history
            .iter()
            .filter(|(at, _)| *at >= since)
            .filter_map(|(at, tallies)| tallies.get(index).map(|t| reading(*at, t)))
            .collect();
        if let Some(latest) = self.latest(key)
            && readings.last().is_none_or(|last| last.at < latest.at)
            && latest.at >= since
        {
            readings.push(latest);
        }
        readings
    }

    pub fn series(&self) -> &[(Series, Counts)] {
        &self.series
    }
}

fn reading(at: SystemTime, tally: &Tally) -> Reading {
    Reading {
        at,
        requests: tally.latency.count(),
        errors: tally.errors,
        latency: Histogram::of(&tally.latency),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(target: &str) -> VersionKey {
        VersionKey {
            source: Source::App,
            namespace: "ns".into(),
            target: target.into(),
            version: "v1".into(),
        }
    }

    fn series(target: &str) -> Series {
        Series {
            source: Source::App,
            labels: vec![("app", target.to_string())],
        }
    }

    fn outcome(ok: u64, failed: u64, ms: f64) -> Outcome {
        let mut outcome = Outcome {
            ok,
            failed,
            ..Outcome::default()
        };
        for _ in 0..ok + failed {
            outcome.latency.observe(ms);
        }
        outcome
    }

    #[test]
    fn history_is_bounded_and_ends_with_the_latest_tick() {
        let mut counters = Counters::default();
        let slot = counters.intern(series("a"), key("a"));
        assert_eq!(counters.intern(series("a"), key("a")), slot);
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        for second in 0..1000 {
            counters.record(slot, &outcome(9, 1, 30.0));
            counters.finish_tick(start + Duration::from_secs(second));
        }
        let all = counters.history(&key("a"), SystemTime::UNIX_EPOCH);
        assert_eq!(all.len(), 601, "ten minutes and a tick");
        assert!(all.windows(2).all(|w| w[0].requests < w[1].requests));
        let last = all.last().expect("a reading");
        assert_eq!((last.requests, last.errors), (10_000, 1_000));
        assert_eq!(Some(last.clone()), counters.latest(&key("a")));
        let recent = counters.history(&key("a"), start + Duration::from_secs(990));
        assert_eq!(recent.len(), 10);
        assert!(counters.history(&key("b"), start).is_empty());
        assert_eq!(counters.latest(&key("b")), None);
    }

    #[test]
    fn many_versions_keep_fewer_ticks() {
        let mut counters = Counters::default();
        for i in 0..10_000 {
            counters.intern(series(&i.to_string()), key(&i.to_string()));
        }
        let start = SystemTime::UNIX_EPOCH;
        for second in 0..120 {
            counters.finish_tick(start + Duration::from_secs(second));
        }
        let points: usize = counters.history.iter().map(|(_, t)| t.len()).sum();
        assert!(points <= HISTORY_POINTS, "{points}");
        assert_eq!(counters.history(&key("7"), start).len(), 5, "every 30 s");
    }

    #[test]
    fn quantiles_interpolate_like_prometheus() {
        let mut observed = Observations::default();
        for ms in [
            20.0, 20.0, 40.0, 40.0, 80.0, 80.0, 80.0, 80.0, 300.0, 20_000.0,
        ] {
            observed.observe(ms);
        }
        let histogram = Histogram::of(&observed);
        assert_eq!(histogram.count, 10);
        // Rank 5 falls in (50, 100], which holds ranks 5 to 8.
        assert_eq!(histogram.quantile_ms(0.5), Some(62.5));
        assert_eq!(histogram.quantile_ms(1.0), Some(10_000.0));
        let none = histogram.since(&histogram);
        assert_eq!((none.count, none.quantile_ms(0.5)), (0, None));
    }
}
