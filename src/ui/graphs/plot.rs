//! One graph: its series within the window, a top that reads well, axis
//! labels only where there is room for them, and `no data` where it has none.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, Paragraph};

use super::super::health;
use super::super::theme::Slot;
use super::{Source, WATCHED, format_of, legend, limit_of};
use crate::app::{Graph, window_label};
use crate::metrics::{History, Series};

/// One line of a graph: the index of its version and its points, as seconds
/// before the end of the window.
type Points = (usize, Vec<(f64, f64)>);

/// What a graph's inside has room for.
#[derive(Clone, Copy)]
struct Room {
    /// p50 and p95 beside p99.
    quantiles: bool,
    labels_y: bool,
    labels_x: bool,
}

impl Room {
    fn of(inner: Rect) -> Room {
        Room {
            quantiles: inner.height >= 6,
            labels_y: inner.height >= 3 && inner.width >= 24,
            labels_x: inner.height >= 8,
        }
    }
}

/// Draws one graph, titled, in `area`.
pub(super) fn draw(frame: &mut Frame, area: Rect, source: &Source, which: Graph, focused: bool) {
    let theme = &source.app.theme;
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(theme.style(Slot::Border));
    let inner = block.inner(area);
    let room = Room::of(inner);
    let lines = lines(source, which, room.quantiles);
    let limit = limit_of(which, source.release);
    let top = top(which, &lines, limit);
    let format = format_of(which);
    let mut head = format!(" {} ", name(which, room.quantiles));
    if !room.labels_x {
        head.push_str(&format!("{} ", window_label(source.app.window)));
    }
    if !room.labels_y {
        head.push_str(&format!("0-{} ", format(top)));
    }
    let title = legend::title(source, which, focused, head, area.width);
    frame.render_widget(block.title(title), area);
    if lines.is_empty() {
        let words = Line::styled("no data", theme.style(Slot::Muted)).alignment(Alignment::Center);
        let middle = Rect {
            y: inner.y + inner.height / 2,
            height: inner.height.min(1),
            ..inner
        };
        frame.render_widget(Paragraph::new(words), middle);
        return;
    }
    let window = source.app.window.as_secs_f64();
    let threshold: Vec<(f64, f64)> = limit.map_or_else(Vec::new, |l| vec![(-window, l), (0.0, l)]);
    let mut datasets = vec![
        Dataset::default()
            .data(&threshold)
            .marker(Marker::Custom('─'))
            .graph_type(GraphType::Line)
            .style(theme.style(Slot::Degraded)),
    ];
    datasets.extend(lines.iter().map(|(i, points)| {
        let role = source.versions.get(*i).map(|v| v.role);
        Dataset::default()
            .data(points)
            .marker(source.marks.get(*i).map_or(WATCHED.0, |m| m.0))
            .graph_type(GraphType::Line)
            .style(role.map_or_else(Style::new, |r| health::role_style(r, theme)))
    }));
    let chart = Chart::new(datasets)
        .x_axis(x_axis(source, room, window))
        .y_axis(y_axis(source, which, room, top, inner.height))
        .legend_position(None);
    frame.render_widget(chart, inner);
}

fn name(which: Graph, quantiles: bool) -> &'static str {
    match which {
        Graph::Errors => "error rate",
        Graph::Latency if quantiles => "latency p50/95/99",
        Graph::Latency => "latency p99",
        Graph::Requests => "requests/s",
    }
}

/// The series a graph draws of one version.
fn series_of(which: Graph, h: &History, quantiles: bool) -> Vec<&Series> {
    match which {
        Graph::Errors => vec![&h.error_rate],
        Graph::Latency if quantiles => vec![&h.p50_ms, &h.p95_ms, &h.p99_ms],
        Graph::Latency => vec![&h.p99_ms],
        Graph::Requests => vec![&h.requests_per_s],
    }
}

/// Every version's lines with a point in the window, the watched version's last
/// so that it is drawn over the others.
fn lines(source: &Source, which: Graph, quantiles: bool) -> Vec<Points> {
    let Some(end) = source.end else {
        return Vec::new();
    };
    let window = source.app.window.as_secs_f64();
    let mut lines: Vec<Points> = source
        .history
        .iter()
        .enumerate()
        .filter_map(|(i, h)| Some((i, (*h)?)))
        .flat_map(|(i, h)| {
            series_of(which, h, quantiles)
                .into_iter()
                .map(move |s| (i, s))
        })
        .map(|(i, s)| (i, points(s, end, window)))
        .filter(|(_, points)| !points.is_empty())
        .collect();
    lines.sort_by_key(|(i, _)| source.marks.get(*i) == Some(&WATCHED));
    lines
}

/// The points of `series` within the window ending at `end`, as seconds
/// before the end; NaN dropped.
fn points(series: &Series, end: i64, window: f64) -> Vec<(f64, f64)> {
    series
        .iter()
        // Seconds apart fit an f64 exactly.
        .map(|&(at, v)| ((at - end) as f64, v))
        .filter(|&(x, v)| x >= -window && x <= 0.0 && v.is_finite())
        .collect()
}

/// The top of the y axis: above the highest point and the threshold.
fn top(which: Graph, lines: &[Points], limit: Option<f64>) -> f64 {
    let highest = lines
        .iter()
        .flat_map(|(_, points)| points.iter().map(|p| p.1))
        .chain(limit)
        .fold(0.0_f64, f64::max);
    if highest > 0.0 {
        return nice(highest * 1.1);
    }
    match which {
        Graph::Errors => 0.01,
        Graph::Latency => 100.0,
        Graph::Requests => 1.0,
    }
}

/// 1, 2, 2.5 or 5 times a power of ten, at least `x`: a top that reads well.
fn nice(x: f64) -> f64 {
    let power = 10_f64.powf(x.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|step| step * power)
        .find(|top| *top >= x)
        .unwrap_or(10.0 * power)
}

/// `0%`, `5%`, `10%` up the side when there is room; the middle one when tall.
fn y_axis(source: &Source, which: Graph, room: Room, top: f64, height: u16) -> Axis<'static> {
    let muted = source.app.theme.style(Slot::Muted);
    let axis = Axis::default().bounds([0.0, top]).style(muted);
    if !room.labels_y {
        return axis;
    }
    let format = format_of(which);
    let mut labels = vec![format(0.0), format(top)];
    if height >= 8 {
        labels.insert(1, format(top / 2.0));
    }
    axis.labels(labels.into_iter().map(|l| Span::styled(l, muted)))
}

/// `-5m` to `now` along the bottom when there is room.
fn x_axis(source: &Source, room: Room, window: f64) -> Axis<'static> {
    let muted = source.app.theme.style(Slot::Muted);
    let axis = Axis::default().bounds([-window, 0.0]).style(muted);
    if !room.labels_x {
        return axis;
    }
    let since = format!("-{}", window_label(source.app.window));
    axis.labels([Span::styled(since, muted), Span::styled("now", muted)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tops_read_well() {
        let cases = [
            (0.088, 0.1),
            (0.3, 0.5),
            (374.0, 500.0),
            (45.3, 50.0),
            (1.0, 1.0),
        ];
        for (x, want) in cases {
            assert!((nice(x) - want).abs() < want * 1e-9, "{x}: {}", nice(x));
        }
    }

    #[test]
    fn nan_and_points_outside_the_window_are_dropped() {
        let series: Series = vec![(0, 1.0), (50, f64::NAN), (60, 2.0), (100, 3.0)];
        assert_eq!(points(&series, 100, 60.0), [(-40.0, 2.0), (0.0, 3.0)]);
    }
}
