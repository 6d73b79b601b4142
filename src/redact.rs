//! Secrets stay off the screen: every URL kshift shows (in errors, JSON output, the
//! console's header) goes through `url`, which hides a password or user in the URL
//! and the values of token-like query parameters.

/// Query parameters whose value is a credential, matched without case, in part.
const SECRET_PARAMS: [&str; 9] = [
    "token",
    "password",
    "passwd",
    "secret",
    "key",
    "auth",
    "signature",
    "sig",
    "credential",
];

/// Shown instead of a secret.
const HIDDEN: &str = "***";

/// `url` with its userinfo and token-like query values replaced by `***`; the rest
/// as it was written.
pub fn url(text: &str) -> String {
    let Some(scheme_end) = text.find("://") else {
        return text.to_string();
    };
    let authority_start = scheme_end + 3;
    let authority_end = text[authority_start..]
        .find(['/', '?', '#'])
        .map_or(text.len(), |i| authority_start + i);
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..authority_start]);
    let authority = &text[authority_start..authority_end];
    match authority.rfind('@') {
        Some(at) => {
            out.push_str(HIDDEN);
            out.push_str(&authority[at..]);
        }
        None => out.push_str(authority),
    }
    let rest = &text[authority_end..];
    let Some(query_start) = rest.find('?') else {
        out.push_str(rest);
        return out;
    };
    out.push_str(&rest[..=query_start]);
    let after = &rest[query_start + 1..];
    let query_end = after.find('#').unwrap_or(after.len());
    let pairs: Vec<String> = after[..query_end]
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if is_secret(key) => format!("{key}={HIDDEN}"),
            _ => pair.to_string(),
        })
        .collect();
    out.push_str(&pairs.join("&"));
    out.push_str(&after[query_end..]);
    out
}

/// The `Authorization` header for a service, from the environment (first) or the
/// config: `KSHIFT_<SERVICE>_TOKEN` (a bearer token) or `KSHIFT_<SERVICE>_USER` and
/// `KSHIFT_<SERVICE>_PASSWORD` (basic), else the config's `<service>_token`, or
/// `<service>_user` and `<service>_password`. Marked sensitive, so that it is never
/// shown or logged. `service` is `prometheus` or `alertmanager`.
pub fn authorization(
    service: &str,
    config: impl Fn(&str) -> Option<String>,
) -> Option<http::HeaderValue> {
    use base64::Engine;
    let upper = service.to_ascii_uppercase();
    let env = |what: &str| {
        std::env::var(format!("KSHIFT_{upper}_{what}"))
            .ok()
            .filter(|v| !v.is_empty())
    };
    let conf = |what: &str| config(&format!("{service}_{what}")).filter(|v| !v.is_empty());
    let token = env("TOKEN").or_else(|| conf("token"));
    let user = env("USER").or_else(|| conf("user"));
    let password = env("PASSWORD").or_else(|| conf("password"));
    let value = match (token, user) {
        (Some(token), _) => format!("Bearer {}", token.trim()),
        (None, Some(user)) => {
            let pair = format!("{user}:{}", password.unwrap_or_default());
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            )
        }
        (None, None) => return None,
    };
    let mut header = http::HeaderValue::from_str(&value).ok()?;
    header.set_sensitive(true);
    Some(header)
}

/// Every URL inside a text (an error message that quotes one) redacted.
pub fn urls_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("://") {
        // The scheme: the letters before `://`.
        let scheme_start = rest[..start]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.'))
            .map_or(0, |i| i + 1);
        let end = rest[start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | ')' | '\\'))
            .map_or(rest.len(), |i| start + i);
        out.push_str(&rest[..scheme_start]);
        out.push_str(&url(&rest[scheme_start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn is_secret(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_PARAMS.iter().any(|s| lower.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_and_token_parameters_are_hidden() {
        assert_eq!(
            url("https://admin:hunter2@prom.example:9090/api"),
            "https://***@prom.example:9090/api"
        );
        assert_eq!(url("http://bob@am:9093"), "http://***@am:9093");
        assert_eq!(
            url("http://prom:9090/?access_token=abc&x=1&API_KEY=k"),
            "http://prom:9090/?access_token=***&x=1&API_KEY=***"
        );
        // Nothing to hide: the text as given, not as a URL parser would respell it.
        assert_eq!(url("http://prom:9090"), "http://prom:9090");
        assert_eq!(url("not a url"), "not a url");
        assert_eq!(url("x://a:b@c/d@e"), "x://***@c/d@e");
        assert_eq!(url("http://h/p?token=1#frag"), "http://h/p?token=***#frag");
    }

    #[test]
    fn credentials_come_from_the_config_as_bearer_or_basic() {
        // The environment is left alone here: names no test sets.
        let config = |key: &str| match key {
            "kshift-test-svc_token" => Some("abc".to_string()),
            _ => None,
        };
        let header = authorization("kshift-test-svc", config).unwrap();
        assert_eq!(header.to_str().unwrap(), "Bearer abc");
        assert!(header.is_sensitive());
        let basic = |key: &str| match key {
            "kshift-test-svc_user" => Some("bob".to_string()),
            "kshift-test-svc_password" => Some("pw".to_string()),
            _ => None,
        };
        let header = authorization("kshift-test-svc", basic).unwrap();
        assert_eq!(header.to_str().unwrap(), "Basic Ym9iOnB3");
        assert_eq!(authorization("kshift-test-svc", |_| None), None);
    }

    #[test]
    fn urls_inside_messages_are_hidden() {
        assert_eq!(
            urls_in("Prometheus at http://u:p@prom:9090/x?token=t is not answering: refused"),
            "Prometheus at http://***@prom:9090/x?token=*** is not answering: refused"
        );
        assert_eq!(urls_in("no url here"), "no url here");
    }
}
