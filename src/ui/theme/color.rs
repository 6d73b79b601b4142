//! Colour names in theme files, and mapping colours down to what the
//! terminal shows (ratatui sends RGB as it is otherwise).

use ratatui::style::Color;

use super::ColorDepth;

/// The 16 named colours, with the RGB a typical palette gives them: the
/// target of mapping down to 16 colours.
const NAMED: [(&str, Color); 16] = [
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("darkgray", Color::DarkGray),
    ("lightred", Color::LightRed),
    ("lightgreen", Color::LightGreen),
    ("lightyellow", Color::LightYellow),
    ("lightblue", Color::LightBlue),
    ("lightmagenta", Color::LightMagenta),
    ("lightcyan", Color::LightCyan),
    ("white", Color::White),
];

/// Parses `red`, `light_red`, `grey`, `reset`, `#88c0d0` or `0`..`255`.
pub fn parse(text: &str) -> Result<Color, String> {
    let name: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .collect::<String>()
        .to_ascii_lowercase()
        .replace("grey", "gray");
    if name == "reset" || name == "default" {
        return Ok(Color::Reset);
    }
    if let Some((_, color)) = NAMED.iter().find(|(n, _)| *n == name) {
        return Ok(*color);
    }
    if let Some(hex) = name.strip_prefix('#')
        && hex.len() == 6
        && let Ok(rgb) = u32::from_str_radix(hex, 16)
    {
        let [_, r, g, b] = rgb.to_be_bytes();
        return Ok(Color::Rgb(r, g, b));
    }
    if let Ok(index) = name.parse::<u8>() {
        return Ok(Color::Indexed(index));
    }
    Err(format!("unknown colour {text:?}"))
}

/// The colour to send to a terminal of `depth`.
pub fn map(color: Color, depth: ColorDepth) -> Color {
    match (depth, color) {
        (ColorDepth::NoColor, _) => Color::Reset,
        (ColorDepth::TrueColor, c) => c,
        (ColorDepth::Ansi256, Color::Rgb(r, g, b)) => Color::Indexed(nearest_256(r, g, b)),
        (ColorDepth::Ansi16, Color::Rgb(r, g, b)) => nearest_16(r, g, b),
        (ColorDepth::Ansi16, Color::Indexed(i)) if i < 16 => NAMED[usize::from(i)].1,
        (ColorDepth::Ansi16, Color::Indexed(i)) => {
            let (r, g, b) = indexed_rgb(i);
            nearest_16(r, g, b)
        }
        (_, c) => c,
    }
}

const CUBE: [u8; 6] = [0, 95, 135, 175, 215, 255];

/// The nearest of xterm's 6x6x6 cube and grey ramp (indices 16..=255).
fn nearest_256(r: u8, g: u8, b: u8) -> u8 {
    let level = |v: u8| {
        (0..6u8)
            .min_by_key(|&i| CUBE[usize::from(i)].abs_diff(v))
            .unwrap_or(0)
    };
    let (ri, gi, bi) = (level(r), level(g), level(b));
    let cube = 16 + 36 * ri + 6 * gi + bi;
    let avg = (u16::from(r) + u16::from(g) + u16::from(b)) / 3;
    // Grey ramp 232..=255 is 8, 18, ..., 238.
    let step = (avg.saturating_sub(3) / 10).min(23) as u8;
    let grey = 232 + step;
    let dist = |i: u8| {
        let (cr, cg, cb) = indexed_rgb(i);
        sq(r, cr) + sq(g, cg) + sq(b, cb)
    };
    if dist(grey) < dist(cube) { grey } else { cube }
}

fn sq(a: u8, b: u8) -> u32 {
    u32::from(a.abs_diff(b)).pow(2)
}

/// The RGB xterm gives a 256-colour index (its 16 basic ones vary by
/// terminal; these are xterm's).
fn indexed_rgb(i: u8) -> (u8, u8, u8) {
    const BASIC: [(u8, u8, u8); 16] = [
        (0, 0, 0),
        (205, 0, 0),
        (0, 205, 0),
        (205, 205, 0),
        (0, 0, 238),
        (205, 0, 205),
        (0, 205, 205),
        (229, 229, 229),
        (127, 127, 127),
        (255, 0, 0),
        (0, 255, 0),
        (255, 255, 0),
        (92, 92, 255),
        (255, 0, 255),
        (0, 255, 255),
        (255, 255, 255),
    ];
    match i {
        0..=15 => BASIC[usize::from(i)],
        16..=231 => {
            let n = i - 16;
            let c = |v: u8| CUBE[usize::from(v)];
            (c(n / 36), c(n / 6 % 6), c(n % 6))
        }
        _ => {
            let v = 8 + 10 * (i - 232);
            (v, v, v)
        }
    }
}

