//! HTTP routing: URL paths and query parameters of the Kubernetes API, mapped onto the
//! verbs of `api`, with every failure answered as a `Status`.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State as AxumState};
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode, header};
use serde_json::{Value, json};

use super::Cluster;
use super::access::AccessPolicy;
use super::api::{State, Target};
use super::discovery;
use super::errors::{ApiError, ApiResult};
use super::openapi;
use super::patch::PatchType;
use super::protobuf;
use super::resources::{Behaviour, ResourceType};
use super::selectors::{FieldSelector, LabelSelector};
use super::table;
use super::watch::{self, WatchRequest};

/// The API server's limit on a request body.
pub const BODY_LIMIT: usize = 3 * 1024 * 1024;

pub fn router(cluster: Cluster) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(cluster)
}

async fn handle(AxumState(cluster): AxumState<Cluster>, request: Request) -> Response {
    let method = request.method().clone();
    let uri = request.uri().clone();
    match route(&cluster, request).await {
        Ok(response) => response,
        Err(error) => {
            tracing::debug!(%method, %uri, code = error.code, reason = error.reason, "rejected: {}", error.message);
            json_response(
                StatusCode::from_u16(error.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                &error.to_status(),
            )
        }
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    bytes_response(
        status,
        Bytes::from(serde_json::to_vec(body).unwrap_or_default()),
        "application/json",
    )
}

fn bytes_response(status: StatusCode, body: Bytes, content_type: &'static str) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn ok(body: &Value) -> ApiResult<Response> {
    Ok(json_response(StatusCode::OK, body))
}

/// What a URL under `/api/v1` or `/apis/GROUP/VERSION` names.
struct Path {
    group: String,
    version: String,
    rest: Vec<String>,
}

fn parse_path(path: &str) -> Option<Path> {
    let segments: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    match segments.first().map(String::as_str) {
        Some("api") if segments.len() >= 2 => Some(Path {
            group: String::new(),
            version: segments[1].clone(),
            rest: segments[2..].to_vec(),
        }),
        Some("apis") if segments.len() >= 3 => Some(Path {
            group: segments[1].clone(),
            version: segments[2].clone(),
            rest: segments[3..].to_vec(),
        }),
        _ => None,
    }
}

type Query = HashMap<String, String>;

fn parse_query(query: Option<&str>) -> Query {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn flag(query: &Query, key: &str) -> bool {
    query.get(key).is_some_and(|v| v == "true" || v == "1")
}

fn dry_run(query: &Query, options: &Value) -> ApiResult<bool> {
    let from_query = query.get("dryRun").map(String::as_str);
    let from_body = options["dryRun"]
        .as_array()
        .and_then(|a| a.first())
        .and_then(Value::as_str);
    match from_query.or(from_body) {
        None | Some("") => Ok(false),
        Some("All") => Ok(true),
        Some(other) => Err(ApiError::bad_request(format!(
            "Invalid value: {other:?}: supported values: \"All\""
        ))),
    }
}

async fn route(cluster: &Cluster, request: Request) -> ApiResult<Response> {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    match path.trim_end_matches('/') {
        "/version" => return ok(&discovery::version()),
        "/api" => return ok(&discovery::core_versions()),
        "/apis" => return ok(&discovery::group_list(&cluster.lock().registry)),
        "/metrics" => {
            let traffic = cluster.traffic();
            let text = tokio::task::spawn_blocking(move || traffic.exposition())
                .await
                .map_err(|e| ApiError::internal(e.to_string()))?;
            let content_type = super::traffic::CONTENT_TYPE;
            return Ok(bytes_response(
                StatusCode::OK,
                Bytes::from(text),
                content_type,
            ));
        }
        "/healthz" | "/readyz" | "/livez" => {
            return Ok(bytes_response(
                StatusCode::OK,
                Bytes::from_static(b"ok"),
                "text/plain",
            ));
        }
        _ => {}
    }
    if path == "/openapi/v3" {
        let state = cluster.lock();
        return ok(&openapi::root(
            &state.registry,
            state.store.resource_version(),
        ));
    }
    if let Some(key) = path.strip_prefix("/openapi/v3/") {
        let document = openapi::group_version(&cluster.lock().registry, key);
        return document.map_or_else(|| Err(ApiError::no_route(&path)), |d| ok(&d));
    }
    if let Some(group) = path.strip_prefix("/apis/").map(|g| g.trim_end_matches('/'))
        && !group.contains('/')
    {
        let document = discovery::group(&cluster.lock().registry, group);
        return document.map_or_else(|| Err(ApiError::no_route(&path)), |d| ok(&d));
    }
    let Some(api_path) = parse_path(&path) else {
        return Err(ApiError::no_route(&path));
    };
    if api_path.rest.is_empty() {
        let list =
            discovery::resource_list(&cluster.lock().registry, &api_path.group, &api_path.version);
        return list.map_or_else(|| Err(ApiError::no_route(&path)), |l| ok(&l));
    }
    let query = parse_query(parts.uri.query());
    let target = resolve(cluster, &api_path, &path)?;
    let method = parts.method.clone();
    let collection = target.name.is_empty();
    let watching = method == Method::GET && flag(&query, "watch");
    let verb = match (&method, collection) {
        (&Method::GET, true) if watching => "watch",
        (&Method::GET, true) => "list",
        (&Method::GET, false) => "get",
        (&Method::POST, true) => "create",
        (&Method::PUT, false) => "update",
        (&Method::PATCH, false) => "patch",
        (&Method::DELETE, false) => "delete",
        (&Method::DELETE, true) => "deletecollection",
        _ => {
            return Err(ApiError::method_not_allowed(format!(
                "the server does not allow this method on the requested resource ({method} {path})"
            )));
        }
    };
    authorize(cluster.access(), &target, verb)?;
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_string();
    let body = read_body(body).await?;
    let protobuf =
        content_type.starts_with("application/vnd.kubernetes.protobuf") && !body.is_empty();
    let decoded_review = if protobuf {
        Some(protobuf::decode_review(&body).ok_or_else(ApiError::protobuf_unsupported)?)
    } else {
        None
    };
    let as_table = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("as=Table"));
    let parse_body = || -> ApiResult<Value> {
        if let Some(review) = &decoded_review {
            return Ok(review.clone());
        }
        if body.is_empty() {
            return Ok(json!({}));
        }
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::bad_request(format!("couldn't get version/kind; json parse error: {e}"))
        })
    };
    let reply = |status: StatusCode, object: Value| -> ApiResult<Response> {
        let object = if as_table {
            table::table(&target.resource, object)
        } else {
            object
        };
        Ok(json_response(status, &object))
    };
    match verb {
        "watch" => Ok(open_watch(cluster, target, &query)?),
        "list" => {
            let (labels, fields) = selectors(&query)?;
            let limit = query
                .get("limit")
                .and_then(|l| l.parse().ok())
                .filter(|l: &usize| *l > 0);
            let start = query
                .get("continue")
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            let page = cluster.lock().list(&target, &labels, &fields, limit, start);
            let list = State::write_list(&target, &page);
            if as_table {
                let list: Value =
                    serde_json::from_slice(&list).map_err(|e| ApiError::internal(e.to_string()))?;
                return reply(StatusCode::OK, list);
            }
            Ok(bytes_response(
                StatusCode::OK,
                Bytes::from(list),
                "application/json",
            ))
        }
        "get" => reply(StatusCode::OK, cluster.lock().get(&target)?),
        "create" => {
            let object = parse_body()?;
            match target.resource.behaviour {
                Behaviour::AccessReview => reply(
                    StatusCode::CREATED,
                    State::review_access(cluster.access(), &object),
                ),
                Behaviour::IdentityReview => reply(StatusCode::CREATED, State::review_identity()),
                Behaviour::Stored => {
                    let dry = dry_run(&query, &Value::Null)?;
                    let created = cluster.lock().create(&target, object, dry)?;
                    reply(StatusCode::CREATED, created)
                }
            }
        }
        "update" => {
            let object = parse_body()?;
            let dry = dry_run(&query, &Value::Null)?;
            let updated = cluster.lock().update(&target, object, dry)?;
            reply(StatusCode::OK, updated)
        }
        "patch" => {
            let patch_type = PatchType::from_content_type(&content_type)?;
            let dry = dry_run(&query, &Value::Null)?;
            let patched = cluster.lock().patch(&target, patch_type, &body, dry)?;
            reply(StatusCode::OK, patched)
        }
        "delete" => {
            let options = parse_body()?;
            let dry = dry_run(&query, &options)?;
            let orphan = query
                .get("propagationPolicy")
                .map(String::as_str)
                .or(options["propagationPolicy"].as_str())
                == Some("Orphan")
                || options["orphanDependents"].as_bool() == Some(true);
            let deleted = cluster.lock().delete(&target, dry, orphan)?;
            reply(StatusCode::OK, deleted)
        }
        _ => {
            let options = parse_body()?;
            let dry = dry_run(&query, &options)?;
            let (labels, fields) = selectors(&query)?;
            let mut state = cluster.lock();
            let page = state.list(&target, &labels, &fields, None, 0);
            for item in &page.items {
                let one = Target {
                    name: item["metadata"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    ..target.clone()
                };
                state.delete(&one, dry, false)?;
            }
            reply(
                StatusCode::OK,
                json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}),
            )
        }
    }
}

