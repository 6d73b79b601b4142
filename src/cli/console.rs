//! Opening the console: the keymap and theme the flags name, then the loop.

use crate::config::Config;
use color_eyre::eyre::Result;

use super::Cli;
use crate::app::{App, Msg, PilotSetup};
use crate::config;
use crate::console::{self, Connector, Start};
use crate::input::Keymap;
use crate::ui::{ColorDepth, Theme, detect};

/// The app for the flags' keymap, theme and read-only mode and the config's verdict
/// and autopilot settings, with the warnings they produced.
pub fn build_app(
    cli: &Cli,
    config: &Config,
    context: String,
    depth: ColorDepth,
) -> Result<(App, Vec<String>)> {
    let mut warnings = Vec::new();
    let keymap = match (&cli.keymap, config::user_keymap()) {
        (Some(name), _) => {
            let text = config::find("keymaps", name, |n| (n == "default").then_some(""))?;
            let (keymap, mut problems) = Keymap::load(&text);
            warnings.append(&mut problems);
            keymap
        }
        (None, Some((file, text))) => {
            let (keymap, problems) = Keymap::load(&text?);
            warnings.extend(
                problems
                    .into_iter()
                    .map(|p| format!("{}: {p}", file.display())),
            );
            keymap
        }
        (None, None) => Keymap::default(),
    };
    let theme_name = cli.theme.as_deref().unwrap_or("default");
    let text = config::find("themes", theme_name, Theme::builtin_text)?;
    let (theme, mut problems) = Theme::load(&text);
    warnings.append(&mut problems);
    let mut app = App::new(
        keymap,
        theme.for_depth(depth),
        cli.scope().map(str::to_string),
        context,
    );
    app.set_read_only(cli.readonly);
    if cli.alertmanager.is_some() || config.alertmanager.is_some() {
        app.set_alerts(config.critical_alerts_fail);
    }
    app.set_thresholds(config.thresholds);
    app.set_pilot_setup(PilotSetup {
        interval: config.autopilot.interval,
        window: config.window.unwrap_or(super::DEFAULT_VERDICT_WINDOW),
        settings: config.autopilot.settings,
    });
    Ok((app, warnings))
}

/// The console on `client`.
pub async fn open(cli: &Cli, config: &Config, start: Start) -> Result<()> {
    let depth = detect(
        std::env::var("NO_COLOR").ok().as_deref(),
        std::env::var("COLORTERM").ok().as_deref(),
        std::env::var("TERM").ok().as_deref(),
        cli.color.as_deref(),
    );
    // crossterm drops every colour under a non-empty NO_COLOR on its own; the depth
    // decided here (where `--color 16` beats NO_COLOR) is the one that counts.
    crossterm::style::Colored::set_ansi_color_disabled(depth == ColorDepth::NoColor);
    let (mut app, warnings) = build_app(cli, config, start.context.clone(), depth)?;
    if !warnings.is_empty() {
        app.update(Msg::Status(warnings.join("; ")));
    }
    console::run(app, start).await
}

/// `kshift` without a subcommand: the console on the current kubeconfig.
pub async fn on_kubeconfig(cli: &Cli) -> Result<()> {
    let (client, context) =
        crate::cluster::connect::from_kubeconfig(cli.context.as_deref()).await?;
    let config = Config::load(cli.config.as_deref())?;
    let feed = std::sync::Arc::new(super::feed(cli, &config, None)?);
    let alertmanager = super::alertmanager(cli, &config)?.map(std::sync::Arc::new);
    let start = Start {
        feed,
        alertmanager,
        connector: Connector::Kubeconfig,
        client,
        context,
        namespace: cli.scope().map(str::to_string),
    };
    open(cli, &config, start).await
}
