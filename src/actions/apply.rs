//! Carrying a plan out: who may (SelfSubjectAccessReview, cached), whether the server
//! accepts it (`dryRun=All`), then each change in order, stopping at the first refusal,
//! and a trace on every changed object (an Event and the `kshift.dev/last-action`
//! annotation).

use std::collections::HashMap;
use std::sync::Mutex;

use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use k8s_openapi::api::authorization::v1::SelfSubjectAccessReview;
use k8s_openapi::api::core::v1::Event;
use kube::Client;
use kube::api::{Api, DynamicObject, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::{Value, json};

use super::{Change, Patch, Plan, Target};

/// The annotation that records the last action on an object.
pub const LAST_ACTION: &str = "kshift.dev/last-action";

/// Why a plan was not (fully) applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Someone changed an object since the plan was made: nothing more was sent.
    Conflict(String),
    /// RBAC (or the demo's `--deny`) forbids a change.
    Forbidden(String),
    /// Anything else the API said.
    Error(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Conflict(m) | Failure::Forbidden(m) | Failure::Error(m) => f.write_str(m),
        }
    }
}

/// How the Events of an applied plan read: `KshiftStep` for an operator's step,
/// `KshiftAutopilotStep` with the verdict for the autopilot's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// The Event's reason.
    pub reason: String,
    /// Appended to the Event's message (`"; verdict: ..."`), or empty.
    pub note: String,
}

/// Applies plans for one user on one cluster.
pub struct Executor {
    client: Client,
    user: String,
    /// (group, resource/subresource, namespace) -> allowed, per session.
    access: Mutex<HashMap<(String, String, String), bool>>,
}

fn resource(target: &Target) -> ApiResource {
    let (group, version) = target
        .api_version
        .split_once('/')
        .unwrap_or(("", &target.api_version));
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk(group, version, &target.kind),
        &target.plural,
    )
}

fn api(client: &Client, target: &Target) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), &target.namespace, &resource(target))
}

fn patch_of(patch: &Patch) -> Result<kube::api::Patch<Value>, Failure> {
    match patch {
        Patch::Merge(body) => Ok(kube::api::Patch::Merge(body.clone())),
        Patch::Json(ops) => serde_json::from_value::<json_patch::Patch>(Value::Array(ops.clone()))
            .map(kube::api::Patch::Json)
            .map_err(|e| Failure::Error(format!("a malformed JSON patch: {e}"))),
    }
}

/// Reads `spec.http[0].route[1].weight` or `metadata.annotations["a.b/c"]` in an object.
pub fn read_field<'a>(object: &'a Value, field: &str) -> Option<&'a Value> {
    let mut cursor = object;
    let mut rest = field;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("[\"") {
            let end = after.find("\"]")?;
            cursor = cursor.get(&after[..end])?;
            rest = &after[end + 2..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            cursor = cursor.get(after[..end].parse::<usize>().ok()?)?;
            rest = &after[end + 1..];
        } else {
            let rest_trimmed = rest.strip_prefix('.').unwrap_or(rest);
            let end = rest_trimmed.find(['.', '[']).unwrap_or(rest_trimmed.len());
            cursor = cursor.get(&rest_trimmed[..end])?;
            rest = &rest_trimmed[end..];
        }
    }
    Some(cursor)
}

