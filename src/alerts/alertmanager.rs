//! Asking Alertmanager which alerts are firing, through its v2 API.

use std::time::Duration;

use prometheus_http_query::reqwest;

use super::Alert;

/// How much of an error body a message quotes: a status bar has one line.
const QUOTE_CHARS: usize = 120;

/// One Alertmanager, asked with a bounded wait.
pub struct Alertmanager {
    /// The URL as configured, less a trailing slash: requests append the API path
    /// to it (so a `--web.route-prefix` works), and messages quote it as the user
    /// wrote it.
    base: String,
    /// `base` as messages show it: credentials hidden.
    shown: String,
    timeout: Duration,
    http: reqwest::Client,
}

impl Alertmanager {
    /// A client for the Alertmanager at `url` (`http://HOST:PORT`, with a path prefix
    /// if behind a proxy), giving up on each request after `timeout`. Nothing is sent
    /// yet; a URL that cannot be one is refused here, in words.
    pub fn new(url: &str, timeout: Duration) -> Result<Alertmanager, String> {
        Alertmanager::with_auth(url, timeout, None)
    }

    /// As `new`, sending `authorization` (see `crate::redact::authorization`) with
    /// every request. Messages quote the URL with its credentials hidden.
    pub fn with_auth(
        url: &str,
        timeout: Duration,
        authorization: Option<reqwest::header::HeaderValue>,
    ) -> Result<Alertmanager, String> {
        let url = url.trim();
        let shown = crate::redact::url(url);
        // "localhost:9093" parses as a URL of scheme "localhost": say what is expected.
        let web = ["http://", "https://"].iter().any(|scheme| {
            url.get(..scheme.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
        });
        if !web {
            return Err(format!(
                "Alertmanager URL {shown:?} must start with http:// or https:// (e.g. http://localhost:9093)"
            ));
        }
        let base = url.trim_end_matches('/');
        reqwest::Url::parse(base)
            .map_err(|err| format!("Alertmanager URL {shown:?} is not a URL: {err}"))?;
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert(reqwest::header::AUTHORIZATION, value);
        }
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(timeout)
            .build()
            .map_err(|err| format!("cannot set up HTTP for Alertmanager: {}", cause(&err)))?;
        Ok(Alertmanager {
            base: base.to_string(),
            shown: crate::redact::url(base),
            timeout,
            http,
        })
    }

    /// The alerts firing now: active, neither silenced nor inhibited, sorted for
    /// display. The query asks Alertmanager to leave out the muted ones, and
    /// [`super::parse`] keeps only active ones anyway.
    pub async fn firing(&self) -> Result<Vec<Alert>, String> {
        let url = format!(
            "{}/api/v2/alerts?active=true&silenced=false&inhibited=false",
            self.base
        );
        let mut response = self
            .http
            .get(url)
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|err| self.unreachable(&err))?;
        let status = response.status();
        let body = crate::metrics::prometheus::read_capped(
            &mut response,
            crate::metrics::prometheus::MAX_ANSWER_BYTES,
        )
        .await
        .map_err(|err| format!("Alertmanager at {}: {err}", self.shown))?;
        if !status.is_success() {
            return Err(format!(
                "Alertmanager at {} answered {}{}",
                self.shown,
                status.as_u16(),
                quote(&body)
            ));
        }
        super::parse(&body).map_err(|err| format!("Alertmanager at {}: {err}", self.shown))
    }

    /// What to say when no complete answer came.
    fn unreachable(&self, err: &reqwest::Error) -> String {
        if err.is_timeout() {
            format!(
                "Alertmanager at {} timed out after {}",
                self.shown,
                crate::metrics::templates::duration(self.timeout)
            )
        } else {
            format!(
                "Alertmanager at {} not answering: {}",
                self.shown,
                cause(err)
            )
        }
    }
}

/// The innermost cause in a status bar's words: "connection refused" rather than the
/// outer layers, which repeat the URL, or the OS error number.
fn cause(err: &(dyn std::error::Error + 'static)) -> String {
    let text = crate::metrics::prometheus::deepest(err);
    let text = match text.rfind(" (os error ") {
        Some(at) if text.ends_with(')') => &text[..at],
        _ => &text,
    };
    // Lower "Connection refused" (std's words for the OS's), keep "TLS ...".
    let mut chars = text.chars();
    match (chars.next(), chars.clone().next()) {
        (Some(first), Some(second)) if first.is_uppercase() && second.is_lowercase() => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => text.to_string(),
    }
}

/// ": " and the first non-blank line of an error body, cut to fit a status bar;
/// nothing when the body is empty.
fn quote(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    match text.lines().map(str::trim).find(|line| !line.is_empty()) {
        Some(line) if line.chars().count() > QUOTE_CHARS => {
            format!(": {}…", line.chars().take(QUOTE_CHARS).collect::<String>())
        }
        Some(line) => format!(": {line}"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(4);

    fn refused(url: &str) -> String {
        Alertmanager::new(url, TIMEOUT).err().expect("refused")
    }

    #[test]
    fn keeps_the_url_without_trailing_slash() {
        let client = Alertmanager::new(" http://alertmanager.monitoring:9093/ ", TIMEOUT).unwrap();
        assert_eq!(client.base, "http://alertmanager.monitoring:9093");
        let client = Alertmanager::new("HTTPS://example.com/am//", TIMEOUT).unwrap();
        assert_eq!(client.base, "HTTPS://example.com/am");
    }

    #[test]
    fn refuses_what_is_not_a_web_url() {
        for url in ["localhost:9093", "127.0.0.1:9093", "ftp://example.com", ""] {
            assert_eq!(
                refused(url),
                format!(
                    "Alertmanager URL {url:?} must start with http:// or https:// (e.g. http://localhost:9093)"
                )
            );
        }
        assert_eq!(
            refused("http://"),
            r#"Alertmanager URL "http://" is not a URL: empty host"#
        );
        assert_eq!(
            refused("http://127.0.0.1:99999"),
            r#"Alertmanager URL "http://127.0.0.1:99999" is not a URL: invalid port number"#
        );
    }

    #[test]
    fn quotes_the_first_line_of_a_body() {
        assert_eq!(quote(b""), "");
        assert_eq!(
            quote(b"\n  upstream connect error\nmore"),
            ": upstream connect error"
        );
        let long = "x".repeat(500);
        assert_eq!(
            quote(long.as_bytes()),
            format!(": {}…", &long[..QUOTE_CHARS])
        );
    }

    #[test]
    fn innermost_cause_in_lower_case() {
        let refused = std::io::Error::from_raw_os_error(111);
        assert_eq!(cause(&refused), "connection refused");
        let tls = std::io::Error::other("TLS handshake failed");
        assert_eq!(cause(&tls), "TLS handshake failed");
    }
}
