//! The releases as the list holds them: sorted by urgency, with what the
//! filter and the age column need worked out once per update.

use crate::model::{Phase, Release};

pub(crate) struct Row {
    pub release: Release,
    /// `last_change` in Unix seconds.
    pub changed: Option<i64>,
    pub key: String,
    /// Whether its verdict is failing or a critical alert about it fires: it sorts
    /// first. Set by the app from the metrics and the alerts.
    pub failing: bool,
    /// Namespace, name, kind and images, lowercased, for the filter.
    haystack: String,
}

impl Row {
    /// A row for `release`, its limits those of `base` under its annotations.
    pub fn new(mut release: Release, base: &crate::analysis::Thresholds) -> Row {
        release.thresholds = crate::analysis::limits_of(&release, base);
        let mut haystack = format!(
            "{}\0{}\0{}",
            release.namespace,
            release.name,
            release.kind.as_str()
        );
        for image in release.versions.iter().flat_map(|v| &v.images) {
            haystack.push('\0');
            haystack.push_str(image);
        }
        Row {
            changed: release
                .last_change
                .as_deref()
                .and_then(crate::ages::parse_rfc3339),
            key: release.key(),
            failing: false,
            haystack: haystack.to_lowercase(),
            release,
        }
    }

    /// Whether the filter (already lowercased) matches. A filter that is a state
    /// (`failing`, `degraded`, `paused`, `progressing`, `healthy`, `promoted`) matches
    /// the releases in that state; anything else, namespace, name, kind or image.
    pub fn matches(&self, needle: &str) -> bool {
        if needle.is_empty() {
            return true;
        }
        if needle == "failing" {
            return self.failing;
        }
        if STATES.contains(&needle) {
            return self.release.phase.as_str().eq_ignore_ascii_case(needle);
        }
        self.haystack.contains(needle)
    }

    /// Lower is more urgent: what fails, what is broken, then what waits for
    /// someone, then what moves on its own.
    fn urgency(&self) -> u8 {
        let r = &self.release;
        match r.phase {
            _ if self.failing => 0,
            Phase::Degraded => 1,
            _ if !r.warnings.is_empty() => 2,
            Phase::Paused => 3,
            Phase::Progressing => 4,
            _ => 5,
        }
    }
}

/// Phases a filter can name, besides `failing`.
const STATES: [&str; 5] = ["degraded", "paused", "progressing", "healthy", "promoted"];

/// Releases that need attention first, then by namespace and name.
pub(crate) fn sort(rows: &mut [Row]) {
    rows.sort_by(|a, b| {
        (a.urgency(), &a.release.namespace, &a.release.name).cmp(&(
            b.urgency(),
            &b.release.namespace,
            &b.release.name,
        ))
    });
}
