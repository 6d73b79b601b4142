//! Object metadata as the real API server keeps it: names checked against DNS-1123,
//! uid and timestamps set on create, generation bumped on spec changes, size limits,
//! and the defaults of the built-in kinds that kubectl's output relies on.

use serde_json::{Map, Value, json};

use super::errors::{ApiError, ApiResult};
use super::resources::ResourceType;

/// The API server's limit on all annotations of one object together.
pub const ANNOTATIONS_LIMIT: usize = 256 * 1024;

pub fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

pub fn new_uid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Five characters as the API server appends to a `generateName`.
pub fn random_suffix() -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..5)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}

const SUBDOMAIN_MESSAGE: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MESSAGE: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_MESSAGE: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

fn is_label(text: &str) -> bool {
    let bytes = text.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

pub fn is_subdomain(text: &str) -> bool {
    text.len() <= 253 && text.split('.').all(is_label)
}

/// Checks a name the way the API server does for this kind of object.
fn name_problem(resource: &ResourceType, name: &str) -> Option<String> {
    let (ok, message) = match (resource.group.as_str(), resource.plural.as_str()) {
        ("", "namespaces") => (is_label(name), LABEL_MESSAGE),
        ("", "services") => (
            is_label(name) && name.as_bytes()[0].is_ascii_lowercase(),
            DNS1035_MESSAGE,
        ),
        _ => (is_subdomain(name), SUBDOMAIN_MESSAGE),
    };
    (!ok).then(|| format!("Invalid value: {name:?}: {message}"))
}

fn label_value_ok(value: &str) -> bool {
    value.len() <= 63
        && (value.is_empty()
            || (value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                && value.starts_with(|c: char| c.is_ascii_alphanumeric())
                && value.ends_with(|c: char| c.is_ascii_alphanumeric())))
}

/// Every problem with `object` as an object of `resource`, as (field, message).
pub fn validate(resource: &ResourceType, object: &Value) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let metadata = &object["metadata"];
    let name = metadata["name"].as_str().unwrap_or_default();
    if name.is_empty() {
        problems.push((
            "metadata.name".into(),
            "Required value: name or generateName is required".into(),
        ));
    } else if let Some(problem) = name_problem(resource, name) {
        problems.push(("metadata.name".into(), problem));
    }
    if let Some(annotations) = metadata["annotations"].as_object() {
        let size: usize = annotations
            .iter()
            .map(|(k, v)| k.len() + v.as_str().map_or(0, str::len))
            .sum();
        if size > ANNOTATIONS_LIMIT {
            problems.push((
                "metadata.annotations".into(),
                format!("Too long: must have at most {ANNOTATIONS_LIMIT} bytes"),
            ));
        }
        if let Some((key, _)) = annotations.iter().find(|(_, v)| !v.is_string()) {
            problems.push((
                format!("metadata.annotations[{key}]"),
                "Invalid value: annotation values must be strings".into(),
            ));
        }
    }
    if let Some(labels) = metadata["labels"].as_object() {
        for (key, value) in labels {
            match value.as_str() {
                Some(v) if label_value_ok(v) => {}
                _ => problems.push((
                    "metadata.labels".into(),
                    format!("Invalid value: {value}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (label {key:?})"),
                )),
            }
        }
    }
    match (resource.group.as_str(), resource.plural.as_str()) {
        ("apps", "deployments") | ("apps", "replicasets") => {
            validate_workload(object, &mut problems)
        }
        ("apiextensions.k8s.io", "customresourcedefinitions") => {
            if let Err(problem) = super::resources::from_crd(object) {
                problems.push(("spec".into(), problem));
            } else {
                let expected = format!(
                    "{}.{}",
                    object["spec"]["names"]["plural"]
                        .as_str()
                        .unwrap_or_default(),
                    object["spec"]["group"].as_str().unwrap_or_default()
                );
                if name != expected {
                    problems.push((
                        "metadata.name".into(),
                        format!(
                            "Invalid value: {name:?}: must be spec.names.plural+\".\"+spec.group"
                        ),
                    ));
                }
            }
        }
        _ => {}
    }
    problems
}

