//! Scenarios: the objects a demo cluster starts with, from the built-in scenarios or a
//! folder of manifests (multi-document YAML; Namespaces and CRDs first).

use std::path::Path;

use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use serde_json::{Value, json};

use super::Cluster;
use super::api::{State, Target};
use super::resources::split_api_version;

/// The built-in scenarios: name, what it shows, its manifests.
pub const SCENARIOS: &[(&str, &str)] = &[
    (
        "showcase",
        "every release kind kshift recognises, in a few namespaces",
    ),
    (
        "bad-canary",
        "an Istio canary that fails (25% errors, slow) beside a healthy one",
    ),
    ("empty", "only the default namespace"),
    (
        "scale",
        "10,000 Deployments in 100 namespaces, for measuring",
    ),
];

/// The kinds of tests/crds without their schemas (tests/tools/slim_crds.py).
const CRDS: &str = include_str!("scenarios/crds.yaml");

fn builtin_manifests(name: &str) -> Option<&'static str> {
    match name {
        "showcase" => Some(include_str!("scenarios/showcase.yaml")),
        "bad-canary" => Some(include_str!("scenarios/bad-canary.yaml")),
        "empty" => Some(""),
        _ => None,
    }
}

pub fn unknown_scenario(name: &str) -> color_eyre::Report {
    let known: Vec<String> = SCENARIOS
        .iter()
        .map(|(n, about)| format!("  {n:<12} {about}"))
        .collect();
    eyre!(
        "unknown scenario {name:?}; the known scenarios are:\n{}",
        known.join("\n")
    )
}

/// Parses multi-document YAML; an error names the source and the document.
pub fn parse_documents(text: &str, source: &str) -> Result<Vec<Value>> {
    let mut objects = Vec::new();
    for (index, document) in split_documents(text).into_iter().enumerate() {
        let value: Value = serde_saphyr::from_str(document)
            .map_err(|e| eyre!("{source}: document {} is not valid YAML: {e}", index + 1))?;
        match value {
            Value::Null => {}
            Value::Object(_) => objects.push(value),
            _ => bail!(
                "{source}: document {} is not a Kubernetes object",
                index + 1
            ),
        }
    }
    Ok(objects)
}

/// Splits a YAML stream on its `---` document markers.
fn split_documents(text: &str) -> Vec<&str> {
    let mut documents = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" || line.starts_with("--- ") {
            documents.push(&text[start..offset]);
            start = offset + line.len();
        }
        offset += line.len();
    }
    documents.push(&text[start..]);
    documents
        .into_iter()
        .filter(|d| !d.trim().is_empty())
        .collect()
}

pub fn create_namespace(state: &mut State, name: &str) {
    if state
        .store
        .get(&super::resources::StoreKey::new("", "namespaces"), "", name)
        .is_some()
    {
        return;
    }
    let Some(resource) = state.registry.find("", "v1", "namespaces").cloned() else {
        return;
    };
    let object = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
    if let Err(error) = state.create(&Target::new(&resource, "", ""), object, false) {
        tracing::warn!("creating namespace {name}: {error}");
    }
}

/// Where an object goes first: Namespaces, then CRDs, then everything else.
fn order(object: &Value) -> u8 {
    match object["kind"].as_str() {
        Some("Namespace") => 0,
        Some("CustomResourceDefinition") => 1,
        _ => 2,
    }
}

/// Creates the objects, with their status (the loader plays the controllers that would
/// have written it), and the namespaces they name.
pub fn apply(cluster: &Cluster, mut objects: Vec<(String, Value)>) -> Result<()> {
    objects.sort_by_key(|(_, o)| order(o));
    let mut state = cluster.lock();
    for (source, object) in objects {
        let api_version = object["apiVersion"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let kind = object["kind"].as_str().unwrap_or_default().to_string();
        let Some(resource) = state.registry.by_kind(&api_version, &kind).cloned() else {
            bail!(
                "{source}: no resource of kind {kind:?} in {api_version:?} (is its CRD in the manifests?)"
            );
        };
        let (_, version) = split_api_version(&api_version);
        let namespace = if resource.namespaced {
            object["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default")
                .to_string()
        } else {
            String::new()
        };
        if resource.namespaced {
            create_namespace(&mut state, &namespace);
        }
        let name = object["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let mut target = Target::new(&resource, &namespace, &name);
        target.version = version.to_string();
        let status = object.get("status").cloned();
        let created = state
            .create(&target, object, false)
            .map_err(|e| eyre!("{source}: {kind} {name:?}: {}", e.message))?;
        if let Some(status) = status.filter(|_| resource.status_subresource) {
            let mut with_status = created;
            with_status["status"] = status;
            target.subresource = Some("status".into());
            target.name = with_status["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            state
                .update(&target, with_status, false)
                .map_err(|e| eyre!("{source}: status of {kind} {name:?}: {}", e.message))?;
        }
    }
    Ok(())
}

/// Loads a built-in scenario by name.
pub fn load_builtin(cluster: &Cluster, name: &str) -> Result<()> {
    if name == "scale" {
        return apply(cluster, scale_objects(10_000, 100));
    }
    let text = builtin_manifests(name).ok_or_else(|| unknown_scenario(name))?;
    let source = format!("scenario {name}");
    let mut objects = Vec::new();
    if !text.is_empty() {
        // Every scenario with releases serves the router and controller kinds.
        let crds = parse_documents(CRDS, "the embedded CRDs")?;
        objects.extend(
            crds.into_iter()
                .map(|o| ("the embedded CRDs".to_string(), o)),
        );
    }
    objects.extend(
        parse_documents(text, &source)?
            .into_iter()
            .map(|o| (source.clone(), o)),
    );
    apply(cluster, objects)
}

/// Loads every `.yaml`/`.yml`/`.json` file of a folder, in name order.
pub fn load_dir(cluster: &Cluster, dir: &Path) -> Result<()> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .wrap_err_with(|| format!("reading manifests folder {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
        })
        .collect();
    files.sort();
    let mut objects = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .wrap_err_with(|| format!("reading {}", file.display()))?;
        let source = file.display().to_string();
        for object in parse_documents(&text, &source)? {
            match object["kind"].as_str() {
                Some(kind) if kind.ends_with("List") && object["items"].is_array() => {
                    for item in object["items"].as_array().into_iter().flatten() {
                        objects.push((source.clone(), item.clone()));
                    }
                }
                _ => objects.push((source.clone(), object)),
            }
        }
    }
    apply(cluster, objects)
}

/// `count` single-replica Deployments spread over `namespaces` namespaces.
pub fn scale_objects(count: usize, namespaces: usize) -> Vec<(String, Value)> {
    (0..count)
        .map(|i| {
            let namespace = format!("scale-{:03}", i % namespaces.max(1));
            let name = format!("app-{i:05}");
            let object = json!({
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": {"app": name}},
                    "template": {
                        "metadata": {"labels": {"app": name, "version": "v1"}},
                        "spec": {"containers": [{"name": "app", "image": format!("ghcr.io/kshift-demo/{name}:1.0.0")}]},
                    },
                },
            });
            ("scenario scale".to_string(), object)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_split_and_errors_name_the_document() {
        let text = "a: 1\n---\n---\nkind: X\n";
        assert_eq!(parse_documents(text, "f.yaml").unwrap().len(), 2);
        let error = parse_documents("kind: A\n---\nkind: [unclosed\n", "bad.yaml").unwrap_err();
        assert!(
            error.to_string().contains("bad.yaml: document 2"),
            "{error}"
        );
    }
}
