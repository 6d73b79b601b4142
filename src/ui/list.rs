//! The list view: one row per release, only the rows on screen built.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, HighlightSpacing, Paragraph, Row, Table, TableState};
use unicode_width::UnicodeWidthStr;

use super::columns::{self, Col, Column, FULL_HEALTH, Wanted};
use super::health::{self, known};
use super::text::{fit, pad};
use super::theme::{Slot, Theme};
use super::{alerts, judgement, spark, weight};
use crate::app::{self, App};
use crate::metrics::Snapshot;
use crate::model::{Phase, Release};

/// Cells the weight numbers get after the bar (`100|0`, `90|10`).
const NUMBERS: usize = 5;

pub(super) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let block = super::frame_block(app, title(app, usize::from(area.width)));
    let inner = block.inner(area);
    let theme = &app.theme;
    if app.shown.is_empty() {
        let text = if !app.loaded {
            "waiting for releases…".to_string()
        } else if !app.filter.is_empty() {
            "no releases match the filter (esc clears it)".to_string()
        } else if let Some(ns) = &app.namespace {
            format!("no releases in namespace {}", fit(ns, 64))
        } else {
            "no releases found".to_string()
        };
        let message = Paragraph::new(Line::styled(format!(" {text}"), theme.style(Slot::Muted)));
        frame.render_widget(message.block(block), area);
        return;
    }
    let symbol = theme.highlight_symbol();
    let room = inner
        .width
        .saturating_sub(u16::try_from(symbol.width()).unwrap_or(0));
    let snapshot = app.snapshot();
    let wanted = Wanted {
        namespace: app.namespace.is_none(),
        health: snapshot.is_some(),
        spark: snapshot.is_some_and(|s| !s.history.is_empty()),
        verdict: !app.verdicts.is_empty(),
        pilot: app.any_pilot(),
        alerts: app.any_alert(),
    };
    let columns = columns::layout(room, wanted);
    let header =
        Row::new(columns.iter().map(|c| Cell::from(c.title))).style(theme.style(Slot::Header));
    // Only the rows on screen are built: this is what keeps a frame cheap
    // with 10,000 releases.
    let rows = app
        .visible()
        .iter()
        .filter_map(|&i| app.rows.get(i))
        .map(|r| row(r, &columns, app, snapshot));
    let widths = columns.iter().map(|c| Constraint::Length(c.width));
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(theme.style(Slot::Selected))
        .highlight_symbol(symbol)
        .highlight_spacing(HighlightSpacing::Always);
    let mut state = TableState::default().with_selected(app.selected.checked_sub(app.offset));
    frame.render_stateful_widget(table, area, &mut state);
}

/// ` releases(all)[12] </canary> health 5m metrics: Prometheus at … is not answering `
fn title(app: &App, width: usize) -> Line<'static> {
    let scope = app.namespace.as_deref().unwrap_or("all");
    let mut spans = vec![Span::styled(
        format!(" releases({})[{}] ", fit(scope, 24), app.shown.len()),
        app.theme.style(Slot::Title),
    )];
    if !app.filter.is_empty() {
        spans.push(Span::styled(
            format!("</{}> ", fit(&app.filter, 24)),
            app.theme.style(Slot::Filter),
        ));
    }
    if app.snapshot().is_some() {
        let window = app::window_label(app.window);
        spans.push(Span::styled(
            format!("health {window} "),
            app.theme.style(Slot::Muted),
        ));
    }
    if let Some((words, style)) = health::words(app) {
        let used: usize = spans.iter().map(|s| s.content.width()).sum();
        let room = width.saturating_sub(used + 2);
        if room > 1 {
            spans.push(Span::styled(format!("{} ", fit(&words, room - 1)), style));
        }
    }
    Line::from(spans)
}