fn validate_workload(object: &Value, problems: &mut Vec<(String, String)>) {
    let spec = &object["spec"];
    let Some(match_labels) = spec["selector"]["matchLabels"].as_object() else {
        problems.push(("spec.selector".into(), "Required value".into()));
        return;
    };
    let selector = super::selectors::LabelSelector::from_labels(match_labels);
    if !selector.matches(&spec["template"]["metadata"]["labels"]) {
        problems.push((
            "spec.template.metadata.labels".into(),
            "Invalid value: `selector` does not match template `labels`".into(),
        ));
    }
    if spec["template"]["spec"]["containers"]
        .as_array()
        .is_none_or(Vec::is_empty)
    {
        problems.push((
            "spec.template.spec.containers".into(),
            "Required value".into(),
        ));
    }
    if spec["replicas"].as_i64().is_some_and(|r| r < 0) {
        problems.push((
            "spec.replicas".into(),
            "Invalid value: must be greater than or equal to 0".into(),
        ));
    }
}

/// Fills a missing field, leaving a present one alone.
fn default(map: &mut Value, key: &str, value: Value) {
    if let Some(object) = map.as_object_mut() {
        object.entry(key.to_string()).or_insert(value);
    }
}

fn default_pod_spec(spec: &mut Value) {
    default(spec, "restartPolicy", json!("Always"));
    default(spec, "terminationGracePeriodSeconds", json!(30));
    default(spec, "dnsPolicy", json!("ClusterFirst"));
    default(spec, "schedulerName", json!("default-scheduler"));
    default(spec, "securityContext", json!({}));
    if let Some(containers) = spec["containers"].as_array_mut() {
        for container in containers {
            let image = container["image"].as_str().unwrap_or_default();
            let tagged = image
                .rsplit('/')
                .next()
                .is_some_and(|last| last.contains(':') && !last.ends_with(":latest"));
            let policy = if tagged || image.contains('@') {
                "IfNotPresent"
            } else {
                "Always"
            };
            default(container, "imagePullPolicy", json!(policy));
            default(
                container,
                "terminationMessagePath",
                json!("/dev/termination-log"),
            );
            default(container, "terminationMessagePolicy", json!("File"));
            default(container, "resources", json!({}));
        }
    }
}

/// Drops `null` fields: a built-in kind's Go types store an absent field for them
/// (`creationTimestamp: null` in a pod template, as kubectl sends it, is not kept).
fn strip_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// The defaults the API server fills in for the built-in kinds.
pub fn apply_defaults(
    resource: &ResourceType,
    object: &mut Value,
    next_cluster_ip: impl FnOnce() -> String,
) {
    if resource.crd.is_none() {
        strip_nulls(object);
    }
    if !object["metadata"].is_object() {
        object["metadata"] = json!({});
    }
    match (resource.group.as_str(), resource.plural.as_str()) {
        ("", "namespaces") => {
            let name = object["metadata"]["name"].clone();
            let labels = object["metadata"]
                .as_object_mut()
                .map(|m| m.entry("labels").or_insert_with(|| json!({})));
            if let Some(labels) = labels {
                default(labels, "kubernetes.io/metadata.name", name);
            }
            default(object, "spec", json!({"finalizers": ["kubernetes"]}));
            default(object, "status", json!({"phase": "Active"}));
        }
        ("apps", "deployments") => {
            let spec = &mut object["spec"];
            default(spec, "replicas", json!(1));
            default(spec, "revisionHistoryLimit", json!(10));
            default(spec, "progressDeadlineSeconds", json!(600));
            default(
                spec,
                "strategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
            );
            default_pod_spec(&mut spec["template"]["spec"]);
            default(object, "status", json!({}));
        }
        ("apps", "replicasets") => {
            default(&mut object["spec"], "replicas", json!(1));
            default_pod_spec(&mut object["spec"]["template"]["spec"]);
            default(object, "status", json!({"replicas": 0}));
        }
        ("", "pods") => {
            default_pod_spec(&mut object["spec"]);
            default(object, "status", json!({"phase": "Pending"}));
        }
        ("", "services") => {
            let spec = &mut object["spec"];
            default(spec, "type", json!("ClusterIP"));
            default(spec, "sessionAffinity", json!("None"));
            if spec["clusterIP"].as_str().is_none_or(str::is_empty) {
                let ip = next_cluster_ip();
                spec["clusterIP"] = json!(ip);
                spec["clusterIPs"] = json!([ip]);
            }
            default(spec, "ipFamilies", json!(["IPv4"]));
            default(spec, "ipFamilyPolicy", json!("SingleStack"));
            if let Some(ports) = spec["ports"].as_array_mut() {
                for port in ports {
                    default(port, "protocol", json!("TCP"));
                    let number = port["port"].clone();
                    default(port, "targetPort", number);
                }
            }
            default(object, "status", json!({"loadBalancer": {}}));
        }
        ("networking.k8s.io", "ingresses") => {
            default(object, "status", json!({"loadBalancer": {}}))
        }
        _ => {}
    }
}

