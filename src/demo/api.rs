//! The semantics of the API's verbs over the store: get, list, create, update, patch,
//! delete, the status and scale subresources, dry runs, conflicts and garbage collection.
//! HTTP routing (`http`) and the simulated controllers both go through here.

use std::sync::Arc;

use serde_json::{Value, json};

use super::access::{AccessPolicy, DEMO_USER};
use super::errors::{ApiError, ApiResult};
use super::events_view;
use super::meta;
use super::patch::{self, PatchType};
use super::resources::{Behaviour, Registry, ResourceType, StoreKey, View};
use super::selectors::{FieldSelector, LabelSelector};
use super::store::{ObjectRef, Store, meta_str};

/// What a request is about: a resource, the version it was asked in, and where.
#[derive(Debug, Clone)]
pub struct Target {
    pub resource: ResourceType,
    pub version: String,
    /// Empty for cluster-scoped resources and for lists across all namespaces.
    pub namespace: String,
    pub name: String,
    pub subresource: Option<String>,
}

impl Target {
    pub fn new(resource: &ResourceType, namespace: &str, name: &str) -> Self {
        Target {
            version: resource.preferred_version().to_string(),
            resource: resource.clone(),
            namespace: namespace.to_string(),
            name: name.to_string(),
            subresource: None,
        }
    }
}

/// One page of a list, ready to be written out.
pub struct ListPage {
    /// Stored objects: `present` them (or `write_list`) before they leave.
    pub items: Vec<Arc<Value>>,
    pub resource_version: u64,
    pub continue_token: Option<String>,
}

/// The whole mutable state of the embedded cluster, behind one lock.
pub struct State {
    pub store: Store,
    pub registry: Registry,
    next_cluster_ip: u32,
}

fn namespace_key() -> StoreKey {
    StoreKey::new("", "namespaces")
}

fn crd_key() -> StoreKey {
    StoreKey::new("apiextensions.k8s.io", "customresourcedefinitions")
}

/// Reads a dotted field path such as `.spec.replicas`.
fn at_path<'a>(object: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .filter(|s| !s.is_empty())
        .fold(object, |v, s| &v[s])
}

fn set_path(object: &mut Value, path: &str, value: Value) {
    let mut segments: Vec<&str> = path.split('.').filter(|s| !s.is_empty()).collect();
    let Some(last) = segments.pop() else { return };
    let mut cursor = object;
    for segment in segments {
        if !cursor[segment].is_object() {
            cursor[segment] = json!({});
        }
        cursor = &mut cursor[segment];
    }
    cursor[last] = value;
}

