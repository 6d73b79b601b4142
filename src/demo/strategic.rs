//! Strategic merge patch (`application/strategic-merge-patch+json`) as the kube-apiserver
//! applies it to built-in kinds (apimachinery's `strategicpatch.StrategicMergePatch`).
//!
//! The apiserver reads each list's strategy from the Go struct tags of k8s.io/api; here a
//! table keyed by the list's field name and the field holding its map stands in for them.
//! Lists outside the table are replaced. Element order follows apimachinery: elements named
//! by the patch (or by `$setElementOrder/<field>`) take that order and are interleaved with
//! the live-only elements by their live positions, so an element new to the list comes
//! before the live-only elements, as on a real cluster.

use std::fmt;

use serde_json::{Map, Value};

const PATCH: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const DELETE_FROM: &str = "$deleteFromPrimitiveList/";
const ELEMENT_ORDER: &str = "$setElementOrder/";

/// A patch the apiserver would reject; the message follows apimachinery's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrategicPatchError(pub String);

impl fmt::Display for StrategicPatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StrategicPatchError {}

type Result<T> = std::result::Result<T, StrategicPatchError>;

fn fail<T>(message: impl Into<String>) -> Result<T> {
    Err(StrategicPatchError(message.into()))
}

/// Applies a strategic merge patch to `original` and returns the result.
///
/// # Errors
/// When `patch` is not a JSON object or is malformed (unknown directive, missing merge key,
/// bad `$retainKeys`/`$setElementOrder` list), with the apiserver's message.
pub fn apply(original: &Value, patch: &Value) -> Result<Value> {
    let Value::Object(patch) = patch else {
        let kind = match patch {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            _ => "array",
        };
        return fail(format!(
            "json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
        ));
    };
    let base = original.as_object().cloned().unwrap_or_default();
    merge_map(base, patch, None).map(Value::Object)
}

