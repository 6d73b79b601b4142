//! The verdict on a release as a whole: which version is judged against which, the
//! thresholds its annotations set, and the samples its health gives.

use std::time::Duration;

use super::{Sample, Thresholds, Verdict, judge, may_fail, thresholds_for};
use crate::metrics::{self, Snapshot};
use crate::model::{Release, Role};

/// The version being judged: the canary, or the preview of a blue/green release.
pub fn candidate(release: &Release) -> Option<&crate::model::Version> {
    release
        .versions
        .iter()
        .find(|v| matches!(v.role, Role::Canary | Role::Preview))
}

/// The version it is judged against: stable, or the active one.
pub fn baseline(release: &Release) -> Option<&crate::model::Version> {
    release
        .versions
        .iter()
        .find(|v| matches!(v.role, Role::Stable | Role::Active))
}

/// The samples of the release's candidate and baseline from a snapshot over `window`.
fn samples(
    release: &Release,
    snapshot: &Snapshot,
    window: Duration,
) -> (Option<Sample>, Option<Sample>) {
    let sample = |version: Option<&crate::model::Version>| {
        let health = snapshot.health.get(&metrics::key_of(release, version?))?;
        Sample::from_health(health, window)
    };
    (sample(candidate(release)), sample(baseline(release)))
}

/// Whether the release's verdict could be `failing` (see [`may_fail`]): a screen cheap
/// enough to run over every release at each refresh, so that what fails sorts first
/// even off screen.
pub fn may_fail_of(
    release: &Release,
    snapshot: &Snapshot,
    window: Duration,
    base: &Thresholds,
) -> bool {
    let (canary, stable) = samples(release, snapshot, window);
    let (thresholds, _) = thresholds_for(&release.annotations, base);
    may_fail(canary.as_ref(), stable.as_ref(), &thresholds)
}

/// The limits a release's health is shown and judged against: `base` (the config's, or
/// kshift's defaults), then its annotations. The one computation behind the list's
/// colours, the graphs' limit lines, the verdict and `kshift list`.
pub fn limits_of(release: &Release, base: &Thresholds) -> crate::model::Thresholds {
    let (thresholds, _) = thresholds_for(&release.annotations, base);
    crate::model::Thresholds {
        max_error_rate: Some(thresholds.max_error_rate),
        max_p99_ms: thresholds.max_p99_ms,
    }
}

/// The verdict on the release's candidate against its baseline from a snapshot over
/// `window`, with warnings about unreadable threshold annotations.
pub fn verdict_of(
    release: &Release,
    snapshot: &Snapshot,
    window: Duration,
    base: &Thresholds,
) -> (Verdict, Vec<String>) {
    let (canary, stable) = samples(release, snapshot, window);
    let (thresholds, warnings) = thresholds_for(&release.annotations, base);
    let verdict = judge(canary.as_ref(), stable.as_ref(), &thresholds);
    (verdict, warnings)
}
