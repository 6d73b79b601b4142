//! Screens rendered into a test backend: text snapshots for layout, and
//! checks of what text cannot show (styles, colours, escapes).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

use super::{ColorDepth, Theme, render};
use crate::app::fixtures::{self, NOW};
use crate::app::{App, Msg, WatchStatus};

#[derive(Clone, Copy)]
enum View {
    List,
    Detail,
    Help,
    /// The confirmation popup over the list, its dry run passed.
    Confirm,
    /// The same, its dry run failed.
    Failed,
}

fn app(theme: Theme, view: View, width: u16, height: u16) -> App {
    let mut app = fixtures::app(theme);
    app.update(Msg::Resize(width, height));
    let key = |c| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
    // Select checkout, the Argo release with a step plan.
    app.update(key(KeyCode::Char('j')));
    app.update(key(KeyCode::Char('j')));
    match view {
        View::List => {}
        View::Detail => {
            app.update(key(KeyCode::Enter));
            app.update(Msg::Events("shop/checkout".into(), fixtures::events()));
        }
        View::Help => {
            app.update(key(KeyCode::Char('?')));
        }
        View::Confirm => {
            app.update(Msg::Preview(fixtures::preview(Ok(()))));
        }
        View::Failed => {
            let dry_run = fixtures::refused_dry_run();
            app.update(Msg::Preview(fixtures::preview(dry_run)));
        }
    }
    app
}

pub(super) fn draw(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(t) => t,
        Err(e) => panic!("test terminal: {e}"),
    };
    if let Err(e) = terminal.draw(|frame| render(frame, app)) {
        panic!("draw: {e}");
    }
    terminal.backend().buffer().clone()
}

pub(super) fn text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        for x in 0..area.width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

pub(super) fn theme(name: &str) -> Theme {
    Theme::builtin(name).unwrap_or_default()
}

fn snapshot(theme_name: &str, view: View, width: u16, height: u16) -> String {
    text(&draw(
        &app(theme(theme_name), view, width, height),
        width,
        height,
    ))
}

macro_rules! snapshots {
    ($($name:ident: $theme:literal, $view:expr, $w:literal x $h:literal;)*) => {$(
        #[test]
        fn $name() {
            insta::assert_snapshot!(snapshot($theme, $view, $w, $h));
        }
    )*};
}

snapshots! {
    list_default_80x24: "default", View::List, 80 x 24;
    list_default_160x48: "default", View::List, 160 x 48;
    list_mono_80x24: "mono", View::List, 80 x 24;
    list_mono_160x48: "mono", View::List, 160 x 48;
    detail_default_80x24: "default", View::Detail, 80 x 24;
    detail_default_160x48: "default", View::Detail, 160 x 48;
    detail_mono_80x24: "mono", View::Detail, 80 x 24;
    detail_mono_160x48: "mono", View::Detail, 160 x 48;
    help_default_80x24: "default", View::Help, 80 x 24;
    help_default_160x48: "default", View::Help, 160 x 48;
    help_mono_80x24: "mono", View::Help, 80 x 24;
    help_mono_160x48: "mono", View::Help, 160 x 48;
    confirm_default_80x24: "default", View::Confirm, 80 x 24;
    confirm_default_160x48: "default", View::Confirm, 160 x 48;
    confirm_mono_80x24: "mono", View::Confirm, 80 x 24;
    confirm_mono_160x48: "mono", View::Confirm, 160 x 48;
    confirm_failed_default_80x24: "default", View::Failed, 80 x 24;
}

/// The screen row showing `needle`.
fn row_of(buffer: &Buffer, needle: &str) -> u16 {
    let screen = text(buffer);
    let line = screen.lines().position(|l| l.contains(needle));
    u16::try_from(line.unwrap_or_else(|| panic!("{needle} not on screen"))).unwrap_or(0)
}

#[test]
fn mono_marks_the_selection_with_a_symbol_and_a_modifier() {
    let buffer = draw(&app(theme("mono"), View::List, 80, 24), 80, 24);
    let y = row_of(&buffer, "checkout");
    assert_eq!(buffer[(1, y)].symbol(), ">");
    let cell = &buffer[(4, y)];
    assert!(cell.modifier.contains(Modifier::REVERSED), "{cell:?}");
    assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset));
    let other = row_of(&buffer, "reviews");
    assert_eq!(buffer[(1, other)].symbol(), " ");
    assert!(!buffer[(4, other)].modifier.contains(Modifier::REVERSED));
}

#[test]
fn no_color_keeps_the_selection_visible_without_colour() {
    let theme = Theme::default().for_depth(ColorDepth::NoColor);
    let buffer = draw(&app(theme, View::List, 80, 24), 80, 24);
    assert!(
        buffer
            .content
            .iter()
            .all(|c| c.fg == Color::Reset && c.bg == Color::Reset)
    );
    let y = row_of(&buffer, "checkout");
    assert!(buffer[(4, y)].modifier.contains(Modifier::REVERSED));
}