enum ListKind {
    /// `patchStrategy:"merge"` with a `patchMergeKey`.
    ByKey(&'static str),
    /// `patchStrategy:"merge"` on a list of primitives.
    Set,
    Replace,
}

/// The merge lists of the built-in kinds. `parent` is the field holding the map that holds
/// `field` (for a list element, the list's field), which tells apart e.g. a container's
/// `ports` (by `containerPort`) from a Service's (by `port`) and NetworkPolicy's (atomic).
fn list_kind(parent: Option<&str>, field: &str) -> ListKind {
    use ListKind::{ByKey, Replace, Set};
    let in_container = matches!(
        parent,
        Some("containers" | "initContainers" | "ephemeralContainers")
    );
    match (parent.unwrap_or_default(), field) {
        ("metadata", "finalizers") => Set,
        ("metadata", "ownerReferences") => ByKey("uid"),
        (_, "containers" | "initContainers" | "ephemeralContainers" | "volumes") => ByKey("name"),
        (_, "env") if in_container => ByKey("name"),
        (_, "ports") if in_container => ByKey("containerPort"),
        (_, "volumeMounts") if in_container => ByKey("mountPath"),
        (_, "volumeDevices") if in_container => ByKey("devicePath"),
        ("spec", "ports") => ByKey("port"),
        ("spec", "imagePullSecrets" | "schedulingGates" | "resourceClaims") => ByKey("name"),
        ("spec", "hostAliases") => ByKey("ip"),
        ("spec", "topologySpreadConstraints") => ByKey("topologyKey"),
        ("status", "conditions" | "addresses") => ByKey("type"),
        ("status", "podIPs" | "hostIPs") => ByKey("ip"),
        // ServiceAccount secrets and admission webhook configurations.
        ("", "secrets" | "webhooks") => ByKey("name"),
        _ => Replace,
    }
}

/// A field name rather than a directive: CRD schemas (JSONSchemaProps) carry `$ref`/`$schema`.
fn is_field(key: &str) -> bool {
    !key.starts_with('$') || matches!(key, "$ref" | "$schema")
}

fn merge_map(
    mut original: Map<String, Value>,
    patch: &Map<String, Value>,
    parent: Option<&str>,
) -> Result<Map<String, Value>> {
    if let Some(directive) = patch.get(PATCH) {
        match directive.as_str() {
            Some("merge") => {}
            Some("replace") => {
                let mut rest = patch.clone();
                rest.remove(PATCH);
                // Merging into nothing drops nulls and nested directives.
                return merge_map(Map::new(), &rest, parent);
            }
            // The apiserver empties the map rather than dropping its key.
            Some("delete") => return Ok(Map::new()),
            _ => return fail(bad_patch_type(directive, patch)),
        }
    }
    for key in patch.keys().filter(|k| !is_field(k)) {
        let known = key == PATCH
            || key == RETAIN_KEYS
            || key.starts_with(DELETE_FROM)
            || key.starts_with(ELEMENT_ORDER);
        if !known {
            return fail(format!("unknown patch directive {key}"));
        }
    }

    if let Some(retain) = patch.get(RETAIN_KEYS) {
        let Some(retain) = retain.as_array() else {
            return fail("invalid patch format of retainKeys");
        };
        let kept = |key: &str| retain.iter().any(|r| r.as_str() == Some(key));
        if patch
            .iter()
            .any(|(k, v)| is_field(k) && !v.is_null() && !kept(k))
        {
            return fail("invalid patch format of retainKeys");
        }
        original.retain(|k, _| kept(k));
    }

    // Fields named only by `$setElementOrder/<field>` still get reordered.
    let mut fields: Vec<&str> = patch
        .keys()
        .map(String::as_str)
        .filter(|k| is_field(k))
        .collect();
    for key in patch.keys() {
        if let Some(field) = key
            .strip_prefix(ELEMENT_ORDER)
            .filter(|f| !patch.contains_key(*f))
        {
            fields.push(field);
        }
    }
    for field in fields {
        let order = match patch.get(&format!("{ELEMENT_ORDER}{field}")) {
            None => None,
            Some(Value::Array(order)) => Some(order.as_slice()),
            Some(_) => return fail("invalid patch format of setElementOrder list"),
        };
        let current = original.get_mut(field).map(Value::take);
        let merged = match (patch.get(field), current) {
            (Some(Value::Null), _) => {
                original.remove(field);
                continue;
            }
            (Some(value), current) => merge_value(parent, field, current, value, order)?,
            (None, Some(Value::Array(list))) => {
                Value::Array(merge_list(parent, field, list, &[], order)?)
            }
            (None, Some(other)) => other,
            (None, None) => continue,
        };
        original.insert(field.to_owned(), merged);
    }

    // After the merges, as kubectl pairs a deletion list with additions to the same list.
    for (key, value) in patch {
        let Some(field) = key.strip_prefix(DELETE_FROM) else {
            continue;
        };
        let Value::Array(remove) = value else {
            return fail("invalid patch format of primitive list");
        };
        if let Some(Value::Array(list)) = original.get_mut(field) {
            list.retain(|v| !remove.contains(v));
        }
    }
    Ok(original)
}

/// Merges `patch` into the value of `field` (if any) of a map that sits under `parent`.
/// A value of another type than the patch is replaced, as is any scalar.
fn merge_value(
    parent: Option<&str>,
    field: &str,
    current: Option<Value>,
    patch: &Value,
    order: Option<&[Value]>,
) -> Result<Value> {
    Ok(match patch {
        Value::Object(patch) => {
            let base = match current {
                Some(Value::Object(map)) => map,
                _ => Map::new(),
            };
            Value::Object(merge_map(base, patch, Some(field))?)
        }
        Value::Array(patch) => {
            let base = match current {
                Some(Value::Array(list)) => list,
                _ => Vec::new(),
            };
            Value::Array(merge_list(parent, field, base, patch, order)?)
        }
        scalar => scalar.clone(),
    })
}

fn merge_list(
    parent: Option<&str>,
    field: &str,
    original: Vec<Value>,
    patch: &[Value],
    order: Option<&[Value]>,
) -> Result<Vec<Value>> {
    // Lists with elements of the wrong shape for their strategy are replaced too.
    let key = match list_kind(parent, field) {
        ListKind::ByKey(key) if patch.iter().all(Value::is_object) => Some(key),
        ListKind::Set if !patch.iter().any(|v| v.is_object() || v.is_array()) => None,
        _ => {
            let fresh = |v: &Value| merge_value(parent, field, None, v, None);
            return patch.iter().map(fresh).collect();
        }
    };
    if let Some(order) = order {
        check_order(patch, order, key)?;
    }
    let live: Vec<Value> = original
        .iter()
        .filter_map(|v| identity(v, key))
        .cloned()
        .collect();
    let named: Vec<Value> = order
        .unwrap_or(patch)
        .iter()
        .filter_map(|v| identity(v, key))
        .cloned()
        .collect();
    let merged = match key {
        Some(key) => match merge_by_key(field, original, patch, key)? {
            Merged::Replaced(list) => return Ok(list),
            Merged::Merged(list) => list,
        },
        None => {
            let mut union = Vec::with_capacity(original.len() + patch.len());
            for value in original.into_iter().chain(patch.iter().cloned()) {
                if !union.contains(&value) {
                    union.push(value);
                }
            }
            union
        }
    };
    Ok(normalize_order(merged, &named, &live, key))
}

enum Merged {
    /// A `{"$patch": "replace"}` element: the other patch elements are the whole list.
    Replaced(Vec<Value>),
    Merged(Vec<Value>),
}

fn merge_by_key(field: &str, mut list: Vec<Value>, patch: &[Value], key: &str) -> Result<Merged> {
    let fresh = |element: &Map<String, Value>| merge_map(Map::new(), element, Some(field));
    let mut elements = Vec::with_capacity(patch.len());
    let mut replace = false;
    for element in patch.iter().filter_map(Value::as_object) {
        let Some(directive) = element.get(PATCH) else {
            elements.push(element);
            continue;
        };
        match directive.as_str() {
            Some("delete") => {
                let id = merge_key(element, key)?;
                list.retain(|v| v.get(key) != Some(id));
            }
            Some("replace") => replace = true,
            Some("merge") => return fail("merging lists cannot yet be specified in the patch"),
            _ => return fail(bad_patch_type(directive, element)),
        }
    }
    if replace {
        let list = elements.into_iter().map(|e| fresh(e).map(Value::Object));
        return list.collect::<Result<_>>().map(Merged::Replaced);
    }
    for element in elements {
        let id = merge_key(element, key)?;
        match list.iter_mut().find(|v| v.get(key) == Some(id)) {
            Some(Value::Object(live)) => {
                let merged = merge_map(std::mem::take(live), element, Some(field))?;
                *live = merged;
            }
            _ => list.push(Value::Object(fresh(element)?)),
        }
    }
    Ok(Merged::Merged(list))
}

fn merge_key<'a>(element: &'a Map<String, Value>, key: &str) -> Result<&'a Value> {
    match element.get(key) {
        Some(id) => Ok(id),
        None => fail(format!(
            "map: {} does not contain declared merge key: {key}",
            Value::Object(element.clone())
        )),
    }
}

