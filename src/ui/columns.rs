//! Which list columns fit a width, and how wide each is: the most important
//! ones (name, phase, weights, step, health) stay, the others drop by priority.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Col {
    Mark,
    Namespace,
    Name,
    Kind,
    Strategy,
    Phase,
    Step,
    Weight,
    Pilot,
    Alerts,
    Verdict,
    Health,
    Spark,
    Versions,
    Ready,
    Age,
}

struct Spec {
    col: Col,
    title: &'static str,
    min: u16,
    max: u16,
    /// Lower is kept longer.
    priority: u8,
}

const fn spec(col: Col, title: &'static str, min: u16, max: u16, priority: u8) -> Spec {
    Spec {
        col,
        title,
        min,
        max,
        priority,
    }
}

/// In display order.
const SPECS: [Spec; 16] = [
    spec(Col::Mark, "", 1, 1, 0),
    spec(Col::Namespace, "NAMESPACE", 9, 16, 6),
    spec(Col::Name, "NAME", 14, 40, 1),
    spec(Col::Kind, "KIND", 8, 8, 11),
    spec(Col::Strategy, "STRATEGY", 9, 9, 12),
    spec(Col::Phase, "PHASE", 11, 11, 2),
    spec(Col::Step, "STEP", 5, 5, 4),
    spec(Col::Weight, "WEIGHT", 12, 20, 3),
    // `2/3 →25% hold`, `fail 1/2 hold`, `by ana@laptop/42`, `promoted`.
    spec(Col::Pilot, "AUTOPILOT", 13, 26, 4),
    // `ok`, `FAIL`, `?` when narrow; `healthy`, `failing`, `inconclusive` with room.
    // `3 alerts (1 critical)`, `3 crit` when narrow.
    spec(Col::Alerts, "ALERTS", 6, 21, 4),
    spec(Col::Verdict, "VERDICT", 4, 12, 7),
    // `0.4% 120ms`, or `err 0.4% p99 120ms` when there is room.
    spec(Col::Health, "HEALTH", 11, FULL_HEALTH, 5),
    spec(Col::Spark, "ERRORS", 6, 10, 9),
    spec(Col::Versions, "VERSIONS", 12, 48, 10),
    spec(Col::Ready, "READY", 5, 7, 7),
    spec(Col::Age, "AGE", 5, 6, 8),
];

/// Cells the health column needs to name what it shows.
pub(super) const FULL_HEALTH: u16 = 19;

/// Columns that get extra room, in order, once every kept column fits, each up
/// to a width (then its maximum): the autopilot and alerts first (their words are cut
/// otherwise), then a name, the namespace, and the verdict's full word.
const GROW: [(Col, u16); 13] = [
    (Col::Pilot, 16),
    (Col::Alerts, u16::MAX),
    (Col::Name, 24),
    (Col::Namespace, 16),
    (Col::Verdict, u16::MAX),
    (Col::Pilot, u16::MAX),
    (Col::Health, u16::MAX),
    (Col::Name, u16::MAX),
    (Col::Weight, u16::MAX),
    (Col::Spark, u16::MAX),
    (Col::Versions, u16::MAX),
    (Col::Ready, u16::MAX),
    (Col::Age, u16::MAX),
];

pub(super) struct Column {
    pub col: Col,
    pub title: &'static str,
    pub width: u16,
}

/// The columns a list may show beside the ones it always may.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Wanted {
    /// All namespaces are shown.
    pub namespace: bool,
    /// Metrics have arrived.
    pub health: bool,
    /// They have series for sparklines.
    pub spark: bool,
    /// Some release has a verdict.
    pub verdict: bool,
    /// Some release has an autopilot.
    pub pilot: bool,
    /// Some release has a firing alert.
    pub alerts: bool,
}

