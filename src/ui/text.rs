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
}
