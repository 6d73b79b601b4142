//! How messages change the console.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::fixtures::{self, NOW};
use super::*;
use crate::model::Phase;

pub(super) fn app() -> App {
    fixtures::app(Theme::default())
}

pub(super) fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub(super) fn press(app: &mut App, c: char) -> (Vec<Effect>, bool) {
    app.update(key(KeyCode::Char(c)))
}

pub(super) fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, c);
    }
}

fn names(app: &App) -> Vec<String> {
    app.shown.iter().map(|&i| app.rows[i].key.clone()).collect()
}

fn selected(app: &App) -> String {
    app.selected_row()
        .map(|r| r.key.clone())
        .unwrap_or_default()
}

#[test]
fn attention_sorts_first() {
    let app = app();
    let keys = names(&app);
    assert_eq!(
        &keys[..4],
        [
            "payments/ledger",
            "web/evil\u{1b}]0;pwned\u{7}",
            "shop/checkout",
            "mesh/cart"
        ]
    );
    let calm = keys[4..]
        .iter()
        .map(|k| &app.rows[app.rows.iter().position(|r| &r.key == k).unwrap_or(0)]);
    assert!(calm.into_iter().all(|r| !r.release.needs_attention()));
    assert_eq!(keys[4], "payments/api");
}

#[test]
fn filter_matches_names_kinds_and_images_case_insensitively() {
    let mut app = app();
    press(&mut app, '/');
    type_text(&mut app, "GATE");
    assert_eq!(names(&app), ["payments/ledger"]);
    app.update(key(KeyCode::Backspace));
    app.update(key(KeyCode::Backspace));
    app.update(key(KeyCode::Backspace));
    app.update(key(KeyCode::Backspace));
    type_text(&mut app, "shop/checkout:2.4");
    assert_eq!(names(&app), ["shop/checkout"]);
    app.update(key(KeyCode::Enter));
    assert_eq!(app.prompt, None);
    assert_eq!(app.filter, "shop/checkout:2.4");
    // q is a letter while typing, a quit key otherwise.
    press(&mut app, '/');
    let (effects, _) = press(&mut app, 'q');
    assert!(effects.is_empty());
    assert!(names(&app).is_empty());
}

#[test]
fn esc_clears_the_filter() {
    let mut app = app();
    press(&mut app, '/');
    type_text(&mut app, "web");
    assert_eq!(names(&app).len(), 4);
    app.update(key(KeyCode::Esc));
    assert_eq!((app.prompt.clone(), app.filter.as_str()), (None, ""));
    assert_eq!(names(&app).len(), 10);

    press(&mut app, '/');
    type_text(&mut app, "web");
    app.update(key(KeyCode::Enter));
    assert_eq!(names(&app).len(), 4);
    let (_, redraw) = app.update(key(KeyCode::Esc));
    assert!(redraw);
    assert_eq!(names(&app).len(), 10);
    let (_, redraw) = app.update(key(KeyCode::Esc));
    assert!(!redraw);
}

#[test]
fn selection_stays_on_the_same_release_when_the_list_changes() {
    let mut app = app();
    press(&mut app, 'j');
    press(&mut app, 'j');
    assert_eq!(selected(&app), "shop/checkout");
    // checkout turns healthy and sorts lower; a new degraded release lands on top.
    let mut releases = fixtures::releases();
    for r in &mut releases {
        if r.name == "checkout" {
            r.phase = Phase::Healthy;
        }
    }
    let mut new = releases[0].clone();
    new.name = "aaa".into();
    new.phase = Phase::Degraded;
    releases.push(new);
    let (_, redraw) = app.update(Msg::Releases(releases.clone()));
    assert!(redraw);
    assert_eq!(selected(&app), "shop/checkout");
    assert_ne!(app.selected, 2);
    // The same list again changes nothing on screen.
    let (_, redraw) = app.update(Msg::Releases(releases.clone()));
    assert!(!redraw);
    // When it goes away, the selection keeps its place.
    let at = app.selected;
    releases.retain(|r| r.name != "checkout");
    app.update(Msg::Releases(releases));
    assert_eq!(app.selected, at);
}

