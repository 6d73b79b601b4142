//! Health: metrics messages, the window, and the graph keys.

use std::time::Duration;

use crossterm::event::KeyCode;

use super::health_fixtures::{prometheus_down, snapshot};
use super::tests::{app, key, press};
use super::*;
use crate::actions::Verb;

fn request(minutes: u64, history: bool) -> Effect {
    Effect::Metrics {
        window: Duration::from_secs(minutes * 60),
        history,
    }
}

#[test]
fn a_snapshot_replaces_the_last_one_errors_and_all() {
    let mut app = app();
    assert_eq!(app.metrics, Metrics::Waiting);
    assert_eq!(app.update(Msg::Metrics(snapshot())), (Vec::new(), true));
    // The same figures again move nothing (NaN never equals itself, so leave it out).
    let mut calm = snapshot();
    calm.health
        .retain(|_, h| h.error_rate.is_none_or(f64::is_finite));
    assert_eq!(app.update(Msg::Metrics(calm.clone())), (Vec::new(), true));
    assert_eq!(app.update(Msg::Metrics(calm)), (Vec::new(), false));
    // A refresh that failed whole says why, and keeps the last health known (stale).
    assert_eq!(
        app.update(Msg::Metrics(prometheus_down())),
        (Vec::new(), true)
    );
    let kept = app.snapshot().cloned().unwrap_or_default();
    assert_eq!(kept.errors, prometheus_down().errors);
    assert!(!kept.health.is_empty());
    let why = "not configured (--prometheus URL)".to_string();
    let (effects, redraw) = app.update(Msg::MetricsUnavailable(why.clone()));
    assert!(effects.is_empty() && redraw);
    assert_eq!(app.metrics, Metrics::Unavailable(why.clone()));
    assert_eq!(app.snapshot(), None);
    assert!(!app.update(Msg::MetricsUnavailable(why)).1);
}

#[test]
fn the_help_screen_hides_health_so_a_refresh_does_not_redraw() {
    let mut app = app();
    press(&mut app, '?');
    assert!(!app.update(Msg::Metrics(snapshot())).1);
    assert!(app.snapshot().is_some());
}

#[test]
fn w_cycles_the_window_and_asks_for_a_refresh() {
    let mut app = app();
    assert_eq!(app.metrics_request(), request(5, false));
    for minutes in [15, 60, 360, 5] {
        assert_eq!(press(&mut app, 'w'), (vec![request(minutes, false)], true));
    }
    // In the detail view the refresh brings the series for graphs.
    press(&mut app, 'w');
    let (effects, _) = app.update(key(KeyCode::Enter));
    assert_eq!(effects[1..], [request(15, true)]);
    assert_eq!(press(&mut app, 'w'), (vec![request(60, true)], true));
    // Not from the help screen, which shows no health.
    press(&mut app, '?');
    assert_eq!(press(&mut app, 'w'), (Vec::new(), false));
}

#[test]
fn opening_a_release_by_name_asks_for_its_history_too() {
    let mut app = app();
    let effects = app.open_release("shop/checkout");
    assert_eq!(
        effects,
        [Effect::LoadEvents("shop/checkout".into()), request(5, true)]
    );
}

#[test]
fn closing_the_detail_view_any_way_drops_the_history() {
    let mut app = app();
    app.update(key(KeyCode::Enter));
    let (effects, _) = press(&mut app, '/');
    assert_eq!(effects, [request(5, false)]);
    app.update(key(KeyCode::Esc));
    app.update(key(KeyCode::Enter));
    let (effects, _) = press(&mut app, '0');
    assert!(effects.is_empty(), "already all namespaces: {effects:?}");
    app.update(key(KeyCode::Esc));
    app.update(key(KeyCode::Char(':')));
    for c in "ns shop".chars() {
        press(&mut app, c);
    }
    app.update(key(KeyCode::Enter));
    let (effects, _) = app.update(key(KeyCode::Enter));
    assert_eq!(effects[1..], [request(5, true)]);
    press(&mut app, ':');
    for c in "ns web".chars() {
        press(&mut app, c);
    }
    let (effects, _) = app.update(key(KeyCode::Enter));
    assert_eq!(
        effects,
        [
            Effect::SwitchNamespace(Some("web".into())),
            request(5, false)
        ]
    );
}

#[test]
fn graph_keys_work_only_where_graphs_are() {
    let mut app = app();
    // The list has no graphs; the detail view has none until metrics arrive.
    assert_eq!(app.update(key(KeyCode::Tab)), (Vec::new(), false));
    press(&mut app, 'j');
    press(&mut app, 'j');
    app.update(key(KeyCode::Enter));
    assert_eq!(press(&mut app, 'e'), (Vec::new(), false));
    app.update(Msg::MetricsUnavailable(
        "not configured (--prometheus URL)".into(),
    ));
    assert_eq!(press(&mut app, 'e'), (Vec::new(), false));
    // Nor when the snapshot has no series of the release.
    app.update(Msg::Metrics(prometheus_down()));
    assert_eq!(press(&mut app, 'e'), (Vec::new(), false));
    app.update(Msg::Metrics(snapshot()));
    assert!(app.graphs_shown());
    let graph = |app: &App| app.detail.as_ref().map(|d| (d.graph, d.expanded));
    assert_eq!(app.update(key(KeyCode::Tab)), (Vec::new(), true));
    assert_eq!(graph(&app), Some((Graph::Latency, false)));
    assert_eq!(press(&mut app, 'e'), (Vec::new(), true));
    assert_eq!(graph(&app), Some((Graph::Latency, true)));
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Tab));
    assert_eq!(graph(&app), Some((Graph::Errors, true)));
    // Esc shrinks the graph first, then leaves the detail view.
    assert_eq!(app.update(key(KeyCode::Esc)), (Vec::new(), true));
    assert_eq!(graph(&app), Some((Graph::Errors, false)));
    assert_eq!(
        app.update(key(KeyCode::Esc)),
        (vec![request(5, false)], true)
    );
    assert!(app.detail.is_none());
    // A fresh detail view starts with the error rate, not expanded.
    app.update(key(KeyCode::Enter));
    assert_eq!(graph(&app), Some((Graph::Errors, false)));
}

#[test]
fn actions_stay_available_when_prometheus_is_down() {
    let mut app = app();
    app.update(Msg::Metrics(prometheus_down()));
    let (effects, _) = press(&mut app, 'p');
    assert_eq!(
        effects,
        [Effect::Plan(Verb::Promote, "payments/ledger".into())]
    );
    app.update(key(KeyCode::Enter));
    let (effects, _) = press(&mut app, 'a');
    assert_eq!(
        effects,
        [Effect::Plan(Verb::Rollback, "payments/ledger".into())]
    );
}
