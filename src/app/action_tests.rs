//! Action keys, read-only mode and the confirmation popup.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::fixtures;
use super::tests::{app, key, press, type_text};
use super::*;
use crate::actions::Verb;
use crate::input::Action;

const ACTION_KEYS: [(char, Action); 8] = [
    (']', Action::Step),
    ('[', Action::BackStep),
    ('p', Action::Promote),
    ('P', Action::PromoteFull),
    ('f', Action::Flip),
    ('a', Action::Rollback),
    ('u', Action::Undo),
    ('z', Action::Pause),
];

#[test]
fn action_keys_ask_for_a_plan_on_the_selected_release() {
    let mut app = app();
    // payments/ledger is selected and degraded: z pauses it.
    for (c, verb) in [
        (']', Verb::Step),
        ('[', Verb::Back),
        ('p', Verb::Promote),
        ('P', Verb::PromoteFull),
        ('f', Verb::Flip),
        ('a', Verb::Rollback),
        ('u', Verb::Undo),
        ('z', Verb::Pause),
    ] {
        let (effects, redraw) = press(&mut app, c);
        assert_eq!(
            effects,
            [Effect::Plan(verb, "payments/ledger".into())],
            "{c}"
        );
        assert!(redraw);
        let want = format!("checking {} on payments/ledger…", verb.as_str());
        assert_eq!(app.status.as_deref(), Some(want.as_str()));
    }
    // shop/checkout is paused: z resumes it.
    press(&mut app, 'j');
    press(&mut app, 'j');
    let (effects, _) = press(&mut app, 'z');
    assert_eq!(
        effects,
        [Effect::Plan(Verb::Resume, "shop/checkout".into())]
    );
}

#[test]
fn action_keys_act_on_the_open_release_and_not_from_help() {
    let mut app = app();
    press(&mut app, 'j');
    press(&mut app, 'j');
    app.update(key(KeyCode::Enter));
    press(&mut app, 'g');
    let (effects, _) = press(&mut app, ']');
    assert_eq!(effects, [Effect::Plan(Verb::Step, "shop/checkout".into())]);
    let (effects, _) = press(&mut app, 'z');
    assert_eq!(
        effects,
        [Effect::Plan(Verb::Resume, "shop/checkout".into())]
    );
    press(&mut app, '?');
    assert_eq!(press(&mut app, ']').0, []);
    // A release that went away is not acted on.
    app.update(key(KeyCode::Esc));
    app.update(Msg::Releases(Vec::new()));
    assert_eq!(press(&mut app, ']').0, []);
    app.update(key(KeyCode::Esc));
    assert_eq!(press(&mut app, ']').0, []);
}

#[test]
fn read_only_takes_the_action_keys_away() {
    let mut app = app();
    app.set_read_only(true);
    for (c, action) in ACTION_KEYS {
        let (effects, redraw) = press(&mut app, c);
        assert!(effects.is_empty() && redraw, "{c}");
        let want = format!("read-only: {} is not available", action.description());
        assert_eq!(app.status.as_deref(), Some(want.as_str()));
    }
    assert!(app.offers(Action::Open) && !app.offers(Action::Step));
    // A preview that comes anyway opens nothing that could apply it.
    assert_eq!(
        app.update(Msg::Preview(fixtures::preview(Ok(())))),
        (vec![], true)
    );
    assert!(app.confirm.is_none());
    assert_eq!(
        app.status.as_deref(),
        Some("read-only: promote on web/catalog is not available")
    );
    app.set_read_only(false);
    assert_eq!(press(&mut app, ']').0.len(), 1);
}

fn preview_open(dry_run: Result<(), String>) -> App {
    let mut app = app();
    let (effects, redraw) = app.update(Msg::Preview(fixtures::preview(dry_run)));
    assert!(effects.is_empty() && redraw);
    assert!(app.confirm.is_some());
    app
}

#[test]
fn y_or_enter_applies_the_preview() {
    for answer in [key(KeyCode::Char('y')), key(KeyCode::Enter)] {
        let mut app = preview_open(Ok(()));
        assert_eq!(app.update(answer), (vec![Effect::Apply], true));
        assert!(app.confirm.is_none());
        assert_eq!(
            app.status.as_deref(),
            Some("applying promote on web/catalog…")
        );
    }
}