#[test]
fn ns_command_switches_namespace() {
    let mut app = app();
    press(&mut app, ':');
    type_text(&mut app, "ns shop");
    let (effects, redraw) = app.update(key(KeyCode::Enter));
    assert!(redraw);
    assert_eq!(effects, [Effect::SwitchNamespace(Some("shop".into()))]);
    assert_eq!(app.namespace.as_deref(), Some("shop"));
    assert_eq!(
        names(&app),
        ["shop/checkout", "shop/frontend", "shop/reviews"]
    );

    let (effects, _) = press(&mut app, '0');
    assert_eq!(effects, [Effect::SwitchNamespace(None)]);
    assert_eq!(names(&app).len(), 10);
    let (effects, redraw) = press(&mut app, '0');
    assert!(effects.is_empty() && !redraw);
}

#[test]
fn ctx_command_switches_context_and_forgets_the_cluster() {
    let mut app = app();
    press(&mut app, ':');
    type_text(&mut app, "ctx prod-eu");
    let (effects, _) = app.update(key(KeyCode::Enter));
    assert_eq!(effects, [Effect::SwitchContext("prod-eu".into())]);
    // Once the new context answered (see context_tests for before).
    app.update(Msg::Connected("prod-eu".into()));
    assert_eq!(app.context, "prod-eu");
    assert!(app.rows.is_empty() && !app.loaded && app.watched.is_empty());
}

#[test]
fn q_command_and_key_quit() {
    let mut app = app();
    press(&mut app, ':');
    type_text(&mut app, "q");
    assert_eq!(app.update(key(KeyCode::Enter)).0, [Effect::Quit]);
    assert_eq!(press(&mut app, 'q').0, [Effect::Quit]);
    let ctrl_c = Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    press(&mut app, '/');
    assert_eq!(app.update(ctrl_c).0, [Effect::Quit]);
}

#[test]
fn bad_commands_say_so_in_the_status_bar() {
    let mut app = app();
    press(&mut app, ':');
    type_text(&mut app, "deploy");
    let (effects, redraw) = app.update(key(KeyCode::Enter));
    assert!(effects.is_empty() && redraw);
    assert_eq!(app.status.as_deref(), Some("unknown command: :deploy"));
    // The next key clears it.
    let (_, redraw) = press(&mut app, 'j');
    assert!(redraw);
    assert_eq!(app.status, None);
    press(&mut app, ':');
    type_text(&mut app, "ns");
    app.update(key(KeyCode::Enter));
    assert!(
        app.status
            .as_deref()
            .is_some_and(|s| s.starts_with("usage"))
    );
    press(&mut app, ':');
    type_text(&mut app, "ns x");
    app.update(key(KeyCode::Esc));
    assert_eq!(app.namespace, None);
}

#[test]
fn enter_opens_the_detail_and_asks_for_events() {
    let mut app = app();
    let (effects, redraw) = app.update(key(KeyCode::Enter));
    assert!(redraw);
    let metrics = |history| Effect::Metrics {
        window: std::time::Duration::from_secs(300),
        history,
    };
    assert_eq!(
        effects,
        [Effect::LoadEvents("payments/ledger".into()), metrics(true)]
    );
    assert!(app.detail.is_some());
    // Stale answers are dropped, fresh ones sorted newest first.
    let (_, redraw) = app.update(Msg::Events("shop/checkout".into(), fixtures::events()));
    assert!(!redraw);
    let (_, redraw) = app.update(Msg::Events("payments/ledger".into(), fixtures::events()));
    assert!(redraw);
    let events = app
        .detail
        .as_ref()
        .and_then(|d| d.events.clone())
        .unwrap_or_default();
    assert_eq!(events[0].reason, "RolloutPaused");
    // The release survives list updates, and esc goes back.
    app.update(Msg::Releases(
        fixtures::releases().into_iter().rev().collect(),
    ));
    let row = app
        .detail
        .as_ref()
        .and_then(|d| d.row)
        .map(|i| app.rows[i].key.clone());
    assert_eq!(row.as_deref(), Some("payments/ledger"));
    let (effects, redraw) = app.update(key(KeyCode::Esc));
    assert_eq!(effects, [metrics(false)]);
    assert!(redraw && app.detail.is_none());
}

