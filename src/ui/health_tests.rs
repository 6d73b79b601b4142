//! Health on screen: the list's column and sparkline, the detail view's
//! table and graphs at 80x24 and 160x48, and the words when there is none.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Color, Modifier};

use super::Theme;
use super::tests::{draw, text, theme};
use crate::app::health_fixtures::{prometheus_down, snapshot};
use crate::app::{App, Msg, fixtures};
use crate::metrics::Snapshot;

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

/// Moves the selection to release `wanted` as an operator would: to the top, then
/// down until it is selected.
fn select(app: &mut App, wanted: &str) {
    app.update(key(KeyCode::Char('g')));
    for _ in 0..=app.shown.len() {
        if app.selected_key().as_deref() == Some(wanted) {
            return;
        }
        app.update(key(KeyCode::Char('j')));
    }
    panic!("{wanted} is not in the list");
}

/// The fixture console at a size with `metrics`, shop/checkout selected, its
/// detail view open when `detail`.
fn app(theme: Theme, metrics: Snapshot, detail: bool, width: u16, height: u16) -> App {
    let mut app = fixtures::app(theme);
    app.update(Msg::Resize(width, height));
    select(&mut app, "shop/checkout");
    if detail {
        app.update(key(KeyCode::Enter));
        app.update(Msg::Events("shop/checkout".into(), fixtures::events()));
    }
    app.update(Msg::Metrics(metrics));
    app
}

fn screen(theme_name: &str, metrics: Snapshot, detail: bool, width: u16, height: u16) -> String {
    let app = app(theme(theme_name), metrics, detail, width, height);
    text(&draw(&app, width, height))
}

macro_rules! snapshots {
    ($($name:ident: $theme:literal, $metrics:expr, $detail:literal, $w:literal x $h:literal;)*) => {$(
        #[test]
        fn $name() {
            insta::assert_snapshot!(screen($theme, $metrics, $detail, $w, $h));
        }
    )*};
}

snapshots! {
    list_default_80x24: "default", snapshot(), false, 80 x 24;
    list_default_160x48: "default", snapshot(), false, 160 x 48;
    list_mono_80x24: "mono", snapshot(), false, 80 x 24;
    detail_default_80x24: "default", snapshot(), true, 80 x 24;
    detail_default_160x48: "default", snapshot(), true, 160 x 48;
    detail_mono_80x24: "mono", snapshot(), true, 80 x 24;
    detail_mono_160x48: "mono", snapshot(), true, 160 x 48;
    prometheus_down_detail_80x24: "default", prometheus_down(), true, 80 x 24;
    prometheus_down_list_80x24: "default", prometheus_down(), false, 80 x 24;
}

#[test]
fn expanded_graph_fills_the_view_at_80x24() {
    let mut app = app(Theme::default(), snapshot(), true, 80, 24);
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Char('e')));
    insta::assert_snapshot!(text(&draw(&app, 80, 24)));
}

#[test]
fn not_configured_says_how_to_configure() {
    let mut app = app(Theme::default(), Snapshot::default(), true, 80, 24);
    app.update(Msg::MetricsUnavailable(
        "not configured (--prometheus URL)".into(),
    ));
    let screen = text(&draw(&app, 80, 24));
    assert!(
        screen.contains("│ metrics: not configured (--prometheus URL)"),
        "{screen}"
    );
    app.update(key(KeyCode::Esc));
    let screen = text(&draw(&app, 80, 24));
    assert!(
        screen.contains("releases(all)[10] metrics: not configured (--prometheus URL)"),
        "{screen}"
    );
    // No health columns without health.
    assert!(!screen.contains("HEALTH"), "{screen}");
}

