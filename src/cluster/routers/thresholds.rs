//! A release's health limits, from annotations on its objects: the router's
//! first, then a Service's, then a workload's.

use std::collections::BTreeMap;

use crate::analysis::verdict::{parse_ceiling as ceiling, parse_rate};
use serde_json::Value;

use super::index::Id;
use super::json::{annotation, name};
use super::versions::annotation_rank;
use crate::model::Thresholds;

const MAX_ERROR_RATE: &str = "kshift.dev/max-error-rate";
const MAX_P99_MS: &str = "kshift.dev/max-p99-ms";

/// The thresholds the objects set; one that does not parse is a warning and unset.
pub(super) fn thresholds(objects: &[(Id, &Value)], warnings: &mut Vec<String>) -> Thresholds {
    let mut ranked: Vec<&(Id, &Value)> = objects.iter().collect();
    ranked.sort_by_key(|(id, _)| annotation_rank(id.kind));
    let mut read = |key: &str, parse: Parse| {
        let (id, v, text) = ranked
            .iter()
            .find_map(|(id, v)| Some((id, v, annotation(v, key)?)))?;
        parse(text.trim()).unwrap_or_else(|expected| {
            warnings.push(format!(
                "{} {}: annotation {key} {text:?} is not {expected}; ignored.",
                id.kind.as_str(),
                name(v)
            ));
            None
        })
    };
    Thresholds {
        max_error_rate: read(MAX_ERROR_RATE, rate),
        max_p99_ms: read(MAX_P99_MS, ceiling),
    }
}

/// The objects' `kshift.dev/` annotations; where several set one, the value of the
/// object that ranks first (a router, then a Service, then a workload).
pub(super) fn kshift_annotations(objects: &[(Id, &Value)]) -> BTreeMap<String, String> {
    let mut ranked: Vec<&(Id, &Value)> = objects.iter().collect();
    // Last ranked first, so that the first-ranked object's value is written last.
    ranked.sort_by_key(|(id, _)| std::cmp::Reverse(annotation_rank(id.kind)));
    let mut merged = BTreeMap::new();
    for (_, object) in ranked {
        let Some(annotations) = object
            .get("metadata")
            .and_then(|m| m.get("annotations"))
            .and_then(Value::as_object)
        else {
            continue;
        };
        for (key, value) in annotations {
            if let (true, Some(value)) = (key.starts_with("kshift.dev/"), value.as_str()) {
                merged.insert(key.clone(), value.to_string());
            }
        }
    }
    merged
}

/// Reads an annotation's value: a limit, none, or what was expected instead.
type Parse = fn(&str) -> Result<Option<f64>, &'static str>;

/// `0.05` or `5%`: a fraction from 0 to 1 (read as the verdict reads it).
fn rate(text: &str) -> Result<Option<f64>, &'static str> {
    parse_rate(text).map(Some)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::index::ObjKind;
    use super::super::testutil::{deployment, find, run, service};
    use super::*;

    fn object(annotations: Value) -> Value {
        json!({"metadata": {"name": "web", "annotations": annotations}})
    }

    fn id(kind: ObjKind) -> Id {
        Id { kind, index: 0 }
    }

    #[test]
    fn the_router_wins_over_workloads() {
        let workload = object(json!({MAX_ERROR_RATE: "0.2", MAX_P99_MS: "800ms"}));
        let router = object(json!({MAX_ERROR_RATE: " 5% "}));
        let objects = [
            (id(ObjKind::Deployment), &workload),
            (id(ObjKind::VirtualService), &router),
        ];
        let mut warnings = Vec::new();
        let found = thresholds(&objects, &mut warnings);
        assert_eq!(found.max_error_rate, Some(0.05));
        assert_eq!(found.max_p99_ms, Some(800.0));
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(thresholds(&[], &mut warnings), Thresholds::default());
        let none = object(json!({MAX_P99_MS: "None"}));
        let found = thresholds(&[(id(ObjKind::Service), &none)], &mut warnings);
        assert_eq!((found.max_p99_ms, warnings.len()), (None, 0));
    }

    #[test]
    fn kshift_annotations_are_merged_with_the_router_first() {
        let workload = object(
            json!({MAX_ERROR_RATE: "0.2", "kshift.dev/min-requests": "10",
            "other.io/x": "y"}),
        );
        let service = object(json!({MAX_ERROR_RATE: "0.1", "kshift.dev/error-margin": "2%"}));
        let router = object(json!({MAX_ERROR_RATE: "5%"}));
        let objects = [
            (id(ObjKind::Deployment), &workload),
            (id(ObjKind::VirtualService), &router),
            (id(ObjKind::Service), &service),
        ];
        let merged = kshift_annotations(&objects);
        let pairs: Vec<(&str, &str)> = merged
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("kshift.dev/error-margin", "2%"),
                (MAX_ERROR_RATE, "5%"),
                ("kshift.dev/min-requests", "10"),
            ]
        );
    }

    #[test]
    fn unparsable_values_warn_and_stay_unset() {
        let odd = object(json!({MAX_ERROR_RATE: "5", MAX_P99_MS: "-3"}));
        let mut warnings = Vec::new();
        let found = thresholds(&[(id(ObjKind::Service), &odd)], &mut warnings);
        assert_eq!(found, Thresholds::default());
        assert_eq!(
            warnings,
            [
                "Service web: annotation kshift.dev/max-error-rate \"5\" is not a rate such \
                 as 0.05 or 5%; ignored.",
                "Service web: annotation kshift.dev/max-p99-ms \"-3\" is not milliseconds such \
                 as 500 or 500ms, or none; ignored.",
            ]
        );
    }

    #[test]
    fn a_committed_release_carries_them() {
        let mut svc = service("web", json!({"app": "web"}));
        svc["metadata"]["annotations"] = json!({MAX_P99_MS: "250"});
        let mut v2 = deployment("web-v2", json!({"app": "web", "v": "2"}), "r/web:2", 1, 1);
        v2["metadata"]["annotations"] = json!({MAX_ERROR_RATE: "0.01", MAX_P99_MS: "900"});
        let v1 = deployment("web-v1", json!({"app": "web", "v": "1"}), "r/web:1", 3, 3);
        let releases = run(vec![svc, v1, v2]);
        let r = find(&releases, "web");
        assert_eq!(r.thresholds.max_error_rate, Some(0.01));
        assert_eq!(r.thresholds.max_p99_ms, Some(250.0));
    }
}
