//! The console's state and how messages change it: no I/O, no clock, no
//! terminal. `update` says what the I/O shell must do and whether to redraw.

mod act;
mod alerts;
mod command;
mod confirm;
mod keys;
mod metrics;
mod msg;
mod pilots;
mod rows;
mod update;

#[cfg(test)]
mod action_tests;
#[cfg(test)]
mod context_tests;
#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
pub(crate) mod health_fixtures;
#[cfg(test)]
mod metrics_tests;
#[cfg(test)]
mod pilot_tests;
#[cfg(test)]
mod tests;

pub(crate) use crate::ages::age;
pub(crate) use alerts::Alerts;
pub(crate) use confirm::{Asked, Confirm};
pub(crate) use metrics::{Graph, Metrics, window_label};
pub use msg::{Effect, EventLine, Msg, Preview, WatchStatus};
pub use pilots::{Ending, PilotEvent, PilotSetup};
pub(crate) use pilots::{Pilot, PilotState};
pub(crate) use rows::Row;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use crate::analysis::{Thresholds, Verdict};
use crate::input::{Action, Keymap};
use crate::ui::Theme;

/// All console state.
pub struct App {
    pub(crate) keymap: Keymap,
    pub(crate) theme: Theme,
    /// The context the header names and every action key acts on.
    pub(crate) context: String,
    /// The context `:ctx` asked for, until it answers or fails.
    pub(crate) switching: Option<String>,
    /// The namespace shown; `None` is all namespaces.
    pub(crate) namespace: Option<String>,
    /// Every release received, most urgent first.
    pub(crate) rows: Vec<Row>,
    /// Whether a list has arrived since start or the last context switch.
    pub(crate) loaded: bool,
    /// Whether the operator has moved the selection or opened a release: until then it
    /// stays on the most urgent release, whatever sorts first as data comes in.
    pub(crate) chosen: bool,
    /// Indices into `rows` of the releases the namespace and filter let through.
    pub(crate) shown: Vec<usize>,
    /// Index into `shown` of the selected release.
    pub(crate) selected: usize,
    /// Index into `shown` of the first row on screen.
    pub(crate) offset: usize,
    /// The filter, as typed.
    pub(crate) filter: String,
    pub(crate) prompt: Option<Prompt>,
    pub(crate) detail: Option<Detail>,
    /// Open with this scroll position.
    pub(crate) help: Option<usize>,
    pub(crate) watch: WatchStatus,
    pub(crate) watched: Vec<String>,
    pub(crate) skipped: Vec<String>,
    pub(crate) now: Option<i64>,
    /// When the health on screen was read (Unix seconds), and, while Prometheus fails,
    /// since when it is stale: the last known health stays, marked with its age.
    pub(crate) health_read_at: Option<i64>,
    pub(crate) stale_since: Option<i64>,
    pub(crate) width: u16,
    pub(crate) height: u16,
    pub(crate) status: Option<String>,
    /// Whether actions that change the cluster are off (`--readonly`).
    pub(crate) read_only: bool,
    /// The plan waiting for a yes or a no, drawn over the current view.
    pub(crate) confirm: Option<Confirm>,
    /// Health per version, as the last refresh found it.
    pub(crate) metrics: Metrics,
    /// What health (and the graphs) cover, ending now.
    pub(crate) window: Duration,
    /// The verdict's thresholds before each release's annotations (the config's).
    pub(crate) thresholds: Thresholds,
    /// The verdicts on releases with a candidate from the latest metrics, computed
    /// for the rows on screen as they come into view.
    pub(crate) verdicts: HashMap<String, Verdict>,
    /// How this console's autopilots run.
    pub(crate) pilot_setup: PilotSetup,
    /// The autopilots this console started, by release key.
    pub(crate) pilots: BTreeMap<String, Pilot>,
    /// Alertmanager's firing alerts.
    pub(crate) alerts: Alerts,
    /// Whether a firing critical alert makes a release's verdict failing.
    pub(crate) critical_alerts_fail: bool,
    /// Which optional list columns have something to show.
    pub(crate) extras: ListExtras,
}

/// What the optional list columns would show, kept up to date by `note_extras`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ListExtras {
    /// Some release has an autopilot Lease.
    pub leases: bool,
    /// Some release has a firing alert.
    pub alerts: bool,
}

/// A line being typed in the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Prompt {
    /// Editing `App::filter`, which applies as it is typed.
    Filter,
    Command(String),
}

