//! A sparkline in a few cells: a series over the window, one block
//! character per cell, in the degraded style where it is above the limit.

use std::time::Duration;

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::theme::{Slot, Theme};
use crate::metrics::Series;

const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The highest value in each of `width` equal slices of the window ending at
/// `end`; `None` where a slice has no point.
fn buckets(series: &Series, end: i64, window: Duration, width: usize) -> Vec<Option<f64>> {
    let mut out = vec![None; width];
    let span = i64::try_from(window.as_secs()).unwrap_or(i64::MAX).max(1);
    let start = end.saturating_sub(span);
    let cells = i64::try_from(width).unwrap_or(i64::MAX);
    for &(at, value) in series {
        if at <= start || at > end || !value.is_finite() {
            continue;
        }
        // Within the window, so the index is below `width`.
        let index = ((at - start - 1) * cells / span).clamp(0, cells - 1);
        let Some(slot) = usize::try_from(index).ok().and_then(|i| out.get_mut(i)) else {
            continue;
        };
        *slot = Some(slot.map_or(value, |old: f64| old.max(value)));
    }
    out
}

/// The series' last `window` in `width` cells, scaled to its highest value or
/// the limit, whichever is higher; blank where there is no point.
pub(super) fn line(
    series: &Series,
    window: Duration,
    width: usize,
    limit: Option<f64>,
    theme: &Theme,
) -> Line<'static> {
    let Some(&(end, _)) = series.last() else {
        return Line::default();
    };
    let values = buckets(series, end, window, width);
    let top = values
        .iter()
        .flatten()
        .copied()
        .chain(limit)
        .fold(0.0_f64, f64::max);
    let mut spans: Vec<Span<'static>> = Vec::new();
    for value in values {
        let (symbol, style) = match value {
            None => (' ', Style::new()),
            Some(v) => {
                // Bounded by the number of levels, so the cast cannot truncate.
                let level = if top > 0.0 {
                    ((v / top * 7.0).round() as usize).min(7)
                } else {
                    0
                };
                let above = limit.is_some_and(|l| v > l);
                let style = if above {
                    theme.style(Slot::Degraded)
                } else {
                    theme.style(Slot::Muted)
                };
                (LEVELS[level], style)
            }
        };
        match spans.last_mut() {
            Some(last) if last.style == style => last.content.to_mut().push(symbol),
            _ => spans.push(Span::styled(symbol.to_string(), style)),
        }
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &Line) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn rises_to_the_limit_and_above() {
        let theme = Theme::default();
        let series: Series = (1..=8_i32)
            .map(|i| (i64::from(i) * 10, f64::from(i) / 100.0))
            .collect();
        let window = Duration::from_secs(80);
        let spark = line(&series, window, 8, Some(0.04), &theme);
        assert_eq!(text(&spark), "▂▃▄▅▅▆▇█");
        let degraded = theme.style(Slot::Degraded);
        let above: String = spark
            .spans
            .iter()
            .filter(|s| s.style == degraded)
            .map(|s| s.content.as_ref())
            .collect();
        assert_eq!(above, "▅▆▇█");
    }

    #[test]
    fn gaps_stay_blank_and_flat_is_low() {
        let theme = Theme::default();
        let series: Series = vec![(10, 0.0), (40, 0.0)];
        let spark = line(&series, Duration::from_secs(40), 4, None, &theme);
        assert_eq!(text(&spark), "▁  ▁");
        assert_eq!(
            text(&line(&Vec::new(), Duration::from_secs(40), 4, None, &theme)),
            ""
        );
    }
}
