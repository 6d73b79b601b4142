//! Everything the command line writes to a terminal goes through here: stdout and
//! stderr, errors and logs included. Text from the cluster, from Prometheus or
//! Alertmanager, from a config file or from a URL may hold escape sequences meant for
//! the reader's terminal (a new title, the clipboard written with OSC 52, a cleared
//! screen), bidirectional overrides or zero-width characters; they are shown escaped,
//! as the console shows them (`crate::ui::sanitize`), never interpreted. JSON escapes
//! them as `\u` escapes, YAML in a double-quoted (JSON) form. A URL's credentials are
//! hidden on the way (`crate::redact`).

use std::io::Write;

use color_eyre::eyre::{Result, WrapErr};
use serde::Serialize;

use crate::ui::{needs_escape, sanitize};

/// `text` with every line sanitised and the credentials of URLs in it hidden
/// (`crate::redact`); its newlines are kept.
pub fn lines(text: &str) -> String {
    let text = crate::redact::urls_in(text);
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&sanitize(line));
    }
    out
}

/// Writes text to stdout, every line sanitised. A reader that stops early (`| head`)
/// is no error: the rest of the output is not wanted.
pub fn stdout(text: &str) -> Result<()> {
    stdout_trusted(lines(text).as_bytes())
}

/// Writes bytes that kshift made itself (a completion script, the manual page) to
/// stdout as they are.
pub fn stdout_trusted(bytes: &[u8]) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Writes `kshift: MESSAGE` to stderr, every line sanitised.
pub fn stderr(message: &str) {
    let mut stderr = std::io::stderr().lock();
    // Nowhere left to report a failure to write to stderr.
    let _ = writeln!(stderr, "kshift: {}", lines(message));
}

/// JSON text with the characters that JSON leaves raw (DEL, C1 controls, bidi and
/// zero-width characters) as `\u` escapes. Outside strings JSON has only ASCII, so
/// every such character is inside a string, where `\uXXXX` means the same.
pub fn escape_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c != '\n' && needs_escape(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A value as JSON (pretty or on one line) ending in a newline, safe for a terminal.
pub fn json(value: &impl Serialize, pretty: bool) -> Result<String> {
    let text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
    .wrap_err("writing JSON")?;
    Ok(escape_json(&crate::redact::urls_in(&text)) + "\n")
}

/// A value as YAML, safe for a terminal. YAML escapes controls only in double-quoted
/// strings, and leaves bidi and zero-width characters raw: a document holding any
/// is written in YAML's flow form instead (JSON, which YAML reads), with `\u` escapes.
pub fn yaml(value: &impl Serialize) -> Result<String> {
    let text = serde_saphyr::to_string(value).wrap_err("writing YAML")?;
    let text = crate::redact::urls_in(&text);
    if text.chars().any(|c| c != '\n' && needs_escape(c)) {
        json(value, true)
    } else {
        Ok(text)
    }
}

/// A writer for the logs on stderr that sanitises every line it is given.
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr()
            .lock()
            .write_all(lines(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVIL: &str = "x\u{1b}]0;PWNED\u{7}\u{9b}2J\u{202e}\u{200b}\u{feff}y";

    fn raw(text: &str) -> bool {
        text.chars().any(|c| c != '\n' && needs_escape(c))
    }

    #[test]
    fn lines_keep_newlines_and_escape_the_rest() {
        let text = lines(&format!("{EVIL}\nplain\n"));
        assert!(!raw(&text), "{text:?}");
        assert_eq!(text.lines().count(), 2);
        assert!(text.ends_with("plain\n"));
    }

    #[test]
    fn json_escapes_c1_bidi_and_zero_width_and_reads_back_the_same() {
        let value = serde_json::json!({"name": EVIL, "list": [EVIL, "\u{1f600}"]});
        for pretty in [true, false] {
            let text = json(&value, pretty).unwrap();
            assert!(!raw(&text), "{text:?}");
            assert!(
                text.contains("\\u009b") && text.contains("\\u202e"),
                "{text}"
            );
            let back: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(back, value);
        }
    }

    #[test]
    fn yaml_is_plain_until_a_string_needs_quoting() {
        let plain = serde_json::json!({"name": "reviews", "weight": 10});
        assert_eq!(
            yaml(&plain).unwrap(),
            serde_saphyr::to_string(&plain).unwrap()
        );
        let hostile = serde_json::json!({"name": EVIL, "weight": 10});
        let text = yaml(&hostile).unwrap();
        assert!(!raw(&text), "{text:?}");
        let back: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(back, hostile);
    }
}