/// The detail view of one release.
pub(crate) struct Detail {
    pub key: String,
    /// Index into `rows`; `None` once the release is gone.
    pub row: Option<usize>,
    /// `None` until `Msg::Events` answers `Effect::LoadEvents`.
    pub events: Option<Vec<EventLine>>,
    pub scroll: usize,
    /// The graph tab moves to and `e` expands.
    pub graph: Graph,
    /// Whether the focused graph fills the view.
    pub expanded: bool,
}

impl App {
    pub fn new(keymap: Keymap, theme: Theme, namespace: Option<String>, context: String) -> App {
        App {
            keymap,
            theme,
            context,
            switching: None,
            namespace,
            rows: Vec::new(),
            loaded: false,
            chosen: false,
            shown: Vec::new(),
            selected: 0,
            offset: 0,
            filter: String::new(),
            prompt: None,
            detail: None,
            help: None,
            watch: WatchStatus::Connected,
            watched: Vec::new(),
            skipped: Vec::new(),
            now: None,
            health_read_at: None,
            stale_since: None,
            // Until the shell sends the real size.
            width: 80,
            height: 24,
            status: None,
            read_only: false,
            confirm: None,
            metrics: Metrics::Waiting,
            window: metrics::WINDOWS[0],
            thresholds: Thresholds::default(),
            verdicts: HashMap::new(),
            pilot_setup: PilotSetup::default(),
            pilots: BTreeMap::new(),
            alerts: Alerts::Off,
            critical_alerts_fail: false,
            extras: ListExtras::default(),
        }
    }

    /// The verdict's thresholds before each release's annotations (the config's).
    pub fn set_thresholds(&mut self, thresholds: Thresholds) {
        self.thresholds = thresholds;
        for row in &mut self.rows {
            row.release.thresholds = crate::analysis::limits_of(&row.release, &thresholds);
        }
        self.judge();
    }

    /// Read-only mode leaves out every action that changes the cluster.
    pub fn set_read_only(&mut self, read_only: bool) {
        self.read_only = read_only;
    }

    /// Whether `action` is on offer: one rule for keys, hints and help.
    pub(crate) fn offers(&self, action: Action) -> bool {
        !(self.read_only && action.dangerous())
    }

    /// The release known by `key` (`namespace/name`), for the shell's effects.
    pub fn release(&self, key: &str) -> Option<&crate::model::Release> {
        self.rows.iter().find(|r| r.key == key).map(|r| &r.release)
    }

    /// The rows on screen: `shown` from `offset`, as many as fit.
    pub(crate) fn visible(&self) -> &[usize] {
        let end = (self.offset + self.list_rows()).min(self.shown.len());
        self.shown.get(self.offset..end).unwrap_or(&[])
    }

    pub(crate) fn list_rows(&self) -> usize {
        crate::ui::list_rows(self.height)
    }

    pub(crate) fn selected_row(&self) -> Option<&Row> {
        self.shown
            .get(self.selected)
            .and_then(|&i| self.rows.get(i))
    }

    pub(crate) fn selected_key(&self) -> Option<String> {
        self.selected_row().map(|r| r.key.clone())
    }

    /// Recomputes `shown` after the namespace or the filter changed.
    pub(crate) fn refilter(&mut self) {
        self.refilter_keeping(self.selected_key());
    }

    /// Recomputes `shown`, keeping the selection on release `keep` when it
    /// is still shown (taken before `rows` changed: `shown` indexes them).
    pub(crate) fn refilter_keeping(&mut self, keep: Option<String>) {
        let needle = self.filter.to_lowercase();
        let ns = self.namespace.as_deref();
        self.shown = self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, row)| {
                ns.is_none_or(|ns| row.release.namespace == ns) && row.matches(&needle)
            })
            .map(|(i, _)| i)
            .collect();
        let keep = keep.filter(|_| self.chosen);
        let found = keep.and_then(|k| {
            let rows = &self.rows;
            self.shown
                .iter()
                .position(|&i| rows.get(i).is_some_and(|r| r.key == k))
        });
        // A vanished release leaves the selection where it was, as k9s does; before the
        // operator chose one, the selection is the most urgent release.
        let fallback = if self.chosen { self.selected } else { 0 };
        self.select(found.unwrap_or(fallback));
    }

    /// Selects a row of `shown` (clamped) and scrolls it into view.
    pub(crate) fn select(&mut self, index: usize) {
        let last = self.shown.len().saturating_sub(1);
        self.selected = index.min(last);
        let rows = self.list_rows().max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + rows {
            self.offset = self.selected + 1 - rows;
        }
        // No blank rows below the last release while earlier ones are hidden.
        self.offset = self.offset.min(self.shown.len().saturating_sub(rows));
    }
}
