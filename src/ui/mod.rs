//! Drawing the console: a pure function of `App` onto a frame. Nothing here
//! mutates state, does I/O or blocks.

mod alerts;
mod columns;
pub(crate) mod confirm;
pub(crate) mod detail;
mod graphs;
mod header;
mod health;
mod health_table;
pub(crate) mod help;
mod judgement;
mod list;
mod sanitize;
mod spark;
mod status;
mod text;
pub mod theme;
mod weight;

#[cfg(test)]
mod health_tests;
#[cfg(test)]
mod tests;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Block, Borders};

pub use sanitize::{needs_escape, sanitize};
pub use theme::{ColorDepth, Theme, detect};

use crate::app::App;
use theme::Slot;

const HEADER_ROWS: u16 = 2;
const STATUS_ROWS: u16 = 1;

/// Release rows the list has room for at a terminal height: all but the
/// header, the table's borders and column titles, and the status bar.
pub(crate) fn list_rows(height: u16) -> usize {
    height.saturating_sub(HEADER_ROWS + STATUS_ROWS + 3).into()
}

/// Text lines the detail and help views have room for.
pub(crate) fn page_rows(height: u16) -> usize {
    height.saturating_sub(HEADER_ROWS + STATUS_ROWS + 2).into()
}

/// The header, body and status bar of a screen.
fn areas(screen: Rect) -> [Rect; 3] {
    Layout::vertical([
        Constraint::Length(HEADER_ROWS),
        Constraint::Min(0),
        Constraint::Length(STATUS_ROWS),
    ])
    .areas(screen)
}

/// Where the views (and the popup over them) go on a terminal of this size.
fn body_area(width: u16, height: u16) -> Rect {
    areas(Rect::new(0, 0, width, height))[1]
}

/// Draws the whole screen from `app`.
pub fn render(frame: &mut Frame, app: &App) {
    let [top, body, bottom] = areas(frame.area());
    header::render(frame, top, app);
    if app.help.is_some() {
        help::render(frame, body, app);
    } else if let Some(detail) = &app.detail {
        detail::render(frame, body, app, detail);
    } else {
        list::render(frame, body, app);
    }
    if let Some(confirm) = &app.confirm {
        confirm::render(frame, body, app, confirm);
    }
    status::render(frame, bottom, app);
}

/// The bordered box every view draws in.
fn frame_block<'a>(app: &App, title: ratatui::text::Line<'a>) -> Block<'a> {
    Block::new()
        .borders(Borders::ALL)
        .border_style(app.theme.style(Slot::Border))
        .title(title)
}
