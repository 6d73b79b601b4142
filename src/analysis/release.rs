//! The verdict on a release as a whole: which version is judged against which, the
//! thresholds its annotations set, and the samples its health gives.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{Sample, Thresholds, Verdict, judge, thresholds_for};
use crate::cluster::discover::Objects;
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

/// `kshift.dev/` annotations of the release's objects in its namespace: its workloads'
/// first, then its routers' and Services', which take precedence.
pub fn annotations(release: &Release, objects: &Objects) -> BTreeMap<String, String> {
    let lists = [
        &objects.deployments,
        &objects.replicasets,
        &objects.rollouts,
        &objects.canaries,
        &objects.services,
        &objects.ingresses,
        &objects.virtual_services,
        &objects.http_routes,
        &objects.traffic_splits,
    ];
    let mut merged = BTreeMap::new();
    for list in lists {
        for object in list {
            let metadata = &object["metadata"];
            let ours = metadata["namespace"].as_str() == Some(release.namespace.as_str())
                && release.objects.iter().any(|r| {
                    object["kind"].as_str() == Some(r.kind.as_str())
                        && metadata["name"].as_str() == Some(r.name.as_str())
                });
            if !ours {
                continue;
            }
            if let Some(annotations) = metadata["annotations"].as_object() {
                for (key, value) in annotations {
                    if let (true, Some(value)) = (key.starts_with("kshift.dev/"), value.as_str()) {
                        merged.insert(key.clone(), value.to_string());
                    }
                }
            }
        }
    }
    merged
}

/// The verdict on the release's candidate against its baseline from a snapshot over
/// `window`, with warnings about unreadable threshold annotations.
pub fn verdict_of(
    release: &Release,
    objects: &Objects,
    snapshot: &Snapshot,
    window: Duration,
    base: &Thresholds,
) -> (Verdict, Vec<String>) {
    let sample = |version: Option<&crate::model::Version>| {
        let health = snapshot.health.get(&metrics::key_of(release, version?))?;
        Sample::from_health(health, window)
    };
    let (thresholds, warnings) = thresholds_for(&annotations(release, objects), base);
    let verdict = judge(
        sample(candidate(release)).as_ref(),
        sample(baseline(release)).as_ref(),
        &thresholds,
    );
    (verdict, warnings)
}
