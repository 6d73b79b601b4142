//! The confirmation popup: a previewed plan drawn over the current view,
//! every object and field it changes, and the server's dry-run verdict; or what
//! an autopilot will do, before it starts.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::text::{fit, wrap};
use super::theme::{Slot, Theme};
use crate::actions::{Change, Plan};
use crate::app::{App, Asked, Confirm};
use crate::input::Action;

/// Columns and rows left free on each side, and the widest the popup gets.
const MARGIN: u16 = 2;
const MARGIN_Y: u16 = 1;
const MAX_WIDTH: u16 = 100;
/// Lines the dry run's message may take before it is cut.
const MAX_VERDICT: usize = 4;

/// The popup's box, and its text: the plan scrolls, the footer (verdict
/// and keys) stays in view.
struct Popup {
    area: Rect,
    plan: Vec<Line<'static>>,
    footer: Vec<Line<'static>>,
    /// Plan lines in view at once.
    page: usize,
}

pub(super) fn render(frame: &mut Frame, body: Rect, app: &App, confirm: &Confirm) {
    let popup = popup(app, confirm, body);
    let title = match &confirm.asked {
        Asked::Plan(preview) => format!("{} {}", preview.plan.verb.as_str(), preview.plan.release),
        Asked::Autopilot { key, .. } => format!("start the autopilot on {key}?"),
    };
    let room = usize::from(popup.area.width.saturating_sub(4));
    let title = Line::styled(
        format!(" {} ", fit(&title, room)),
        app.theme.style(Slot::Title),
    );
    let block = super::frame_block(app, title);
    let inner = block.inner(popup.area);
    frame.render_widget(Clear, popup.area);
    frame.render_widget(block, popup.area);
    let footer_rows = u16::try_from(popup.footer.len()).unwrap_or(u16::MAX);
    let [top, bottom] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(footer_rows)]).areas(inner);
    let shown: Vec<Line> = popup
        .plan
        .into_iter()
        .skip(confirm.scroll)
        .take(usize::from(top.height))
        .collect();
    frame.render_widget(Paragraph::new(shown), top);
    frame.render_widget(Paragraph::new(popup.footer), bottom);
}

/// Plan lines the popup shows at once, and the furthest it scrolls, at the
/// app's terminal size.
pub(crate) fn scroll_room(app: &App, confirm: &Confirm) -> (usize, usize) {
    let popup = popup(app, confirm, super::body_area(app.width, app.height));
    (popup.page, popup.plan.len().saturating_sub(popup.page))
}

/// Sizes the popup to its text, centred in `body`, inside its margins.
fn popup(app: &App, confirm: &Confirm, body: Rect) -> Popup {
    let width = body.width.saturating_sub(2 * MARGIN).min(MAX_WIDTH);
    // A space inside each border.
    let text = usize::from(width.saturating_sub(4));
    let theme = &app.theme;
    let mut footer = vec![Line::raw("")];
    // The cluster the yes acts on, named where the yes is given.
    let context = match &confirm.asked {
        Asked::Plan(preview) => preview.context.as_str(),
        Asked::Autopilot { .. } => app.context.as_str(),
    };
    footer.push(Line::from(vec![
        Span::styled(" on context ", theme.style(Slot::Muted)),
        Span::styled(
            fit(context, text.saturating_sub(12)),
            theme.style(Slot::Header),
        ),
    ]));
    let plan = match &confirm.asked {
        Asked::Plan(preview) => {
            footer.extend(verdict(&preview.dry_run, text, theme));
            plan_lines(&preview.plan, text, theme)
        }
        Asked::Autopilot { lines, .. } => {
            let mut out = Vec::new();
            for line in lines {
                // A list item's lines hang under its text.
                let hang = if line.starts_with("- ") { 2 } else { 0 };
                wrapped(&mut out, line, 1, hang, text, Style::new());
            }
            out
        }
    };
    // Borders, and the line of keys.
    let wanted = plan.len() + footer.len() + 3;
    let height = u16::try_from(wanted)
        .unwrap_or(u16::MAX)
        .min(body.height.saturating_sub(2 * MARGIN_Y));
    let page = usize::from(height.saturating_sub(3)).saturating_sub(footer.len());
    let yes = match confirm.asked {
        Asked::Plan(_) => "apply",
        Asked::Autopilot { .. } => "start",
    };
    footer.push(keys(app, yes, plan.len() > page));
    let area = Rect::new(
        body.x + (body.width - width) / 2,
        body.y + (body.height - height) / 2,
        width,
        height,
    );
    Popup {
        area,
        plan,
        footer,
        page,
    }
}

