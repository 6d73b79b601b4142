//! A Kubernetes API that does not answer, in words: the connection refused, the name
//! not found, TLS that failed, or no answer in time, each with the server's URL. kube
//! and hyper say `client error (Connect)` for all of them; the cause is further down
//! the chain of sources.

use std::error::Error as StdError;
use std::sync::Mutex;

/// The API server the client was last built for (`connect::from_kubeconfig`).
static SERVER: Mutex<String> = Mutex::new(String::new());

/// Remembers the API server's URL (userinfo redacted) for the messages below.
pub fn set_server(url: &str) {
    let mut server = SERVER.lock().unwrap_or_else(|p| p.into_inner());
    *server = crate::redact::url(url);
}

/// The API server's URL, or "the API server" when none was recorded.
pub fn server() -> String {
    let server = SERVER.lock().unwrap_or_else(|p| p.into_inner());
    if server.is_empty() {
        "the API server".to_string()
    } else {
        format!("the API server at {server}")
    }
}

/// What went wrong reaching the API, in words, with the server's URL.
pub fn unreachable(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => format!(
            "{} answered {} {}: {}",
            server(),
            status.code,
            status.reason,
            status.message
        ),
        // Already in words, by the client's own layer (connect.rs).
        kube::Error::Service(inner) if inner.is::<super::connect::Unreachable>() => {
            inner.to_string()
        }
        other => describe(other, &server()),
    }
}

/// The cause of a failed request, from the chain of sources of `error`.
pub fn describe(error: &(dyn StdError + 'static), server: &str) -> String {
    let mut chain = Vec::new();
    let mut cursor: Option<&(dyn StdError + 'static)> = Some(error);
    let mut kind = None;
    while let Some(e) = cursor {
        let text = e.to_string();
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            kind = kind.or(match io.kind() {
                std::io::ErrorKind::ConnectionRefused => Some(Cause::Refused),
                std::io::ErrorKind::TimedOut => Some(Cause::Timeout),
                _ => None,
            });
        }
        let lower = text.to_ascii_lowercase();
        kind = kind.or(
            if lower.contains("dns error")
                || lower.contains("failed to lookup address")
                || lower.contains("name or service not known")
            {
                Some(Cause::Dns)
            } else if lower.contains("certificate")
                || lower.contains("tls")
                || lower.contains("handshake")
                || lower.contains("invalidcontenttype")
                || lower.contains("corrupt message")
            {
                Some(Cause::Tls)
            } else if lower.contains("connection refused") {
                Some(Cause::Refused)
            } else if lower.contains("timed out") || lower.contains("deadline has elapsed") {
                Some(Cause::Timeout)
            } else {
                None
            },
        );
        if chain.last() != Some(&text) {
            chain.push(text);
        }
        cursor = e.source();
    }
    // The root cause says the most; kube's and hyper's wrappers only repeat "Connect".
    let detail = chain.last().cloned().unwrap_or_default();
    match kind {
        Some(Cause::Refused) => {
            format!("{server} refused the connection (is it running?): {detail}")
        }
        Some(Cause::Dns) => format!("{server}: its host name does not resolve (DNS): {detail}"),
        Some(Cause::Tls) => format!(
            "{server}: the TLS connection failed (certificate, or a server that does not speak TLS): {detail}"
        ),
        Some(Cause::Timeout) => format!("{server} did not answer in time: {detail}"),
        None => format!("{server}: {detail}"),
    }
}

#[derive(Clone, Copy)]
enum Cause {
    Refused,
    Dns,
    Tls,
    Timeout,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_are_told_apart_with_the_server() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let text = describe(&refused, "the API server at https://k:6443");
        assert!(
            text.starts_with("the API server at https://k:6443 refused the connection"),
            "{text}"
        );
        let timeout = std::io::Error::from(std::io::ErrorKind::TimedOut);
        assert!(describe(&timeout, "S").contains("did not answer in time"));
        let dns = std::io::Error::other("dns error: failed to lookup address information");
        assert!(describe(&dns, "S").contains("does not resolve (DNS)"));
        let tls = std::io::Error::other("invalid peer certificate: UnknownIssuer");
        assert!(describe(&tls, "S").contains("TLS connection failed"));
    }
}
