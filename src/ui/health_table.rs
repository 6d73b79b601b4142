//! The detail view's HEALTH section: the window and thresholds, what went
//! wrong fetching metrics, and a row of figures per version.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::health::{self, known};
use super::text::{fit, pad};
use super::theme::{Slot, Theme};
use super::weight;
use crate::app::{App, Metrics, window_label};
use crate::metrics::{Health, Snapshot};
use crate::model::Release;

/// Cells of each figure, right-aligned.
const FIGURE: usize = 6;

/// A figure, how it reads, and the limit it is judged by.
type Figure = (Option<f64>, fn(f64) -> String, Option<f64>);

pub(super) fn section(out: &mut Vec<Line<'static>>, app: &App, r: &Release, width: usize) {
    let theme = &app.theme;
    let muted = theme.style(Slot::Muted);
    out.push(Line::raw(""));
    let mut title = vec![Span::styled(" HEALTH", theme.style(Slot::Header))];
    if app.snapshot().is_some() {
        title.push(Span::styled(
            format!(" {}", window_label(app.window)),
            muted,
        ));
    }
    if let Some(limit) = r.thresholds.max_error_rate {
        let text = format!("  max error rate {}", health::rate(limit));
        title.push(Span::styled(text, muted));
    }
    if let Some(limit) = r.thresholds.max_p99_ms {
        title.push(Span::styled(
            format!("  max p99 {}", health::ms(limit)),
            muted,
        ));
    }
    out.push(Line::from(title));
    let snapshot = match &app.metrics {
        Metrics::Waiting => {
            out.push(Line::styled(" loading…", muted));
            return;
        }
        Metrics::Unavailable(why) => {
            let text = format!(" metrics: {why}");
            out.push(Line::styled(fit(&text, width), muted));
            return;
        }
        Metrics::Ready(snapshot) => snapshot,
    };
    if let Some(since) = app.stale_since {
        let age = crate::ages::age(Some(since), app.now);
        let text = format!(" stale: the last health read, {age} ago; metrics fail since");
        out.push(Line::styled(fit(&text, width), theme.style(Slot::Warning)));
    }
    for error in &snapshot.errors {
        let text = format!(" ! metrics: {error}");
        out.push(Line::styled(fit(&text, width), theme.style(Slot::Warning)));
    }
    table(out, snapshot, r, theme);
}

fn table(out: &mut Vec<Line<'static>>, snapshot: &Snapshot, r: &Release, theme: &Theme) {
    let versions = weight::by_role(&r.versions);
    let name_w = versions
        .iter()
        .map(|v| v.name.width())
        .max()
        .unwrap_or(0)
        .clamp(4, 28);
    let mut head = format!(" {} {}", pad("ROLE", 8), pad("NAME", name_w));
    for title in ["REQ/S", "ERR", "P50", "P95", "P99"] {
        head.push_str(&format!(" {title:>FIGURE$}"));
    }
    out.push(Line::styled(head, theme.style(Slot::Muted)));
    for v in versions {
        let mut spans = vec![
            Span::styled(
                format!(" {}", pad(v.role.as_str(), 8)),
                health::role_style(v.role, theme),
            ),
            Span::raw(format!(" {}", pad(&super::sanitize(&v.name), name_w))),
        ];
        match health::health_of(snapshot, r, v) {
            Some(h) => spans.extend(figures(h, r, theme)),
            None => spans.push(Span::styled(" no data", theme.style(Slot::Muted))),
        }
        out.push(Line::from(spans));
    }
}

/// Requests per second, error rate, p50, p95, p99; `-` where unknown.
fn figures(h: &Health, r: &Release, theme: &Theme) -> Vec<Span<'static>> {
    let limits = r.thresholds;
    let cells: [Figure; 5] = [
        (h.requests_per_s, health::per_s, None),
        (h.error_rate, health::rate, limits.max_error_rate),
        (h.p50_ms, health::ms, None),
        (h.p95_ms, health::ms, None),
        (h.p99_ms, health::ms, limits.max_p99_ms),
    ];
    cells
        .into_iter()
        .map(|(value, format, limit)| match known(value) {
            Some(v) => Span::styled(
                format!(" {:>FIGURE$}", format(v)),
                health::judged(v, limit, theme),
            ),
            None => Span::styled(format!(" {:>FIGURE$}", "-"), Style::new()),
        })
        .collect()
}
