//! Firing alerts on screen: a badge per release in the list, and each alert in the
//! detail view.

use ratatui::text::{Line, Span};

use super::text::{fit, wrap};
use super::theme::Slot;
use crate::alerts::{self, Alert};
use crate::app::{Alerts, App, Row};

fn slot(alerts: &[&Alert]) -> Slot {
    if alerts.iter().any(|a| alerts::is_critical(a)) {
        Slot::Degraded
    } else {
        Slot::Warning
    }
}

/// `3 alerts (1 critical)`, or `3 crit` / `3` where that does not fit; `-` for none.
pub(super) fn cell(app: &App, row: &Row, width: usize) -> Line<'static> {
    let about = app.alerts_about(&row.release);
    let Some(badge) = alerts::badge(&about) else {
        return Line::styled("-", app.theme.style(Slot::Muted));
    };
    let text = if badge.len() <= width {
        badge
    } else {
        let critical = about.iter().filter(|a| alerts::is_critical(a)).count();
        let short = if critical > 0 {
            format!("{} crit", about.len())
        } else {
            about.len().to_string()
        };
        fit(&short, width)
    };
    Line::styled(text, app.theme.style(slot(&about)))
}

/// ALERTS: each alert about the release, critical first, with its summary and how
/// long it has fired; or why Alertmanager did not answer.
pub(super) fn section(out: &mut Vec<Line<'static>>, app: &App, row: &Row, width: usize) {
    let theme = &app.theme;
    let about = app.alerts_about(&row.release);
    let failed = match &app.alerts {
        Alerts::Failed(why) => Some(why),
        _ => None,
    };
    if about.is_empty() && failed.is_none() {
        return;
    }
    out.push(Line::raw(""));
    out.push(Line::styled(" ALERTS", theme.style(Slot::Header)));
    if let Some(why) = failed {
        let text = format!(" alerts: {why}");
        out.push(Line::styled(fit(&text, width), theme.style(Slot::Warning)));
    }
    for alert in about {
        let style = theme.style(slot(&[alert]));
        let severity = alert.severity.as_deref().unwrap_or("-");
        let since = alert
            .starts_at
            .as_deref()
            .and_then(crate::ages::parse_rfc3339)
            .map(|at| format!(" for {}", crate::ages::age(Some(at), app.now)))
            .unwrap_or_default();
        let head = format!(" {} {}", fit(severity, 10), fit(&alert.name, 40));
        let room = width.saturating_sub(head.chars().count() + 1);
        out.push(Line::from(vec![
            Span::styled(head, style),
            Span::styled(fit(&since, room), theme.style(Slot::Muted)),
        ]));
        if let Some(summary) = &alert.summary {
            for line in wrap(summary, width.saturating_sub(4)) {
                out.push(Line::raw(format!("   {line}")));
            }
        }
    }
}
