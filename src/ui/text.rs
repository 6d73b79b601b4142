//! Fitting text into cells: sanitised, then cut at a display width.

use std::borrow::Cow;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::sanitize;

/// Sanitises `text` and cuts it to `width` columns, ending with `…` when cut.
pub fn fit(text: &str, width: usize) -> String {
    truncate(sanitize(text), width)
}

/// Cuts already safe text to `width` columns, ending with `…` when cut.
pub fn truncate(text: Cow<'_, str>, width: usize) -> String {
    if text.width() <= width {
        return text.into_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// Sanitises `text` and cuts it to `width` columns from the left, keeping
/// the end (an image's tag) and starting with `…` when cut.
pub fn fit_tail(text: &str, width: usize) -> String {
    let safe = sanitize(text);
    if safe.width() <= width {
        return safe.into_owned();
    }
    let mut kept: Vec<char> = Vec::new();
    let mut used = 0;
    for c in safe.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        kept.push(c);
    }
    let mut out = String::new();
    if width > 0 {
        out.push('…');
    }
    out.extend(kept.into_iter().rev());
    out
}

/// Sanitises `text` and breaks it into lines of at most `width` columns: at
/// its own line breaks, at spaces where it can, inside a word where it must.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        let mut used = 0;
        for (i, word) in sanitize(paragraph).split(' ').enumerate() {
            if i > 0 && used > 0 && used + 1 + word.width() > width {
                lines.push(std::mem::take(&mut line));
                used = 0;
            } else if i > 0 {
                line.push(' ');
                used += 1;
            }
            for c in word.chars() {
                let w = c.width().unwrap_or(0);
                if used > 0 && used + w > width {
                    lines.push(std::mem::take(&mut line));
                    used = 0;
                }
                line.push(c);
                used += w;
            }
        }
        lines.push(line);
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// Pads or cuts safe text to exactly `width` columns.
pub fn pad(text: &str, width: usize) -> String {
    let cut = truncate(Cow::Borrowed(text), width);
    let fill = width.saturating_sub(cut.width());
    format!("{cut}{}", " ".repeat(fill))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_with_an_ellipsis() {
        assert_eq!(fit("reviews", 10), "reviews");
        assert_eq!(fit("reviews-canary", 8), "reviews…");
        assert_eq!(fit("ab", 0), "");
        assert_eq!(fit("日本語", 4), "日…");
        assert_eq!(fit("a\u{1b}b", 4), "a\\x…");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(fit_tail("registry/web:1.21", 9), "…web:1.21");
        assert_eq!(fit_tail("web:1.21", 8), "web:1.21");
        assert_eq!(fit_tail("web", 0), "");
    }

    #[test]
    fn wraps_at_spaces_then_inside_words() {
        assert_eq!(wrap("a bc def", 4), ["a bc", "def"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("one\r\ntwo\n", 10), ["one", "two"]);
        assert_eq!(wrap("", 10), [""]);
        assert_eq!(wrap(" abcdef", 4), [" abc", "def"]);
        assert_eq!(wrap("日本語", 4), ["日本", "語"]);
        assert_eq!(wrap("a\u{1b}b", 3), ["a\\x", "1bb"]);
    }
}
