//! Reaching a cluster: the current kubeconfig (with `--context`), as kubectl would, with
//! a deadline on every request but watches, and failures that say what happened and to
//! which server ("connection refused: https://10.0.0.1:6443"), not `client error
//! (Connect)`.

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use color_eyre::eyre::{Result, WrapErr, eyre};
use kube::client::ClientBuilder;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use tower::{BoxError, Layer, Service};

/// How long connecting, and then each request (watches excepted), may wait for an answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A client for the kubeconfig's context (or `context`), and that context's name.
pub async fn from_kubeconfig(context: Option<&str>) -> Result<(Client, String)> {
    let kubeconfig = Kubeconfig::read().map_err(|e| {
        eyre!("no usable kubeconfig ({e}); set KUBECONFIG, or try `kshift demo` for an embedded cluster")
    })?;
    let name = match context {
        Some(name) => {
            if !kubeconfig.contexts.iter().any(|c| c.name == name) {
                let known: Vec<&str> = kubeconfig
                    .contexts
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect();
                return Err(eyre!(
                    "no context {name:?} in the kubeconfig; it has: {}",
                    known.join(", ")
                ));
            }
            name.to_string()
        }
        None => kubeconfig
            .current_context
            .clone()
            .ok_or_else(|| eyre!("the kubeconfig names no current context; pass --context"))?,
    };
    let options = KubeConfigOptions {
        context: Some(name.clone()),
        ..KubeConfigOptions::default()
    };
    let mut config = Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .wrap_err_with(|| format!("reading context {name:?} of the kubeconfig"))?;
    config.connect_timeout = Some(TIMEOUT);
    super::errors::set_server(config.cluster_url.to_string().trim_end_matches('/'));
    // Shown in messages: without a password the URL might carry.
    let url = crate::redact::url(config.cluster_url.to_string().trim_end_matches('/'));
    let client = ClientBuilder::try_from(config)
        .wrap_err("building the Kubernetes client")?
        .with_layer(&Deadline {
            url,
            timeout: TIMEOUT,
        })
        .build();
    Ok((client, name))
}

/// Whether the cluster answers at all (`GET /version`), in words when it does not.
pub async fn probe(client: &Client) -> Result<(), String> {
    client
        .apiserver_version()
        .await
        .map(|_| ())
        .map_err(|error| describe(&error))
}

/// A kube error in words: a transport failure as `Deadline` worded it (without kube's
/// `ServiceError:` prefix), anything else as kube says it.
pub fn describe(error: &kube::Error) -> String {
    match error {
        kube::Error::Service(inner) if inner.is::<Unreachable>() => inner.to_string(),
        other => other.to_string(),
    }
}

/// A server that could not be reached or did not answer, in words, with its URL.
#[derive(Debug)]
pub struct Unreachable(String);

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Unreachable {}

/// A tower layer over the client's stack: every request but a watch gets `timeout` to
/// be answered, and transport failures are worded with the server's URL.
#[derive(Debug, Clone)]
struct Deadline {
    url: String,
    timeout: Duration,
}

impl<S> Layer<S> for Deadline {
    type Service = WithDeadline<S>;

    fn layer(&self, inner: S) -> WithDeadline<S> {
        WithDeadline {
            inner,
            url: self.url.clone(),
            timeout: self.timeout,
        }
    }
}

#[derive(Debug, Clone)]
struct WithDeadline<S> {
    inner: S,
    url: String,
    timeout: Duration,
}

type Answer<R> = Pin<Box<dyn Future<Output = Result<R, BoxError>> + Send>>;

impl<S, B, RB> Service<http::Request<B>> for WithDeadline<S>
where
    S: Service<http::Request<B>, Response = http::Response<RB>>,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    RB: http_body::Body + Unpin,
    RB::Error: Into<BoxError>,
{
    type Response = http::Response<Quiet<RB>>;
    type Error = BoxError;
    type Future = Answer<http::Response<Quiet<RB>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        let url = self.url.clone();
        self.inner
            .poll_ready(cx)
            .map_err(|error| worded(error.into(), &url, self.timeout))
    }

    fn call(&mut self, request: http::Request<B>) -> Answer<http::Response<Quiet<RB>>> {
        // A watch is answered for as long as the server has news: kube-runtime's
        // watcher has its own idle timeout.
        let watch = request.uri().query().is_some_and(|q| {
            q.split('&')
                .any(|pair| pair == "watch=true" || pair == "watch=1")
        });
        let (url, timeout) = (self.url.clone(), self.timeout);
        let answer = self.inner.call(request);
        Box::pin(async move {
            let result = if watch {
                answer.await.map_err(Into::into)
            } else {
                match tokio::time::timeout(timeout, answer).await {
                    Ok(result) => result.map_err(Into::into),
                    Err(_) => return Err(no_answer(&url, timeout)),
                }
            };
            let response = result.map_err(|error| worded(error, &url, timeout))?;
            // Its body too: a server that sent the headers and then nothing more for
            // `timeout` has stopped answering.
            let limit = (!watch).then_some(timeout);
            Ok(response.map(|body| Quiet::new(body, url, limit)))
        })
    }
}

