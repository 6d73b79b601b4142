//! A rendered screen as a file: plain text, ANSI (for `cat` in a terminal), or SVG (for
//! a README or an incident note). Pure: a ratatui buffer in, text out.

use std::fmt::Write;

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

/// The screen's text, one line per row, trailing spaces trimmed.
pub fn to_text(buffer: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let line: String = (0..buffer.area.width)
            .map(|x| buffer[(x, y)].symbol())
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn ansi_color(color: Color, foreground: bool) -> Option<String> {
    let base = if foreground { 30 } else { 40 };
    let named = |n: u8| Some(format!("{}", base + n));
    let bright = |n: u8| Some(format!("{}", base + 60 + n));
    match color {
        Color::Reset => None,
        Color::Black => named(0),
        Color::Red => named(1),
        Color::Green => named(2),
        Color::Yellow => named(3),
        Color::Blue => named(4),
        Color::Magenta => named(5),
        Color::Cyan => named(6),
        Color::Gray => named(7),
        Color::DarkGray => bright(0),
        Color::LightRed => bright(1),
        Color::LightGreen => bright(2),
        Color::LightYellow => bright(3),
        Color::LightBlue => bright(4),
        Color::LightMagenta => bright(5),
        Color::LightCyan => bright(6),
        Color::White => bright(7),
        Color::Indexed(i) => Some(format!("{};5;{i}", base + 8)),
        Color::Rgb(r, g, b) => Some(format!("{};2;{r};{g};{b}", base + 8)),
    }
}

/// The screen with SGR escape sequences, as a terminal would show it.
pub fn to_ansi(buffer: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut last = None;
        for x in 0..buffer.area.width {
            let cell = &buffer[(x, y)];
            let style = (cell.fg, cell.bg, cell.modifier);
            if last != Some(style) {
                let mut codes = vec!["0".to_string()];
                codes.extend(ansi_color(cell.fg, true));
                codes.extend(ansi_color(cell.bg, false));
                for (modifier, code) in [
                    (Modifier::BOLD, "1"),
                    (Modifier::DIM, "2"),
                    (Modifier::ITALIC, "3"),
                    (Modifier::UNDERLINED, "4"),
                    (Modifier::REVERSED, "7"),
                ] {
                    if cell.modifier.contains(modifier) {
                        codes.push(code.to_string());
                    }
                }
                let _ = write!(out, "\u{1b}[{}m", codes.join(";"));
                last = Some(style);
            }
            out.push_str(cell.symbol());
        }
        out.push_str("\u{1b}[0m\n");
    }
    out
}

/// The xterm palette, for SVG.
fn rgb(color: Color, default: (u8, u8, u8)) -> (u8, u8, u8) {
    #[rustfmt::skip]
    const NAMED: [(u8, u8, u8); 16] = [
        (0, 0, 0), (205, 49, 49), (13, 188, 121), (229, 229, 16), (36, 114, 200), (188, 63, 188), (17, 168, 205), (204, 204, 204),
        (118, 118, 118), (241, 76, 76), (35, 209, 139), (245, 245, 67), (59, 142, 234), (214, 112, 214), (41, 184, 219), (242, 242, 242),
    ];
    let index = match color {
        Color::Reset => return default,
        Color::Rgb(r, g, b) => return (r, g, b),
        Color::Indexed(i) if i >= 16 => return indexed(i),
        Color::Indexed(i) => i,
        Color::Black => 0,
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 8,
        Color::LightRed => 9,
        Color::LightGreen => 10,
        Color::LightYellow => 11,
        Color::LightBlue => 12,
        Color::LightMagenta => 13,
        Color::LightCyan => 14,
        Color::White => 15,
    };
    NAMED[usize::from(index)]
}

/// The 256-colour palette beyond the 16 named colours: a 6x6x6 cube, then greys.
fn indexed(i: u8) -> (u8, u8, u8) {
    if i >= 232 {
        let grey = 8 + (i - 232) * 10;
        return (grey, grey, grey);
    }
    let n = i - 16;
    let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
    (level(n / 36), level((n / 6) % 6), level(n % 6))
}

fn escape_xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The screen as an SVG image: a dark terminal, one text run per style change.
pub fn to_svg(buffer: &Buffer) -> String {
    const CELL_W: f32 = 8.4;
    const CELL_H: f32 = 17.0;
    const FOREGROUND: (u8, u8, u8) = (229, 229, 229);
    const BACKGROUND: (u8, u8, u8) = (24, 24, 27);
    let (width, height) = (
        f32::from(buffer.area.width) * CELL_W,
        f32::from(buffer.area.height) * CELL_H,
    );
    let hex = |(r, g, b): (u8, u8, u8)| format!("#{r:02x}{g:02x}{b:02x}");
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"{}\"/>\n\
         <g font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"14px\" xml:space=\"preserve\">\n",
        hex(BACKGROUND)
    );
    for y in 0..buffer.area.height {
        let mut x = 0;
        while x < buffer.area.width {
            let cell = &buffer[(x, y)];
            let reversed = cell.modifier.contains(Modifier::REVERSED);
            let (mut fg, mut bg) = (rgb(cell.fg, FOREGROUND), rgb(cell.bg, BACKGROUND));
            if reversed {
                std::mem::swap(&mut fg, &mut bg);
            }
            let start = x;
            let mut text = String::new();
            while x < buffer.area.width {
                let next = &buffer[(x, y)];
                if (next.fg, next.bg, next.modifier) != (cell.fg, cell.bg, cell.modifier) {
                    break;
                }
                text.push_str(next.symbol());
                x += 1;
            }
            let (px, py) = (f32::from(start) * CELL_W, f32::from(y) * CELL_H);
            if bg != BACKGROUND {
                let w = f32::from(x - start) * CELL_W;
                let _ = writeln!(
                    out,
                    "<rect x=\"{px}\" y=\"{py}\" width=\"{w}\" height=\"{CELL_H}\" fill=\"{}\"/>",
                    hex(bg)
                );
            }
            if !text.trim().is_empty() {
                let weight = if cell.modifier.contains(Modifier::BOLD) {
                    " font-weight=\"bold\""
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "<text x=\"{px}\" y=\"{}\" fill=\"{}\"{weight}>{}</text>",
                    py + CELL_H * 0.8,
                    hex(fg),
                    escape_xml(&text)
                );
            }
        }
    }
    out.push_str("</g>\n</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    fn sample() -> Buffer {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 12, 2));
        buffer.set_string(0, 0, "reviews <90>", Style::default().fg(Color::Green));
        buffer.set_string(
            0,
            1,
            "paused",
            Style::default().add_modifier(Modifier::REVERSED),
        );
        buffer
    }

    #[test]
    fn text_keeps_the_characters() {
        assert_eq!(to_text(&sample()), "reviews <90>\npaused\n");
    }

    #[test]
    fn ansi_sets_colours_and_modifiers() {
        let ansi = to_ansi(&sample());
        assert!(ansi.starts_with("\u{1b}[0;32mreviews <90>"));
        assert!(ansi.contains("\u{1b}[0;7mpaused"));
    }

    #[test]
    fn svg_escapes_and_colours() {
        let svg = to_svg(&sample());
        assert!(svg.contains("reviews &lt;90&gt;"));
        assert!(svg.contains("fill=\"#0dbc79\""));
        assert!(svg.starts_with("<svg"));
    }
}
