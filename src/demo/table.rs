//! `kubectl get`'s server-side printing: the `meta.k8s.io/v1` Table with the columns a
//! real cluster shows for each kind, and a CRD's `additionalPrinterColumns`.

use serde_json::{Value, json};

use super::resources::ResourceType;

fn age(timestamp: &Value) -> String {
    timestamp
        .as_str()
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map_or_else(
            || "<unknown>".to_string(),
            |t| crate::ages::human_duration(jiff::Timestamp::now().as_second() - t.as_second()),
        )
}

fn number(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => "<none>".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Reads a simple JSONPath such as `.status.phase` or `.spec.strategy.canary.steps[0]`.
fn json_path(object: &Value, path: &str) -> Value {
    let mut cursor = object;
    for segment in path.split('.').filter(|s| !s.is_empty()) {
        let (field, index) = match segment.split_once('[') {
            Some((f, rest)) => (f, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (segment, None),
        };
        cursor = &cursor[field];
        if let Some(i) = index {
            cursor = &cursor[i];
        }
    }
    cursor.clone()
}

/// The columns of a kind and the cells of one object.
fn columns(resource: &ResourceType) -> Vec<&'static str> {
    match (resource.group.as_str(), resource.kind.as_str()) {
        ("apps", "Deployment") => vec!["Name", "Ready", "Up-to-date", "Available", "Age"],
        ("apps", "ReplicaSet") => vec!["Name", "Desired", "Current", "Ready", "Age"],
        ("", "Pod") => vec!["Name", "Ready", "Status", "Restarts", "Age"],
        ("", "Service") => vec![
            "Name",
            "Type",
            "Cluster-IP",
            "External-IP",
            "Port(s)",
            "Age",
        ],
        ("", "Namespace") => vec!["Name", "Status", "Age"],
        ("", "Event") => vec!["Last Seen", "Type", "Reason", "Object", "Message"],
        ("networking.k8s.io", "Ingress") => {
            vec!["Name", "Class", "Hosts", "Address", "Ports", "Age"]
        }
        ("apiextensions.k8s.io", _) => vec!["Name", "Created At"],
        _ => vec!["Name"],
    }
}

fn cells(resource: &ResourceType, o: &Value) -> Vec<Value> {
    let name = json!(o["metadata"]["name"]);
    let created = age(&o["metadata"]["creationTimestamp"]);
    let (spec, status) = (&o["spec"], &o["status"]);
    match (resource.group.as_str(), resource.kind.as_str()) {
        ("apps", "Deployment") => vec![
            name,
            json!(format!(
                "{}/{}",
                number(&status["readyReplicas"]),
                number(&spec["replicas"])
            )),
            json!(number(&status["updatedReplicas"])),
            json!(number(&status["availableReplicas"])),
            json!(created),
        ],
        ("apps", "ReplicaSet") => vec![
            name,
            json!(number(&spec["replicas"])),
            json!(number(&status["replicas"])),
            json!(number(&status["readyReplicas"])),
            json!(created),
        ],
        ("", "Pod") => {
            let containers = spec["containers"].as_array().map_or(0, Vec::len);
            let ready = status["containerStatuses"]
                .as_array()
                .map_or(0, |c| c.iter().filter(|s| s["ready"] == true).count());
            vec![
                name,
                json!(format!("{ready}/{containers}")),
                json!(text(&status["phase"])),
                json!(0),
                json!(created),
            ]
        }
        ("", "Service") => {
            let ports = spec["ports"].as_array().map(|ports| {
                ports
                    .iter()
                    .map(|p| {
                        format!(
                            "{}/{}",
                            number(&p["port"]),
                            p["protocol"].as_str().unwrap_or("TCP")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            });
            vec![
                name,
                json!(text(&spec["type"])),
                json!(text(&spec["clusterIP"])),
                json!("<none>"),
                json!(ports.unwrap_or_else(|| "<none>".into())),
                json!(created),
            ]
        }
        ("", "Namespace") => vec![name, json!(text(&status["phase"])), json!(created)],
        ("", "Event") => {
            let seen = if o["lastTimestamp"].is_string() {
                &o["lastTimestamp"]
            } else {
                &o["eventTime"]
            };
            let involved = &o["involvedObject"];
            vec![
                json!(age(seen)),
                json!(text(&o["type"])),
                json!(text(&o["reason"])),
                json!(format!(
                    "{}/{}",
                    involved["kind"].as_str().unwrap_or_default().to_lowercase(),
                    involved["name"].as_str().unwrap_or_default()
                )),
                json!(text(&o["message"])),
            ]
        }
        ("networking.k8s.io", "Ingress") => {
            let hosts = spec["rules"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .filter_map(|r| r["host"].as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .filter(|h| !h.is_empty());
            vec![
                name,
                json!(text(&spec["ingressClassName"])),
                json!(hosts.unwrap_or_else(|| "*".into())),
                json!(""),
                json!("80"),
                json!(created),
            ]
        }
        ("apiextensions.k8s.io", _) => vec![name, json!(o["metadata"]["creationTimestamp"])],
        _ => {
            let mut row = vec![name];
            for column in &resource.printer_columns {
                let value = json_path(o, &column.json_path);
                row.push(if column.kind == "date" {
                    json!(age(&value))
                } else {
                    json!(text(&value))
                });
            }
            if resource.printer_columns.is_empty() {
                row.push(json!(created));
            }
            row
        }
    }
}

/// A Table of a list or of one object.
pub fn table(resource: &ResourceType, object: Value) -> Value {
    let mut names = columns(resource)
        .into_iter()
        .map(str::to_string)
        .collect::<Vec<_>>();
    let generic = names.len() == 1;
    if generic {
        names.extend(resource.printer_columns.iter().map(|c| c.name.clone()));
        if resource.printer_columns.is_empty() {
            names.push("Age".into());
        }
    }
    let definitions: Vec<Value> = names
        .iter()
        .map(|n| json!({"name": n, "type": "string", "format": if n == "Name" { "name" } else { "" }, "description": "", "priority": 0}))
        .collect();
    let items = match object.get("items").and_then(Value::as_array) {
        Some(items) => items.clone(),
        None => vec![object.clone()],
    };
    let mut metadata = json!({"resourceVersion": object["metadata"]["resourceVersion"]});
    if let Some(token) = object["metadata"]["continue"].as_str() {
        // kubectl reads large lists in pages of 500.
        metadata["continue"] = json!(token);
    }
    let rows: Vec<Value> = items
        .iter()
        .map(|o| {
            json!({
                "cells": cells(resource, o),
                "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]},
            })
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": definitions,
        "rows": rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths_with_indexes() {
        let o = json!({"status": {"conditions": [{"type": "Ready"}]}});
        assert_eq!(json_path(&o, ".status.conditions[0].type"), json!("Ready"));
        assert_eq!(json_path(&o, ".spec.none"), Value::Null);
    }
}
