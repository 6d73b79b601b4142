//! The releases as the list holds them: sorted by urgency, with what the
//! filter and the age column need worked out once per update.

use crate::model::{Phase, Release};

pub(crate) struct Row {
    pub release: Release,
    /// `last_change` in Unix seconds.
    pub changed: Option<i64>,
    pub key: String,
    /// Namespace, name, kind and images, lowercased, for the filter.
    haystack: String,
}

impl Row {
    pub fn new(release: Release) -> Row {
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
            haystack: haystack.to_lowercase(),
            release,
        }
    }

    /// Whether the filter (already lowercased) matches.
    pub fn matches(&self, needle: &str) -> bool {
        needle.is_empty() || self.haystack.contains(needle)
    }

    /// Lower is more urgent: what is broken, then what waits for someone,
    /// then what moves on its own.
    fn urgency(&self) -> u8 {
        let r = &self.release;
        match r.phase {
            Phase::Degraded => 0,
            _ if !r.warnings.is_empty() => 1,
            Phase::Paused => 2,
            Phase::Progressing => 3,
            _ => 4,
        }
    }
}

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
