//! Asking a Prometheus-compatible HTTP API (Prometheus, Thanos, Mimir) for health: one
//! query per metric per traffic source in use, whatever the number of releases, all
//! in flight at once, each bounded by the same timeout.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus_http_query::response::Data;
use prometheus_http_query::{Client, reqwest};
use tokio::task::JoinSet;

use super::parse::{self, Parsed};
use super::templates::{Metric, Templates};
use super::{Snapshot, Source, VersionKey};

/// A Prometheus to ask, with the query templates to ask it.
#[derive(Clone)]
pub struct Prometheus {
    /// Asked directly, so that an answer is read only up to `MAX_ANSWER_BYTES`.
    http: reqwest::Client,
    /// The API's base URL, less a trailing slash.
    base: String,
    /// The URL as messages show it: credentials hidden.
    url: String,
    timeout: Duration,
    templates: Templates,
}

/// What a query is for: the value now, or the series over a span for graphs.
#[derive(Debug, Clone, Copy)]
enum Ask {
    Health,
    History { start: i64, end: i64, step: f64 },
}

/// Why a query gave no result.
#[derive(Debug)]
enum Failure {
    /// Nothing answered (no connection, no reply in time).
    Unreachable(String),
    /// An answer that is an error or not a query result.
    Query(String),
}

impl Failure {
    fn message(&self) -> &str {
        match self {
            Failure::Unreachable(message) | Failure::Query(message) => message,
        }
    }
}

type Answer = ((Source, Metric, bool), Result<Data, Failure>);

impl Prometheus {
    /// A client for the API at `url` (`http://HOST:PORT`, with a path prefix if behind
    /// a proxy), with the default templates. Nothing is sent yet; a URL that cannot be
    /// one is refused here, in words.
    pub fn new(url: &str, timeout: Duration) -> Result<Prometheus, String> {
        Prometheus::with_auth(url, timeout, None)
    }

    /// As `new`, sending `authorization` (a bearer token or basic credentials from the
    /// config or the environment: `crate::redact::authorization`) with every query.
    /// Messages quote the URL with its credentials hidden.
    pub fn with_auth(
        url: &str,
        timeout: Duration,
        authorization: Option<reqwest::header::HeaderValue>,
    ) -> Result<Prometheus, String> {
        let url = url.trim();
        let shown = crate::redact::url(url);
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert(reqwest::header::AUTHORIZATION, value);
        }
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .map_err(|err| format!("cannot set up HTTP for Prometheus: {}", deepest(&err)))?;
        let client = Client::from(http.clone(), url)
            .map_err(|err| format!("Prometheus URL {shown:?} is not a URL: {}", deepest(&err)))?;
        let base = client.base_url();
        // "localhost:9090" parses as a URL of scheme "localhost": say what is expected.
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(format!(
                "Prometheus URL {shown:?} must start with http:// or https:// (e.g. http://localhost:9090)"
            ));
        }
        let base = base.as_str().trim_end_matches('/').to_string();
        Ok(Prometheus {
            http,
            base,
            url: shown,
            timeout,
            templates: Templates::default(),
        })
    }

    /// The same Prometheus asked with other templates (the config file's).
    pub fn with_templates(self, templates: Templates) -> Prometheus {
        Prometheus { templates, ..self }
    }

    /// Health over `window` for every version of the given sources (a source listed
    /// several times is asked once), and with `history = Some((range, step))` their
    /// series over the last `range`. Never fails: what went wrong is in `errors`, and
    /// when nothing answered at all, that alone. Dropping the future cancels the
    /// queries still in flight, so a caller keeping only the latest refresh leaves
    /// nothing behind.
    pub async fn refresh(
        &self,
        sources: &[Source],
        window: Duration,
        history: Option<(Duration, Duration)>,
    ) -> Snapshot {
        let sources: BTreeSet<Source> = sources.iter().copied().collect();
        let span = history.map(|(range, step)| span(range, step, unix_now()));
        let mut queries = JoinSet::new();
        for source in sources {
            for metric in Metric::ALL {
                let query = self.templates.render(source, metric, window);
                for ask in std::iter::once(Ask::Health).chain(span) {
                    let (http, base, query, timeout) = (
                        self.http.clone(),
                        self.base.clone(),
                        query.clone(),
                        self.timeout,
                    );
                    let name = (source, metric, matches!(ask, Ask::History { .. }));
                    queries.spawn(
                        async move { (name, send(&http, &base, query, ask, timeout).await) },
                    );
                }
            }
        }
        let mut answers = Vec::new();
        let mut errors = Vec::new();
        while let Some(joined) = queries.join_next().await {
            match joined {
                Ok(answer) => answers.push(answer),
                Err(err) => errors.push(format!("a Prometheus query stopped: {err}")),
            }
        }
        answers.sort_by_key(|(name, _)| *name);
        if let Some(error) = self.all_failed(&answers) {
            return Snapshot {
                errors: vec![error],
                ..Snapshot::default()
            };
        }
        let mut snapshot = assemble(answers);
        snapshot.errors.extend(errors);
        snapshot
    }

    /// One error for the whole refresh when every query failed alike, rather than
    /// the same words once per query.
    fn all_failed(&self, answers: &[Answer]) -> Option<String> {
        let failures: Vec<&Failure> = answers
            .iter()
            .filter_map(|(_, r)| r.as_ref().err())
            .collect();
        let first = failures.first()?;
        if failures.len() < answers.len() {
            return None;
        }
        if failures
            .iter()
            .all(|f| matches!(f, Failure::Unreachable(_)))
        {
            return Some(format!(
                "Prometheus at {} is not answering: {}",
                self.url,
                first.message()
            ));
        }
        failures
            .iter()
            .all(|f| f.message() == first.message())
            .then(|| {
                format!(
                    "Prometheus at {} fails every query: {}",
                    self.url,
                    first.message()
                )
            })
    }
}

