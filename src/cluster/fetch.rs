//! One read of every kind recognition needs (for `kshift list` and screenshots): a
//! LIST per kind, no watch.

use std::sync::Arc;

use color_eyre::eyre::{Result, eyre};
use kube::Client;
use kube::api::{Api, DynamicObject, ListParams};

use super::connect::describe;
use super::discover::Objects;
use super::sources::{self, Served};

/// Everything of the served kinds, in `namespace` or all namespaces, and a note per kind
/// that could not be read (not installed, forbidden).
pub async fn fetch(client: &Client, namespace: Option<&str>) -> Result<(Objects, Vec<String>)> {
    // A server that does not answer fails once, in words, rather than once per kind.
    super::connect::probe(client)
        .await
        .map_err(|why| eyre!("cannot list deployments: {why}"))?;
    let (served, mut notes) = sources::resolve(client).await;
    let mut objects = Objects::default();
    for Served { source, resource } in served {
        let api: Api<DynamicObject> = match namespace {
            Some(ns) => Api::namespaced_with(client.clone(), ns, &resource),
            None => Api::all_with(client.clone(), &resource),
        };
        let mut params = ListParams::default();
        if let Some(labels) = source.labels {
            params = params.labels(labels);
        }
        match api.list(&params).await {
            Ok(list) => {
                let slot = source.slot.of(&mut objects);
                for item in list.items {
                    let value = serde_json::to_value(item)
                        .map_err(|e| eyre!("reading a {}: {e}", source.kind))?;
                    slot.push(Arc::new(sources::slim(value, &resource)));
                }
            }
            Err(kube::Error::Api(status)) if status.code == 403 => {
                notes.push(format!("{}: forbidden ({})", source.plural, status.message));
            }
            Err(error) if source.slot == sources::Slot::Deployments => {
                return Err(eyre!(
                    "cannot list deployments: {}",
                    super::errors::unreachable(&error)
                ));
            }
            Err(error) => notes.push(format!("{}: {}", source.plural, describe(&error))),
        }
    }
    Ok((objects, notes))
}
