//! The two header lines: where we are, and what is being watched.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::text::fit;
use super::theme::Slot;
use crate::app::{App, WatchStatus};

pub(super) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let width = usize::from(area.width);
    let lines = vec![where_line(app, width), watch_line(app, width)];
    frame.render_widget(Paragraph::new(lines), area);
}

fn where_line(app: &App, width: usize) -> Line<'static> {
    let label = app.theme.style(Slot::Muted);
    let value = app.theme.style(Slot::Header);
    let namespace = app.namespace.as_deref().unwrap_or("all namespaces");
    let total = app.rows.len();
    let count = if app.shown.len() == total {
        total.to_string()
    } else {
        format!("{} of {total}", app.shown.len())
    };
    // A long context name (an EKS ARN) must leave room for the rest.
    let tag = if app.read_only { " read-only " } else { "" };
    let budget = width.saturating_sub(44 + tag.len()).max(12);
    Line::from(vec![
        Span::styled(" kshift ", app.theme.style(Slot::Title)),
        // Reversed so that it stands out in a monochrome theme too.
        Span::styled(
            tag,
            app.theme
                .style(Slot::Warning)
                .add_modifier(Modifier::REVERSED),
        ),
        Span::styled(" context ", label),
        Span::styled(fit(&app.context, budget), value),
        Span::styled("  namespace ", label),
        Span::styled(fit(namespace, 24), value),
        Span::styled("  releases ", label),
        Span::styled(count, value),
    ])
}

fn watch_line(app: &App, width: usize) -> Line<'static> {
    let muted = app.theme.style(Slot::Muted);
    if let WatchStatus::Reconnecting(reason) = &app.watch {
        let warning = app.theme.style(Slot::Warning);
        return Line::from(vec![
            // Reversed so that it stands out in a monochrome theme too.
            Span::styled(" reconnecting ", warning.add_modifier(Modifier::REVERSED)),
            Span::styled(
                format!(" {}", fit(reason, width.saturating_sub(15))),
                warning,
            ),
        ]);
    }
    let watched = if app.watched.is_empty() {
        "-".to_string()
    } else {
        app.watched.join(" ")
    };
    // What is missing comes first: at 80 columns the rest may not fit.
    let mut text = String::new();
    if !app.skipped.is_empty() {
        text = format!(" skipped {}  ", app.skipped.join("; "));
    }
    text.push_str(&format!(" watching {watched}"));
    Line::styled(fit(&text, width), muted)
}
