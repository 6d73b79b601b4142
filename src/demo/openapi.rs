//! A minimal OpenAPI v3 document per group version: enough for kubectl to see that the
//! server validates fields itself (`fieldValidation` on PATCH), so that `kubectl apply`
//! and `create -f` validate server-side instead of downloading schemas.

use serde_json::{Value, json};

use super::resources::Registry;

fn key(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `/openapi/v3`: where each group version's document is.
pub fn root(registry: &Registry, generation: u64) -> Value {
    let mut paths = serde_json::Map::new();
    for (group, versions) in registry.groups() {
        for version in versions {
            let key = key(&group, &version);
            paths.insert(
                key.clone(),
                json!({"serverRelativeURL": format!("/openapi/v3/{key}?hash={generation}")}),
            );
        }
    }
    json!({"paths": paths})
}

/// `/openapi/v3/apis/GROUP/VERSION`: the PATCH operations and their query parameters.
pub fn group_version(registry: &Registry, path: &str) -> Option<Value> {
    let mut paths = serde_json::Map::new();
    for t in registry.all() {
        for version in &t.versions {
            if key(&t.group, version) != path {
                continue;
            }
            let scope = if t.namespaced {
                "namespaces/{namespace}/"
            } else {
                ""
            };
            let parameters: Vec<Value> = ["fieldValidation", "fieldManager", "dryRun", "force"]
                .iter()
                .map(|name| json!({"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": true}}))
                .collect();
            paths.insert(
                format!("/{path}/{scope}{}/{{name}}", t.plural),
                json!({"patch": {
                    "operationId": format!("patch{}", t.kind),
                    "parameters": parameters,
                    "requestBody": {"content": {"application/json-patch+json": {}, "application/merge-patch+json": {}}},
                    "responses": {"200": {"description": "OK"}},
                    "x-kubernetes-action": "patch",
                    "x-kubernetes-group-version-kind": {"group": t.group, "version": version, "kind": t.kind},
                }}),
            );
        }
    }
    if paths.is_empty() {
        return None;
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes (kshift demo)", "version": "v1.32.0"},
        "paths": paths,
        "components": {"schemas": {}},
    }))
}