fn bad_patch_type(directive: &Value, map: &Map<String, Value>) -> String {
    let directive = directive
        .as_str()
        .map_or_else(|| directive.to_string(), str::to_owned);
    format!(
        "unknown patch type: {directive} in map: {}",
        Value::Object(map.clone())
    )
}

/// What identifies a list element: its merge key's value, or the primitive itself.
fn identity<'a>(value: &'a Value, key: Option<&str>) -> Option<&'a Value> {
    match key {
        Some(key) => value.get(key),
        None => Some(value),
    }
}

fn rank(ids: &[Value], value: &Value, key: Option<&str>) -> Option<usize> {
    let id = identity(value, key)?;
    ids.iter().position(|i| i == id)
}

/// The apiserver rejects a `$setElementOrder` list that does not name the patch's elements
/// in the patch's order.
fn check_order(patch: &[Value], order: &[Value], key: Option<&str>) -> Result<()> {
    let mut ids = order.iter().filter_map(|v| identity(v, key));
    let elements = patch.iter().filter(|v| v.get(PATCH).is_none());
    for id in elements.filter_map(|v| identity(v, key)) {
        if !ids.any(|o| o == id) {
            return fail(format!(
                "The order in patch list:\n{}\n doesn't match {ELEMENT_ORDER} list:\n{}\n",
                Value::from(patch.to_vec()),
                Value::from(order.to_vec())
            ));
        }
    }
    Ok(())
}