#[test]
fn default_theme_draws_only_named_colours() {
    for view in [
        View::List,
        View::Detail,
        View::Help,
        View::Confirm,
        View::Failed,
    ] {
        let buffer = draw(&app(Theme::default(), view, 160, 48), 160, 48);
        for cell in &buffer.content {
            for c in [cell.fg, cell.bg] {
                assert!(!matches!(c, Color::Rgb(..) | Color::Indexed(_)), "{c:?}");
            }
        }
    }
}

#[test]
fn cluster_text_never_reaches_the_terminal_raw() {
    for view in [View::List, View::Detail] {
        for width in [80, 160] {
            let mut app = app(Theme::default(), view, width, 48);
            if let View::Detail = view {
                // The evil release's own detail view.
                app.update(Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
                app.update(Msg::Key(KeyEvent::new(
                    KeyCode::Char('k'),
                    KeyModifiers::NONE,
                )));
                app.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
                app.update(Msg::Events(
                    "web/evil\u{1b}]0;pwned\u{7}".into(),
                    fixtures::events(),
                ));
            }
            let screen = text(&draw(&app, width, 48));
            assert!(screen.contains("evil\\x1b]0;pwned"), "{screen}");
            let bad =
                |c: char| c.is_control() && c != '\n' || ('\u{202a}'..='\u{202e}').contains(&c);
            assert!(!screen.chars().any(bad), "{screen}");
        }
    }
}

#[test]
fn reconnecting_shows_in_the_header() {
    let mut app = app(theme("mono"), View::List, 80, 24);
    app.update(Msg::Watch(WatchStatus::Reconnecting(
        "watch closed: 410 Gone".into(),
    )));
    let buffer = draw(&app, 80, 24);
    let second = text(&buffer).lines().nth(1).unwrap_or_default().to_string();
    assert!(
        second.starts_with(" reconnecting  watch closed: 410 Gone"),
        "{second}"
    );
    assert!(buffer[(2, 1)].modifier.contains(Modifier::REVERSED));
}

#[test]
fn prompt_and_status_show_in_the_bottom_line() {
    let mut app = app(Theme::default(), View::List, 80, 24);
    for c in "/gate".chars() {
        app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )));
    }
    let screen = text(&draw(&app, 80, 24));
    assert!(
        screen
            .lines()
            .last()
            .unwrap_or_default()
            .starts_with("/gate ")
    );
    assert!(screen.contains("releases(all)[1] </gate>"));
    app.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('p'),
        KeyModifiers::NONE,
    )));
    let screen = text(&draw(&app, 80, 24));
    assert_eq!(
        screen.lines().last().map(str::trim_end),
        Some("checking promote on payments/ledger…")
    );
}

#[test]
fn empty_states_say_why() {
    let mut app = App::new(
        Default::default(),
        Theme::default(),
        Some("shop".into()),
        "ctx".into(),
    );
    assert!(text(&draw(&app, 80, 24)).contains("waiting for releases…"));
    app.update(Msg::Releases(fixtures::releases()));
    app.update(Msg::Releases(Vec::new()));
    assert!(text(&draw(&app, 80, 24)).contains("no releases in namespace shop"));
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('0'),
        KeyModifiers::NONE,
    )));
    assert!(text(&draw(&app, 80, 24)).contains("no releases found"));
    app.update(Msg::Releases(fixtures::releases()));
    for c in "/zzz".chars() {
        app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )));
    }
    assert!(text(&draw(&app, 80, 24)).contains("no releases match the filter"));
}

#[test]
fn ten_thousand_releases_render_a_screenful() {
    let mut app = fixtures::app(Theme::default());
    let template = fixtures::releases().remove(1);
    let many: Vec<_> = (0..10_000)
        .map(|i| {
            let mut r = template.clone();
            r.name = format!("app-{i:05}");
            r
        })
        .collect();
    app.update(Msg::Resize(200, 50));
    app.update(Msg::Releases(many));
    app.update(Msg::Now(NOW + 5));
    let screen = text(&draw(&app, 200, 50));
    assert!(screen.contains("app-00000") && screen.contains("app-00043"));
    assert!(!screen.contains("app-00044"));
}

#[test]
fn help_lists_the_keys_actually_bound() {
    let (keymap, warnings) = crate::input::Keymap::load("quit = [\"x\", \"ctrl-q\"]\nflip = []\n");
    assert!(warnings.is_empty());
    let mut app = App::new(keymap, Theme::default(), None, "ctx".into());
    app.update(Msg::Resize(160, 48));
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('?'),
        KeyModifiers::NONE,
    )));
    let screen = text(&draw(&app, 160, 48));
    let words = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("x ctrl-q quit"), "{screen}");
    assert!(words.contains("- flip blue/green"), "{screen}");
    assert!(
        screen
            .lines()
            .last()
            .unwrap_or_default()
            .contains("<x> quit")
    );
}

