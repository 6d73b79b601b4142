//! The help screen, generated from the active keymap so that it lists the
//! keys actually bound.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::sanitize;
use super::text::{fit, pad};
use super::theme::Slot;
use crate::app::App;
use crate::input::{Action, Group};

const COLUMN: u16 = 39;
const KEYS: usize = 15;

const COMMANDS: [(&str, &str); 4] = [
    (":ns NAME", "switch namespace"),
    (":ctx NAME", "switch context"),
    (":q", "quit"),
    ("/ then esc", "clear the filter"),
];

pub(super) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let title = Line::styled(" help ", app.theme.style(Slot::Title));
    let block = super::frame_block(app, title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let scroll = app.help.unwrap_or(0);
    let columns = columns(app, inner.width);
    let areas = Layout::horizontal(columns.iter().map(|_| Constraint::Length(COLUMN))).split(inner);
    for (lines, area) in columns.into_iter().zip(areas.iter()) {
        let shown: Vec<Line> = lines
            .into_iter()
            .skip(scroll)
            .take(usize::from(area.height))
            .collect();
        frame.render_widget(Paragraph::new(shown), *area);
    }
}

/// How many lines the tallest column has, for scrolling.
pub(crate) fn line_count(app: &App) -> usize {
    let columns = columns(app, app.width.saturating_sub(2));
    columns.iter().map(Vec::len).max().unwrap_or(0)
}

/// The groups, flowed into as many columns as the width holds.
fn columns(app: &App, width: u16) -> Vec<Vec<Line<'static>>> {
    let count = usize::from((width / COLUMN).max(1));
    let groups = groups(app);
    let total: usize = groups.iter().map(|g| g.len() + 1).sum();
    let per_column = total.div_ceil(count);
    let mut columns: Vec<Vec<Line<'static>>> = vec![Vec::new()];
    for group in groups {
        let full = columns
            .last()
            .is_some_and(|c| !c.is_empty() && c.len() + group.len() > per_column);
        if full && columns.len() < count {
            columns.push(Vec::new());
        }
        if let Some(column) = columns.last_mut() {
            if !column.is_empty() {
                column.push(Line::raw(""));
            }
            column.extend(group);
        }
    }
    columns
}

fn groups(app: &App) -> Vec<Vec<Line<'static>>> {
    let heading = app.theme.style(Slot::Header);
    let key_style = app.theme.style(Slot::Filter);
    let entry = |keys: String, description: &str| {
        Line::from(vec![
            Span::styled(format!(" {}", pad(&sanitize(&keys), KEYS)), key_style),
            Span::raw(format!(
                " {}",
                fit(description, usize::from(COLUMN) - KEYS - 3)
            )),
        ])
    };
    let mut groups: Vec<Vec<Line<'static>>> = Group::ALL
        .into_iter()
        .filter_map(|group| {
            let mut actions = Action::ALL
                .into_iter()
                .filter(|a| a.group() == group && app.offers(*a))
                .peekable();
            // Read-only mode leaves out the whole group of actions.
            actions.peek()?;
            let mut lines = vec![Line::styled(format!(" {}", group.title()), heading)];
            for action in actions {
                let keys: Vec<String> = app
                    .keymap
                    .keys(action)
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                let keys = if keys.is_empty() {
                    "-".to_string()
                } else {
                    keys.join(" ")
                };
                lines.push(entry(keys, action.description()));
            }
            Some(lines)
        })
        .collect();
    let mut commands = vec![Line::styled(" commands", heading)];
    commands.extend(
        COMMANDS
            .iter()
            .map(|(keys, what)| entry(keys.to_string(), what)),
    );
    groups.push(commands);
    groups
}
