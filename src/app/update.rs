//! Messages from the I/O shell: new lists, watch state, events, time, size.

use super::rows::{self, Row};
use super::{Alerts, App, Effect, EventLine, ListExtras, Metrics, Msg, WatchStatus, age};
use crate::model::Release;

impl App {
    /// Applies a message; returns what the I/O shell must do, and whether
    /// anything on screen changed (the shell redraws only then).
    pub fn update(&mut self, msg: Msg) -> (Vec<Effect>, bool) {
        let before = self.metrics_request();
        let (mut effects, redraw) = self.apply(msg);
        self.ask_again(&before, &mut effects);
        // Whatever moved, the rows now on screen get their verdicts.
        self.judge_in_view();
        (effects, redraw)
    }

    fn apply(&mut self, msg: Msg) -> (Vec<Effect>, bool) {
        match msg {
            Msg::Key(key) => self.on_key(key),
            Msg::Releases(releases) => (Vec::new(), self.on_releases(releases)),
            Msg::Watch(status) => (Vec::new(), self.set_watch(status)),
            Msg::WatchedKinds(watched, skipped) => {
                let changed = self.watched != watched || self.skipped != skipped;
                (self.watched, self.skipped) = (watched, skipped);
                (Vec::new(), changed)
            }
            Msg::Events(key, events) => (Vec::new(), self.on_events(&key, events)),
            Msg::Now(now) => (Vec::new(), self.on_now(now)),
            Msg::Resize(width, height) => {
                (self.width, self.height) = (width, height);
                self.select(self.selected);
                self.clamp_scroll();
                (Vec::new(), true)
            }
            Msg::Status(text) | Msg::Applied(text) => {
                self.status = Some(text);
                (Vec::new(), true)
            }
            Msg::Preview(preview) => (Vec::new(), self.on_preview(preview)),
            Msg::Refused(key, verb, reason) => {
                self.status = Some(format!("refused: {} {key}: {reason}", verb.as_str()));
                (Vec::new(), true)
            }
            Msg::Metrics(snapshot) => (Vec::new(), self.set_metrics(Metrics::Ready(snapshot))),
            Msg::MetricsUnavailable(why) => {
                (Vec::new(), self.set_metrics(Metrics::Unavailable(why)))
            }
            Msg::Alerts(firing) => (Vec::new(), self.on_alerts(firing)),
            Msg::Autopilot(key, event) => (Vec::new(), self.on_pilot_event(key, event)),
            Msg::Connected(context) => self.on_connected(context),
            Msg::ContextFailed(context, why) => {
                if self.switching.as_deref() != Some(context.as_str()) {
                    return (Vec::new(), false);
                }
                self.switching = None;
                self.status = Some(format!(
                    "cannot switch to context {context}: {why}; still on {}",
                    self.context
                ));
                (Vec::new(), true)
            }
        }
    }

    fn on_releases(&mut self, releases: Vec<Release>) -> bool {
        let base = self.thresholds;
        let mut rows: Vec<Row> = releases.into_iter().map(|r| Row::new(r, &base)).collect();
        rows::sort(&mut rows);
        let same = self.loaded
            && rows.len() == self.rows.len()
            && rows
                .iter()
                .zip(&self.rows)
                .all(|(a, b)| a.release == b.release);
        // A watcher resending what we have: nothing on screen moves.
        if same {
            return false;
        }
        let keep = self.selected_key();
        self.rows = rows;
        // Annotations (thresholds) may have changed with the objects.
        self.verdicts.clear();
        self.note_extras();
        self.loaded = true;
        self.refilter_keeping(keep);
        self.mark_failing();
        if let Some(detail) = &mut self.detail {
            detail.row = self.rows.iter().position(|r| r.key == detail.key);
        }
        self.clamp_scroll();
        true
    }

    /// Which optional list columns have something to show, worked out when the
    /// releases or the alerts change rather than at every frame (10,000 rows).
    pub(super) fn note_extras(&mut self) {
        let firing = matches!(&self.alerts, Alerts::Ready(firing) if !firing.is_empty());
        self.extras = ListExtras {
            leases: self.rows.iter().any(|r| r.release.autopilot.is_some()),
            alerts: firing
                && self
                    .rows
                    .iter()
                    .any(|r| !self.alerts_about(&r.release).is_empty()),
        };
    }

    /// The new context answered: only now does everything shown (and every action
    /// key) move to it. A plan waiting for a yes was made on the old one: it goes.
    fn on_connected(&mut self, context: String) -> (Vec<Effect>, bool) {
        if self.switching.as_deref() != Some(context.as_str()) {
            return (Vec::new(), false);
        }
        self.switching = None;
        let mut effects = Vec::new();
        if let Some(confirm) = self.confirm.take()
            && matches!(confirm.asked, super::Asked::Plan(_))
        {
            effects.push(Effect::Cancel);
        }
        self.status = Some(format!("switched to context {context}"));
        self.context = context;
        // Another cluster: nothing shown so far belongs to it.
        self.rows.clear();
        self.loaded = false;
        self.detail = None;
        self.help = None;
        self.prompt = None;
        self.watch = WatchStatus::Connected;
        self.watched.clear();
        self.skipped.clear();
        self.verdicts.clear();
        self.note_extras();
        self.refilter_keeping(None);
        (effects, true)
    }

    fn set_watch(&mut self, status: WatchStatus) -> bool {
        let changed = self.watch != status;
        self.watch = status;
        changed
    }

    fn on_events(&mut self, key: &str, mut events: Vec<EventLine>) -> bool {
        // An answer for a detail view already closed is stale.
        let Some(detail) = self.detail.as_mut().filter(|d| d.key == key) else {
            return false;
        };
        events.sort_by_key(|e| std::cmp::Reverse(e.timestamp));
        detail.events = Some(events);
        self.clamp_scroll();
        true
    }

    /// A tick redraws only when an age on screen reads differently.
    fn on_now(&mut self, now: i64) -> bool {
        let before = self.ages_on_screen();
        self.now = Some(now);
        before != self.ages_on_screen()
    }

    fn ages_on_screen(&self) -> Vec<String> {
        if self.help.is_some() {
            return Vec::new();
        }
        let moments: Vec<Option<i64>> = match &self.detail {
            Some(detail) => {
                let release = detail.row.and_then(|i| self.rows.get(i)).map(|r| r.changed);
                let events = detail.events.iter().flatten().map(|e| e.timestamp);
                release.into_iter().chain(events).collect()
            }
            None => self
                .visible()
                .iter()
                .filter_map(|&i| self.rows.get(i))
                .map(|r| r.changed)
                .collect(),
        };
        moments.into_iter().map(|at| age(at, self.now)).collect()
    }

    /// Keeps the popup, detail and help scroll positions within their text.
    pub(crate) fn clamp_scroll(&mut self) {
        if let Some(confirm) = &self.confirm {
            let (_, max) = crate::ui::confirm::scroll_room(self, confirm);
            if let Some(confirm) = &mut self.confirm {
                confirm.scroll = confirm.scroll.min(max);
            }
        }
        let page = crate::ui::page_rows(self.height);
        if let Some(scroll) = self.help {
            let lines = crate::ui::help::line_count(self);
            self.help = Some(scroll.min(lines.saturating_sub(page)));
        }
        if let Some(detail) = &self.detail {
            let lines = crate::ui::detail::line_count(self, detail);
            let max = lines.saturating_sub(crate::ui::detail::text_rows(self, detail));
            if let Some(detail) = &mut self.detail {
                detail.scroll = detail.scroll.min(max);
            }
        }
    }
}