#[test]
fn help_opens_and_closes() {
    let mut app = app();
    press(&mut app, '?');
    assert_eq!(app.help, Some(0));
    app.update(key(KeyCode::Esc));
    assert_eq!(app.help, None);
    app.update(key(KeyCode::Enter));
    press(&mut app, '?');
    press(&mut app, '?');
    assert!(app.help.is_none() && app.detail.is_some());
}

#[test]
fn now_redraws_only_when_a_shown_age_changes() {
    let mut app = app();
    // reviews changed 192 s ago: 3m12s -> 3m13s.
    let (_, redraw) = app.update(Msg::Now(NOW + 1));
    assert!(redraw);
    // Only minutes and hours on screen once every release is older.
    let mut releases = fixtures::releases();
    for r in &mut releases {
        r.last_change = Some("2024-05-01T06:00:00Z".into());
    }
    app.update(Msg::Releases(releases));
    assert!(!app.update(Msg::Now(NOW + 2)).1);
    assert!(app.update(Msg::Now(NOW + 3600)).1);
    press(&mut app, '?');
    assert!(!app.update(Msg::Now(NOW + 3 * 3600)).1);
}

#[test]
fn now_in_the_detail_view_follows_event_ages() {
    let mut app = app();
    let mut releases = fixtures::releases();
    for r in &mut releases {
        r.last_change = None;
    }
    app.update(Msg::Releases(releases));
    app.update(key(KeyCode::Enter));
    assert!(!app.update(Msg::Now(NOW + 1)).1);
    app.update(Msg::Events("payments/ledger".into(), fixtures::events()));
    assert!(app.update(Msg::Now(NOW + 2)).1);
}

#[test]
fn watch_state_and_kinds_redraw_when_they_change() {
    let mut app = app();
    let broken = WatchStatus::Reconnecting("watch closed: 410 Gone".into());
    assert!(app.update(Msg::Watch(broken.clone())).1);
    assert!(!app.update(Msg::Watch(broken)).1);
    assert!(app.update(Msg::Watch(WatchStatus::Connected)).1);
    let kinds = (app.watched.clone(), app.skipped.clone());
    assert!(!app.update(Msg::WatchedKinds(kinds.0, kinds.1)).1);
}

#[test]
fn navigation_scrolls_only_the_visible_slice() {
    let mut app = app();
    let template = fixtures::releases().remove(0);
    let many: Vec<_> = (0..10_000)
        .map(|i| {
            let mut r = template.clone();
            r.name = format!("app-{i:05}");
            r
        })
        .collect();
    app.update(Msg::Releases(many));
    let rows = crate::ui::list_rows(24);
    assert_eq!(app.visible().len(), rows);
    app.update(key(KeyCode::PageDown));
    assert_eq!((app.selected, app.offset), (rows, 1));
    press(&mut app, 'G');
    assert_eq!((app.selected, app.offset), (9_999, 10_000 - rows));
    assert_eq!(app.visible().len(), rows);
    let (_, redraw) = press(&mut app, 'j');
    assert!(!redraw);
    press(&mut app, 'g');
    assert_eq!((app.selected, app.offset), (0, 0));
    press(&mut app, 'k');
    assert_eq!(app.selected, 0);
    // A taller terminal shows more rows.
    app.update(Msg::Resize(80, 50));
    assert_eq!(app.visible().len(), crate::ui::list_rows(50));
}

#[test]
fn detail_and_help_scroll_within_their_text() {
    let mut app = app();
    app.update(Msg::Resize(80, 12));
    app.update(key(KeyCode::Enter));
    app.update(Msg::Events("payments/ledger".into(), fixtures::events()));
    press(&mut app, 'G');
    let bottom = app.detail.as_ref().map_or(0, |d| d.scroll);
    assert!(bottom > 0);
    assert!(!press(&mut app, 'j').1);
    press(&mut app, 'k');
    assert_eq!(app.detail.as_ref().map(|d| d.scroll), Some(bottom - 1));
    press(&mut app, '?');
    press(&mut app, 'G');
    assert!(app.help.is_some_and(|s| s > 0));
}

#[test]
fn key_releases_are_ignored() {
    let mut app = app();
    let mut release = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
    release.kind = KeyEventKind::Release;
    assert_eq!(app.update(Msg::Key(release)), (vec![], false));
    assert_eq!(press(&mut app, 'x'), (vec![], false));
}

