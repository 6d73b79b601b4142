//! The detail view of one release: versions, step plan, health, warnings,
//! recent events, change causes and objects as text that scrolls, with the
//! health graphs below it (or one graph filling the view).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::list::{phase_style, ready, step};
use super::text::{fit, fit_tail, pad};
use super::theme::{Slot, Theme};
use super::{alerts, graphs, health, health_table, judgement, weight};
use crate::app::{self, App, Detail, EventLine};
use crate::model::{DEFAULT_PLAN, Release, Role, Strategy};

pub(super) fn render(frame: &mut Frame, area: Rect, app: &App, detail: &Detail) {
    let key = format!(" {} ", fit(&detail.key, 60));
    let mut title = vec![Span::styled(key, app.theme.style(Slot::Title))];
    // What went wrong fetching metrics, even with the health section out of view.
    let failed = app.snapshot().is_some_and(|s| !s.errors.is_empty());
    if let Some((words, style)) = health::words(app).filter(|_| failed) {
        let used: usize = title.iter().map(|s| s.content.width()).sum();
        let room = usize::from(area.width).saturating_sub(used + 3);
        if room > 1 {
            title.push(Span::styled(format!("{} ", fit(&words, room)), style));
        }
    }
    let block = super::frame_block(app, Line::from(title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (text, graph_area) = split(app, detail, inner);
    // Only the lines on screen reach the frame.
    let lines: Vec<Line> = lines(app, detail, usize::from(inner.width))
        .into_iter()
        .skip(detail.scroll)
        .take(usize::from(text.height))
        .collect();
    frame.render_widget(Paragraph::new(lines), text);
    let release = detail.row.and_then(|i| app.rows.get(i)).map(|r| &r.release);
    if let (Some(release), Some(snapshot)) = (release, app.snapshot())
        && !graph_area.is_empty()
    {
        graphs::render(frame, graph_area, app, detail, release, snapshot);
    }
}

/// The text and graph areas of the inside of the detail view: the text above,
/// the graphs below when there are any and room for them; the focused graph
/// alone when expanded.
fn split(app: &App, detail: &Detail, inner: Rect) -> (Rect, Rect) {
    let graphs = match (app.graphs_shown(), detail.expanded) {
        (false, _) => 0,
        (true, true) => inner.height,
        (true, false) => graphs::pane_height(inner.width, inner.height),
    };
    let [text, graph] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(graphs)]).areas(inner);
    (text, graph)
}

/// Text lines on screen in the detail view, for scrolling.
pub(crate) fn text_rows(app: &App, detail: &Detail) -> usize {
    let body = super::body_area(app.width, app.height);
    let inner = Rect {
        x: body.x + 1,
        y: body.y + 1,
        width: body.width.saturating_sub(2),
        height: body.height.saturating_sub(2),
    };
    split(app, detail, inner).0.height.into()
}

/// How many lines the detail text has at the current width, for scrolling.
pub(crate) fn line_count(app: &App, detail: &Detail) -> usize {
    lines(app, detail, usize::from(app.width.saturating_sub(2))).len()
}

fn lines(app: &App, detail: &Detail, width: usize) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let Some(row) = detail.row.and_then(|i| app.rows.get(i)) else {
        let text = format!(" {} is gone: deleted, or no longer a release", detail.key);
        return vec![Line::styled(fit(&text, width), theme.style(Slot::Warning))];
    };
    let r = &row.release;
    let mut out = vec![summary(r, app::age(row.changed, app.now), theme)];
    versions(&mut out, r, width, theme);
    if r.strategy == Strategy::Canary {
        out.push(plan(r, theme));
    }
    // The verdict's reason before the figures behind it: on a short screen it is
    // what must show above the graphs.
    judgement::verdict_section(&mut out, app, row, width);
    alerts::section(&mut out, app, row, width);
    health_table::section(&mut out, app, r, width);
    judgement::pilot_section(&mut out, app, row, width);
    // What needs a look comes before what only describes.
    if !r.warnings.is_empty() {
        section(&mut out, "WARNINGS", theme);
    }
    for warning in &r.warnings {
        let text = format!(" ! {}", fit(warning, width.saturating_sub(3)));
        out.push(Line::styled(text, theme.style(Slot::Warning)));
    }
    section(&mut out, "EVENTS", theme);
    events(&mut out, detail.events.as_deref(), app.now, width, theme);
    if !r.change_causes.is_empty() {
        section(&mut out, "CHANGE CAUSES", theme);
    }
    for cause in &r.change_causes {
        out.push(Line::raw(format!(
            " {}",
            fit(cause, width.saturating_sub(1))
        )));
    }
    section(&mut out, "OBJECTS", theme);
    let names: Vec<String> = r
        .objects
        .iter()
        .map(|o| format!("{}/{}", o.kind, o.name))
        .collect();
    out.extend(packed(&names, width));
    out
}