fn shown(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "(none)".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

impl Executor {
    /// The user is who the API says we are (SelfSubjectReview), else `fallback`
    /// (the kubeconfig's user name).
    pub async fn new(client: Client, fallback: &str) -> Executor {
        let reviews: Api<SelfSubjectReview> = Api::all(client.clone());
        let asked = SelfSubjectReview::default();
        let user = match reviews.create(&PostParams::default(), &asked).await {
            Ok(review) => review
                .status
                .and_then(|s| s.user_info)
                .and_then(|u| u.username),
            Err(_) => None,
        };
        Executor {
            user: user
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| fallback.to_string()),
            client,
            access: Mutex::new(HashMap::new()),
        }
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    /// Whether every change of the plan is allowed; the first that is not, in words.
    pub async fn authorize(&self, plan: &Plan) -> Result<(), Failure> {
        for change in &plan.changes {
            let target = &change.target;
            let group = target
                .api_version
                .split_once('/')
                .map_or("", |(g, _)| g)
                .to_string();
            let resource = match &change.subresource {
                Some(sub) => format!("{}/{sub}", target.plural),
                None => target.plural.clone(),
            };
            let key = (group.clone(), resource.clone(), target.namespace.clone());
            let cached = self
                .access
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&key)
                .copied();
            let allowed = match cached {
                Some(allowed) => allowed,
                None => {
                    let allowed = self
                        .review(
                            &group,
                            &target.plural,
                            change.subresource.as_deref(),
                            &target.namespace,
                        )
                        .await?;
                    self.access
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(key, allowed);
                    allowed
                }
            };
            if !allowed {
                let what = if group.is_empty() {
                    resource
                } else {
                    format!("{resource}.{group}")
                };
                return Err(Failure::Forbidden(format!(
                    "forbidden: {} may not patch {what} in namespace {}",
                    self.user, target.namespace
                )));
            }
        }
        Ok(())
    }

    async fn review(
        &self,
        group: &str,
        plural: &str,
        subresource: Option<&str>,
        namespace: &str,
    ) -> Result<bool, Failure> {
        let reviews: Api<SelfSubjectAccessReview> = Api::all(self.client.clone());
        let ask: SelfSubjectAccessReview = serde_json::from_value(json!({
            "spec": {"resourceAttributes": {
                "verb": "patch", "group": group, "resource": plural,
                "subresource": subresource.unwrap_or_default(), "namespace": namespace,
            }}
        }))
        .map_err(|e| Failure::Error(e.to_string()))?;
        let answer = reviews
            .create(&PostParams::default(), &ask)
            .await
            .map_err(|e| Failure::Error(format!("asking the API what we may do: {e}")))?;
        Ok(answer.status.is_some_and(|s| s.allowed))
    }

    /// Every change checked by the server (`dryRun=All`): nothing is stored.
    pub async fn dry_run(&self, plan: &Plan) -> Result<(), Failure> {
        for change in &plan.changes {
            self.send(change, true).await.map_err(|f| match f {
                Failure::Error(m) => Failure::Error(format!("{}: {m}", describe(&change.target))),
                other => other,
            })?;
        }
        Ok(())
    }

    async fn send(&self, change: &Change, dry_run: bool) -> Result<(), Failure> {
        let api = api(&self.client, &change.target);
        let params = PatchParams {
            dry_run,
            field_manager: Some("kshift".into()),
            ..PatchParams::default()
        };
        let patch = patch_of(&change.patch)?;
        let name = &change.target.name;
        let result = match &change.subresource {
            Some(sub) => api.patch_subresource(sub, name, &params, &patch).await,
            None => api.patch(name, &params, &patch).await,
        };
        match result {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status))
                if status.code == 409
                    || (status.code == 422 && matches!(change.patch, Patch::Json(_))) =>
            {
                Err(Failure::Conflict(self.what_changed(change).await))
            }
            Err(kube::Error::Api(status)) if status.code == 403 => {
                Err(Failure::Forbidden(status.message))
            }
            Err(kube::Error::Api(status)) => Err(Failure::Error(status.message)),
            Err(other) => Err(Failure::Error(other.to_string())),
        }
    }

    /// "changed since you looked: now ..." with the fields' current values.
    async fn what_changed(&self, change: &Change) -> String {
        let current = api(&self.client, &change.target)
            .get(&change.target.name)
            .await;
        let Ok(current) = current.map(|o| serde_json::to_value(o).unwrap_or(Value::Null)) else {
            return format!(
                "{} changed since you looked (it can no longer be read)",
                describe(&change.target)
            );
        };
        let now: Vec<String> = change
            .fields
            .iter()
            .map(|f| format!("{} = {}", f.field, shown(read_field(&current, &f.field))))
            .collect();
        format!(
            "{} changed since you looked: now {}; nothing more was applied",
            describe(&change.target),
            now.join(", ")
        )
    }

    /// Sends the changes in order, each followed by its trace; stops at the first failure.
    pub async fn apply(&self, plan: &Plan) -> Result<(), Failure> {
        let label = Label {
            reason: plan.verb.event_reason(),
            note: String::new(),
        };
        self.apply_labelled(plan, &label).await
    }

    /// As `apply`, with the Events' reason and a note after their message given.
    pub async fn apply_labelled(&self, plan: &Plan, label: &Label) -> Result<(), Failure> {
        let mut traced: Vec<&Target> = Vec::new();
        for change in &plan.changes {
            self.send(change, false).await?;
            if !traced.contains(&&change.target) {
                traced.push(&change.target);
                self.trace(plan, change, label).await;
            }
        }
        Ok(())
    }

    /// The annotation and the Event; a failure to write them is reported, not fatal:
    /// the action itself went through.
    async fn trace(&self, plan: &Plan, change: &Change, label: &Label) {
        let now = jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        let (from, to) = change
            .fields
            .first()
            .map_or((String::new(), String::new()), |f| {
                (f.from.clone(), f.to.clone())
            });
        let record = json!({"verb": plan.verb.as_str(), "release": plan.release, "summary": plan.summary, "from": from, "to": to, "user": self.user, "time": now});
        let annotate = kube::api::Patch::Merge(
            json!({"metadata": {"annotations": {LAST_ACTION: record.to_string()}}}),
        );
        let target = &change.target;
        if let Err(error) = api(&self.client, target)
            .patch(&target.name, &PatchParams::default(), &annotate)
            .await
        {
            tracing::warn!("recording the action on {}: {error}", describe(target));
        }
        let uid = api(&self.client, target)
            .get(&target.name)
            .await
            .ok()
            .and_then(|o| o.metadata.uid);
        let event: Result<Event, _> = serde_json::from_value(json!({
            "metadata": {"generateName": format!("{}.", target.name), "namespace": target.namespace},
            "involvedObject": {"apiVersion": target.api_version, "kind": target.kind, "name": target.name, "namespace": target.namespace, "uid": uid},
            "reason": label.reason,
            "message": format!("{}: {} by {}{}", plan.release, plan.summary, self.user, label.note),
            "type": "Normal",
            "count": 1,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "source": {"component": "kshift"},
            "reportingComponent": "kshift.dev/kshift",
            "reportingInstance": self.user,
        }));
        let events: Api<Event> = Api::namespaced(self.client.clone(), &target.namespace);
        let created = match event {
            Ok(event) => events
                .create(&PostParams::default(), &event)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(error) = created {
            tracing::warn!("recording an Event on {}: {error}", describe(target));
        }
    }
}

/// `VirtualService shop/reviews`.
pub fn describe(target: &Target) -> String {
    format!("{} {}/{}", target.kind, target.namespace, target.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_by_their_preview_path() {
        let object = json!({"spec": {"http": [{"route": [{"weight": 90}, {"weight": 10}]}]},
            "metadata": {"annotations": {"nginx.ingress.kubernetes.io/canary-weight": "20"}}});
        assert_eq!(
            read_field(&object, "spec.http[0].route[1].weight"),
            Some(&json!(10))
        );
        assert_eq!(
            read_field(
                &object,
                "metadata.annotations[\"nginx.ingress.kubernetes.io/canary-weight\"]"
            ),
            Some(&json!("20"))
        );
        assert_eq!(read_field(&object, "spec.nothing"), None);
        assert_eq!(shown(None), "(none)");
    }
}