/// Reads a request body up to the limit. A larger one is read on (up to a bound) and
/// dropped, so that the client gets the 413 rather than a broken pipe.
async fn read_body(body: Body) -> ApiResult<Bytes> {
    use http_body_util::BodyExt;
    const DRAIN_LIMIT: usize = 64 * 1024 * 1024;
    let mut body = body;
    let mut kept = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|e| ApiError::bad_request(format!("reading the request body: {e}")))?;
        if let Ok(data) = frame.into_data() {
            seen += data.len();
            if seen <= BODY_LIMIT {
                kept.extend_from_slice(&data);
            } else if seen > DRAIN_LIMIT {
                break;
            }
        }
    }
    if seen > BODY_LIMIT {
        return Err(ApiError::too_large(BODY_LIMIT));
    }
    Ok(Bytes::from(kept))
}

fn selectors(query: &Query) -> ApiResult<(LabelSelector, FieldSelector)> {
    let labels = LabelSelector::parse(query.get("labelSelector").map_or("", String::as_str))
        .map_err(ApiError::bad_request)?;
    let fields = FieldSelector::parse(query.get("fieldSelector").map_or("", String::as_str))
        .map_err(ApiError::bad_request)?;
    Ok((labels, fields))
}

/// Resolves `[namespaces/NS/]PLURAL[/NAME[/SUBRESOURCE]]` within a group version.
fn resolve(cluster: &Cluster, path: &Path, full: &str) -> ApiResult<Target> {
    let state = cluster.lock();
    let find = |plural: &str| {
        state
            .registry
            .find(&path.group, &path.version, plural)
            .cloned()
    };
    let rest = &path.rest;
    let namespaced =
        rest.len() >= 3 && rest[0] == "namespaces" && find(&rest[2]).is_some_and(|t| t.namespaced);
    let (namespace, tail) = if namespaced {
        (rest[1].clone(), &rest[2..])
    } else {
        (String::new(), &rest[..])
    };
    let resource: ResourceType = find(&tail[0]).ok_or_else(|| ApiError::no_route(full))?;
    if resource.namespaced && !namespaced && tail.len() > 1 {
        return Err(ApiError::no_route(full));
    }
    if tail.len() > 3 {
        return Err(ApiError::no_route(full));
    }
    let subresource = tail.get(2).cloned();
    if let Some(sub) = &subresource {
        let known = (sub == "status" && resource.status_subresource)
            || (sub == "scale" && resource.scale.is_some());
        if !known {
            return Err(ApiError::no_route(full));
        }
    }
    Ok(Target {
        version: path.version.clone(),
        namespace,
        name: tail.get(1).cloned().unwrap_or_default(),
        subresource,
        resource,
    })
}