#[test]
fn status_messages_from_the_shell_show() {
    let mut app = app();
    let (_, redraw) = app.update(Msg::Status("keymap: unknown action \"teleport\"".into()));
    assert!(redraw);
    assert!(app.status.is_some());
}

#[test]
fn what_fails_sorts_first_and_is_selected_until_the_operator_moves() {
    use crate::app::health_fixtures::snapshot;
    let mut app = app();
    assert_eq!(selected(&app), "payments/ledger");
    // The metrics arrive: checkout's canary fails (5.5 % errors against 0.4 %), so it
    // goes to the top, above the degraded ledger, and the selection goes with it.
    app.update(Msg::Metrics(snapshot()));
    assert_eq!(names(&app)[..2], ["shop/checkout", "payments/ledger"]);
    assert_eq!(selected(&app), "shop/checkout");
    // Once the operator has moved, the selection stays on their release.
    press(&mut app, 'j');
    assert_eq!(selected(&app), "payments/ledger");
    app.update(Msg::Metrics(crate::metrics::Snapshot::default()));
    assert_eq!(
        names(&app)[0],
        "payments/ledger",
        "nothing fails without metrics"
    );
    app.update(Msg::Metrics(snapshot()));
    assert_eq!(selected(&app), "payments/ledger");
}

#[test]
fn the_filter_names_a_state() {
    use crate::app::health_fixtures::snapshot;
    let mut app = app();
    app.update(Msg::Metrics(snapshot()));
    press(&mut app, '/');
    type_text(&mut app, "failing");
    assert_eq!(names(&app), ["shop/checkout"]);
    for _ in 0.."failing".len() {
        app.update(key(KeyCode::Backspace));
    }
    type_text(&mut app, "Paused");
    assert_eq!(names(&app), ["shop/checkout"]);
    for _ in 0.."paused".len() {
        app.update(key(KeyCode::Backspace));
    }
    type_text(&mut app, "degraded");
    assert_eq!(names(&app), ["payments/ledger"]);
}

#[test]
fn one_set_of_limits_per_release_defaults_config_then_annotations() {
    let limit = |app: &App, key: &str| {
        app.release(key)
            .map(|r| (r.thresholds.max_error_rate, r.thresholds.max_p99_ms))
    };
    let mut app = app();
    // No annotation: kshift's default ceiling, which the list colours and the graphs
    // draw (before, none: a 100 % error rate printed uncoloured).
    assert_eq!(limit(&app, "payments/api"), Some((Some(0.05), None)));
    // The config's, for every release without an annotation of its own.
    app.set_thresholds(crate::analysis::Thresholds {
        max_error_rate: 0.02,
        max_p99_ms: Some(800.0),
        ..Default::default()
    });
    assert_eq!(limit(&app, "payments/api"), Some((Some(0.02), Some(800.0))));
    // checkout's annotations win.
    assert_eq!(
        limit(&app, "shop/checkout"),
        Some((Some(0.05), Some(300.0)))
    );
}

#[test]
fn prometheus_down_keeps_the_last_health_marked_stale() {
    use crate::analysis::State;
    use crate::app::health_fixtures::snapshot;
    let mut app = app();
    app.update(Msg::Now(NOW));
    app.update(Msg::Metrics(snapshot()));
    assert_eq!(
        app.verdict("shop/checkout").map(|v| v.state),
        Some(State::Failing)
    );
    // Prometheus stops answering: the refresh brings only an error.
    app.update(Msg::Now(NOW + 90));
    let down = crate::metrics::Snapshot {
        errors: vec!["Prometheus at http://127.0.0.1:9090: connection refused".into()],
        ..Default::default()
    };
    app.update(Msg::Metrics(down.clone()));
    app.update(Msg::Now(NOW + 120));
    app.update(Msg::Metrics(down));
    // The last known health and its verdicts stay, not a list of `inconclusive`...
    assert_eq!(
        app.verdict("shop/checkout").map(|v| v.state),
        Some(State::Failing)
    );
    assert_eq!(names(&app)[0], "shop/checkout");
    // ...marked stale since they were read, with the error.
    assert_eq!(app.stale_since, Some(NOW));
    // Prometheus back: fresh again.
    app.update(Msg::Metrics(snapshot()));
    assert_eq!(app.stale_since, None);
}
