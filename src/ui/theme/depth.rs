//! How many colours the terminal shows, from the environment and `--color`.

/// What a terminal can show; themes are mapped down to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ColorDepth {
    NoColor,
    Ansi16,
    Ansi256,
    TrueColor,
}

/// Decides the colour depth from `NO_COLOR`, `COLORTERM`, `TERM` and the
/// `--color` flag (`never|16|256|truecolor|auto`).
///
/// An explicit flag wins, as no-color.org asks of command-line arguments;
/// then a non-empty `NO_COLOR`; then what the terminal advertises.
pub fn detect(
    no_color: Option<&str>,
    colorterm: Option<&str>,
    term: Option<&str>,
    flag: Option<&str>,
) -> ColorDepth {
    match flag.map(str::trim).map(str::to_ascii_lowercase).as_deref() {
        Some("never" | "none" | "no") => return ColorDepth::NoColor,
        Some("16") => return ColorDepth::Ansi16,
        Some("256") => return ColorDepth::Ansi256,
        Some("truecolor" | "24bit") => return ColorDepth::TrueColor,
        _ => {}
    }
    if no_color.is_some_and(|v| !v.is_empty()) {
        return ColorDepth::NoColor;
    }
    if let Some(ct) = colorterm.map(str::to_ascii_lowercase)
        && (ct == "truecolor" || ct == "24bit")
    {
        return ColorDepth::TrueColor;
    }
    let term = term.unwrap_or("").to_ascii_lowercase();
    if term == "dumb" {
        ColorDepth::NoColor
    } else if term.ends_with("-direct") || term.contains("truecolor") {
        ColorDepth::TrueColor
    } else if term.contains("256color") {
        ColorDepth::Ansi256
    } else {
        // Unknown or missing TERM: the 16 colours every terminal has.
        ColorDepth::Ansi16
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ColorDepth::*;

    #[test]
    fn detects_depth() {
        let cases = [
            (None, None, Some("xterm-256color"), None, Ansi256),
            (
                None,
                Some("truecolor"),
                Some("xterm-256color"),
                None,
                TrueColor,
            ),
            (None, Some("24bit"), None, None, TrueColor),
            (None, None, Some("xterm"), None, Ansi16),
            (None, None, Some("screen"), None, Ansi16),
            (None, None, Some("xterm-direct"), None, TrueColor),
            (None, None, Some("dumb"), None, NoColor),
            (None, None, None, None, Ansi16),
            (
                Some("1"),
                Some("truecolor"),
                Some("xterm-256color"),
                None,
                NoColor,
            ),
            (Some("1"), None, None, Some("auto"), NoColor),
            (Some(""), None, Some("xterm-256color"), None, Ansi256),
            (None, Some("truecolor"), None, Some("never"), NoColor),
            (None, Some("truecolor"), None, Some("16"), Ansi16),
            (None, None, Some("xterm"), Some("256"), Ansi256),
            (None, None, Some("xterm"), Some("truecolor"), TrueColor),
            (Some("1"), None, None, Some("256"), Ansi256),
            (None, None, Some("xterm-256color"), Some("auto"), Ansi256),
        ];
        for (no_color, colorterm, term, flag, want) in cases {
            assert_eq!(
                detect(no_color, colorterm, term, flag),
                want,
                "{no_color:?} {colorterm:?} {term:?} {flag:?}"
            );
        }
    }
}
