//! The `:` commands, in k9s's words.

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Command {
    Namespace(String),
    Context(String),
    Help,
    Quit,
}

/// Parses what was typed after `:`; an error is for the status bar.
pub(crate) fn parse(line: &str) -> Result<Command, String> {
    let mut words = line.split_whitespace();
    let verb = words.next().unwrap_or("");
    let arg = words.next();
    if words.next().is_some() {
        return Err(format!("too many words: :{}", line.trim()));
    }
    match (verb, arg) {
        ("ns" | "namespace", Some(ns)) if is_dns_label(ns) => Ok(Command::Namespace(ns.into())),
        ("ns" | "namespace", Some(ns)) => Err(format!("not a namespace name: {ns}")),
        ("ns" | "namespace", None) => Err("usage: :ns NAME (0 shows all namespaces)".into()),
        ("ctx" | "context", Some(ctx)) => Ok(Command::Context(ctx.into())),
        ("ctx" | "context", None) => Err("usage: :ctx NAME".into()),
        ("q" | "q!" | "quit", None) => Ok(Command::Quit),
        ("help" | "?", None) => Ok(Command::Help),
        ("", None) => Err(String::new()),
        _ => Err(format!("unknown command: :{}", line.trim())),
    }
}

/// RFC 1123 label, what Kubernetes accepts as a namespace name.
fn is_dns_label(s: &str) -> bool {
    let ok_inner = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    (1..=63).contains(&s.len())
        && s.chars().all(ok_inner)
        && !s.starts_with('-')
        && !s.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands() {
        assert_eq!(parse("ns shop"), Ok(Command::Namespace("shop".into())));
        assert_eq!(
            parse(" namespace  a-1 "),
            Ok(Command::Namespace("a-1".into()))
        );
        assert_eq!(
            parse("ctx kind-demo"),
            Ok(Command::Context("kind-demo".into()))
        );
        assert_eq!(parse("q"), Ok(Command::Quit));
        assert_eq!(parse("help"), Ok(Command::Help));
        assert!(parse("ns Shop").is_err());
        assert!(parse("ns").is_err());
        assert!(parse("ns a b").is_err());
        assert_eq!(parse("deploy"), Err("unknown command: :deploy".into()));
        assert_eq!(parse("  "), Err(String::new()));
    }
}
