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
    /// Someone changed an object since the plan was made (409, a failed `test` op, an
    /// object gone).
    Conflict(String),
    /// RBAC (or the demo's `--deny`) forbids a change (403).
    Forbidden(String),
    /// An admission webhook denied the change.
    Denied(String),
    /// The server found the change invalid (422 other than a failed `test` op).
    Invalid(String),
    /// Anything else: the API's other answers, or no answer at all.
    Error(String),
}

impl Failure {
    /// The same failure with more said after its message.
    fn and(self, more: &str) -> Failure {
        match self {
            Failure::Conflict(m) => Failure::Conflict(format!("{m}{more}")),
            Failure::Forbidden(m) => Failure::Forbidden(format!("{m}{more}")),
            Failure::Denied(m) => Failure::Denied(format!("{m}{more}")),
            Failure::Invalid(m) => Failure::Invalid(format!("{m}{more}")),
            Failure::Error(m) => Failure::Error(format!("{m}{more}")),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Conflict(m)
            | Failure::Forbidden(m)
            | Failure::Denied(m)
            | Failure::Invalid(m)
            | Failure::Error(m) => f.write_str(m),
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
            .map_err(|e| {
                Failure::Error(format!(
                    "asking the API what we may do: {}",
                    crate::cluster::errors::unreachable(&e)
                ))
            })?;
        Ok(answer.status.is_some_and(|s| s.allowed))
    }

    /// Every change checked by the server (`dryRun=All`): nothing is stored.
    pub async fn dry_run(&self, plan: &Plan) -> Result<(), Failure> {
        for change in &plan.changes {
            self.send(change, true).await?;
        }
        Ok(())
    }

    /// The object (or its subresource) as it is now.
    async fn read(&self, change: &Change) -> Result<Value, kube::Error> {
        let api = api(&self.client, &change.target);
        let name = &change.target.name;
        let object = match &change.subresource {
            Some(sub) => api.get_subresource(sub, name).await?,
            None => api.get(name).await?,
        };
        Ok(serde_json::to_value(object).unwrap_or(Value::Null))
    }

    /// Sends one change; the object as the server answered it.
    async fn send(&self, change: &Change, dry_run: bool) -> Result<Value, Failure> {
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
            Ok(object) => Ok(serde_json::to_value(object).unwrap_or(Value::Null)),
            Err(kube::Error::Api(status)) => {
                let failure = classify(&change.target, &status);
                match failure {
                    Failure::Conflict(_) => Err(Failure::Conflict(self.what_changed(change).await)),
                    other => Err(other),
                }
            }
            Err(other) => Err(Failure::Error(format!(
                "{}: {}",
                describe(&change.target),
                crate::cluster::errors::unreachable(&other)
            ))),
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
            "{} changed since you looked: now {}",
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
    ///
    /// A plan is applied whole or not at all: when a later change is refused (someone
    /// else acted meanwhile), the changes already applied are put back, newest first,
    /// each by a JSON patch that first tests that its fields still hold what this plan
    /// set (so nobody's later change is overwritten), and the failure says what was
    /// applied and what was undone. The traces are written once every change is in.
    pub async fn apply_labelled(&self, plan: &Plan, label: &Label) -> Result<(), Failure> {
        let mut applied: Vec<Applied> = Vec::new();
        for change in &plan.changes {
            // What the fields were, to put them back; a single change needs no undo.
            let before = if plan.changes.len() > 1 {
                self.read(change).await.ok()
            } else {
                None
            };
            match self.send(change, false).await {
                Ok(after) => applied.push(Applied {
                    change,
                    undo: before.map(|before| undo_of(change, &before, &after)),
                }),
                Err(failure) if applied.is_empty() => {
                    return Err(failure.and("; nothing was applied"));
                }
                Err(failure) => return Err(failure.and(&self.put_back(&applied).await)),
            }
        }
        let mut traced: Vec<&Target> = Vec::new();
        for change in &plan.changes {
            if !traced.contains(&&change.target) {
                traced.push(&change.target);
                self.trace(plan, change, label).await;
            }
        }
        Ok(())
    }

    /// Undoes applied changes, newest first; what was applied and undone, in words.
    async fn put_back(&self, applied: &[Applied<'_>]) -> String {
        let mut undone = Vec::new();
        let mut kept = Vec::new();
        for done in applied.iter().rev() {
            let what = changed_fields(done.change);
            let result = match &done.undo {
                Some(Some(undo)) => self.send(undo, false).await.map(|_| ()),
                // It changed nothing: nothing to put back.
                Some(None) => Ok(()),
                None => Err(Failure::Error(
                    "its earlier values could not be read".into(),
                )),
            };
            match result {
                Ok(()) => undone.push(what),
                Err(failure) => kept.push(format!("{what} (not undone: {failure})")),
            }
        }
        let mut text = String::new();
        if !undone.is_empty() {
            text.push_str(&format!(
                "; already applied and then undone: {}",
                undone.join("; ")
            ));
        }
        if !kept.is_empty() {
            text.push_str(&format!(
                "; already applied and LEFT IN PLACE: {}; the release is half-changed, look at it before acting again",
                kept.join("; ")
            ));
        }
        text
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

/// An applied change and the change that puts it back: `None` when its earlier
/// values could not be read, `Some(None)` when it changed nothing.
struct Applied<'a> {
    change: &'a Change,
    undo: Option<Option<Change>>,
}

/// `Deployment search/search-v2 spec.replicas 1 -> 3`.
fn changed_fields(change: &Change) -> String {
    let fields: Vec<String> = change
        .fields
        .iter()
        .map(|f| format!("{} {} -> {}", f.field, f.from, f.to))
        .collect();
    format!("{} {}", describe(&change.target), fields.join(", "))
}

/// A JSON pointer token: `~` and `/` escaped (RFC 6901).
fn token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The paths a patch writes (JSON pointers), preconditions left out.
fn written_paths(patch: &Patch) -> Vec<String> {
    fn leaves(value: &Value, at: String, out: &mut Vec<String>) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                for (key, inner) in map {
                    leaves(inner, format!("{at}/{}", token(key)), out);
                }
            }
            _ => out.push(at),
        }
    }
    let mut paths = Vec::new();
    match patch {
        Patch::Merge(body) => {
            leaves(body, String::new(), &mut paths);
            paths.retain(|p| p != "/metadata/resourceVersion");
        }
        Patch::Json(ops) => {
            for op in ops {
                if matches!(op["op"].as_str(), Some("add" | "replace" | "remove"))
                    && let Some(path) = op["path"].as_str()
                    && !paths.iter().any(|p| p == path)
                {
                    paths.push(path.to_string());
                }
            }
        }
    }
    paths
}

/// The change that puts back what `change` wrote, from the object before and after
/// it: a JSON patch that tests every written field still holds what was written, then
/// restores it (or removes what was added). Its precondition is on the fields, not on
/// the resourceVersion: controllers write the status of what we change (a Deployment
/// after a scale) and move the resourceVersion without touching what we wrote.
fn undo_of(change: &Change, before: &Value, after: &Value) -> Option<Change> {
    let mut tests = Vec::new();
    let mut restores = Vec::new();
    for path in written_paths(&change.patch) {
        let was = before.pointer(&path);
        let now = after.pointer(&path);
        if was == now {
            continue;
        }
        if let Some(now) = now {
            tests.push(json!({"op": "test", "path": path, "value": now}));
        }
        restores.push(match (was, now) {
            (Some(was), Some(_)) => json!({"op": "replace", "path": path, "value": was}),
            (Some(was), None) => json!({"op": "add", "path": path, "value": was}),
            (None, _) => json!({"op": "remove", "path": path}),
        });
    }
    if restores.is_empty() {
        return None;
    }
    tests.extend(restores);
    Some(Change {
        target: change.target.clone(),
        subresource: change.subresource.clone(),
        patch: Patch::Json(tests),
        fields: change
            .fields
            .iter()
            .map(|f| super::FieldChange {
                field: f.field.clone(),
                from: f.to.clone(),
                to: f.from.clone(),
            })
            .collect(),
    })
}

/// The most of a server's message kshift quotes.
const QUOTED_CHARS: usize = 1000;

/// A server's message cut to `QUOTED_CHARS`, saying how much was left out.
fn clip(message: &str) -> String {
    match message.char_indices().nth(QUOTED_CHARS) {
        Some((at, _)) => format!(
            "{}… ({} more characters not shown)",
            &message[..at],
            message[at..].chars().count()
        ),
        None => message.to_string(),
    }
}

/// What an API error means for a change, in words, quoting the server's message
/// (sanitised where it is printed). A failed JSON-patch `test` op is a conflict: the
/// API server answers 422 "testing value ... failed: test failed", the embedded
/// cluster 422 "... value did not match".
fn classify(target: &Target, status: &kube::core::Status) -> Failure {
    let message = &clip(&status.message);
    let what = describe(target);
    let webhook = message.contains("admission webhook");
    let test_failed = message.contains("test failed")
        || message.contains("testing value")
        || message.contains("value did not match");
    match status.code {
        409 => Failure::Conflict(format!("{what}: conflict: {message}")),
        404 => Failure::Conflict(format!("{what}: gone: {message}")),
        422 if test_failed => Failure::Conflict(format!("{what}: {message}")),
        _ if webhook => Failure::Denied(format!(
            "{what}: denied by an admission webhook ({}): {message}",
            status.code
        )),
        403 => Failure::Forbidden(format!("{what}: forbidden: {message}")),
        422 => Failure::Invalid(format!(
            "{what}: the server rejected the change as invalid: {message}"
        )),
        code => Failure::Error(format!(
            "{what}: the API answered {code} {}: {message}",
            status.reason
        )),
    }
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

#[cfg(test)]
mod undo_tests {
    use super::*;
    use crate::actions::FieldChange;

    fn change(patch: Patch, subresource: Option<&str>) -> Change {
        Change {
            target: Target {
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                plural: "deployments".into(),
                namespace: "search".into(),
                name: "search-canary".into(),
            },
            subresource: subresource.map(str::to_string),
            patch,
            fields: vec![FieldChange {
                field: "spec.replicas".into(),
                from: "1".into(),
                to: "3".into(),
            }],
        }
    }

    #[test]
    fn a_scale_is_put_back_only_while_it_still_holds() {
        let scale = change(
            Patch::Merge(json!({"metadata": {"resourceVersion": "7"}, "spec": {"replicas": 3}})),
            Some("scale"),
        );
        let before = json!({"metadata": {"resourceVersion": "7"}, "spec": {"replicas": 1}});
        let after = json!({"metadata": {"resourceVersion": "8"}, "spec": {"replicas": 3}});
        let undo = undo_of(&scale, &before, &after).expect("an undo");
        assert_eq!(undo.subresource.as_deref(), Some("scale"));
        assert_eq!(
            undo.patch,
            Patch::Json(vec![
                json!({"op": "test", "path": "/spec/replicas", "value": 3}),
                json!({"op": "replace", "path": "/spec/replicas", "value": 1}),
            ])
        );
        assert_eq!(
            (undo.fields[0].from.as_str(), undo.fields[0].to.as_str()),
            ("3", "1")
        );
    }

    #[test]
    fn added_and_removed_fields_are_put_back_too() {
        let merge = change(
            Patch::Merge(
                json!({"metadata": {"resourceVersion": "7", "annotations": {"kshift.dev/paused": "true"}},
                "status": {"pauseConditions": null}}),
            ),
            Some("status"),
        );
        let before = json!({"status": {"pauseConditions": [{"reason": "x"}]}});
        let after =
            json!({"metadata": {"annotations": {"kshift.dev/paused": "true"}}, "status": {}});
        let undo = undo_of(&merge, &before, &after).expect("an undo");
        assert_eq!(
            undo.patch,
            Patch::Json(vec![
                json!({"op": "test", "path": "/metadata/annotations/kshift.dev~1paused", "value": "true"}),
                json!({"op": "remove", "path": "/metadata/annotations/kshift.dev~1paused"}),
                json!({"op": "add", "path": "/status/pauseConditions", "value": [{"reason": "x"}]}),
            ])
        );
        // Nothing moved: nothing to put back.
        assert_eq!(undo_of(&merge, &after, &after), None);
    }

    #[test]
    fn the_servers_answers_are_told_apart() {
        let target = change(Patch::Json(Vec::new()), None).target;
        let status = |code: u16, reason: &str, message: &str| kube::core::Status {
            code,
            reason: reason.into(),
            message: message.into(),
            ..kube::core::Status::default()
        };
        let cases = [
            (
                status(409, "Conflict", "the object has been modified"),
                "conflict",
            ),
            (
                status(
                    422,
                    "Invalid",
                    "testing value /spec/paused failed: test failed",
                ),
                "conflict",
            ),
            (
                status(422, "Invalid", "spec.replicas: Invalid value: -1"),
                "invalid",
            ),
            (
                status(
                    403,
                    "Forbidden",
                    "deployments.apps is forbidden: User bob cannot patch",
                ),
                "forbidden",
            ),
            (
                status(
                    400,
                    "BadRequest",
                    "admission webhook \"policy.example\" denied the request: no",
                ),
                "denied",
            ),
            (
                status(
                    403,
                    "Forbidden",
                    "admission webhook \"v\" denied the request: frozen",
                ),
                "denied",
            ),
            (status(500, "InternalError", "etcd is down"), "error"),
        ];
        for (status, want) in cases {
            let failure = classify(&target, &status);
            let got = match &failure {
                Failure::Conflict(_) => "conflict",
                Failure::Invalid(_) => "invalid",
                Failure::Forbidden(_) => "forbidden",
                Failure::Denied(_) => "denied",
                Failure::Error(_) => "error",
            };
            assert_eq!(got, want, "{status:?}");
            assert!(failure.to_string().contains(&status.message), "{failure}");
            assert!(
                failure
                    .to_string()
                    .starts_with("Deployment search/search-canary"),
                "{failure}"
            );
        }
    }
}