/// `matchLabels` as the `k=v,...` text a Scale's status carries.
fn selector_text(selector: &Value) -> String {
    selector["matchLabels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

impl State {
    pub fn new(history_limit: usize) -> Self {
        State {
            store: Store::new(history_limit),
            registry: Registry::default(),
            next_cluster_ip: 1,
        }
    }

    /// Whether a stored object goes out as it is: same version, no view conversion.
    fn presented_as_stored(resource: &ResourceType, version: &str, stored: &Value) -> bool {
        resource.view == View::Plain
            && stored["apiVersion"].as_str() == Some(resource.api_version(version).as_str())
            && stored["kind"].as_str() == Some(resource.kind.as_str())
    }

    /// A list's JSON, written straight from the stored objects: a list of 10,000
    /// Deployments is serialised without copying them.
    pub fn write_list(target: &Target, page: &ListPage) -> Vec<u8> {
        let resource = &target.resource;
        let header = json!({
            "kind": format!("{}List", resource.kind),
            "apiVersion": resource.api_version(&target.version),
            "metadata": {"resourceVersion": page.resource_version.to_string(), "continue": page.continue_token},
        });
        let mut out = serde_json::to_vec(&header).unwrap_or_default();
        out.pop(); // the header's closing brace: items follow
        out.extend_from_slice(br#","items":["#);
        for (index, item) in page.items.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            let written = if Self::presented_as_stored(resource, &target.version, item) {
                serde_json::to_writer(&mut out, item.as_ref())
            } else {
                serde_json::to_writer(&mut out, &Self::present(resource, &target.version, item))
            };
            if let Err(error) = written {
                tracing::error!("serialising a list item: {error}");
            }
        }
        out.extend_from_slice(b"]}");
        out
    }

    /// The object as the client asked for it: in the requested version and view.
    pub fn present(resource: &ResourceType, version: &str, stored: &Value) -> Value {
        let mut object = match resource.view {
            View::Plain => stored.clone(),
            View::EventsV1 => events_view::to_events_v1(stored),
        };
        object["apiVersion"] = json!(resource.api_version(version));
        object["kind"] = json!(resource.kind);
        object
    }

    /// The stored form of an object sent by a client.
    fn to_stored(&self, resource: &ResourceType, object: Value) -> Value {
        let mut stored = match resource.view {
            View::Plain => object,
            View::EventsV1 => events_view::to_core(&object),
        };
        let storage = self.registry.by_store(&resource.store).unwrap_or(resource);
        stored["apiVersion"] = json!(storage.api_version(storage.preferred_version()));
        stored["kind"] = json!(storage.kind);
        stored
    }

    fn stored(&self, target: &Target) -> ApiResult<Arc<Value>> {
        let resource = &target.resource;
        self.store
            .get(&resource.store, &target.namespace, &target.name)
            .ok_or_else(|| ApiError::not_found(&resource.group, &resource.plural, &target.name))
    }

    pub fn get(&self, target: &Target) -> ApiResult<Value> {
        let stored = self.stored(target)?;
        match target.subresource.as_deref() {
            None | Some("status") => Ok(Self::present(&target.resource, &target.version, &stored)),
            Some("scale") => self.scale_of(target, &stored),
            Some(other) => Err(ApiError::no_route(other)),
        }
    }

    pub fn list(
        &self,
        target: &Target,
        labels: &LabelSelector,
        fields: &FieldSelector,
        limit: Option<usize>,
        continue_from: usize,
    ) -> ListPage {
        let resource = &target.resource;
        let namespace = (!target.namespace.is_empty()).then_some(target.namespace.as_str());
        let all = self.store.list(&resource.store, namespace);
        let mut items = Vec::new();
        let mut continue_token = None;
        for (index, object) in all.iter().enumerate().skip(continue_from) {
            if !labels.matches_object(object) || !fields.matches(object) {
                continue;
            }
            if limit.is_some_and(|l| items.len() >= l) {
                continue_token = Some(index.to_string());
                break;
            }
            items.push(object.clone());
        }
        ListPage {
            items,
            resource_version: self.store.resource_version(),
            continue_token,
        }
    }

    fn namespace_exists(&self, namespace: &str) -> bool {
        self.store.get(&namespace_key(), "", namespace).is_some()
    }

    fn cluster_ip(&mut self) -> String {
        let n = self.next_cluster_ip;
        self.next_cluster_ip += 1;
        format!("10.96.{}.{}", (n / 250) % 250, n % 250 + 1)
    }

    pub fn create(&mut self, target: &Target, body: Value, dry_run: bool) -> ApiResult<Value> {
        let resource = &target.resource;
        match resource.behaviour {
            Behaviour::Stored => {}
            Behaviour::AccessReview | Behaviour::IdentityReview => {
                return Err(ApiError::internal(
                    "reviews are answered by the access policy",
                ));
            }
        }
        if !body.is_object() {
            return Err(ApiError::bad_request(
                "the body of the request must be a JSON object",
            ));
        }
        if let Some(kind) = body["kind"].as_str()
            && kind != resource.kind
        {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({}) does not match the expected API version ({}) or kind {kind:?} is not {:?}",
                body["apiVersion"].as_str().unwrap_or_default(),
                resource.api_version(&target.version),
                resource.kind
            )));
        }
        let mut object = self.to_stored(resource, body);
        if !object["metadata"].is_object() {
            object["metadata"] = json!({});
        }
        if resource.namespaced {
            let given = meta_str(&object, "namespace");
            if !given.is_empty() && given != target.namespace {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            object["metadata"]["namespace"] = json!(target.namespace);
            if !self.namespace_exists(&target.namespace) {
                return Err(ApiError::not_found("", "namespaces", &target.namespace));
            }
        } else if let Some(m) = object["metadata"].as_object_mut() {
            m.remove("namespace");
        }
        if meta_str(&object, "name").is_empty() {
            let prefix = meta_str(&object, "generateName").to_string();
            if !prefix.is_empty() {
                object["metadata"]["name"] = json!(format!("{prefix}{}", meta::random_suffix()));
            }
        }
        let name = meta_str(&object, "name").to_string();
        if self
            .store
            .get(&resource.store, &target.namespace, &name)
            .is_some()
        {
            return Err(ApiError::already_exists(
                &resource.group,
                &resource.plural,
                &name,
            ));
        }
        meta::prepare_create(resource, &mut object);
        meta::apply_defaults(resource, &mut object, || self.cluster_ip());
        meta::check(resource, &object)?;
        self.register_if_crd(resource, &object, dry_run)?;
        Ok(self.commit(target, object, dry_run))
    }

    /// Writes a validated object, or only answers as if it had (`dryRun=All`).
    fn commit(&mut self, target: &Target, object: Value, dry_run: bool) -> Value {
        let stored = if dry_run {
            object
        } else {
            (*self.store.put(&target.resource.store, object)).clone()
        };
        Self::present(&target.resource, &target.version, &stored)
    }

    fn register_if_crd(
        &mut self,
        resource: &ResourceType,
        object: &Value,
        dry_run: bool,
    ) -> ApiResult<()> {
        if resource.store != crd_key() || dry_run {
            return Ok(());
        }
        let registered = super::resources::from_crd(object).map_err(|e| {
            ApiError::invalid(
                &resource.kind,
                &resource.group,
                meta_str(object, "name"),
                &[("spec".into(), e)],
            )
        })?;
        self.registry.register(registered);
        Ok(())
    }

    /// PUT: replaces the object (or its status, or its scale).
    pub fn update(&mut self, target: &Target, body: Value, dry_run: bool) -> ApiResult<Value> {
        let old = self.stored(target)?;
        if target.subresource.as_deref() == Some("scale") {
            return self.write_scale(target, &old, body, dry_run);
        }
        let new = self.to_stored(&target.resource, body);
        self.replace(target, &old, new, dry_run)
    }

    /// PATCH: applies a patch to the object as the client sees it, then replaces it.
    pub fn patch(
        &mut self,
        target: &Target,
        patch_type: PatchType,
        body: &[u8],
        dry_run: bool,
    ) -> ApiResult<Value> {
        let old = self.stored(target)?;
        let custom = target.resource.crd.is_some();
        if target.subresource.as_deref() == Some("scale") {
            let scale = self.scale_of(target, &old)?;
            let patched = patch::apply(patch_type, &scale, body, custom)?;
            return self.write_scale(target, &old, patched, dry_run);
        }
        let seen = Self::present(&target.resource, &target.version, &old);
        let patched = patch::apply(patch_type, &seen, body, custom)?;
        if !patched.is_object() {
            return Err(ApiError::bad_request("the patch left no object"));
        }
        let new = self.to_stored(&target.resource, patched);
        self.replace(target, &old, new, dry_run)
    }

    fn replace(
        &mut self,
        target: &Target,
        old: &Value,
        mut new: Value,
        dry_run: bool,
    ) -> ApiResult<Value> {
        let resource = &target.resource;
        if !new["metadata"].is_object() {
            return Err(ApiError::bad_request("metadata: Required value"));
        }
        let name = meta_str(&new, "name");
        if name != target.name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({name}) does not match the name on the URL ({})",
                target.name
            )));
        }
        let asked = meta_str(&new, "resourceVersion");
        if !asked.is_empty() && asked != meta_str(old, "resourceVersion") {
            return Err(ApiError::conflict(
                &resource.group,
                &resource.plural,
                &target.name,
            ));
        }
        if resource.namespaced {
            new["metadata"]["namespace"] = json!(target.namespace);
        }
        match target.subresource.as_deref() {
            None if resource.status_subresource => match old.get("status") {
                Some(status) => new["status"] = status.clone(),
                None => {
                    if let Some(m) = new.as_object_mut() {
                        m.remove("status");
                    }
                }
            },
            None => {}
            Some("status") => {
                let status = new.get("status").cloned();
                new = old.clone();
                match status {
                    Some(status) => new["status"] = status,
                    None => {
                        if let Some(m) = new.as_object_mut() {
                            m.remove("status");
                        }
                    }
                }
            }
            Some(other) => return Err(ApiError::no_route(other)),
        }
        meta::prepare_update(resource, old, &mut new);
        meta::apply_defaults(resource, &mut new, || self.cluster_ip());
        new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"].clone();
        meta::check(resource, &new)?;
        if new == *old {
            // A write that changes nothing is not a change: no new version, no event.
            return Ok(Self::present(resource, &target.version, old));
        }
        self.register_if_crd(resource, &new, dry_run)?;
        Ok(self.commit(target, new, dry_run))
    }

    fn scale_paths(target: &Target) -> ApiResult<super::resources::ScalePaths> {
        target
            .resource
            .scale
            .clone()
            .ok_or_else(|| ApiError::no_route(&format!("{}/scale", target.resource.plural)))
    }

    /// The autoscaling/v1 `Scale` view of an object.
    fn scale_of(&self, target: &Target, object: &Value) -> ApiResult<Value> {
        let paths = Self::scale_paths(target)?;
        let selector = match &paths.label_selector {
            Some(path) => at_path(object, path)
                .as_str()
                .unwrap_or_default()
                .to_string(),
            None => selector_text(&object["spec"]["selector"]),
        };
        let metadata = &object["metadata"];
        Ok(json!({
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                "name": metadata["name"], "namespace": metadata["namespace"], "uid": metadata["uid"],
                "resourceVersion": metadata["resourceVersion"], "creationTimestamp": metadata["creationTimestamp"],
            },
            "spec": {"replicas": at_path(object, &paths.spec_replicas).as_i64().unwrap_or(0)},
            "status": {"replicas": at_path(object, &paths.status_replicas).as_i64().unwrap_or(0), "selector": selector},
        }))
    }

    fn write_scale(
        &mut self,
        target: &Target,
        old: &Value,
        scale: Value,
        dry_run: bool,
    ) -> ApiResult<Value> {
        let paths = Self::scale_paths(target)?;
        let Some(replicas) = scale["spec"]["replicas"].as_i64() else {
            return Err(ApiError::invalid(
                "Scale",
                "autoscaling",
                &target.name,
                &[("spec.replicas".into(), "Required value".into())],
            ));
        };
        if replicas < 0 {
            return Err(ApiError::invalid(
                "Scale",
                "autoscaling",
                &target.name,
                &[(
                    "spec.replicas".into(),
                    format!("Invalid value: {replicas}: must be greater than or equal to 0"),
                )],
            ));
        }
        let mut new = old.clone();
        let asked = scale["metadata"]["resourceVersion"]
            .as_str()
            .unwrap_or_default();
        new["metadata"]["resourceVersion"] = json!(asked);
        set_path(&mut new, &paths.spec_replicas, json!(replicas));
        let main = Target {
            subresource: None,
            ..target.clone()
        };
        self.replace(&main, old, new, dry_run)?;
        let current = if dry_run {
            let mut preview = old.clone();
            set_path(&mut preview, &paths.spec_replicas, json!(replicas));
            preview
        } else {
            (*self.stored(target)?).clone()
        };
        self.scale_of(target, &current)
    }

    pub fn delete(&mut self, target: &Target, dry_run: bool, orphan: bool) -> ApiResult<Value> {
        let old = self.stored(target)?;
        let shown = Self::present(&target.resource, &target.version, &old);
        if dry_run {
            return Ok(shown);
        }
        self.remove(
            &ObjectRef {
                store: target.resource.store.clone(),
                namespace: target.namespace.clone(),
                name: target.name.clone(),
            },
            orphan,
        );
        Ok(shown)
    }

    /// Removes an object and what goes with it: its dependents (unless orphaned), a
    /// namespace's contents, a CRD's kind and objects.
    pub fn remove(&mut self, reference: &ObjectRef, orphan: bool) {
        let Some(removed) =
            self.store
                .remove(&reference.store, &reference.namespace, &reference.name)
        else {
            return;
        };
        let mut dependents: Vec<ObjectRef> = Vec::new();
        if !orphan {
            dependents.extend(self.store.owned_by(meta_str(&removed, "uid")));
        }
        if reference.store == namespace_key() {
            for resource in self
                .registry
                .all()
                .iter()
                .filter(|t| t.namespaced && t.view == View::Plain)
            {
                for object in self.store.list(&resource.store, Some(&reference.name)) {
                    dependents.push(ObjectRef {
                        store: resource.store.clone(),
                        namespace: reference.name.clone(),
                        name: meta_str(&object, "name").to_string(),
                    });
                }
            }
        }
        if reference.store == crd_key() {
            if let Some(kind) = self
                .registry
                .all()
                .iter()
                .find(|t| t.crd.as_deref() == Some(reference.name.as_str()))
            {
                for object in self.store.list(&kind.store, None) {
                    dependents.push(ObjectRef {
                        store: kind.store.clone(),
                        namespace: meta_str(&object, "namespace").to_string(),
                        name: meta_str(&object, "name").to_string(),
                    });
                }
            }
            self.registry.unregister_crd(&reference.name);
        }
        for dependent in dependents {
            self.remove(&dependent, false);
        }
    }

    /// SelfSubjectAccessReview: answers from the same rules the API enforces.
    pub fn review_access(policy: &AccessPolicy, body: &Value) -> Value {
        let attributes = &body["spec"]["resourceAttributes"];
        let allowed = if attributes.is_object() {
            let text = |k: &str| attributes[k].as_str().unwrap_or_default();
            let resource = match text("subresource") {
                "" => text("resource").to_string(),
                sub => format!("{}/{sub}", text("resource")),
            };
            policy.allows(text("verb"), text("group"), &resource)
        } else {
            true
        };
        let mut review = body.clone();
        review["apiVersion"] = json!("authorization.k8s.io/v1");
        review["kind"] = json!("SelfSubjectAccessReview");
        review["metadata"] = json!({"creationTimestamp": null});
        review["status"] = if allowed {
            json!({"allowed": true, "reason": "the kshift demo cluster allows this"})
        } else {
            json!({"allowed": false, "denied": true, "reason": "denied by the demo cluster's --deny rules"})
        };
        review
    }

    pub fn review_identity() -> Value {
        json!({
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "SelfSubjectReview",
            "metadata": {"creationTimestamp": null},
            "status": {"userInfo": {"username": DEMO_USER, "groups": ["system:authenticated"]}},
        })
    }
}
