//! The bottom line: the prompt being typed, a message, or key hints.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::sanitize;
use super::text::fit;
use super::theme::Slot;
use crate::app::{App, Prompt};
use crate::input::Action;

pub(super) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let width = usize::from(area.width);
    let line = match &app.prompt {
        Some(prompt) => {
            let (sigil, text) = match prompt {
                Prompt::Filter => ("/", &app.filter),
                Prompt::Command(text) => (":", text),
            };
            // Keep the end of a long line in view, where the cursor is.
            let safe = sanitize(text);
            let room = width.saturating_sub(2);
            let skip = safe.chars().count().saturating_sub(room);
            let shown: String = safe.chars().skip(skip).collect();
            let x = area
                .x
                .saturating_add(u16::try_from(1 + shown.width()).unwrap_or(u16::MAX));
            frame.set_cursor_position(Position::new(x.min(area.right().saturating_sub(1)), area.y));
            Line::styled(format!("{sigil}{shown}"), app.theme.style(Slot::Filter))
        }
        None => match &app.status {
            Some(message) => Line::styled(fit(message, width), app.theme.style(Slot::StatusBar)),
            None => hints(app, width),
        },
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// The actions an incident needs first, right after a view's first hint, so that
/// 80 columns show how to roll back.
const FIRST_ACTIONS: [(Action, &str); 2] = [(Action::Rollback, "rollback"), (Action::Step, "step")];

/// The other actions that change the cluster, after each view's own hints: as many as
/// fit.
const MORE_ACTIONS: [(Action, &str); 6] = [
    (Action::BackStep, "step back"),
    (Action::Promote, "promote"),
    (Action::PromoteFull, "promote full"),
    (Action::Flip, "flip"),
    (Action::Undo, "undo"),
    (Action::Pause, "pause"),
];

/// `<enter> detail  </> filter ...` from the active keymap, for this view,
/// leaving out what read-only mode takes away.
fn hints(app: &App, width: usize) -> Line<'static> {
    let view: &[(Action, &str)] = if app.confirm.is_some() {
        // The popup shows its own keys.
        &[]
    } else if app.help.is_some() {
        &[(Action::Back, "back"), (Action::Quit, "quit")]
    } else if app.graphs_shown() {
        &[
            (Action::Back, "back"),
            (Action::Down, "scroll"),
            (Action::Window, "window"),
            (Action::Expand, "expand"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
        ]
    } else if app.detail.is_some() {
        &[
            (Action::Back, "back"),
            (Action::Down, "scroll"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
        ]
    } else {
        &[
            (Action::Open, "detail"),
            (Action::Filter, "filter"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
            (Action::Command, "command"),
            (Action::AllNamespaces, "all ns"),
        ]
    };
    let acts = app.confirm.is_none() && app.help.is_none();
    let (first, rest) = view.split_at(view.len().min(1));
    let actions = first
        .iter()
        .chain(FIRST_ACTIONS.iter().filter(|_| acts))
        .chain(rest)
        .chain(MORE_ACTIONS.iter().filter(|_| acts))
        .filter(|(action, _)| app.offers(*action));
    let key_style = app.theme.style(Slot::Header);
    let label_style = app.theme.style(Slot::Muted);
    let mut spans = Vec::new();
    let mut used = 0;
    for (action, label) in actions {
        let Some(key) = app.keymap.keys(*action).first() else {
            continue;
        };
        let key = format!("<{}>", sanitize(&key.to_string()));
        let cost = key.width() + label.len() + 3;
        if used + cost > width {
            break;
        }
        used += cost;
        spans.push(Span::styled(format!(" {key}"), key_style));
        spans.push(Span::styled(format!(" {label} "), label_style));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_whole_hints_only() {
        let app = crate::app::fixtures::app(crate::ui::Theme::default());
        let line = hints(&app, 30);
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, " <enter> detail  <a> rollback ");
    }

    fn words(app: &App) -> String {
        let line = hints(app, 200);
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn lists_the_actions_unless_read_only() {
        let mut app = crate::app::fixtures::app(crate::ui::Theme::default());
        let all = words(&app);
        assert!(
            all.starts_with(" <enter> detail  <a> rollback  <]> step  </> filter "),
            "{all}"
        );
        let tail = " <0> all ns  <[> step back  <p> promote  <P> promote full  \
                    <f> flip  <u> undo  <z> pause ";
        assert!(all.ends_with(tail), "{all}");
        app.set_read_only(true);
        assert!(words(&app).ends_with(" <q> quit  <:> command  <0> all ns "));
        assert!(!words(&app).contains("rollback"));
    }
}