fn summary(r: &Release, age: String, theme: &Theme) -> Line<'static> {
    let label = theme.style(Slot::Muted);
    let mut spans = Vec::new();
    let mut field = |name: &str, value: String, style: Style| {
        let gap = if spans.is_empty() { " " } else { "  " };
        spans.push(Span::styled(format!("{gap}{name} "), label));
        spans.push(Span::styled(value, style));
    };
    field("kind", r.kind.as_str().into(), Style::new());
    field("strategy", r.strategy.as_str().into(), Style::new());
    field(
        "phase",
        r.phase.as_str().into(),
        phase_style(r.phase, theme),
    );
    field("step", step(r), Style::new());
    field("ready", ready(r), Style::new());
    field("changed", age, Style::new());
    Line::from(spans)
}

fn section(out: &mut Vec<Line<'static>>, title: &str, theme: &Theme) {
    out.push(Line::raw(""));
    out.push(Line::styled(format!(" {title}"), theme.style(Slot::Header)));
}

/// A row of cells, each padded or cut to its width, one space apart.
fn cells(parts: &[(String, usize)], style: Style) -> Line<'static> {
    let mut text = String::new();
    for (value, width) in parts {
        text.push(' ');
        text.push_str(&pad(&super::sanitize(value), *width));
    }
    Line::styled(text, style)
}

fn versions(out: &mut Vec<Line<'static>>, r: &Release, width: usize, theme: &Theme) {
    section(out, "VERSIONS", theme);
    let sorted = weight::by_role(&r.versions);
    let name_w = sorted
        .iter()
        .map(|v| v.name.width())
        .max()
        .unwrap_or(0)
        .clamp(4, 28);
    let widths = [8, name_w, 6, 7, 4];
    let images_w = width.saturating_sub(widths.iter().map(|w| w + 1).sum::<usize>() + 1);
    let head = ["ROLE", "NAME", "WEIGHT", "READY", "REV", "IMAGES"];
    let header: Vec<(String, usize)> = head
        .iter()
        .zip(widths.into_iter().chain([images_w]))
        .map(|(h, w)| (h.to_string(), w))
        .collect();
    out.push(cells(&header, theme.style(Slot::Muted)));
    let indent = " ".repeat(width.saturating_sub(images_w));
    for v in &sorted {
        let role_style = match v.role {
            Role::Stable | Role::Active => theme.style(Slot::Stable),
            Role::Canary | Role::Preview => theme.style(Slot::Canary),
        };
        let mut spans = vec![Span::styled(
            format!(" {}", pad(v.role.as_str(), 8)),
            role_style,
        )];
        let rest = [
            (v.name.clone(), name_w),
            (format!("{:>6}", weight::percent(v.weight)), 6),
            (format!("{}/{}", v.ready, v.desired), 7),
            (v.revision.map_or_else(|| "-".into(), |n| n.to_string()), 4),
        ];
        spans.extend(cells(&rest, Style::new()).spans);
        // Images keep their end: the tag tells versions apart.
        let mut images = v.images.iter().map(|i| fit_tail(i, images_w));
        spans.push(Span::raw(format!(
            " {}",
            images.next().unwrap_or_else(|| "-".into())
        )));
        out.push(Line::from(spans));
        out.extend(images.map(|image| Line::raw(format!("{indent}{image}"))));
    }
    let bar_width = width.saturating_sub(12).min(40);
    let mut traffic = vec![Span::styled(" traffic  ", theme.style(Slot::Muted))];
    traffic.extend(weight::bar(&sorted, bar_width, theme));
    traffic.push(Span::raw(format!(" {}", weight::numbers(&sorted))));
    out.push(Line::from(traffic));
}

