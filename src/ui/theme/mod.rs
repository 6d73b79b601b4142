//! Themes: a style per semantic slot, read from TOML and mapped down to the
//! terminal's colour depth.

mod color;
mod depth;

use ratatui::style::{Modifier, Style};

pub use depth::{ColorDepth, detect};

const DEFAULT: &str = include_str!("../../../themes/default.toml");
const MONO: &str = include_str!("../../../themes/mono.toml");
const NORD: &str = include_str!("../../../themes/nord.toml");

/// What a style is for, never which colour it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Header,
    Border,
    Selected,
    Healthy,
    Progressing,
    Paused,
    Degraded,
    Unknown,
    Warning,
    Stable,
    Canary,
    Muted,
    Title,
    StatusBar,
    Filter,
}

impl Slot {
    pub const ALL: [Slot; 15] = [
        Slot::Header,
        Slot::Border,
        Slot::Selected,
        Slot::Healthy,
        Slot::Progressing,
        Slot::Paused,
        Slot::Degraded,
        Slot::Unknown,
        Slot::Warning,
        Slot::Stable,
        Slot::Canary,
        Slot::Muted,
        Slot::Title,
        Slot::StatusBar,
        Slot::Filter,
    ];

    /// The key of the slot in theme files.
    pub fn name(self) -> &'static str {
        match self {
            Slot::Header => "header",
            Slot::Border => "border",
            Slot::Selected => "selected",
            Slot::Healthy => "healthy",
            Slot::Progressing => "progressing",
            Slot::Paused => "paused",
            Slot::Degraded => "degraded",
            Slot::Unknown => "unknown",
            Slot::Warning => "warning",
            Slot::Stable => "stable",
            Slot::Canary => "canary",
            Slot::Muted => "muted",
            Slot::Title => "title",
            Slot::StatusBar => "status_bar",
            Slot::Filter => "filter",
        }
    }
}

const MODIFIERS: [(&str, Modifier); 6] = [
    ("bold", Modifier::BOLD),
    ("dim", Modifier::DIM),
    ("italic", Modifier::ITALIC),
    ("underlined", Modifier::UNDERLINED),
    ("reversed", Modifier::REVERSED),
    ("crossed_out", Modifier::CROSSED_OUT),
];

/// A style per slot, and the symbol that marks the selected row.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    styles: [Style; Slot::ALL.len()],
    highlight_symbol: String,
}

impl Default for Theme {
    fn default() -> Self {
        let mut theme = Theme {
            styles: [Style::new(); Slot::ALL.len()],
            highlight_symbol: String::new(),
        };
        // The embedded file is checked by a test, so its warnings are empty.
        theme.apply(DEFAULT, &mut Vec::new());
        theme
    }
}

impl Theme {
    /// The default theme overridden by `text`: a slot it names is replaced
    /// whole. Anything odd becomes a warning, never an error.
    pub fn load(text: &str) -> (Theme, Vec<String>) {
        let mut theme = Theme::default();
        let mut warnings = Vec::new();
        theme.apply(text, &mut warnings);
        (theme, warnings)
    }

    /// A theme shipped with kshift: `default`, `mono` or `nord`.
    pub fn builtin(name: &str) -> Option<Theme> {
        Self::builtin_text(name).map(|text| Theme::load(text).0)
    }

    /// The TOML of a theme shipped with kshift.
    pub fn builtin_text(name: &str) -> Option<&'static str> {
        match name {
            "default" => Some(DEFAULT),
            "mono" => Some(MONO),
            "nord" => Some(NORD),
            _ => None,
        }
    }

    /// The same theme with every colour one a terminal of `depth` shows.
    pub fn for_depth(&self, depth: ColorDepth) -> Theme {
        let mut theme = self.clone();
        for style in &mut theme.styles {
            style.fg = style.fg.map(|c| color::map(c, depth));
            style.bg = style.bg.map(|c| color::map(c, depth));
        }
        if depth == ColorDepth::NoColor {
            // Without colour a selection drawn by colour would vanish.
            let selected = &mut theme.styles[Slot::Selected as usize];
            *selected = selected.add_modifier(Modifier::REVERSED);
        }
        theme
    }

    pub fn style(&self, slot: Slot) -> Style {
        self.styles[slot as usize]
    }

    pub fn highlight_symbol(&self) -> &str {
        &self.highlight_symbol
    }

    fn apply(&mut self, text: &str, warnings: &mut Vec<String>) {
        let table = match text.parse::<toml::Table>() {
            Ok(table) => table,
            Err(err) => {
                warnings.push(format!("theme ignored: {}", err.message()));
                return;
            }
        };
        for (key, value) in &table {
            if key == "highlight_symbol" {
                match value.as_str() {
                    Some(s) if !s.chars().any(char::is_control) => {
                        self.highlight_symbol = s.to_string();
                    }
                    _ => warnings.push("theme: highlight_symbol must be plain text".into()),
                }
            } else if let Some(slot) = Slot::ALL.into_iter().find(|s| s.name() == key) {
                self.styles[slot as usize] = parse_style(key, value, warnings);
            } else {
                warnings.push(format!("theme: unknown slot {key:?}"));
            }
        }
    }
}

