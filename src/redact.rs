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

/// `url` with its userinfo and token-like query values replaced by `***`. Text that is
/// not a URL loses anything between `://` and an `@` all the same.
pub fn url(text: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(text) else {
        return fallback(text);
    };
    let mut changed = false;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        // Only a URL that cannot have userinfo refuses these, and it has none.
        let _ = parsed.set_username(HIDDEN);
        let _ = parsed.set_password(None);
        changed = true;
    }
    if parsed.query().is_some() {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                if is_secret(&k) {
                    changed = true;
                    (k.into_owned(), HIDDEN.to_string())
                } else {
                    (k.into_owned(), v.into_owned())
                }
            })
            .collect();
        if changed {
            parsed.query_pairs_mut().clear().extend_pairs(pairs);
        }
    }
    if changed {
        parsed.to_string()
    } else {
        text.to_string()
    }
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
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | ')'))
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

fn fallback(text: &str) -> String {
    match (text.find("://"), text.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let host_end = text[scheme + 3..]
                .find('/')
                .map_or(text.len(), |i| scheme + 3 + i);
            if at < host_end {
                return format!("{}{HIDDEN}{}", &text[..scheme + 3], &text[at..]);
            }
            text.to_string()
        }
        _ => text.to_string(),
    }
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
        assert_eq!(url("x://a:b@c d"), "x://***@c d");
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
