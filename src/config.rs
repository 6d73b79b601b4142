//! User files: themes and keymaps named on the command line are a file path, a file in
//! the config folder (`$XDG_CONFIG_HOME/kshift/themes/NAME.toml`,
//! `.../keymaps/NAME.toml`), or a built-in; `$XDG_CONFIG_HOME/kshift/keymap.toml`
//! overrides the default keymap when no other is named.

use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr, eyre};
use etcetera::BaseStrategy;

/// `$XDG_CONFIG_HOME/kshift` (usually `~/.config/kshift`).
pub fn config_dir() -> Option<PathBuf> {
    etcetera::choose_base_strategy()
        .ok()
        .map(|s| s.config_dir().join("kshift"))
}

/// The text of a theme or keymap: from a path, the config folder, or a built-in.
/// `folder` is `themes` or `keymaps`.
pub fn find(
    folder: &str,
    name: &str,
    builtin: impl Fn(&str) -> Option<&'static str>,
) -> Result<String> {
    let path = Path::new(name);
    if path.extension().is_some() || name.contains('/') {
        return std::fs::read_to_string(path)
            .wrap_err_with(|| format!("reading {}", path.display()));
    }
    if let Some(file) = config_dir().map(|d| d.join(folder).join(format!("{name}.toml")))
        && file.is_file()
    {
        return std::fs::read_to_string(&file)
            .wrap_err_with(|| format!("reading {}", file.display()));
    }
    builtin(name).map(str::to_string).ok_or_else(|| {
        eyre!(
            "no {} named {name:?}: not a file, not in {}, not built in",
            &folder[..folder.len() - 1],
            config_dir().map_or_else(
                || "the config folder".to_string(),
                |d| d.join(folder).display().to_string()
            )
        )
    })
}

/// The user's override of the default keymap, if there is one.
pub fn user_keymap() -> Option<(PathBuf, Result<String>)> {
    let file = config_dir()?.join("keymap.toml");
    file.is_file().then(|| {
        let text =
            std::fs::read_to_string(&file).wrap_err_with(|| format!("reading {}", file.display()));
        (file, text)
    })
}

/// The console's log (`$XDG_STATE_HOME/kshift/kshift.log`), truncated at each start.
pub fn log_file() -> Option<std::fs::File> {
    let strategy = etcetera::choose_base_strategy().ok()?;
    let dir = strategy
        .state_dir()
        .unwrap_or_else(|| strategy.cache_dir())
        .join("kshift");
    std::fs::create_dir_all(&dir).ok()?;
    std::fs::File::create(dir.join("kshift.log")).ok()
}