/// The summary, each change with its fields, then the caveats.
fn plan_lines(plan: &Plan, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    wrapped(&mut out, &plan.summary, 1, 0, width, Style::new());
    out.push(Line::raw(""));
    if plan.changes.is_empty() {
        out.push(Line::styled(" nothing to change", theme.style(Slot::Muted)));
    }
    for (i, change) in plan.changes.iter().enumerate() {
        let heading = format!("{}. {}", i + 1, object(change));
        wrapped(&mut out, &heading, 1, 3, width, theme.style(Slot::Header));
        for field in &change.fields {
            let text = format!("{}: {} -> {}", field.field, field.from, field.to);
            wrapped(&mut out, &text, 4, 2, width, Style::new());
        }
    }
    if !plan.caveats.is_empty() {
        out.push(Line::raw(""));
    }
    for caveat in &plan.caveats {
        wrapped(
            &mut out,
            &format!("! {caveat}"),
            1,
            2,
            width,
            theme.style(Slot::Warning),
        );
    }
    out
}

/// `Kind/name`, with ` /subresource` when the patch goes to one.
fn object(change: &Change) -> String {
    let target = &change.target;
    match &change.subresource {
        Some(sub) => format!("{}/{} /{sub}", target.kind, target.name),
        None => format!("{}/{}", target.kind, target.name),
    }
}

/// `server dry run: ok`, or the API's message, cut after a few lines.
fn verdict(dry_run: &Result<(), String>, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let (text, slot) = match dry_run {
        Ok(()) => ("server dry run: ok".to_string(), Slot::Healthy),
        Err(message) => (format!("server dry run: {message}"), Slot::Degraded),
    };
    // Room for the hanging indent, and for `…` on a cut last line.
    let mut lines = wrap(&text, width.saturating_sub(4));
    if lines.len() > MAX_VERDICT {
        lines.truncate(MAX_VERDICT);
        if let Some(last) = lines.last_mut() {
            last.push('…');
        }
    }
    let style = theme.style(slot);
    lines
        .into_iter()
        .enumerate()
        .map(|(i, line)| {
            let pad = if i == 0 { " " } else { "   " };
            Line::styled(format!("{pad}{line}"), style)
        })
        .collect()
}

/// `y/enter apply  n/esc cancel` (or `start`), and how to scroll when the plan is longer
/// than the popup.
fn keys(app: &App, yes: &str, more: bool) -> Line<'static> {
    let key_style = app.theme.style(Slot::Header);
    let label_style = app.theme.style(Slot::Muted);
    let mut spans = vec![
        Span::styled(" y/enter", key_style),
        Span::styled(format!(" {yes}  "), label_style),
        Span::styled("n/esc", key_style),
        Span::styled(" cancel", label_style),
    ];
    let first = |action| app.keymap.keys(action).first().map(ToString::to_string);
    if let (true, Some(down), Some(up)) = (more, first(Action::Down), first(Action::Up)) {
        spans.push(Span::styled(
            format!("  {}", fit(&format!("{down}/{up}"), 24)),
            key_style,
        ));
        spans.push(Span::styled(" scroll", label_style));
    }
    Line::from(spans)
}

/// Wraps cluster text into `out`: the first line indented by `indent`,
/// the rest by `indent + hang`.
fn wrapped(
    out: &mut Vec<Line<'static>>,
    text: &str,
    indent: usize,
    hang: usize,
    width: usize,
    style: Style,
) {
    let lines = wrap(text, width.saturating_sub(indent + hang));
    for (i, line) in lines.into_iter().enumerate() {
        let pad = if i == 0 { indent } else { indent + hang };
        out.push(Line::styled(format!("{}{line}", " ".repeat(pad)), style));
    }
}