fn authorize(policy: &AccessPolicy, target: &Target, verb: &str) -> ApiResult<()> {
    let resource = match &target.subresource {
        Some(sub) => format!("{}/{sub}", target.resource.plural),
        None => target.resource.plural.clone(),
    };
    if policy.allows(verb, &target.resource.group, &resource) {
        return Ok(());
    }
    Err(ApiError::forbidden(AccessPolicy::forbidden_message(
        verb,
        &target.resource.group,
        &resource,
        &target.namespace,
        &target.name,
    )))
}

fn open_watch(cluster: &Cluster, target: Target, query: &Query) -> ApiResult<Response> {
    let (labels, fields) = selectors(query)?;
    let request = WatchRequest {
        target,
        labels,
        fields,
        resource_version: query.get("resourceVersion").cloned(),
        bookmarks: flag(query, "allowWatchBookmarks"),
        send_initial_events: flag(query, "sendInitialEvents"),
        timeout: query
            .get("timeoutSeconds")
            .and_then(|t| t.parse().ok())
            .map(Duration::from_secs),
    };
    let lines = watch::open(cluster, request);
    let stream = futures::stream::unfold(lines, |mut lines| async move {
        lines
            .recv()
            .await
            .map(|line| (Ok::<_, std::convert::Infallible>(line), lines))
    });
    let mut response = Response::new(Body::from_stream(stream));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}
