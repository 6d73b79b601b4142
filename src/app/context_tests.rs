//! `:ctx NAME`: nothing moves to the new context until it has answered; a failed
//! switch leaves everything as it was, and a plan made on one context is never
//! offered on another.

use crossterm::event::KeyCode;

use super::fixtures::{self, CONTEXT};
use super::health_fixtures::snapshot;
use super::tests::{app, key, press, type_text};
use super::*;

/// Types `:ctx NAME` and enter.
fn ctx(app: &mut App, name: &str) -> Vec<Effect> {
    press(app, ':');
    type_text(app, &format!("ctx {name}"));
    app.update(key(KeyCode::Enter)).0
}

#[test]
fn nothing_changes_until_the_new_context_answers() {
    let mut app = app();
    let rows = app.rows.len();
    let effects = ctx(&mut app, "prod");
    assert_eq!(effects, [Effect::SwitchContext("prod".into())]);
    // Still the old context in every respect: the header, the list, the actions.
    assert_eq!(app.context, CONTEXT);
    assert_eq!(app.rows.len(), rows);
    assert!(app.loaded);
    assert!(
        app.status
            .as_deref()
            .is_some_and(|s| s.contains("connecting to context prod") && s.contains(CONTEXT))
    );
    // A plan made meanwhile, on the old context, is still offered: it acts where the
    // header says.
    app.update(Msg::Preview(fixtures::preview(Ok(()))));
    assert!(app.confirm.is_some());
    let (effects, redraw) = app.update(Msg::Connected("prod".into()));
    assert!(redraw);
    // The popup for the old context's plan goes with it.
    assert_eq!(effects, [Effect::Cancel]);
    assert!(app.confirm.is_none());
    assert_eq!(app.context, "prod");
    assert!(app.rows.is_empty() && !app.loaded);
    assert_eq!(app.switching, None);
}

#[test]
fn a_failed_switch_leaves_everything_as_it_was() {
    let mut app = app();
    press(&mut app, 'j');
    press(&mut app, 'j');
    let (selected, rows, watched) = (app.selected, app.rows.len(), app.watched.clone());
    ctx(&mut app, "nope");
    let (effects, redraw) = app.update(Msg::ContextFailed(
        "nope".into(),
        "no context \"nope\" in the kubeconfig; it has: kind-demo".into(),
    ));
    assert!(effects.is_empty() && redraw);
    assert_eq!(app.context, CONTEXT);
    assert_eq!(
        (app.selected, app.rows.len(), app.watched.clone()),
        (selected, rows, watched)
    );
    assert!(app.loaded);
    let status = app.status.clone().unwrap_or_default();
    assert!(
        status.contains("cannot switch to context nope: no context")
            && status.contains(&format!("still on {CONTEXT}")),
        "{status}"
    );
    // A late answer for a switch no longer asked for changes nothing.
    let (_, redraw) = app.update(Msg::Connected("nope".into()));
    assert!(!redraw);
    assert_eq!(app.context, CONTEXT);
}

#[test]
fn a_plan_made_on_another_context_is_never_offered() {
    let mut app = app();
    let mut preview = fixtures::preview(Ok(()));
    preview.context = "staging".into();
    app.update(Msg::Preview(preview));
    assert!(app.confirm.is_none());
    assert!(
        app.status
            .as_deref()
            .is_some_and(|s| s.contains("planned on context staging"))
    );
}

#[test]
fn the_same_context_or_a_running_autopilot_refuse_the_switch() {
    let mut app = app();
    assert!(ctx(&mut app, CONTEXT).is_empty());
    assert!(
        app.status
            .as_deref()
            .is_some_and(|s| s.contains("already on"))
    );
    app.update(Msg::Metrics(snapshot()));
    app.pilots.insert(
        "shop/reviews".into(),
        Pilot {
            state: PilotState::Starting,
            last: None,
            error: None,
        },
    );
    assert!(ctx(&mut app, "prod").is_empty());
    assert_eq!(app.switching, None);
    assert!(
        app.status
            .as_deref()
            .is_some_and(|s| s.contains("autopilot") && s.contains("stop them"))
    );
}