/// The snapshot of sorted answers: values per version, and each failure by name. A
/// metric's history query fails for the same reason as its health query (the same
/// template), so only the first of the two is told.
fn assemble(answers: Vec<Answer>) -> Snapshot {
    let mut errors = Vec::new();
    let mut health = Vec::new();
    let mut history = Vec::new();
    let mut failed = BTreeSet::new();
    for ((source, metric, is_history), result) in answers {
        let data = match result {
            Ok(data) => data,
            Err(failure) => {
                if failed.insert((source, metric)) {
                    let (source, metric) = (source.as_str(), metric.as_str());
                    errors.push(format!("{source} {metric}: {}", failure.message()));
                }
                continue;
            }
        };
        if is_history {
            let values = values(parse::matrix(source, &data), source, metric, &mut errors);
            history.extend(values.map(|v| (metric, v)));
        } else {
            let values = values(parse::vector(source, &data), source, metric, &mut errors);
            health.extend(values.map(|v| (metric, v)));
        }
    }
    // The same series left out of both queries of a metric is one warning.
    errors.dedup();
    Snapshot {
        health: parse::health(health),
        history: parse::history(history),
        errors,
    }
}

/// A parsed answer's values, its problems told under the query's name.
fn values<T>(
    parsed: Result<Parsed<T>, String>,
    source: Source,
    metric: Metric,
    errors: &mut Vec<String>,
) -> Option<BTreeMap<VersionKey, T>> {
    match parsed {
        Ok(parsed) => {
            errors.extend(parsed.warning(source, metric));
            Some(parsed.values)
        }
        Err(err) => {
            errors.push(format!("{} {}: {err}", source.as_str(), metric.as_str()));
            None
        }
    }
}

/// The most of one answer kshift reads: beyond it the answer is refused in words, so
/// that a query matching far too much cannot take the memory (a 50 MB answer took
/// `kshift list` to 3 GB). Ten thousand releases answer in a few megabytes.
pub const MAX_ANSWER_BYTES: usize = 16 << 20;

/// The most series of one answer kshift parses, counted before parsing.
pub const MAX_SERIES: usize = 50_000;

/// A query's answer as Prometheus's HTTP API gives it.
#[derive(serde::Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
enum Reply {
    Success {
        data: Data,
    },
    Error {
        #[serde(rename = "errorType", default)]
        error_type: String,
        #[serde(default)]
        error: String,
    },
}