/// The columns for `width` cells (one cell between columns), of those wanted.
pub(super) fn layout(width: u16, wanted: Wanted) -> Vec<Column> {
    let wanted = |s: &&Spec| match s.col {
        Col::Namespace => wanted.namespace,
        Col::Health => wanted.health,
        Col::Spark => wanted.spark,
        Col::Verdict => wanted.verdict,
        Col::Pilot => wanted.pilot,
        Col::Alerts => wanted.alerts,
        _ => true,
    };
    let mut by_priority: Vec<&Spec> = SPECS.iter().filter(wanted).collect();
    by_priority.sort_by_key(|s| s.priority);
    let mut kept: Vec<Col> = Vec::new();
    let mut used: u16 = 0;
    for spec in by_priority {
        let gap = u16::from(!kept.is_empty());
        if used + gap + spec.min <= width {
            used += gap + spec.min;
            kept.push(spec.col);
        }
    }
    let mut columns: Vec<Column> = SPECS
        .iter()
        .filter(|s| kept.contains(&s.col))
        .map(|s| Column {
            col: s.col,
            title: s.title,
            width: s.min,
        })
        .collect();
    let mut spare = width.saturating_sub(used);
    for (grow, cap) in GROW {
        let Some(column) = columns.iter_mut().find(|c| c.col == grow) else {
            continue;
        };
        let max = SPECS
            .iter()
            .find(|s| s.col == grow)
            .map_or(0, |s| s.max.min(cap));
        let extra = max.saturating_sub(column.width).min(spare);
        column.width += extra;
        spare -= extra;
    }
    columns
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(width: u16, all: bool) -> Vec<Col> {
        let wanted = Wanted {
            namespace: all,
            ..Wanted::default()
        };
        layout(width, wanted).into_iter().map(|c| c.col).collect()
    }

    fn with_health(width: u16, all: bool) -> Vec<(Col, u16)> {
        let wanted = Wanted {
            namespace: all,
            health: true,
            spark: true,
            ..Wanted::default()
        };
        let columns = layout(width, wanted);
        columns.into_iter().map(|c| (c.col, c.width)).collect()
    }

    #[test]
    fn narrow_keeps_the_essentials() {
        use Col::*;
        assert_eq!(
            cols(76, true),
            [Mark, Namespace, Name, Phase, Step, Weight, Ready, Age]
        );
        assert_eq!(
            cols(76, false),
            [Mark, Name, Phase, Step, Weight, Versions, Ready, Age]
        );
        assert_eq!(cols(48, true), [Mark, Name, Phase, Step, Weight]);
        assert_eq!(cols(20, true), [Mark, Name]);
        assert_eq!(cols(156, true).len(), 11);
    }

    #[test]
    fn health_stays_at_80_columns_and_the_sparkline_goes_first() {
        use Col::*;
        let names = |cols: Vec<(Col, u16)>| cols.into_iter().map(|c| c.0).collect::<Vec<_>>();
        assert_eq!(
            names(with_health(76, true)),
            [Mark, Namespace, Name, Phase, Step, Weight, Health, Ready]
        );
        assert_eq!(
            names(with_health(76, false)),
            [Mark, Name, Phase, Step, Weight, Health, Ready, Age]
        );
        assert_eq!(
            names(with_health(48, true)),
            [Mark, Name, Phase, Step, Weight]
        );
        let wide = with_health(156, true);
        assert_eq!(wide.len(), 13);
        // The verdict and the autopilot come before the sparkline and the rest.
        let all = Wanted {
            namespace: true,
            health: true,
            spark: true,
            verdict: true,
            pilot: true,
            alerts: false,
        };
        let at_80: Vec<Col> = layout(78, all).into_iter().map(|c| c.col).collect();
        assert_eq!(
            at_80,
            [Mark, Name, Phase, Step, Weight, Pilot, Verdict, Health]
        );
        let no_pilot = Wanted {
            pilot: false,
            ..all
        };
        let at_80: Vec<Col> = layout(76, no_pilot).into_iter().map(|c| c.col).collect();
        assert_eq!(
            at_80,
            [Mark, Namespace, Name, Phase, Step, Weight, Verdict, Health]
        );
        assert!(wide.contains(&(Health, FULL_HEALTH)), "{wide:?}");
    }

    #[test]
    fn fits_the_width() {
        for width in [0, 10, 40, 76, 100, 156, 300] {
            let all = Wanted {
                namespace: true,
                health: true,
                spark: true,
                verdict: true,
                pilot: true,
                alerts: true,
            };
            let columns = layout(width, all);
            let total: u16 = columns.iter().map(|c| c.width).sum::<u16>()
                + u16::try_from(columns.len().saturating_sub(1)).unwrap_or(0);
            assert!(total <= width.max(1), "{width}: {total}");
        }
    }
}
