//! Firing alerts as the console knows them, and which concern each release.

use super::App;
use crate::alerts::{self, Alert};
use crate::model::Release;

/// What the console knows of Alertmanager's alerts.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) enum Alerts {
    /// No Alertmanager configured.
    #[default]
    Off,
    /// Configured; nothing has arrived yet.
    Waiting,
    /// The alerts firing at the last refresh.
    Ready(Vec<Alert>),
    /// Alertmanager did not answer, and why (a message, not an error).
    Failed(String),
}

impl App {
    /// An Alertmanager is configured: its alerts show, and with `critical_fails` a
    /// firing critical alert makes a release's verdict failing.
    pub fn set_alerts(&mut self, critical_fails: bool) {
        self.alerts = Alerts::Waiting;
        self.critical_alerts_fail = critical_fails;
    }

    /// A refresh of the alerts; redraws when it differs.
    pub(super) fn on_alerts(&mut self, firing: Result<Vec<Alert>, String>) -> bool {
        let alerts = match firing {
            Ok(list) => Alerts::Ready(list),
            Err(why) => Alerts::Failed(why),
        };
        if self.alerts == alerts {
            return false;
        }
        self.alerts = alerts;
        self.note_extras();
        // A critical alert sorts its release first, whether or not it fails the verdict.
        self.judge();
        self.clamp_scroll();
        true
    }

    /// The alerts about a release, critical first.
    pub(crate) fn alerts_about(&self, release: &Release) -> Vec<&Alert> {
        match &self.alerts {
            Alerts::Ready(firing) => alerts::about(firing, release),
            _ => Vec::new(),
        }
    }

    /// Whether any release has an alert to show (kept by `note_extras`).
    pub(crate) fn any_alert(&self) -> bool {
        self.extras.alerts
    }
}

#[cfg(test)]
mod tests {
    use super::super::health_fixtures::{alerts as firing, snapshot};
    use super::super::tests::app;
    use super::*;
    use crate::analysis::State;
    use crate::app::Msg;

    fn names(app: &App, key: &str) -> Vec<String> {
        let release = &app.release(key).expect("release").clone();
        app.alerts_about(release)
            .iter()
            .map(|a| a.name.clone())
            .collect()
    }

    #[test]
    fn alerts_land_on_their_releases() {
        let mut console = app();
        console.set_alerts(false);
        assert!(!console.any_alert());
        assert!(console.update(Msg::Alerts(Ok(firing()))).1);
        assert_eq!(names(&console, "shop/reviews"), ["HighErrorRate"]);
        assert_eq!(names(&console, "payments/api"), ["SlowRequests"]);
        assert!(names(&console, "shop/checkout").is_empty());
        assert!(console.any_alert());
        // The same answer again changes nothing on screen.
        assert!(!console.update(Msg::Alerts(Ok(firing()))).1);
        console.update(Msg::Alerts(Err("not answering".into())));
        assert_eq!(console.alerts, Alerts::Failed("not answering".into()));
        assert!(names(&console, "shop/reviews").is_empty());
    }

    #[test]
    fn a_critical_alert_fails_the_verdict_only_when_configured() {
        for (critical_fails, want) in [(false, State::Healthy), (true, State::Failing)] {
            let mut console = app();
            console.set_alerts(critical_fails);
            console.update(Msg::Metrics(snapshot()));
            console.update(Msg::Alerts(Ok(firing())));
            let verdict = console.verdict("shop/reviews").expect("a verdict");
            assert_eq!(verdict.state, want, "critical_fails = {critical_fails}");
            // A warning never fails a verdict.
            let api = console.verdict("payments/api").map(|v| v.state);
            assert_eq!(api, Some(State::Healthy));
        }
    }
}