fn row(row: &app::Row, columns: &[Column], app: &App, snapshot: Option<&Snapshot>) -> Row<'static> {
    let (theme, r) = (&app.theme, &row.release);
    let cells = columns.iter().map(|c| {
        let w = usize::from(c.width);
        match c.col {
            Col::Mark if !r.warnings.is_empty() => {
                Cell::from(Span::styled("!", theme.style(Slot::Warning)))
            }
            Col::Mark => Cell::from(" "),
            Col::Namespace => Cell::from(fit(&r.namespace, w)),
            Col::Name => Cell::from(fit(&r.name, w)),
            Col::Kind => Cell::from(r.kind.as_str()),
            Col::Strategy => Cell::from(r.strategy.as_str()),
            Col::Phase => Cell::from(Span::styled(r.phase.as_str(), phase_style(r.phase, theme))),
            Col::Step => Cell::from(step(r)),
            Col::Weight => Cell::from(weights(r, w, theme)),
            Col::Versions => Cell::from(fit(&versions(r), w)),
            Col::Ready => Cell::from(ready(r)),
            Col::Health => Cell::from(
                snapshot
                    .map(|s| health_cell(r, s, w, theme))
                    .unwrap_or_default(),
            ),
            Col::Spark => Cell::from(
                snapshot
                    .map(|s| spark_cell(r, s, app, w))
                    .unwrap_or_default(),
            ),
            Col::Verdict => Cell::from(judgement::verdict_cell(app, row, w)),
            Col::Pilot => Cell::from(judgement::pilot_cell(app, row, w)),
            Col::Alerts => Cell::from(alerts::cell(app, row, w)),
            Col::Age => Cell::from(app::age(row.changed, app.now)),
        }
    });
    Row::new(cells)
}

/// `err 0.4% p99 120ms` (or `0.4% 120ms` when narrow) of the canary, or
/// preview, or only version; each value judged by the release's thresholds.
fn health_cell(r: &Release, snapshot: &Snapshot, width: usize, theme: &Theme) -> Line<'static> {
    let found = health::headline(r).and_then(|v| health::health_of(snapshot, r, v));
    let Some(h) = found else {
        return Line::styled("-", theme.style(Slot::Muted));
    };
    let limits = r.thresholds;
    let value = |v: Option<f64>, text: fn(f64) -> String, limit: Option<f64>| match known(v) {
        Some(v) => Span::styled(format!("{:>5}", text(v)), health::judged(v, limit, theme)),
        None => Span::styled(format!("{:>5}", "-"), theme.style(Slot::Muted)),
    };
    let err = value(h.error_rate, health::rate, limits.max_error_rate);
    let p99 = value(h.p99_ms, health::ms, limits.max_p99_ms);
    let words = width >= usize::from(FULL_HEALTH);
    let label = |text: &'static str| Span::styled(text, theme.style(Slot::Muted));
    let spans = if words {
        vec![label("err "), err, label(" p99 "), p99]
    } else {
        vec![err, Span::raw(" "), p99]
    };
    Line::from(spans)
}

/// The headline version's error rate over the window, in a few cells.
fn spark_cell(r: &Release, snapshot: &Snapshot, app: &App, width: usize) -> Line<'static> {
    let history = health::headline(r).and_then(|v| health::history_of(snapshot, r, v));
    let Some(history) = history.filter(|h| !h.error_rate.is_empty()) else {
        return Line::styled(pad("-", width), app.theme.style(Slot::Muted));
    };
    let limit = r.thresholds.max_error_rate;
    spark::line(&history.error_rate, app.window, width, limit, &app.theme)
}

pub(super) fn phase_style(phase: Phase, theme: &Theme) -> ratatui::style::Style {
    theme.style(match phase {
        Phase::Healthy | Phase::Promoted => Slot::Healthy,
        Phase::Progressing => Slot::Progressing,
        Phase::Paused => Slot::Paused,
        Phase::Degraded => Slot::Degraded,
        Phase::Unknown => Slot::Unknown,
    })
}

pub(super) fn step(release: &Release) -> String {
    release
        .step
        .map_or_else(|| "-".to_string(), |s| format!("{}/{}", s.index, s.count))
}

/// The bar and the numbers; the numbers win when there is no room for both.
fn weights(release: &Release, width: usize, theme: &Theme) -> Line<'static> {
    let versions = weight::by_role(&release.versions);
    let numbers = weight::numbers(&versions);
    let bar_width = width.saturating_sub(numbers.len().max(NUMBERS) + 1);
    if bar_width < 3 {
        return Line::from(fit(&numbers, width));
    }
    let mut spans = weight::bar(&versions, bar_width, theme);
    spans.push(Span::raw(format!(" {numbers}")));
    Line::from(spans)
}

/// `1.20|1.21`: image tags, or version names where there is no tag.
fn versions(release: &Release) -> String {
    let labels: Vec<String> = weight::by_role(&release.versions)
        .into_iter()
        .map(weight::label)
        .collect();
    labels.join("|")
}

pub(super) fn ready(release: &Release) -> String {
    let ready: i64 = release.versions.iter().map(|v| v.ready).sum();
    let desired: i64 = release.versions.iter().map(|v| v.desired).sum();
    format!("{ready}/{desired}")
}