#[test]
fn n_or_esc_cancels_the_preview() {
    for answer in [key(KeyCode::Char('n')), key(KeyCode::Esc)] {
        let mut app = preview_open(Ok(()));
        assert_eq!(app.update(answer), (vec![Effect::Cancel], true));
        assert!(app.confirm.is_none());
        assert_eq!(app.status.as_deref(), Some("cancelled"));
    }
    // Esc answers the popup, not the detail view below it.
    let mut app = app();
    app.update(key(KeyCode::Enter));
    app.update(Msg::Preview(fixtures::preview(Ok(()))));
    app.update(key(KeyCode::Esc));
    assert!(app.confirm.is_none() && app.detail.is_some());
}

#[test]
fn other_keys_leave_the_preview_open() {
    let mut app = preview_open(Ok(()));
    for c in ['q', 'Y', ']', 'p', '/', ':', '?', '0', 'x'] {
        assert_eq!(press(&mut app, c), (vec![], false), "{c}");
    }
    let ctrl_y = Msg::Key(KeyEvent::new(KeyCode::Char('y'), KeyModifiers::CONTROL));
    assert_eq!(app.update(ctrl_y), (vec![], false));
    assert!(app.confirm.is_some() && app.prompt.is_none() && app.help.is_none());
    // ctrl-c still quits, turning the preview down on the way out.
    let ctrl_c = Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(app.update(ctrl_c).0, [Effect::Cancel, Effect::Quit]);
}

#[test]
fn a_failed_dry_run_is_not_applied() {
    let mut app = preview_open(fixtures::refused_dry_run());
    for answer in [key(KeyCode::Char('y')), key(KeyCode::Enter)] {
        assert_eq!(app.update(answer), (vec![], true));
        assert!(app.confirm.is_some());
        assert_eq!(
            app.status.as_deref(),
            Some("cannot apply: the server's dry run failed")
        );
    }
    assert_eq!(press(&mut app, 'n').0, [Effect::Cancel]);
}

#[test]
fn navigation_keys_scroll_a_long_preview() {
    let mut app = app();
    app.update(Msg::Resize(80, 14));
    let mut preview = fixtures::preview(Ok(()));
    preview.plan.changes = (0..12)
        .map(|i| fixtures::scale(&format!("v{i}"), 1, 2))
        .collect();
    app.update(Msg::Preview(preview));
    let scroll = |app: &App| app.confirm.as_ref().map_or(0, |c| c.scroll);
    assert_eq!(press(&mut app, 'j'), (vec![], true));
    assert_eq!(scroll(&app), 1);
    press(&mut app, 'G');
    let bottom = scroll(&app);
    let (page, max) = crate::ui::confirm::scroll_room(&app, app.confirm.as_ref().expect("open"));
    assert_eq!(bottom, max);
    assert!(page > 0 && bottom + page > 24);
    assert_eq!(press(&mut app, 'j'), (vec![], false));
    press(&mut app, 'g');
    assert_eq!(scroll(&app), 0);
    // A taller terminal shows it all: the scroll comes back within it.
    press(&mut app, 'G');
    app.update(Msg::Resize(160, 60));
    assert_eq!(scroll(&app), 0);
}

#[test]
fn a_preview_closes_the_prompt_and_takes_the_keys() {
    let mut app = app();
    press(&mut app, '/');
    type_text(&mut app, "web");
    app.update(Msg::Preview(fixtures::preview(Ok(()))));
    assert_eq!(app.prompt, None);
    assert_eq!(app.filter, "web");
    press(&mut app, 'y');
    assert_eq!(press(&mut app, ']').0.len(), 1);
}

#[test]
fn refusals_and_results_show_in_the_status_bar() {
    let mut app = app();
    let refused = Msg::Refused(
        "shop/reviews".into(),
        Verb::Flip,
        "not a blue/green release".into(),
    );
    assert_eq!(app.update(refused), (vec![], true));
    assert_eq!(
        app.status.as_deref(),
        Some("refused: flip shop/reviews: not a blue/green release")
    );
    assert!(app.confirm.is_none());
    let text = "applied step on shop/reviews: canary 10% -> 25%";
    assert_eq!(app.update(Msg::Applied(text.into())), (vec![], true));
    assert_eq!(app.status.as_deref(), Some(text));
}
