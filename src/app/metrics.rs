//! Health per version: the latest metrics, the window they cover, and the
//! graphs of the detail view (which one has focus, whether it fills the view).

use std::time::Duration;

use super::keys::{Outcome, nothing};
use super::{App, Effect};
use crate::analysis::{candidate, may_fail_of, verdict_of};
use crate::input::Action;
use crate::metrics::{Snapshot, key_of};

/// The windows `w` cycles through; the first is the default.
pub(crate) const WINDOWS: [Duration; 4] = [
    Duration::from_secs(5 * 60),
    Duration::from_secs(15 * 60),
    Duration::from_secs(60 * 60),
    Duration::from_secs(6 * 60 * 60),
];

/// What the console knows of health.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Metrics {
    /// Nothing has arrived yet.
    Waiting,
    /// There are none to be had, and why (`not configured (--prometheus URL)`).
    Unavailable(String),
    /// The latest refresh, errors and all.
    Ready(Snapshot),
}

/// The graphs of the detail view, in the order tab visits them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Graph {
    Errors,
    Latency,
    Requests,
}

impl Graph {
    pub const ALL: [Graph; 3] = [Graph::Errors, Graph::Latency, Graph::Requests];

    fn next(self) -> Graph {
        match self {
            Graph::Errors => Graph::Latency,
            Graph::Latency => Graph::Requests,
            Graph::Requests => Graph::Errors,
        }
    }
}