fn parse_style(slot: &str, value: &toml::Value, warnings: &mut Vec<String>) -> Style {
    let mut style = Style::new();
    let Some(table) = value.as_table() else {
        warnings.push(format!(
            "theme: {slot} must be a table such as {{ fg = \"red\", modifiers = [\"bold\"] }}"
        ));
        return style;
    };
    for (key, value) in table {
        match key.as_str() {
            "fg" | "bg" => match value.as_str().map(color::parse) {
                Some(Ok(c)) if key == "fg" => style = style.fg(c),
                Some(Ok(c)) => style = style.bg(c),
                Some(Err(err)) => warnings.push(format!("theme: {slot}.{key}: {err}")),
                None => warnings.push(format!("theme: {slot}.{key} must be a string")),
            },
            "modifiers" => {
                let names = value
                    .as_array()
                    .map_or_else(|| vec![value], |a| a.iter().collect());
                for name in names {
                    match MODIFIERS.iter().find(|(n, _)| Some(*n) == name.as_str()) {
                        Some((_, m)) => style = style.add_modifier(*m),
                        None => warnings.push(format!("theme: {slot}: unknown modifier {name}")),
                    }
                }
            }
            _ => warnings.push(format!("theme: {slot}: unknown field {key:?}")),
        }
    }
    style
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Color;

    fn colours(theme: &Theme) -> Vec<Color> {
        Slot::ALL
            .into_iter()
            .flat_map(|s| [theme.style(s).fg, theme.style(s).bg])
            .flatten()
            .collect()
    }

    #[test]
    fn builtin_themes_load_without_warnings_and_fill_every_slot() {
        for (name, text) in [("default", DEFAULT), ("mono", MONO), ("nord", NORD)] {
            let mut theme = Theme {
                styles: [Style::new(); Slot::ALL.len()],
                highlight_symbol: String::new(),
            };
            let mut warnings = Vec::new();
            theme.apply(text, &mut warnings);
            assert_eq!(warnings, Vec::<String>::new(), "{name}");
            let table: toml::Table = text.parse().expect("parses");
            for slot in Slot::ALL {
                assert!(
                    table.contains_key(slot.name()),
                    "{name} lacks {}",
                    slot.name()
                );
            }
        }
    }

    #[test]
    fn default_uses_only_named_colours() {
        let theme = Theme::default();
        let all = colours(&theme);
        assert!(!all.is_empty());
        for c in all {
            assert!(!matches!(c, Color::Rgb(..) | Color::Indexed(_)), "{c:?}");
        }
    }

    #[test]
    fn mono_uses_no_colour_and_marks_selection() {
        let theme = Theme::builtin("mono").expect("builtin");
        assert!(colours(&theme).iter().all(|c| *c == Color::Reset));
        assert!(!theme.style(Slot::Selected).add_modifier.is_empty());
        assert_eq!(theme.highlight_symbol(), "> ");
    }

    #[test]
    fn nord_is_truecolour_and_maps_down() {
        let nord = Theme::builtin("nord").expect("builtin");
        assert!(colours(&nord).iter().all(|c| matches!(c, Color::Rgb(..))));
        let c16 = colours(&nord.for_depth(ColorDepth::Ansi16));
        assert!(
            c16.iter()
                .all(|c| !matches!(c, Color::Rgb(..) | Color::Indexed(_)))
        );
        let c256 = colours(&nord.for_depth(ColorDepth::Ansi256));
        assert!(c256.iter().all(|c| matches!(c, Color::Indexed(16..=255))));
        assert_eq!(nord.for_depth(ColorDepth::TrueColor), nord);
    }

    #[test]
    fn no_color_keeps_modifiers_and_selection() {
        let theme = Theme::default().for_depth(ColorDepth::NoColor);
        assert!(colours(&theme).iter().all(|c| *c == Color::Reset));
        let selected = theme.style(Slot::Selected);
        assert!(selected.add_modifier.contains(Modifier::REVERSED));
        assert!(
            theme
                .style(Slot::Degraded)
                .add_modifier
                .contains(Modifier::BOLD)
        );
    }

    #[test]
    fn overrides_replace_slots_and_odd_entries_warn() {
        let text = r##"
            healthy = { fg = "#00ff00", modifiers = ["bold"] }
            canary = { fg = "purple" }
            glow = { fg = "red" }
            paused = "yellow"
            stable = { fg = "blue", shadow = 1, modifiers = ["blink"] }
        "##;
        let (theme, warnings) = Theme::load(text);
        assert_eq!(warnings.len(), 5, "{warnings:?}");
        let healthy = theme.style(Slot::Healthy);
        assert_eq!(healthy.fg, Some(Color::Rgb(0, 255, 0)));
        assert!(healthy.add_modifier.contains(Modifier::BOLD));
        assert_eq!(theme.style(Slot::Canary).fg, None);
        assert_eq!(
            theme.style(Slot::Degraded),
            Theme::default().style(Slot::Degraded)
        );
        let (theme, warnings) = Theme::load("header = {");
        assert_eq!(warnings.len(), 1);
        assert_eq!(theme, Theme::default());
    }
}