async fn send(
    http: &reqwest::Client,
    base: &str,
    query: String,
    ask: Ask,
    timeout: Duration,
) -> Result<Data, Failure> {
    // Prometheus gives up evaluating at the same timeout, so a slow query does not
    // keep loading it after we have stopped waiting.
    let millis = format!("{}ms", timeout.as_millis());
    let request = match ask {
        Ask::Health => http
            .get(format!("{base}/api/v1/query"))
            .query(&[("query", query.as_str()), ("timeout", millis.as_str())]),
        Ask::History { start, end, step } => {
            http.get(format!("{base}/api/v1/query_range")).query(&[
                ("query", query.as_str()),
                ("start", start.to_string().as_str()),
                ("end", end.to_string().as_str()),
                ("step", step.to_string().as_str()),
                ("timeout", millis.as_str()),
            ])
        }
    };
    match tokio::time::timeout(timeout, exchange(request)).await {
        Err(_) => Err(Failure::Unreachable(format!(
            "no answer within {}",
            super::templates::duration(timeout)
        ))),
        Ok(answer) => answer,
    }
}

/// Sends a query and reads its answer, up to `MAX_ANSWER_BYTES` and `MAX_SERIES`.
async fn exchange(request: reqwest::RequestBuilder) -> Result<Data, Failure> {
    let mut response = request.send().await.map_err(|err| {
        if err.is_connect() {
            Failure::Unreachable(deepest(&err))
        } else {
            Failure::Query(deepest(&err))
        }
    })?;
    let status = response.status();
    let body = read_capped(&mut response, MAX_ANSWER_BYTES)
        .await
        .map_err(Failure::Query)?;
    parse_reply(status, &body)
}

/// A response's body, refused in words past `cap` bytes (by its length when it says,
/// else as it comes).
pub(crate) async fn read_capped(
    response: &mut reqwest::Response,
    cap: usize,
) -> Result<Vec<u8>, String> {
    let too_big = |size: String| {
        format!(
            "an answer of {size}, more than the {} MB kshift reads; not read",
            cap >> 20
        )
    };
    if let Some(length) = response.content_length()
        && length > cap as u64
    {
        return Err(too_big(format!("{} MB", length >> 20)));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|err| deepest(&err))? {
        if body.len() + chunk.len() > cap {
            return Err(too_big("more".into()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// An answer's data, or what it says instead: Prometheus's own error, too many
/// series, or something that is not Prometheus.
fn parse_reply(status: reqwest::StatusCode, body: &[u8]) -> Result<Data, Failure> {
    let series = count(body, b"\"metric\"");
    if series > MAX_SERIES {
        return Err(Failure::Query(format!(
            "an answer of {series} series, more than the {MAX_SERIES} kshift reads; not read (narrow the query)"
        )));
    }
    match serde_json::from_slice::<Reply>(body) {
        Ok(Reply::Success { data }) => Ok(data),
        // Prometheus's own words: "bad_data: 1:10: parse error: ...".
        Ok(Reply::Error { error_type, error }) => {
            Err(Failure::Query(format!("{error_type}: {error}")))
        }
        // Not JSON: something else answers at that URL (a web page, a 502).
        Err(_) => Err(Failure::Query(format!(
            "failed to parse response (HTTP {status})"
        ))),
    }
}

/// How many times `needle` occurs in `haystack`.
fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

/// The innermost cause: "Connection refused (os error 111)" rather than the outer
/// layers, whose words repeat the whole query's URL.
pub(crate) fn deepest(err: &(dyn std::error::Error + 'static)) -> String {
    let mut err = err;
    while let Some(source) = err.source() {
        err = source;
    }
    err.to_string()
}

/// The span of a range query ending now, on whole steps: each refresh asks for points
/// at the same instants, so graphs move by whole columns instead of wobbling.
fn span(range: Duration, step: Duration, now: i64) -> Ask {
    let step = i64::try_from(step.as_secs().max(1)).unwrap_or(i64::MAX);
    let range = i64::try_from(range.as_secs()).unwrap_or(i64::MAX);
    let end = now - now.rem_euclid(step);
    Ask::History {
        start: end.saturating_sub(range),
        end,
        step: step as f64,
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests;
