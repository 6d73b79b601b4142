//! The autopilot key: asked in the popup, started and stopped as effects, its
//! reports kept per release, refused where it cannot judge or another drives.

use super::fixtures::NOW;
use super::health_fixtures::{record, snapshot};
use super::tests::{app, press};
use super::*;
use crate::analysis::State;
use crate::autopilot::driver::{End, Report};
use crate::model::AutopilotLease;

/// The fixture console with metrics, shop/reviews (a healthy 90/10 canary) selected.
fn on_reviews() -> App {
    let mut app = app();
    app.update(Msg::Metrics(snapshot()));
    for _ in 0..6 {
        press(&mut app, 'j');
    }
    assert_eq!(app.selected_key().as_deref(), Some("shop/reviews"));
    app
}

fn asked_lines(app: &App) -> Vec<String> {
    match app.confirm.as_ref().map(|c| &c.asked) {
        Some(Asked::Autopilot { lines, .. }) => lines.clone(),
        _ => panic!("no autopilot question open"),
    }
}

#[test]
fn the_key_asks_first_and_yes_starts_it() {
    let mut app = on_reviews();
    let (effects, redraw) = press(&mut app, 'A');
    assert!(effects.is_empty() && redraw);
    let lines = asked_lines(&app).join("\n");
    assert!(
        lines.contains("Every 30s, judge reviews-v2 against reviews-v1 over the last 1m"),
        "{lines}"
    );
    assert!(lines.contains("after 3 healthy verdict(s) in a row, step reviews-v2 forward"));
    assert!(lines.contains("after 2 failing verdict(s) in a row, roll back to reviews-v1"));
    assert!(lines.contains("Lease kshift-autopilot-reviews"));
    let (effects, _) = press(&mut app, 'y');
    assert_eq!(effects, [Effect::StartAutopilot("shop/reviews".into())]);
    assert!(app.confirm.is_none());
    assert_eq!(
        app.pilot("shop/reviews").map(|p| &p.state),
        Some(&PilotState::Starting)
    );
}

#[test]
fn no_cancels_without_an_effect() {
    let mut app = on_reviews();
    press(&mut app, 'A');
    let (effects, _) = press(&mut app, 'n');
    assert!(effects.is_empty());
    assert!(app.pilot("shop/reviews").is_none());
    assert_eq!(app.status.as_deref(), Some("cancelled"));
}

#[test]
fn reports_are_kept_and_the_key_stops_it() {
    let mut app = on_reviews();
    press(&mut app, 'A');
    press(&mut app, 'y');
    let key = "shop/reviews".to_string();
    let event = |e| Msg::Autopilot(key.clone(), e);
    app.update(event(PilotEvent::Started {
        holder: "ana@laptop/42".into(),
    }));
    let (_, redraw) = app.update(event(PilotEvent::Report(Report::Interval(Box::new(
        record("hold", 1, Some(25.0)),
    )))));
    assert!(redraw);
    let pilot = app.pilot(&key).cloned().expect("a pilot");
    assert_eq!(
        pilot.state,
        PilotState::Driving {
            holder: "ana@laptop/42".into()
        }
    );
    assert_eq!(pilot.last.map(|r| r.next_weight), Some(Some(25.0)));
    app.update(event(PilotEvent::Report(Report::ErrorHold {
        error: "Prometheus not answering".into(),
        in_a_row: 1,
    })));
    let error = app.pilot(&key).and_then(|p| p.error.clone());
    assert!(error.is_some_and(|e| e.contains("1 in a row") && e.contains("not answering")));
    let (effects, _) = press(&mut app, 'A');
    assert_eq!(effects, [Effect::StopAutopilot(key.clone())]);
    assert_eq!(
        app.pilot(&key).map(|p| &p.state),
        Some(&PilotState::Stopping)
    );
    // A second press while it stops does nothing more.
    let (effects, _) = press(&mut app, 'A');
    assert!(effects.is_empty());
    app.update(event(PilotEvent::Ended(Ending::Stopped)));
    assert!(matches!(
        app.pilot(&key).map(|p| &p.state),
        Some(PilotState::Ended {
            word: "stopped",
            ..
        })
    ));
    assert_eq!(
        app.status.as_deref(),
        Some("autopilot on shop/reviews: stopped")
    );
    // Once ended, the key asks to start again.
    press(&mut app, 'A');
    assert!(!asked_lines(&app).is_empty());
}