/// The named colour of the same hue and lightness. Hue matters more than
/// distance here: the nearest by distance turns pastel greens into grey.
fn nearest_16(r: u8, g: u8, b: u8) -> Color {
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    let lightness = (u16::from(max) + u16::from(min)) / 2;
    let chroma = max - min;
    if chroma < 40 {
        return match lightness {
            0..64 => Color::Black,
            64..128 => Color::DarkGray,
            128..208 => Color::Gray,
            _ => Color::White,
        };
    }
    let (rf, gf, bf, c) = (f32::from(r), f32::from(g), f32::from(b), f32::from(chroma));
    let hue = if max == r {
        60.0 * ((gf - bf) / c).rem_euclid(6.0)
    } else if max == g {
        60.0 * ((bf - rf) / c + 2.0)
    } else {
        60.0 * ((rf - gf) / c + 4.0)
    };
    // Six sectors centred on red, yellow, green, cyan, blue, magenta.
    let sector = ((hue + 30.0) / 60.0) as usize % 6;
    // Terminals' bright colours are either saturated at full intensity or pale.
    let light = max >= 230 || lightness >= 150;
    let (dark, bright) = [
        (Color::Red, Color::LightRed),
        (Color::Yellow, Color::LightYellow),
        (Color::Green, Color::LightGreen),
        (Color::Cyan, Color::LightCyan),
        (Color::Blue, Color::LightBlue),
        (Color::Magenta, Color::LightMagenta),
    ][sector];
    if light { bright } else { dark }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_hex_and_indices() {
        assert_eq!(parse("red"), Ok(Color::Red));
        assert_eq!(parse("Light_Red"), Ok(Color::LightRed));
        assert_eq!(parse("dark-grey"), Ok(Color::DarkGray));
        assert_eq!(parse("reset"), Ok(Color::Reset));
        assert_eq!(parse("#88c0d0"), Ok(Color::Rgb(0x88, 0xc0, 0xd0)));
        assert_eq!(parse("208"), Ok(Color::Indexed(208)));
        for bad in ["", "#12345", "#gggggg", "256", "purple"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn maps_rgb_to_256() {
        assert_eq!(
            map(Color::Rgb(0, 0, 0), ColorDepth::Ansi256),
            Color::Indexed(16)
        );
        assert_eq!(
            map(Color::Rgb(255, 255, 255), ColorDepth::Ansi256),
            Color::Indexed(231)
        );
        assert_eq!(
            map(Color::Rgb(255, 0, 0), ColorDepth::Ansi256),
            Color::Indexed(196)
        );
        assert_eq!(
            map(Color::Rgb(128, 128, 128), ColorDepth::Ansi256),
            Color::Indexed(244)
        );
        // Nord's frost: cube 110 (135, 175, 215) is nearer than any grey.
        assert_eq!(
            map(Color::Rgb(0x88, 0xc0, 0xd0), ColorDepth::Ansi256),
            Color::Indexed(110)
        );
        assert_eq!(map(Color::Red, ColorDepth::Ansi256), Color::Red);
    }

    #[test]
    fn maps_rgb_and_indexed_to_16() {
        let cases = [
            ((0xbf, 0x61, 0x6a), Color::Red),
            ((0xa3, 0xbe, 0x8c), Color::LightGreen),
            ((0xeb, 0xcb, 0x8b), Color::LightYellow),
            ((0x88, 0xc0, 0xd0), Color::LightCyan),
            ((0x2e, 0x34, 0x40), Color::Black),
            ((0x4c, 0x56, 0x6a), Color::DarkGray),
            ((0xd8, 0xde, 0xe9), Color::White),
            ((0, 0, 200), Color::Blue),
        ];
        for ((r, g, b), want) in cases {
            assert_eq!(
                map(Color::Rgb(r, g, b), ColorDepth::Ansi16),
                want,
                "{r} {g} {b}"
            );
        }
        assert_eq!(map(Color::Indexed(9), ColorDepth::Ansi16), Color::LightRed);
        assert_eq!(
            map(Color::Indexed(196), ColorDepth::Ansi16),
            Color::LightRed
        );
        assert_eq!(map(Color::Indexed(244), ColorDepth::Ansi16), Color::Gray);
    }

    #[test]
    fn no_color_resets_everything() {
        for c in [
            Color::Red,
            Color::Rgb(1, 2, 3),
            Color::Indexed(7),
            Color::Reset,
        ] {
            assert_eq!(map(c, ColorDepth::NoColor), Color::Reset);
        }
        assert_eq!(
            map(Color::Rgb(1, 2, 3), ColorDepth::TrueColor),
            Color::Rgb(1, 2, 3)
        );
    }
}