/// ` steps    5 → [10] → 25 → 50 → 100`: done steps, the current weight,
/// and what is left.
fn plan(r: &Release, theme: &Theme) -> Line<'static> {
    let plan: &[f64] = if r.plan.is_empty() {
        &DEFAULT_PLAN
    } else {
        &r.plan
    };
    let current: f64 = r
        .versions
        .iter()
        .filter(|v| v.role == Role::Canary && v.weight.is_finite())
        .map(|v| v.weight)
        .sum();
    let mut spans = vec![Span::styled(" steps    ", theme.style(Slot::Muted))];
    let mut marked = false;
    for (i, &p) in plan.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" → ", theme.style(Slot::Muted)));
        }
        if !marked && (p - current).abs() < 0.5 {
            marked = true;
            let style = theme
                .style(Slot::Canary)
                .add_modifier(ratatui::style::Modifier::BOLD);
            spans.push(Span::styled(format!("[{}]", weight::percent(p)), style));
            continue;
        }
        if !marked && p > current && current > 0.0 {
            // Between two steps: show where the canary is.
            marked = true;
            spans.push(Span::styled(
                format!("▸{} ", weight::percent(current)),
                theme.style(Slot::Canary),
            ));
        }
        let style = if p < current {
            Slot::Healthy
        } else {
            Slot::Muted
        };
        spans.push(Span::styled(weight::percent(p), theme.style(style)));
    }
    Line::from(spans)
}

/// Object names several to a line, as many as fit.
fn packed(names: &[String], width: usize) -> Vec<Line<'static>> {
    if names.is_empty() {
        return vec![Line::raw(" none")];
    }
    let mut lines = Vec::new();
    let mut line = String::new();
    for name in names {
        let name = fit(name, width.saturating_sub(2));
        if !line.is_empty() && line.width() + 2 + name.width() > width {
            lines.push(Line::raw(std::mem::take(&mut line)));
        }
        line.push_str(if line.is_empty() { " " } else { "  " });
        line.push_str(&name);
    }
    lines.push(Line::raw(line));
    lines
}

fn events(
    out: &mut Vec<Line<'static>>,
    events: Option<&[EventLine]>,
    now: Option<i64>,
    width: usize,
    theme: &Theme,
) {
    let Some(events) = events else {
        out.push(Line::styled(" loading…", theme.style(Slot::Muted)));
        return;
    };
    if events.is_empty() {
        out.push(Line::styled(" no recent events", theme.style(Slot::Muted)));
        return;
    }
    let reason_w = events
        .iter()
        .map(|e| e.reason.width())
        .max()
        .unwrap_or(0)
        .clamp(6, 20);
    let object_w = events
        .iter()
        .map(|e| e.object.width())
        .max()
        .unwrap_or(0)
        .clamp(6, 32);
    let message_w = width.saturating_sub(1 + 6 + 1 + 7 + 1 + reason_w + 1 + object_w + 1);
    let widths = [6, 7, reason_w, object_w, message_w];
    let row = |values: [String; 5], style: Style| {
        let parts: Vec<(String, usize)> = values.into_iter().zip(widths).collect();
        cells(&parts, style)
    };
    let head = ["AGE", "TYPE", "REASON", "OBJECT", "MESSAGE"].map(String::from);
    out.push(row(head, theme.style(Slot::Muted)));
    for e in events {
        let style = if e.kind == "Warning" {
            theme.style(Slot::Warning)
        } else {
            Style::new()
        };
        let values = [
            app::age(e.timestamp, now),
            e.kind.clone(),
            e.reason.clone(),
            e.object.clone(),
            e.message.clone(),
        ];
        out.push(row(values, style));
    }
}