#[test]
fn crossing_a_threshold_is_degraded_in_the_list() {
    let mut app = app(Theme::default(), snapshot(), false, 160, 48);
    // Off checkout (failing, so first and selected), whose selected row has a style
    // of its own.
    app.update(key(KeyCode::Char('j')));
    let buffer = draw(&app, 160, 48);
    let screen = text(&buffer);
    let (y, line) = screen
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("checkout"))
        .unwrap_or_else(|| panic!("checkout not on screen: {screen}"));
    let x = line
        .find("5.5%")
        .and_then(|byte| line.get(..byte))
        .map(|before| before.chars().count())
        .unwrap_or_else(|| panic!("no error rate: {line}"));
    let cell = &buffer[(u16::try_from(x).unwrap_or(0), u16::try_from(y).unwrap_or(0))];
    assert_eq!(cell.fg, Color::LightRed);
    assert!(cell.modifier.contains(Modifier::BOLD));
}

#[test]
fn metrics_errors_are_escaped_and_cut() {
    for width in [40, 80, 160] {
        for detail in [false, true] {
            let screen = text(&draw(
                &app(Theme::default(), prometheus_down(), detail, width, 24),
                width,
                24,
            ));
            let bad = |c: char| c.is_control() && c != '\n';
            assert!(!screen.chars().any(bad), "{screen}");
            assert!(screen.contains("metrics"), "{screen}");
        }
    }
}

#[test]
fn graphs_draw_at_any_size() {
    let mut app = app(Theme::default(), snapshot(), true, 80, 24);
    for expanded in [false, true] {
        if expanded {
            app.update(key(KeyCode::Char('e')));
        }
        for width in [0, 1, 2, 5, 13, 21, 34, 55, 89, 144] {
            for height in [0, 1, 3, 5, 8, 13, 21, 34] {
                app.update(Msg::Resize(width, height));
                draw(&app, width, height);
            }
        }
    }
}

#[test]
fn the_default_theme_draws_graphs_in_named_colours() {
    for (w, h) in [(80, 24), (160, 48)] {
        let buffer = draw(&app(Theme::default(), snapshot(), true, w, h), w, h);
        for cell in &buffer.content {
            for c in [cell.fg, cell.bg] {
                assert!(!matches!(c, Color::Rgb(..) | Color::Indexed(_)), "{c:?}");
            }
        }
    }
}

#[test]
fn mono_tells_versions_apart_by_marker_and_marks_the_focus() {
    let app = app(theme("mono"), snapshot(), true, 80, 24);
    let buffer = draw(&app, 80, 24);
    let screen = text(&buffer);
    let lines: Vec<&str> = screen.lines().collect();
    let title = lines
        .iter()
        .position(|l| l.contains("error rate"))
        .unwrap_or_else(|| panic!("no error graph: {screen}"));
    let plot = [lines[title + 1], lines[title + 2]].concat();
    let braille = |c: char| ('\u{2801}'..='\u{28ff}').contains(&c);
    assert!(plot.contains('•') && plot.chars().any(braille), "{plot}");
    assert!(lines[title].contains("• stable") && lines[title].contains("⣿ canary"));
    let y = u16::try_from(title).unwrap_or(0);
    assert!(buffer[(2, y)].modifier.contains(Modifier::REVERSED));
    let next = lines
        .iter()
        .position(|l| l.contains("latency"))
        .and_then(|y| u16::try_from(y).ok())
        .unwrap_or(0);
    assert!(!buffer[(2, next)].modifier.contains(Modifier::REVERSED));
}

#[test]
fn nan_and_missing_versions_read_no_data() {
    let mut app = app(Theme::default(), snapshot(), false, 160, 48);
    select(&mut app, "mesh/cart");
    app.update(key(KeyCode::Enter));
    let screen = text(&draw(&app, 160, 48));
    assert!(screen.contains("┌ mesh/cart"), "{screen}");
    assert_eq!(screen.matches(" no data").count(), 2, "{screen}");
    // No series of cart, so no graphs.
    assert!(!screen.contains("error rate •"), "{screen}");
}