/// `5m`, `15m`, `1h`, `6h`.
pub(crate) fn window_label(window: Duration) -> String {
    let secs = window.as_secs();
    match secs {
        s if s >= 3600 && s % 3600 == 0 => format!("{}h", s / 3600),
        s if s >= 60 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

impl App {
    /// What the shell should refresh: health over the window, and the series for
    /// graphs while the detail view is open. `update` returns it whenever it changes;
    /// the shell asks for it once at start.
    pub fn metrics_request(&self) -> Effect {
        Effect::Metrics {
            window: self.window,
            history: self.detail.is_some(),
        }
    }

    /// Adds the metrics request to `effects` when it differs from `before`.
    pub(super) fn ask_again(&self, before: &Effect, effects: &mut Vec<Effect>) {
        let now = self.metrics_request();
        if now != *before {
            effects.push(now);
        }
    }

    /// The snapshot, when one has arrived.
    pub(crate) fn snapshot(&self) -> Option<&Snapshot> {
        match &self.metrics {
            Metrics::Ready(snapshot) => Some(snapshot),
            _ => None,
        }
    }

    /// A new state of health; redraws when it differs and something shows it. A refresh
    /// that brought no health at all, only errors (Prometheus down, timing out), keeps
    /// the last health known, marked stale since it was read: at 3 a.m. the last known
    /// error rates say more than a screen of `inconclusive`.
    pub(super) fn set_metrics(&mut self, metrics: Metrics) -> bool {
        let metrics = match (metrics, &self.metrics) {
            (Metrics::Ready(new), Metrics::Ready(old))
                if new.health.is_empty() && !new.errors.is_empty() && !old.health.is_empty() =>
            {
                self.stale_since = self.stale_since.or(self.health_read_at);
                Metrics::Ready(Snapshot {
                    health: old.health.clone(),
                    history: old.history.clone(),
                    errors: new.errors,
                })
            }
            (metrics, _) => {
                self.stale_since = None;
                if matches!(&metrics, Metrics::Ready(s) if !s.health.is_empty()) {
                    self.health_read_at = self.now;
                }
                metrics
            }
        };
        if self.metrics == metrics {
            return false;
        }
        self.metrics = metrics;
        self.judge();
        // The health section's length follows the snapshot's errors.
        self.clamp_scroll();
        self.help.is_none()
    }

    /// Forgets the verdicts: the snapshot, the thresholds or the alerts they were
    /// computed from changed. Marks again which releases fail.
    pub(super) fn judge(&mut self) {
        self.verdicts.clear();
        self.mark_failing();
        self.judge_in_view();
    }

    /// Marks every row whose verdict is failing or about which a critical alert fires,
    /// and sorts them first (the selection follows its release, or the top until the
    /// operator chose one). Over all rows, not only those in view: a cheap screen
    /// (`may_fail_of`) rules most out, and the full verdict runs only where it may fail.
    pub(super) fn mark_failing(&mut self) {
        let snapshot = match &self.metrics {
            Metrics::Ready(snapshot) => Some(snapshot),
            _ => None,
        };
        let mut changed = false;
        for index in 0..self.rows.len() {
            let release = &self.rows[index].release;
            let alerts = self.alerts_about(release);
            let critical = alerts.iter().any(|a| crate::alerts::is_critical(a));
            let judged = snapshot.filter(|_| !critical && candidate(release).is_some());
            let failing = critical
                || judged.is_some_and(|snapshot| {
                    may_fail_of(release, snapshot, self.window, &self.thresholds)
                        && verdict_of(release, snapshot, self.window, &self.thresholds)
                            .0
                            .state
                            == crate::analysis::State::Failing
                });
            let row = &mut self.rows[index];
            changed |= row.failing != failing;
            row.failing = failing;
        }
        if changed {
            let keep = self.selected_key();
            super::rows::sort(&mut self.rows);
            self.refilter_keeping(keep);
            if let Some(detail) = &mut self.detail {
                detail.row = self.rows.iter().position(|r| r.key == detail.key);
            }
        }
    }

    /// Computes the verdicts the screen can show that are not known yet: those of the
    /// rows in view and of the release open in the detail view. A verdict integrates two
    /// Beta posteriors (about 0.1 ms), too slow to run for 10,000 releases at every
    /// refresh, and only the releases on screen need one.
    pub(super) fn judge_in_view(&mut self) {
        let Metrics::Ready(snapshot) = &self.metrics else {
            self.verdicts.clear();
            return;
        };
        let open = self.detail.as_ref().and_then(|d| d.row);
        let wanted: Vec<usize> = self.visible().iter().copied().chain(open).collect();
        for index in wanted {
            let Some(row) = self.rows.get(index) else {
                continue;
            };
            if self.verdicts.contains_key(&row.key) || candidate(&row.release).is_none() {
                continue;
            }
            let (verdict, _) = verdict_of(&row.release, snapshot, self.window, &self.thresholds);
            let verdict = if self.critical_alerts_fail {
                crate::alerts::overrule(verdict, &self.alerts_about(&row.release))
            } else {
                verdict
            };
            self.verdicts.insert(row.key.clone(), verdict);
        }
    }

    /// The verdict on a release, when there is one.
    pub(crate) fn verdict(&self, key: &str) -> Option<&crate::analysis::Verdict> {
        self.verdicts.get(key)
    }

    /// Whether the detail view shows graphs: a release is open and the snapshot
    /// has points of it to draw.
    pub(crate) fn graphs_shown(&self) -> bool {
        let row = self.detail.as_ref().and_then(|d| d.row);
        let (None, Some(snapshot), Some(row)) = (
            &self.help,
            self.snapshot(),
            row.and_then(|i| self.rows.get(i)),
        ) else {
            return false;
        };
        let r = &row.release;
        r.versions.iter().any(|v| {
            snapshot.history.get(&key_of(r, v)).is_some_and(|h| {
                [
                    &h.requests_per_s,
                    &h.error_rate,
                    &h.p50_ms,
                    &h.p95_ms,
                    &h.p99_ms,
                ]
                .iter()
                .any(|s| !s.is_empty())
            })
        })
    }

    /// `w`, `e` and tab.
    pub(super) fn on_health_key(&mut self, action: Action) -> Outcome {
        if self.help.is_some() {
            return nothing();
        }
        if action == Action::Window {
            let next = WINDOWS
                .iter()
                .position(|w| *w == self.window)
                .map_or(0, |i| (i + 1) % WINDOWS.len());
            self.window = WINDOWS[next];
            return (Vec::new(), true);
        }
        if !self.graphs_shown() {
            return nothing();
        }
        let Some(detail) = &mut self.detail else {
            return nothing();
        };
        match action {
            Action::Expand => detail.expanded = !detail.expanded,
            Action::NextGraph => detail.graph = detail.graph.next(),
            _ => return nothing(),
        }
        self.clamp_scroll();
        (Vec::new(), true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_read_as_operators_write_them() {
        let labels: Vec<String> = WINDOWS.into_iter().map(window_label).collect();
        assert_eq!(labels, ["5m", "15m", "1h", "6h"]);
        assert_eq!(window_label(Duration::from_secs(90)), "90s");
    }

    #[test]
    fn tab_visits_every_graph() {
        let mut graph = Graph::Errors;
        for want in [Graph::Latency, Graph::Requests, Graph::Errors] {
            graph = graph.next();
            assert_eq!(graph, want);
        }
    }
}
