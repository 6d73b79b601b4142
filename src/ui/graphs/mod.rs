//! The detail view's graphs: error rate, latency and request rate of each
//! version over the window. Versions differ by colour and by marker, so they
//! read without colour; a threshold is a horizontal line of `─`.

mod legend;
mod plot;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;

use super::health;
use super::weight;
use crate::app::{App, Detail, Graph};
use crate::metrics::{Health, History, Series, Snapshot};
use crate::model::{Release, Version};

/// From this inner width the graphs stand side by side, else one above another.
const SIDE_BY_SIDE: u16 = 120;

/// The marker of the version operators watch (the canary, or preview, or
/// only version) and the glyph the legend shows for it: the finest one.
const WATCHED: (Marker, &str) = (Marker::Braille, "⣿");

/// The markers of the other versions, in the order the tables list them.
const OTHERS: [(Marker, &str); 3] = [
    (Marker::Dot, "•"),
    (Marker::Custom('+'), "+"),
    (Marker::Custom('x'), "x"),
];

/// Rows the graphs take below the detail text in an area this size; none
/// when it is too short (`e` still expands one).
pub(crate) fn pane_height(width: u16, height: u16) -> u16 {
    if width >= SIDE_BY_SIDE {
        if height < 12 {
            0
        } else {
            (height * 2 / 5).clamp(8, 20)
        }
    } else if height < 15 {
        0
    } else {
        // Two graphs at 80x24, so that the verdict's reason shows above them.
        3 * ((height - 12) / 3).clamp(2, 8)
    }
}

/// What every graph of one release draws from.
struct Source<'a> {
    app: &'a App,
    release: &'a Release,
    /// In the order the tables list them.
    versions: Vec<&'a Version>,
    /// The marker and legend glyph of each version.
    marks: Vec<(Marker, &'static str)>,
    health: Vec<Option<&'a Health>>,
    history: Vec<Option<&'a History>>,
    /// The newest point of any series: the right edge of every graph.
    end: Option<i64>,
}

impl<'a> Source<'a> {
    fn new(app: &'a App, release: &'a Release, snapshot: &'a Snapshot) -> Self {
        let versions = weight::by_role(&release.versions);
        let history: Vec<Option<&History>> = versions
            .iter()
            .map(|v| health::history_of(snapshot, release, v))
            .collect();
        let end = history
            .iter()
            .flatten()
            .flat_map(|h| {
                [
                    &h.requests_per_s,
                    &h.error_rate,
                    &h.p50_ms,
                    &h.p95_ms,
                    &h.p99_ms,
                ]
            })
            .filter_map(|s: &Series| s.last().map(|p| p.0))
            .max();
        let watched = health::headline(release);
        let mut others = OTHERS.iter().cycle();
        let marks = versions
            .iter()
            .map(|v| match watched {
                Some(w) if std::ptr::eq(w, *v) => WATCHED,
                _ => others.next().copied().unwrap_or(WATCHED),
            })
            .collect();
        Source {
            app,
            release,
            marks,
            health: versions
                .iter()
                .map(|v| health::health_of(snapshot, release, v))
                .collect(),
            versions,
            history,
            end,
        }
    }
}

/// Draws the graphs into `area`: the focused one alone when expanded.
pub(super) fn render(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    detail: &Detail,
    release: &Release,
    snapshot: &Snapshot,
) {
    let source = Source::new(app, release, snapshot);
    if detail.expanded {
        plot::draw(frame, area, &source, detail.graph, true);
        return;
    }
    let thirds = [Constraint::Ratio(1, 3); 3];
    let areas = if area.width >= SIDE_BY_SIDE {
        Layout::horizontal(thirds).spacing(1).split(area)
    } else {
        Layout::vertical(thirds).split(area)
    };
    for (which, area) in Graph::ALL.into_iter().zip(areas.iter()) {
        plot::draw(frame, *area, &source, which, which == detail.graph);
    }
}

/// How a graph's values read: `5%`, `120ms`, `41/s`.
fn format_of(which: Graph) -> fn(f64) -> String {
    match which {
        Graph::Errors => health::rate,
        Graph::Latency => health::ms,
        Graph::Requests => |v| format!("{}/s", health::per_s(v)),
    }
}

/// The release's threshold for what a graph shows, if any.
fn limit_of(which: Graph, release: &Release) -> Option<f64> {
    let limits = release.thresholds;
    match which {
        Graph::Errors => limits.max_error_rate,
        Graph::Latency => limits.max_p99_ms,
        Graph::Requests => None,
    }
    .filter(|l| l.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pane_shrinks_and_then_goes() {
        assert_eq!(pane_height(78, 19), 6);
        assert_eq!(pane_height(78, 40), 24);
        assert_eq!(pane_height(78, 14), 0);
        assert_eq!(pane_height(158, 43), 17);
        assert_eq!(pane_height(158, 11), 0);
    }
}