/// shop/reviews driven by this console (one healthy verdict, next step 25 %),
/// shop/checkout by an autopilot elsewhere (its Lease), reviews' detail view open
/// when `detail`.
fn with_autopilots(detail: bool, width: u16, height: u16) -> App {
    use crate::app::PilotEvent;
    use crate::autopilot::driver::Report;
    let mut releases = fixtures::releases();
    if let Some(checkout) = releases.iter_mut().find(|r| r.name == "checkout") {
        checkout.autopilot = Some(crate::model::AutopilotLease {
            holder: "bo@ci-runner/7".into(),
            renewed: Some(fixtures::NOW - 12),
            duration_s: 90,
        });
    }
    let mut app = app(theme("default"), snapshot(), false, width, height);
    app.update(Msg::Releases(releases));
    select(&mut app, "shop/reviews");
    app.update(key(KeyCode::Char('A')));
    app.update(key(KeyCode::Char('y')));
    let reviews = "shop/reviews".to_string();
    app.update(Msg::Autopilot(
        reviews.clone(),
        PilotEvent::Started {
            holder: "ana@laptop/4242".into(),
        },
    ));
    let record = crate::app::health_fixtures::record("hold", 1, Some(25.0));
    app.update(Msg::Autopilot(
        reviews,
        PilotEvent::Report(Report::Interval(Box::new(record))),
    ));
    if detail {
        app.update(key(KeyCode::Enter));
    }
    app
}

#[test]
fn autopilots_in_the_list_100x24() {
    let app = with_autopilots(false, 100, 24);
    insta::assert_snapshot!(text(&draw(&app, 100, 24)));
}

#[test]
fn autopilot_in_the_detail_view_100x40() {
    let app = with_autopilots(true, 100, 40);
    insta::assert_snapshot!(text(&draw(&app, 100, 40)));
}

/// Alerts on shop/reviews (critical) and payments/api (a warning), reviews' detail
/// view open when `detail`.
fn with_alerts(detail: bool, width: u16, height: u16) -> App {
    let mut app = app(theme("default"), snapshot(), false, width, height);
    app.set_alerts(true);
    app.update(Msg::Alerts(Ok(crate::app::health_fixtures::alerts())));
    select(&mut app, "shop/reviews");
    if detail {
        app.update(key(KeyCode::Enter));
    }
    app
}

#[test]
fn alerts_in_the_list_100x24() {
    let app = with_alerts(false, 100, 24);
    insta::assert_snapshot!(text(&draw(&app, 100, 24)));
}

#[test]
fn alerts_in_the_detail_view_100x40() {
    let app = with_alerts(true, 100, 40);
    insta::assert_snapshot!(text(&draw(&app, 100, 40)));
}

#[test]
fn alertmanager_down_is_said_in_the_title() {
    let mut app = app(theme("default"), snapshot(), false, 100, 24);
    app.set_alerts(false);
    app.update(Msg::Alerts(Err(
        "Alertmanager at http://127.0.0.1:9 not answering: connection refused".into(),
    )));
    let screen = text(&draw(&app, 100, 24));
    assert!(
        screen.contains("alerts: Alertmanager at http://127.0.0.1:9 not answering"),
        "{screen}"
    );
    assert!(screen.contains("checkout"), "the list stays: {screen}");
}

#[test]
fn stale_health_says_so_first_at_80_columns() {
    let mut app = app(Theme::default(), snapshot(), false, 80, 24);
    app.update(Msg::Now(fixtures::NOW));
    app.update(Msg::Metrics(snapshot()));
    app.update(Msg::Now(fixtures::NOW + 150));
    app.update(Msg::Metrics(Snapshot {
        errors: vec!["Prometheus at http://127.0.0.1:9090: connection refused".into()],
        ..Snapshot::default()
    }));
    let screen = text(&draw(&app, 80, 24));
    assert!(
        screen.contains("health stale 2m: metrics: Prometheus"),
        "{screen}"
    );
    // The last known figures stay on the rows.
    assert!(screen.contains("5.5%"), "{screen}");
}