/// Sets what the server owns on a new object: uid, creation time, generation.
pub fn prepare_create(resource: &ResourceType, object: &mut Value) {
    let metadata = object["metadata"].as_object_mut();
    if let Some(metadata) = metadata {
        metadata.insert("uid".into(), json!(new_uid()));
        metadata.insert("creationTimestamp".into(), json!(now_rfc3339()));
        metadata.remove("resourceVersion");
        metadata.remove("managedFields");
        metadata.remove("deletionTimestamp");
        if tracks_generation(resource) {
            metadata.insert("generation".into(), json!(1));
        } else {
            metadata.remove("generation");
        }
    }
    if resource.status_subresource {
        // Status is written only through the status subresource.
        if let Some(map) = object.as_object_mut() {
            map.remove("status");
        }
    }
}

pub fn tracks_generation(resource: &ResourceType) -> bool {
    resource.status_subresource || resource.crd.is_some()
}

/// Everything but metadata and status: what a generation counts changes of.
fn spec_part(object: &Value) -> Map<String, Value> {
    object
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| {
                    !matches!(k.as_str(), "metadata" | "status" | "apiVersion" | "kind")
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// Carries the server-owned fields of `old` over to its replacement and bumps the
/// generation when the spec changed.
pub fn prepare_update(resource: &ResourceType, old: &Value, new: &mut Value) {
    for field in ["uid", "creationTimestamp", "generation"] {
        match old["metadata"].get(field) {
            Some(value) => new["metadata"][field] = value.clone(),
            None => {
                if let Some(m) = new["metadata"].as_object_mut() {
                    m.remove(field);
                }
            }
        }
    }
    if let Some(m) = new["metadata"].as_object_mut() {
        m.remove("managedFields");
    }
    if tracks_generation(resource) && spec_part(old) != spec_part(new) {
        let generation = old["metadata"]["generation"].as_i64().unwrap_or(0) + 1;
        new["metadata"]["generation"] = json!(generation);
    }
}

/// Rejects an object whose problems `validate` found.
pub fn check(resource: &ResourceType, object: &Value) -> ApiResult<()> {
    let problems = validate(resource, object);
    if problems.is_empty() {
        return Ok(());
    }
    let name = object["metadata"]["name"].as_str().unwrap_or_default();
    Err(ApiError::invalid(
        &resource.kind,
        &resource.group,
        name,
        &problems,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::resources::Registry;

    #[test]
    fn names_follow_dns_rules() {
        let registry = Registry::default();
        let deployments = registry.find("apps", "v1", "deployments").unwrap();
        let services = registry.find("", "v1", "services").unwrap();
        assert!(name_problem(deployments, "web.v2").is_none());
        assert!(name_problem(deployments, "Web").is_some());
        assert!(name_problem(services, "web.v2").is_some());
        assert!(name_problem(services, "1web").is_some());
    }

    #[test]
    fn annotations_over_the_limit_are_invalid() {
        let registry = Registry::default();
        let cm = registry.find("", "v1", "configmaps").unwrap();
        let big = "x".repeat(ANNOTATIONS_LIMIT);
        let object = json!({"metadata": {"name": "a", "annotations": {"k": big}}});
        let problems = validate(cm, &object);
        assert_eq!(problems[0].0, "metadata.annotations");
    }

    #[test]
    fn generation_counts_spec_changes_only() {
        let registry = Registry::default();
        let deployments = registry.find("apps", "v1", "deployments").unwrap();
        let old = json!({"metadata": {"name": "a", "generation": 3}, "spec": {"replicas": 1}, "status": {}});
        let mut relabelled =
            json!({"metadata": {"name": "a", "labels": {"x": "y"}}, "spec": {"replicas": 1}});
        prepare_update(deployments, &old, &mut relabelled);
        assert_eq!(relabelled["metadata"]["generation"], 3);
        let mut scaled = json!({"metadata": {"name": "a"}, "spec": {"replicas": 2}});
        prepare_update(deployments, &old, &mut scaled);
        assert_eq!(scaled["metadata"]["generation"], 4);
    }
}