#[test]
fn the_end_says_how_it_ended() {
    let mut app = on_reviews();
    press(&mut app, 'A');
    press(&mut app, 'y');
    let key = "shop/reviews".to_string();
    for (ending, word, status) in [
        (Ending::Finished(End::Promoted), "promoted", "promoted"),
        (
            Ending::Finished(End::RolledBack("canary errors 25%".into())),
            "rolled back",
            "rolled back: canary errors 25%",
        ),
        (
            Ending::Refused("Lease kshift-autopilot-reviews is held by bo@h/1".into()),
            "refused",
            "not started: Lease kshift-autopilot-reviews is held by bo@h/1",
        ),
        (
            Ending::Failed("three errors".into()),
            "failed",
            "stopped on an error: three errors",
        ),
    ] {
        app.update(Msg::Autopilot(key.clone(), PilotEvent::Ended(ending)));
        let state = app.pilot(&key).map(|p| p.state.clone());
        assert!(
            matches!(state, Some(PilotState::Ended { word: w, .. }) if w == word),
            "{state:?}"
        );
        let want = format!("autopilot on shop/reviews: {status}");
        assert_eq!(app.status.as_deref(), Some(want.as_str()));
    }
}

#[test]
fn refused_while_another_holds_the_lease_and_allowed_once_it_lapsed() {
    let mut app = on_reviews();
    let mut releases = super::fixtures::releases();
    let reviews = releases
        .iter_mut()
        .find(|r| r.name == "reviews")
        .expect("reviews");
    reviews.autopilot = Some(AutopilotLease {
        holder: "bo@ci/7".into(),
        renewed: Some(NOW - 10),
        duration_s: 90,
    });
    app.update(Msg::Releases(releases.clone()));
    let (effects, _) = press(&mut app, 'A');
    assert!(effects.is_empty() && app.confirm.is_none());
    assert_eq!(
        app.status.as_deref(),
        Some("autopilot on shop/reviews: another autopilot drives it: bo@ci/7")
    );
    app.update(Msg::Now(NOW + 100));
    press(&mut app, 'A');
    assert!(!asked_lines(&app).is_empty());
}

#[test]
fn refused_without_metrics_or_a_canary_and_absent_when_read_only() {
    let mut app = on_reviews();
    app.update(Msg::MetricsUnavailable("not configured".into()));
    press(&mut app, 'A');
    assert!(app.confirm.is_none());
    assert!(
        app.status
            .as_deref()
            .is_some_and(|s| s.contains("judges by metrics") && s.contains("not configured"))
    );
    // web/static is a rolling update: nothing to judge against.
    let mut rolling = super::tests::app();
    rolling.update(Msg::Metrics(snapshot()));
    press(&mut rolling, 'G');
    assert_eq!(rolling.selected_key().as_deref(), Some("web/static"));
    press(&mut rolling, 'A');
    assert!(rolling.confirm.is_none());
    assert!(
        rolling
            .status
            .as_deref()
            .is_some_and(|s| s.contains("no canary"))
    );
    let mut app = on_reviews();
    app.set_read_only(true);
    let (effects, _) = press(&mut app, 'A');
    assert!(effects.is_empty() && app.confirm.is_none());
    assert!(
        app.status
            .as_deref()
            .is_some_and(|s| s.starts_with("read-only"))
    );
}

#[test]
fn verdicts_follow_the_metrics() {
    let mut app = on_reviews();
    let state = |app: &App, key: &str| app.verdict(key).map(|v| v.state);
    assert_eq!(state(&app, "shop/reviews"), Some(State::Healthy));
    assert_eq!(state(&app, "shop/checkout"), Some(State::Failing));
    // A rolling update has no candidate, hence no verdict.
    assert_eq!(state(&app, "web/static"), None);
    // Stricter thresholds from the config judge the next snapshot.
    // (0.2 % of reviews' canary requests fail: surely above 0.01 %.)
    app.set_thresholds(crate::analysis::Thresholds {
        max_error_rate: 0.0001,
        ..Default::default()
    });
    app.update(Msg::Now(NOW + 1));
    assert_eq!(state(&app, "shop/reviews"), Some(State::Failing));
    app.update(Msg::MetricsUnavailable("gone".into()));
    assert_eq!(state(&app, "shop/reviews"), None);
}

#[test]
fn verdicts_are_computed_for_the_rows_in_view_only() {
    let mut app = app();
    app.update(Msg::Resize(80, 7));
    app.update(Msg::Metrics(snapshot()));
    let in_view: Vec<String> = app
        .visible()
        .iter()
        .map(|&i| app.rows[i].key.clone())
        .collect();
    assert!(in_view.len() < app.rows.len(), "{in_view:?}");
    let mut judged: Vec<&String> = app.verdicts.keys().collect();
    judged.sort();
    assert!(judged.iter().all(|k| in_view.contains(k)), "{judged:?}");
    assert!(app.verdict("shop/reviews").is_none(), "out of view");
    // Moving the selection to it brings it in view, with its verdict.
    while app.selected_key().as_deref() != Some("shop/reviews") {
        press(&mut app, 'j');
    }
    assert_eq!(
        app.verdict("shop/reviews").map(|v| v.state),
        Some(State::Healthy)
    );
}