/// apimachinery's `normalizeElementOrder`: elements in `named` take its order, the others keep
/// their live order, and a live-only element goes first only when it preceded the next named
/// element in the live list.
fn normalize_order(
    merged: Vec<Value>,
    named: &[Value],
    live: &[Value],
    key: Option<&str>,
) -> Vec<Value> {
    let (mut chosen, mut rest): (Vec<Value>, Vec<Value>) = merged
        .into_iter()
        .partition(|v| rank(named, v, key).is_some());
    chosen.sort_by_key(|v| rank(named, v, key));
    rest.sort_by_key(|v| rank(live, v, key).unwrap_or(usize::MAX));
    let mut out = Vec::with_capacity(chosen.len() + rest.len());
    let (mut chosen, mut rest) = (chosen.into_iter().peekable(), rest.into_iter().peekable());
    loop {
        let take_rest = match (rest.peek(), chosen.peek()) {
            (Some(r), Some(c)) => matches!(
                (rank(live, r, key), rank(live, c, key)),
                (Some(a), Some(b)) if a < b
            ),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        out.extend(if take_rest {
            rest.next()
        } else {
            chosen.next()
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patched(original: Value, patch: Value) -> Value {
        apply(&original, &patch).unwrap()
    }

    fn error(original: Value, patch: Value) -> String {
        apply(&original, &patch).unwrap_err().0
    }

    fn has_directive(value: &Value) -> bool {
        match value {
            Value::Object(map) => map.iter().any(|(k, v)| !is_field(k) || has_directive(v)),
            Value::Array(list) => list.iter().any(has_directive),
            _ => false,
        }
    }

    fn pod_spec(spec: Value) -> Value {
        json!({"kind": "Deployment", "spec": {"template": {"spec": spec}}})
    }

    fn names(list: &Value) -> Vec<&str> {
        let list = list.as_array().unwrap();
        list.iter().map(|v| v["name"].as_str().unwrap()).collect()
    }

    #[test]
    fn set_image_changes_only_the_named_container() {
        let original = pod_spec(json!({"containers": [
            {"name": "app", "image": "app:v1", "ports": [{"containerPort": 80}]},
            {"name": "sidecar", "image": "proxy:v1"}
        ]}));
        let patch = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": "app:v2"}
        ]}}}});
        let expected = pod_spec(json!({"containers": [
            {"name": "app", "image": "app:v2", "ports": [{"containerPort": 80}]},
            {"name": "sidecar", "image": "proxy:v1"}
        ]}));
        assert_eq!(patched(original.clone(), patch), expected);

        let patch = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "sidecar", "image": "proxy:v2"}
        ]}}}});
        let result = patched(original, patch);
        let containers = &result["spec"]["template"]["spec"]["containers"];
        assert_eq!(names(containers), ["app", "sidecar"]);
        assert_eq!(containers[1]["image"], "proxy:v2");
    }

    #[test]
    fn env_merges_by_name_and_honours_delete() {
        let original = pod_spec(json!({"containers": [{"name": "app", "env": [
            {"name": "A", "value": "1"},
            {"name": "B", "value": "2"},
            {"name": "OLD", "value": "x"}
        ]}]}));
        let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "env": [
            {"name": "B", "value": "3"},
            {"name": "OLD", "$patch": "delete"},
            {"name": "C", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}
        ]}]}}}});
        let result = patched(original, patch);
        assert_eq!(
            result["spec"]["template"]["spec"]["containers"][0]["env"],
            json!([
                {"name": "A", "value": "1"},
                {"name": "B", "value": "3"},
                {"name": "C", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}
            ])
        );
    }

    #[test]
    fn new_elements_go_before_live_only_ones_like_the_apiserver() {
        let original = pod_spec(json!({"containers": [{"name": "app", "env": [
            {"name": "A", "value": "1"},
            {"name": "B", "value": "2"}
        ]}]}));
        let patch = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "app", "env": [{"name": "C", "value": "3"}]}
        ]}}}});
        let result = patched(original, patch);
        assert_eq!(
            names(&result["spec"]["template"]["spec"]["containers"][0]["env"]),
            ["C", "A", "B"]
        );
    }

    #[test]
    fn patch_list_order_wins_among_patched_elements() {
        let original = pod_spec(json!({"volumes": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}));
        let patch = pod_spec(json!({"volumes": [{"name": "c"}, {"name": "a"}]}));
        let result = patched(original, patch);
        assert_eq!(
            names(&result["spec"]["template"]["spec"]["volumes"]),
            ["b", "c", "a"]
        );
    }

    #[test]
    fn volume_mounts_merge_by_mount_path() {
        let original = json!({"spec": {"containers": [{"name": "app", "volumeMounts": [
            {"name": "data", "mountPath": "/data"},
            {"name": "cfg", "mountPath": "/etc/cfg"}
        ]}]}});
        let patch = json!({"spec": {"containers": [{"name": "app", "volumeMounts": [
            {"mountPath": "/data", "readOnly": true}
        ]}]}});
        let result = patched(original, patch);
        assert_eq!(
            result["spec"]["containers"][0]["volumeMounts"],
            json!([
                {"name": "data", "mountPath": "/data", "readOnly": true},
                {"name": "cfg", "mountPath": "/etc/cfg"}
            ])
        );
    }

    #[test]
    fn container_ports_merge_by_container_port() {
        let original = json!({"spec": {"containers": [{"name": "app", "ports": [
            {"containerPort": 80, "name": "http"},
            {"containerPort": 9090, "name": "metrics"}
        ]}]}});
        let patch = json!({"spec": {"containers": [{"name": "app", "ports": [
            {"containerPort": 9090, "protocol": "TCP"}
        ]}]}});
        let result = patched(original, patch);
        assert_eq!(
            result["spec"]["containers"][0]["ports"],
            json!([
                {"containerPort": 80, "name": "http"},
                {"containerPort": 9090, "name": "metrics", "protocol": "TCP"}
            ])
        );
    }

    #[test]
    fn service_ports_merge_by_port() {
        let original = json!({"kind": "Service", "spec": {"ports": [
            {"name": "http", "port": 80, "targetPort": 8080},
            {"name": "https", "port": 443, "targetPort": 8443}
        ]}});
        let patch = json!({"spec": {"ports": [{"port": 80, "targetPort": 9090}]}});
        let result = patched(original, patch);
        assert_eq!(
            result["spec"]["ports"],
            json!([
                {"name": "http", "port": 80, "targetPort": 9090},
                {"name": "https", "port": 443, "targetPort": 8443}
            ])
        );
    }

    #[test]
    fn network_policy_ports_are_replaced() {
        let original = json!({"spec": {"ingress": [{"ports": [{"port": 80}, {"port": 443}]}]}});
        let patch = json!({"spec": {"ingress": [{"ports": [{"port": 8080}]}]}});
        assert_eq!(
            patched(original, patch)["spec"]["ingress"],
            json!([{"ports": [{"port": 8080}]}])
        );
    }

    #[test]
    fn rollout_pause_and_resume() {
        let original = json!({"spec": {"replicas": 2, "paused": false}});
        let paused = patched(original, json!({"spec": {"paused": true}}));
        assert_eq!(paused, json!({"spec": {"replicas": 2, "paused": true}}));
        let resumed = patched(paused, json!({"spec": {"paused": null}}));
        assert_eq!(resumed, json!({"spec": {"replicas": 2}}));
    }

    #[test]
    fn rollout_restart_adds_template_annotation() {
        let original = json!({"spec": {"template": {"metadata": {
            "labels": {"app": "web"},
            "annotations": {"prometheus.io/scrape": "true"}
        }}}});
        let patch = json!({"spec": {"template": {"metadata": {"annotations": {
            "kubectl.kubernetes.io/restartedAt": "2025-01-01T00:00:00Z"
        }}}}});
        let expected = json!({"spec": {"template": {"metadata": {
            "labels": {"app": "web"},
            "annotations": {
                "prometheus.io/scrape": "true",
                "kubectl.kubernetes.io/restartedAt": "2025-01-01T00:00:00Z"
            }
        }}}});
        assert_eq!(patched(original, patch), expected);
    }

    #[test]
    fn label_annotate_and_scale_merge_maps() {
        let original = json!({
            "metadata": {"name": "web", "labels": {"app": "web", "tier": "old"}},
            "spec": {"replicas": 1}
        });
        let patch = json!({
            "metadata": {"labels": {"tier": null, "env": "prod"}, "annotations": {"owner": "me"}},
            "spec": {"replicas": 5}
        });
        let expected = json!({
            "metadata": {
                "name": "web",
                "labels": {"app": "web", "env": "prod"},
                "annotations": {"owner": "me"}
            },
            "spec": {"replicas": 5}
        });
        assert_eq!(patched(original, patch), expected);
    }

    #[test]
    fn set_element_order_reorders_without_a_list_patch() {
        let original =
            pod_spec(json!({"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}));
        let patch = pod_spec(json!({
            "$setElementOrder/containers": [{"name": "c"}, {"name": "a"}, {"name": "b"}]
        }));
        let result = patched(original, patch);
        assert_eq!(
            names(&result["spec"]["template"]["spec"]["containers"]),
            ["c", "a", "b"]
        );
        assert!(!has_directive(&result));
    }

    #[test]
    fn set_element_order_places_new_elements_and_keeps_live_only_ones() {
        let original = pod_spec(json!({"containers": [
            {"name": "app", "image": "app:v1"},
            {"name": "istio-proxy", "image": "proxy:v1"}
        ]}));
        let patch = pod_spec(json!({
            "$setElementOrder/containers": [{"name": "app"}, {"name": "metrics"}],
            "containers": [{"name": "metrics", "image": "metrics:v1"}]
        }));
        let result = patched(original, patch);
        let containers = &result["spec"]["template"]["spec"]["containers"];
        assert_eq!(names(containers), ["app", "metrics", "istio-proxy"]);
        assert!(!has_directive(&result));
    }

    #[test]
    fn set_element_order_interleaves_live_only_elements_by_live_position() {
        let original =
            pod_spec(json!({"containers": [{"name": "a"}, {"name": "sidecar"}, {"name": "b"}]}));
        let patch =
            pod_spec(json!({"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]}));
        let result = patched(original, patch);
        assert_eq!(
            names(&result["spec"]["template"]["spec"]["containers"]),
            ["sidecar", "b", "a"]
        );
    }

    #[test]
    fn set_element_order_must_agree_with_the_patch_list() {
        let original = pod_spec(json!({"containers": [{"name": "a"}, {"name": "b"}]}));
        let patch = pod_spec(json!({
            "$setElementOrder/containers": [{"name": "a"}, {"name": "b"}],
            "containers": [{"name": "b"}, {"name": "a"}]
        }));
        assert!(error(original.clone(), patch).contains("doesn't match $setElementOrder/ list"));
        let patch = pod_spec(json!({"$setElementOrder/containers": {"name": "a"}}));
        assert_eq!(
            error(original, patch),
            "invalid patch format of setElementOrder list"
        );
    }

    #[test]
    fn retain_keys_drops_fields_not_listed() {
        let original = json!({"spec": {"strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}
        }}});
        let patch = json!({"spec": {"strategy": {
            "$retainKeys": ["type"],
            "type": "Recreate",
            "rollingUpdate": null
        }}});
        assert_eq!(
            patched(original.clone(), patch),
            json!({"spec": {"strategy": {"type": "Recreate"}}})
        );

        let patch = json!({"spec": {"strategy": {
            "$retainKeys": ["type"],
            "type": "Recreate",
            "rollingUpdate": {"maxSurge": 1}
        }}});
        assert_eq!(
            error(original.clone(), patch),
            "invalid patch format of retainKeys"
        );
        let patch = json!({"spec": {"strategy": {"$retainKeys": "type"}}});
        assert_eq!(error(original, patch), "invalid patch format of retainKeys");
    }

    #[test]
    fn delete_from_primitive_list_removes_finalizers() {
        let original = json!({"metadata": {"finalizers": ["a", "b", "c"]}});
        let patch = json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["b", "missing"]}});
        assert_eq!(
            patched(original.clone(), patch),
            json!({"metadata": {"finalizers": ["a", "c"]}})
        );

        let patch = json!({"metadata": {
            "$setElementOrder/finalizers": ["a", "d"],
            "$deleteFromPrimitiveList/finalizers": ["b"],
            "finalizers": ["d"]
        }});
        let result = patched(original.clone(), patch);
        assert_eq!(result, json!({"metadata": {"finalizers": ["a", "d", "c"]}}));

        let patch = json!({"metadata": {"$deleteFromPrimitiveList/finalizers": "b"}});
        assert_eq!(
            error(original, patch),
            "invalid patch format of primitive list"
        );
    }

    #[test]
    fn metadata_finalizers_merge_as_a_set_but_namespace_spec_finalizers_replace() {
        let original = json!({
            "metadata": {"finalizers": ["a", "b"]},
            "spec": {"finalizers": ["kubernetes"]}
        });
        let patch = json!({
            "metadata": {"finalizers": ["b", "c"]},
            "spec": {"finalizers": ["custom"]}
        });
        let expected = json!({
            "metadata": {"finalizers": ["a", "b", "c"]},
            "spec": {"finalizers": ["custom"]}
        });
        assert_eq!(patched(original, patch), expected);
    }

    #[test]
    fn patch_replace_on_a_map_replaces_it() {
        let original = json!({"spec": {"selector": {
            "matchLabels": {"app": "a", "tier": "web"},
            "matchExpressions": [{"key": "x", "operator": "Exists"}]
        }}});
        let patch = json!({"spec": {"selector": {
            "$patch": "replace",
            "matchLabels": {"app": "b", "gone": null}
        }}});
        assert_eq!(
            patched(original, patch),
            json!({"spec": {"selector": {"matchLabels": {"app": "b"}}}})
        );
    }

    #[test]
    fn patch_delete_on_a_map_empties_it() {
        let original = json!({"spec": {"replicas": 1, "strategy": {"type": "Recreate"}}});
        let patch = json!({"spec": {"strategy": {"$patch": "delete"}}});
        assert_eq!(
            patched(original, patch),
            json!({"spec": {"replicas": 1, "strategy": {}}})
        );
    }

    #[test]
    fn patch_merge_on_a_map_is_the_default() {
        let original = json!({"spec": {"a": 1}});
        let patch = json!({"spec": {"$patch": "merge", "b": 2}});
        assert_eq!(patched(original, patch), json!({"spec": {"a": 1, "b": 2}}));
    }

    #[test]
    fn replace_element_in_a_list_replaces_the_list() {
        let original = pod_spec(json!({"containers": [{"name": "app", "env": [
            {"name": "A", "value": "1"},
            {"name": "B", "value": "2"}
        ]}]}));
        let patch = pod_spec(json!({"containers": [{"name": "app", "env": [
            {"$patch": "replace"},
            {"name": "X", "value": "9", "unset": null}
        ]}]}));
        let result = patched(original, patch);
        assert_eq!(
            result["spec"]["template"]["spec"]["containers"][0]["env"],
            json!([{"name": "X", "value": "9"}])
        );
    }

    #[test]
    fn lists_without_a_merge_strategy_are_replaced() {
        let original = json!({"spec": {
            "tolerations": [{"key": "a", "operator": "Exists"}],
            "containers": [{"name": "app", "args": ["--old", "--keep"]}]
        }});
        let patch = json!({"spec": {
            "tolerations": [{"key": "b", "operator": "Exists"}],
            "containers": [{"name": "app", "args": ["--new"]}]
        }});
        let expected = json!({"spec": {
            "tolerations": [{"key": "b", "operator": "Exists"}],
            "containers": [{"name": "app", "args": ["--new"]}]
        }});
        assert_eq!(patched(original, patch), expected);
    }

    #[test]
    fn empty_patch_list_leaves_a_merge_list_alone() {
        let original = pod_spec(json!({"containers": [{"name": "app"}]}));
        let patch = pod_spec(json!({"containers": []}));
        assert_eq!(patched(original.clone(), patch), original);
    }

    #[test]
    fn keyed_lists_of_status_metadata_and_scheduling() {
        let original = json!({
            "metadata": {"ownerReferences": [{"uid": "1", "kind": "ReplicaSet", "name": "rs"}]},
            "spec": {"topologySpreadConstraints": [
                {"topologyKey": "zone", "maxSkew": 1},
                {"topologyKey": "host", "maxSkew": 1}
            ]},
            "status": {"conditions": [
                {"type": "Available", "status": "True"},
                {"type": "Progressing", "status": "True"}
            ]}
        });
        let patch = json!({
            "metadata": {"ownerReferences": [{"uid": "1", "blockOwnerDeletion": true}]},
            "spec": {"topologySpreadConstraints": [{"topologyKey": "host", "maxSkew": 2}]},
            "status": {"conditions": [{"type": "Available", "status": "False"}]}
        });
        let expected = json!({
            "metadata": {"ownerReferences": [
                {"uid": "1", "kind": "ReplicaSet", "name": "rs", "blockOwnerDeletion": true}
            ]},
            "spec": {"topologySpreadConstraints": [
                {"topologyKey": "zone", "maxSkew": 1},
                {"topologyKey": "host", "maxSkew": 2}
            ]},
            "status": {"conditions": [
                {"type": "Available", "status": "False"},
                {"type": "Progressing", "status": "True"}
            ]}
        });
        assert_eq!(patched(original, patch), expected);
    }

    #[test]
    fn new_subtrees_are_stripped_of_nulls_and_directives() {
        let original = pod_spec(json!({"containers": [{"name": "app"}]}));
        let patch = pod_spec(json!({"initContainers": [{
            "name": "init",
            "$setElementOrder/env": [{"name": "A"}],
            "env": [{"name": "A", "value": "1"}],
            "resources": null,
            "securityContext": {"$retainKeys": ["runAsUser"], "runAsUser": 1000}
        }]}));
        let result = patched(original, patch);
        assert_eq!(
            result["spec"]["template"]["spec"]["initContainers"],
            json!([{
                "name": "init",
                "env": [{"name": "A", "value": "1"}],
                "securityContext": {"runAsUser": 1000}
            }])
        );
        assert!(!has_directive(&result));
    }

    #[test]
    fn type_mismatch_takes_the_patch_value() {
        let original =
            json!({"spec": {"selector": ["odd"], "replicas": {"odd": true}, "args": "x"}});
        let patch = json!({"spec": {
            "selector": {"matchLabels": {"app": "a", "none": null}},
            "replicas": 3,
            "args": ["y"]
        }});
        let expected = json!({"spec": {
            "selector": {"matchLabels": {"app": "a"}},
            "replicas": 3,
            "args": ["y"]
        }});
        assert_eq!(patched(original, patch), expected);
    }

    #[test]
    fn crd_schema_dollar_fields_are_not_directives() {
        let schema = json!({"$schema": "http://json-schema.org/draft-04/schema#",
            "properties": {"a": {"$ref": "#/definitions/a"}}});
        let original = json!({"kind": "CustomResourceDefinition", "spec": {"versions": []}});
        let patch =
            json!({"spec": {"versions": [{"name": "v1", "schema": {"openAPIV3Schema": schema}}]}});
        let result = patched(original, patch);
        assert_eq!(
            result["spec"]["versions"][0]["schema"]["openAPIV3Schema"],
            schema
        );
    }

    #[test]
    fn non_object_patches_are_rejected() {
        let original = json!({"spec": {}});
        for (patch, kind) in [
            (json!([]), "array"),
            (json!("x"), "string"),
            (json!(1), "number"),
            (json!(true), "bool"),
            (Value::Null, "null"),
        ] {
            assert_eq!(
                error(original.clone(), patch),
                format!(
                    "json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
                )
            );
        }
    }

    #[test]
    fn bad_directives_are_rejected() {
        let original = pod_spec(json!({"containers": [{"name": "app"}]}));
        assert_eq!(
            error(original.clone(), json!({"metadata": {"$foo": 1}})),
            "unknown patch directive $foo"
        );
        let message = error(original.clone(), json!({"spec": {"$patch": "explode"}}));
        assert!(
            message.starts_with("unknown patch type: explode in map: "),
            "{message}"
        );
        let patch = pod_spec(json!({"containers": [{"name": "app", "$patch": "merge"}]}));
        assert_eq!(
            error(original.clone(), patch),
            "merging lists cannot yet be specified in the patch"
        );
        let patch = pod_spec(json!({"containers": [{"name": "app", "$patch": "bogus"}]}));
        assert!(error(original.clone(), patch).starts_with("unknown patch type: bogus"));
        let patch = pod_spec(json!({"containers": [{"image": "x"}]}));
        let message = error(original.clone(), patch);
        assert!(
            message.ends_with("does not contain declared merge key: name"),
            "{message}"
        );
        let patch = pod_spec(json!({"containers": [{"image": "x", "$patch": "delete"}]}));
        assert!(error(original, patch).ends_with("does not contain declared merge key: name"));
    }

    #[test]
    fn error_displays_its_message() {
        let err = StrategicPatchError("boom".into());
        assert_eq!(err.to_string(), "boom");
        let _: &dyn std::error::Error = &err;
    }

    /// The patch kubectl 1.32 `apply` sends after a manifest edit: new image and env, one env
    /// var and the resources removed, a container added, the strategy switched to Recreate, a
    /// volume switched from emptyDir to a ConfigMap and a label dropped.
    #[test]
    fn kubectl_apply_three_way_patch() {
        let live = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "web",
                "namespace": "default",
                "uid": "d1",
                "resourceVersion": "41",
                "generation": 3,
                "labels": {"app": "web", "tier": "frontend"},
                "annotations": {
                    "deployment.kubernetes.io/revision": "3",
                    "kubectl.kubernetes.io/last-applied-configuration": "{\"old\":true}\n"
                }
            },
            "spec": {
                "replicas": 2,
                "revisionHistoryLimit": 10,
                "selector": {"matchLabels": {"app": "web"}},
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}
                },
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "web",
                                "image": "web:1",
                                "imagePullPolicy": "IfNotPresent",
                                "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                                "env": [{"name": "MODE", "value": "a"}, {"name": "OLD", "value": "x"}],
                                "resources": {"limits": {"cpu": "1"}},
                                "volumeMounts": [{"name": "data", "mountPath": "/data"}]
                            },
                            {"name": "istio-proxy", "image": "proxy:1"}
                        ],
                        "volumes": [{"name": "data", "emptyDir": {}}],
                        "restartPolicy": "Always",
                        "dnsPolicy": "ClusterFirst"
                    }
                }
            },
            "status": {"replicas": 2, "conditions": [{"type": "Available", "status": "True"}]}
        });
        let patch = json!({
            "metadata": {
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"new\":true}\n"},
                "labels": {"tier": null}
            },
            "spec": {
                "replicas": 3,
                "strategy": {"$retainKeys": ["type"], "type": "Recreate"},
                "template": {"spec": {
                    "$setElementOrder/containers": [{"name": "web"}, {"name": "metrics"}],
                    "$setElementOrder/volumes": [{"name": "data"}],
                    "containers": [
                        {
                            "$setElementOrder/env": [{"name": "MODE"}, {"name": "NEW"}],
                            "env": [
                                {"name": "MODE", "value": "b"},
                                {"name": "NEW", "value": "y"},
                                {"$patch": "delete", "name": "OLD"}
                            ],
                            "image": "web:2",
                            "name": "web",
                            "resources": null
                        },
                        {"image": "metrics:1", "name": "metrics"}
                    ],
                    "volumes": [{
                        "$retainKeys": ["configMap", "name"],
                        "configMap": {"name": "web-config"},
                        "emptyDir": null,
                        "name": "data"
                    }]
                }}
            }
        });
        let expected = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "web",
                "namespace": "default",
                "uid": "d1",
                "resourceVersion": "41",
                "generation": 3,
                "labels": {"app": "web"},
                "annotations": {
                    "deployment.kubernetes.io/revision": "3",
                    "kubectl.kubernetes.io/last-applied-configuration": "{\"new\":true}\n"
                }
            },
            "spec": {
                "replicas": 3,
                "revisionHistoryLimit": 10,
                "selector": {"matchLabels": {"app": "web"}},
                "strategy": {"type": "Recreate"},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "web",
                                "image": "web:2",
                                "imagePullPolicy": "IfNotPresent",
                                "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                                "env": [{"name": "MODE", "value": "b"}, {"name": "NEW", "value": "y"}],
                                "volumeMounts": [{"name": "data", "mountPath": "/data"}]
                            },
                            {"name": "metrics", "image": "metrics:1"},
                            {"name": "istio-proxy", "image": "proxy:1"}
                        ],
                        "volumes": [{"name": "data", "configMap": {"name": "web-config"}}],
                        "restartPolicy": "Always",
                        "dnsPolicy": "ClusterFirst"
                    }
                }
            },
            "status": {"replicas": 2, "conditions": [{"type": "Available", "status": "True"}]}
        });
        let result = patched(live, patch);
        assert_eq!(result, expected);
        assert!(!has_directive(&result));
    }
}