#[test]
fn the_dry_run_verdict_is_styled_by_outcome() {
    let buffer = draw(&app(Theme::default(), View::Confirm, 80, 24), 80, 24);
    let y = row_of(&buffer, "server dry run: ok");
    assert_eq!(buffer[(6, y)].fg, Color::Green);
    let buffer = draw(&app(Theme::default(), View::Failed, 80, 24), 80, 24);
    let y = row_of(&buffer, "server dry run: admission webhook");
    assert_eq!(buffer[(6, y)].fg, Color::LightRed);
    assert!(buffer[(6, y)].modifier.contains(Modifier::BOLD));
    let mono = draw(&app(theme("mono"), View::Failed, 80, 24), 80, 24);
    let y = row_of(&mono, "server dry run: admission webhook");
    assert!(mono[(6, y)].modifier.contains(Modifier::UNDERLINED));
}

#[test]
fn a_long_preview_fits_and_keeps_its_keys_in_view() {
    let mut app = app(Theme::default(), View::List, 80, 24);
    let mut preview = fixtures::preview(Err("no\n".repeat(10)));
    preview.plan.changes = (0..30)
        .map(|i| fixtures::scale(&format!("v{i}"), 1, 2))
        .collect();
    app.update(Msg::Preview(preview));
    let screen = text(&draw(&app, 80, 24));
    let lines: Vec<&str> = screen.lines().collect();
    // Inside the body: the header and the status bar stay in view.
    assert!(lines[0].starts_with(" kshift"), "{screen}");
    assert!(lines[3].contains("┌ promote web/catalog"), "{screen}");
    assert!(
        lines[20].contains("y/enter apply  n/esc cancel  down/up scroll"),
        "{screen}"
    );
    assert!(lines[19].contains("no…"), "{screen}");
    assert!(lines[21].contains("└─────"), "{screen}");
    assert!(screen.contains("1. Deployment/v0 /scale") && !screen.contains("Deployment/v29"));
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('G'),
        KeyModifiers::NONE,
    )));
    let screen = text(&draw(&app, 80, 24));
    assert!(screen.contains("30. Deployment/v29 /scale"), "{screen}");
    assert!(screen.contains("! a HorizontalPodAutoscaler"), "{screen}");
}

#[test]
fn cluster_text_in_a_preview_is_escaped() {
    let mut app = app(Theme::default(), View::List, 80, 24);
    let evil = "evil\u{1b}]0;pwned\u{7}\u{202e}";
    let mut preview = fixtures::preview(Err(evil.into()));
    preview.plan.release = format!("web/{evil}");
    preview.plan.summary = evil.into();
    preview.plan.caveats = vec![evil.into()];
    preview.plan.changes[0].target.name = evil.into();
    preview.plan.changes[0].subresource = Some(evil.into());
    let field = &mut preview.plan.changes[0].fields[0];
    (field.field, field.from, field.to) = (evil.into(), evil.into(), evil.into());
    app.update(Msg::Preview(preview));
    let screen = text(&draw(&app, 80, 24));
    assert!(screen.contains("evil\\x1b]0;pwned"), "{screen}");
    let bad = |c: char| c.is_control() && c != '\n' || ('\u{202a}'..='\u{202e}').contains(&c);
    assert!(!screen.chars().any(bad), "{screen}");
}

#[test]
fn read_only_leaves_the_actions_out_of_help_and_says_so() {
    let mut app = app(Theme::default(), View::Help, 160, 48);
    let screen = text(&draw(&app, 160, 48));
    assert!(screen.contains("step forward") && screen.contains(" actions "));
    app.set_read_only(true);
    let screen = text(&draw(&app, 160, 48));
    assert!(
        !screen.contains("step forward") && !screen.contains(" actions "),
        "{screen}"
    );
    assert!(screen.contains("navigation") && screen.contains("filter releases"));
    assert!(
        screen
            .lines()
            .next()
            .unwrap_or_default()
            .starts_with(" kshift  read-only  context")
    );
}

#[test]
fn a_preview_draws_at_any_size() {
    let mut app = app(Theme::default(), View::Failed, 80, 24);
    for width in [0, 1, 2, 3, 5, 8, 13, 21, 34] {
        for height in 0..14 {
            app.update(Msg::Resize(width, height));
            app.update(Msg::Key(KeyEvent::new(
                KeyCode::Char('G'),
                KeyModifiers::NONE,
            )));
            draw(&app, width, height);
        }
    }
}
