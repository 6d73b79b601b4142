//! Versions in the order operators read them (stable | canary, active |
//! preview), and the weight bar that shows their split.

use ratatui::text::Span;

use super::theme::{Slot, Theme};
use crate::model::Version;

/// The versions, stable or active first, otherwise in the release's order.
pub(super) fn by_role(versions: &[Version]) -> Vec<&Version> {
    let mut sorted: Vec<&Version> = versions.iter().collect();
    sorted.sort_by_key(|v| v.role);
    sorted
}

/// `90`, `33.3`, or `?` for a weight that is not a number.
pub(super) fn percent(weight: f64) -> String {
    if !weight.is_finite() {
        "?".to_string()
    } else if (weight - weight.round()).abs() < 0.05 {
        format!("{weight:.0}")
    } else {
        format!("{weight:.1}")
    }
}

/// `90|10`: the numbers, so the split reads without colour.
pub(super) fn numbers(versions: &[&Version]) -> String {
    let parts: Vec<String> = versions.iter().map(|v| percent(v.weight)).collect();
    parts.join("|")
}

/// `████████░░`: the first version's share filled, the rest shaded; all
/// shaded and muted when there is no weight to share.
pub(super) fn bar(versions: &[&Version], width: usize, theme: &Theme) -> Vec<Span<'static>> {
    let usable = |w: f64| if w.is_finite() && w > 0.0 { w } else { 0.0 };
    let total: f64 = versions.iter().map(|v| usable(v.weight)).sum();
    if total <= 0.0 {
        return vec![Span::styled("░".repeat(width), theme.style(Slot::Muted))];
    }
    let first = versions.first().map_or(0.0, |v| usable(v.weight));
    // Bounded by `width`, so the cast cannot truncate.
    let filled = ((first / total * width as f64).round() as usize).min(width);
    vec![
        Span::styled("█".repeat(filled), theme.style(Slot::Stable)),
        Span::styled("░".repeat(width - filled), theme.style(Slot::Canary)),
    ]
}

/// The tag of an image (`1.21`), or a short digest (`@3f2a9c1`).
pub(super) fn tag(image: &str) -> Option<String> {
    if let Some((_, digest)) = image.split_once('@') {
        let hex = digest.split_once(':').map_or(digest, |(_, h)| h);
        return Some(format!("@{}", hex.chars().take(7).collect::<String>()));
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    last.split_once(':').map(|(_, t)| t.to_string())
}

/// What the list shows of a version: its image tag, else its name.
pub(super) fn label(version: &Version) -> String {
    version
        .images
        .first()
        .and_then(|i| tag(i))
        .unwrap_or_else(|| version.name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Role;

    fn version(role: Role, weight: f64) -> Version {
        Version {
            name: "v".into(),
            role,
            weight,
            images: vec![],
            ready: 1,
            desired: 1,
            workload: None,
            revision: None,
        }
    }

    fn text(spans: &[Span]) -> String {
        spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn bar_is_proportional() {
        let theme = Theme::default();
        let (s, c) = (version(Role::Stable, 80.0), version(Role::Canary, 20.0));
        assert_eq!(text(&bar(&[&s, &c], 10, &theme)), "████████░░");
        let odd = version(Role::Canary, f64::NAN);
        assert_eq!(text(&bar(&[&odd], 4, &theme)), "░░░░");
        let heavy = version(Role::Stable, 90.0);
        assert_eq!(text(&bar(&[&heavy, &c], 8, &theme)), "███████░");
        assert_eq!(numbers(&[&s, &c]), "80|20");
        assert_eq!(percent(33.333), "33.3");
        assert_eq!(percent(f64::INFINITY), "?");
    }

    #[test]
    fn orders_by_role() {
        let versions = [version(Role::Canary, 10.0), version(Role::Stable, 90.0)];
        let roles: Vec<Role> = by_role(&versions).iter().map(|v| v.role).collect();
        assert_eq!(roles, [Role::Stable, Role::Canary]);
    }

    #[test]
    fn tags() {
        assert_eq!(tag("docker.io/istio/reviews:1.21").as_deref(), Some("1.21"));
        assert_eq!(tag("localhost:5000/web").as_deref(), None);
        assert_eq!(tag("web@sha256:3f2a9c1ffff").as_deref(), Some("@3f2a9c1"));
    }
}
