//! The verdict on a release as a whole: which version is judged against which, the
//! thresholds its annotations set, and the samples its health gives.

use std::time::Duration;

use super::{Sample, Thresholds, Verdict, judge, thresholds_for};
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

/// The verdict on the release's candidate against its baseline from a snapshot over
/// `window`, with warnings about unreadable threshold annotations.
pub fn verdict_of(
    release: &Release,
    snapshot: &Snapshot,
    window: Duration,
    base: &Thresholds,
) -> (Verdict, Vec<String>) {
    let sample = |version: Option<&crate::model::Version>| {
        let health = snapshot.health.get(&metrics::key_of(release, version?))?;
        Sample::from_health(health, window)
    };
    let (thresholds, warnings) = thresholds_for(&release.annotations, base);
    let verdict = judge(
        sample(candidate(release)).as_ref(),
        sample(baseline(release)).as_ref(),
        &thresholds,
    );
    (verdict, warnings)
}
