//! Text from the cluster, made safe to print: a name or an event message
//! must never move the cursor, retitle the window or reorder the line.

use std::borrow::Cow;
use std::fmt::Write;

/// Replaces control characters (C0, DEL, C1) and bidirectional overrides
/// with visible escapes such as `\x1b` or `\u{202e}`; borrows when there is
/// nothing to replace.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            // Writing to a String cannot fail.
            c if c <= '\x7f' && needs_escape(c) => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Whether a character is shown escaped: controls (C0, DEL, C1), bidirectional
/// embeddings, overrides and marks, the line and paragraph separators some terminals
/// obey, and the invisible (zero-width) characters that make two names look alike.
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c,
            // Embedding and override controls (Trojan Source), isolates,
            // and the line and paragraph separators some terminals obey.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}'
            // Zero-width space, non-joiner, joiner, left-to-right and right-to-left marks,
            // the Arabic letter mark, word joiner and invisible operators, the Mongolian
            // vowel separator, the byte-order mark (zero-width no-break space), and the
            // interlinear annotation controls.
            | '\u{200b}'..='\u{200f}' | '\u{061c}' | '\u{2060}'..='\u{2064}' | '\u{180e}'
            | '\u{feff}' | '\u{fff9}'..='\u{fffb}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(sanitize("reviews-v2 ✓ ünï"), Cow::Borrowed(_)));
    }

    #[test]
    fn controls_are_escaped() {
        let cases = [
            ("evil\u{1b}]0;pwned\u{7}", "evil\\x1b]0;pwned\\x07"),
            ("a\tb\r\nc", "a\\tb\\r\\nc"),
            ("\u{0}\u{7f}", "\\x00\\x7f"),
            ("csi\u{9b}2J", "csi\\u{9b}2J"),
            ("abc\u{202e}cba", "abc\\u{202e}cba"),
            ("\u{2066}x\u{2069}", "\\u{2066}x\\u{2069}"),
            ("line\u{2028}sep", "line\\u{2028}sep"),
            ("zero\u{200b}width\u{feff}", "zero\\u{200b}width\\u{feff}"),
            ("rlm\u{200f}wj\u{2060}", "rlm\\u{200f}wj\\u{2060}"),
        ];
        for (input, want) in cases {
            assert_eq!(sanitize(input), want, "{input:?}");
        }
    }

    #[test]
    fn output_has_no_controls() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        assert!(!sanitize(&all).chars().any(needs_escape));
    }
}
