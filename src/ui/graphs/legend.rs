//! A graph's title: its name, then each version's marker, role and figure,
//! and the threshold, as much of it as fits.

use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::super::health::{self, known};
use super::super::text::fit;
use super::super::theme::Slot;
use super::{Source, format_of, limit_of};
use crate::app::Graph;
use crate::metrics::Health;

/// `head` and a legend, `• stable 0.4% ⣿ canary 5.5% ─ max 5% `, shortened to
/// fit: the figures go first, then the word max, then the roles.
pub(super) fn title(
    source: &Source,
    which: Graph,
    focused: bool,
    head: String,
    width: u16,
) -> Line<'static> {
    let theme = &source.app.theme;
    let head_style = theme.style(if focused { Slot::Selected } else { Slot::Title });
    let room = usize::from(width).saturating_sub(2);
    let levels = [
        (true, true, true),
        (false, true, true),
        (false, true, false),
        (false, false, false),
    ];
    for (figures, roles, max) in levels {
        let mut spans = vec![Span::styled(head.clone(), head_style)];
        spans.extend(legend(source, which, figures, roles, max));
        let used: usize = spans.iter().map(|s| s.content.width()).sum();
        if used <= room {
            return Line::from(spans);
        }
    }
    Line::styled(fit(&head, room), head_style)
}

/// The figure of a version a graph's legend shows: its window's p99 for latency.
fn figure(which: Graph, h: &Health) -> Option<f64> {
    known(match which {
        Graph::Errors => h.error_rate,
        Graph::Latency => h.p99_ms,
        Graph::Requests => h.requests_per_s,
    })
}

/// Each version's glyph, role and figure, and the threshold, one space apart.
fn legend(
    source: &Source,
    which: Graph,
    figures: bool,
    roles: bool,
    max: bool,
) -> Vec<Span<'static>> {
    let theme = &source.app.theme;
    let format = format_of(which);
    let limit = limit_of(which, source.release);
    let mut spans = Vec::new();
    for (i, v) in source.versions.iter().enumerate() {
        let style = health::role_style(v.role, theme);
        let glyph = source.marks.get(i).map_or("?", |m| m.1);
        spans.push(Span::styled(glyph, style));
        if roles {
            spans.push(Span::styled(format!(" {}", v.role.as_str()), style));
        }
        if figures {
            let health = source.health.get(i).copied().flatten();
            spans.push(match health.and_then(|h| figure(which, h)) {
                Some(x) => Span::styled(
                    format!(" {}", format(x)),
                    style.patch(health::judged(x, limit, theme)),
                ),
                None => Span::styled(" -", style),
            });
        }
        spans.push(Span::raw(" "));
    }
    if let Some(limit) = limit {
        let text = if max {
            format!("─ max {} ", format(limit))
        } else {
            format!("─ {} ", format(limit))
        };
        spans.push(Span::styled(text, theme.style(Slot::Degraded)));
    }
    spans
}