/// A response body that fails when no part of it arrives for `limit` (none for a
/// watch), in words.
pub struct Quiet<B> {
    inner: B,
    url: String,
    limit: Option<Duration>,
    silence: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<B> Quiet<B> {
    fn new(inner: B, url: String, limit: Option<Duration>) -> Quiet<B> {
        let silence = limit.map(|limit| Box::pin(tokio::time::sleep(limit)));
        Quiet {
            inner,
            url,
            limit,
            silence,
        }
    }
}

impl<B> http_body::Body for Quiet<B>
where
    B: http_body::Body + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = B::Data;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<B::Data>, BoxError>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                if let (Some(silence), Some(limit)) = (this.silence.as_mut(), this.limit) {
                    silence.as_mut().reset(tokio::time::Instant::now() + limit);
                }
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                let (Some(silence), Some(limit)) = (this.silence.as_mut(), this.limit) else {
                    return Poll::Pending;
                };
                match silence.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(no_answer(&this.url, limit)))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

fn no_answer(url: &str, timeout: Duration) -> BoxError {
    let waited = if timeout.subsec_millis() == 0 {
        format!("{} s", timeout.as_secs())
    } else {
        format!("{} ms", timeout.as_millis())
    };
    Box::new(Unreachable(format!("no answer from {url} in {waited}")))
}

/// A transport failure in words: what happened, and to which server.
fn worded(error: BoxError, url: &str, timeout: Duration) -> BoxError {
    // kube's own (authentication, a malformed request) already say what they are.
    if error.is::<kube::Error>() || error.is::<Unreachable>() {
        return error;
    }
    let mut cause: Option<&(dyn StdError + 'static)> = Some(error.as_ref());
    while let Some(current) = cause {
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind;
            let text = match io.kind() {
                ErrorKind::TimedOut => return no_answer(url, timeout),
                ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::BrokenPipe
                | ErrorKind::UnexpectedEof => Some(format!("connection closed by {url}")),
                ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => {
                    Some(format!("no route to {url}"))
                }
                _ => None,
            };
            if let Some(text) = text {
                return Box::new(Unreachable(text));
            }
        }
        cause = current.source();
    }
    // Names that do not resolve, TLS that fails, and the rest, in their own words.
    let server = format!("the API server at {url}");
    Box::new(Unreachable(super::errors::describe(
        error.as_ref(),
        &server,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_failures_name_the_server_and_the_cause() {
        let url = "https://10.0.0.1:6443";
        let refused: BoxError =
            Box::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(
            worded(refused, url, TIMEOUT)
                .to_string()
                .starts_with("the API server at https://10.0.0.1:6443 refused the connection"),
        );
        let slow: BoxError = Box::new(std::io::Error::from(std::io::ErrorKind::TimedOut));
        assert_eq!(
            worded(slow, url, TIMEOUT).to_string(),
            "no answer from https://10.0.0.1:6443 in 10 s"
        );
        let odd: BoxError = "dns error: no such host".into();
        assert_eq!(
            worded(odd, url, TIMEOUT).to_string(),
            "the API server at https://10.0.0.1:6443: its host name does not resolve (DNS): dns error: no such host"
        );
        let kube = kube::Error::Service(worded(
            Box::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
            url,
            TIMEOUT,
        ));
        assert!(
            describe(&kube)
                .starts_with("the API server at https://10.0.0.1:6443 refused the connection"),
            "{}",
            describe(&kube)
        );
    }

    /// A server that sends the headers, then nothing more: the body fails in words
    /// (the test's bound is far above the limit; speed is not asserted).
    #[tokio::test]
    async fn a_body_that_stops_coming_fails_in_words() {
        use http_body_util::BodyExt;
        let stalled = http_body_util::StreamBody::new(futures::stream::pending::<
            Result<http_body::Frame<bytes::Bytes>, std::io::Error>,
        >());
        let body = Quiet::new(
            stalled,
            "https://10.0.0.1:6443".into(),
            Some(Duration::from_millis(50)),
        );
        let read = tokio::time::timeout(Duration::from_secs(30), body.collect()).await;
        let error = read
            .map(|r| r.err().map(|e| e.to_string()))
            .unwrap_or_default();
        assert_eq!(
            error.as_deref(),
            Some("no answer from https://10.0.0.1:6443 in 50 ms")
        );
    }
}
