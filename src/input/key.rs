//! One key with its modifiers, as written in keymap files and as the
//! terminal reports it.

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A key a keymap binds. Shift is folded into the character (`G`, not
/// `shift-g`) because terminals disagree on whether they report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyBinding {
    code: KeyCode,
    modifiers: KeyModifiers,
}

const NAMED: [(&str, KeyCode); 20] = [
    ("esc", KeyCode::Esc),
    ("enter", KeyCode::Enter),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("insert", KeyCode::Insert),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("space", KeyCode::Char(' ')),
    // Aliases people type; display uses the first name of each code.
    ("escape", KeyCode::Esc),
    ("return", KeyCode::Enter),
    ("pgup", KeyCode::PageUp),
    ("pgdn", KeyCode::PageDown),
];

impl KeyBinding {
    /// Parses `q`, `G`, `ctrl-c`, `pagedown`, `alt-enter`, `f5`, `shift-tab`.
    pub fn parse(text: &str) -> Result<KeyBinding, String> {
        let mut rest = text.trim();
        let mut modifiers = KeyModifiers::NONE;
        loop {
            let lower = rest.to_ascii_lowercase();
            // A lone `-` is the minus key, not an empty modifier.
            let prefix = ["ctrl-", "alt-", "shift-"]
                .into_iter()
                .find(|p| lower.starts_with(p) && rest.len() > p.len());
            match prefix {
                Some("ctrl-") => modifiers |= KeyModifiers::CONTROL,
                Some("alt-") => modifiers |= KeyModifiers::ALT,
                Some(_) => modifiers |= KeyModifiers::SHIFT,
                None => break,
            }
            rest = &rest[prefix.map_or(0, str::len)..];
        }
        let code = parse_code(rest).ok_or_else(|| format!("unknown key {text:?}"))?;
        Ok(KeyBinding::new(code, modifiers))
    }

    fn new(code: KeyCode, modifiers: KeyModifiers) -> KeyBinding {
        let (code, modifiers) = match code {
            KeyCode::Char(c) if modifiers.contains(KeyModifiers::SHIFT) => (
                KeyCode::Char(c.to_ascii_uppercase()),
                modifiers - KeyModifiers::SHIFT,
            ),
            KeyCode::Tab if modifiers.contains(KeyModifiers::SHIFT) => {
                (KeyCode::BackTab, modifiers - KeyModifiers::SHIFT)
            }
            KeyCode::BackTab => (KeyCode::BackTab, modifiers - KeyModifiers::SHIFT),
            _ => (code, modifiers),
        };
        KeyBinding { code, modifiers }
    }

    /// The binding a key press matches.
    pub fn from_event(event: &KeyEvent) -> KeyBinding {
        let modifiers =
            event.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        match event.code {
            // The character already carries the shift.
            KeyCode::Char(c) => KeyBinding {
                code: KeyCode::Char(c),
                modifiers: modifiers - KeyModifiers::SHIFT,
            },
            code => KeyBinding::new(code, modifiers),
        }
    }
}

fn parse_code(name: &str) -> Option<KeyCode> {
    let mut chars = name.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Some(KeyCode::Char(c));
    }
    let lower = name.to_ascii_lowercase();
    if let Some((_, code)) = NAMED.iter().find(|(n, _)| *n == lower) {
        return Some(*code);
    }
    let n: u8 = lower.strip_prefix('f')?.parse().ok()?;
    (1..=12).contains(&n).then_some(KeyCode::F(n))
}

impl fmt::Display for KeyBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.modifiers.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            code => {
                let name = NAMED
                    .iter()
                    .find(|(_, c)| *c == code)
                    .map_or("?", |(n, _)| n);
                f.write_str(name)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyBinding {
        KeyBinding::from_event(&KeyEvent::new(code, modifiers))
    }

    #[test]
    fn parses_characters_names_and_modifiers() {
        let cases = [
            ("q", press(KeyCode::Char('q'), KeyModifiers::NONE)),
            ("G", press(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            ("shift-g", press(KeyCode::Char('G'), KeyModifiers::NONE)),
            ("ctrl-c", press(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            (
                "Ctrl-Alt-x",
                press(
                    KeyCode::Char('x'),
                    KeyModifiers::CONTROL | KeyModifiers::ALT,
                ),
            ),
            ("-", press(KeyCode::Char('-'), KeyModifiers::NONE)),
            ("ctrl--", press(KeyCode::Char('-'), KeyModifiers::CONTROL)),
            ("PageDown", press(KeyCode::PageDown, KeyModifiers::NONE)),
            ("pgup", press(KeyCode::PageUp, KeyModifiers::NONE)),
            ("shift-tab", press(KeyCode::BackTab, KeyModifiers::SHIFT)),
            ("space", press(KeyCode::Char(' '), KeyModifiers::NONE)),
            ("f5", press(KeyCode::F(5), KeyModifiers::NONE)),
        ];
        for (text, want) in cases {
            assert_eq!(KeyBinding::parse(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn rejects_unknown_names() {
        for text in ["", "ctrl-", "hyper-x", "f13", "enterr"] {
            assert!(KeyBinding::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn displays_as_written() {
        for text in [
            "q", "ctrl-c", "pagedown", "esc", "space", "f5", "G", "backtab",
        ] {
            let key = KeyBinding::parse(text).expect("parses");
            assert_eq!(key.to_string(), text);
        }
    }
}
