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

/// The config file (`--config FILE`, else `$XDG_CONFIG_HOME/kshift/config.toml` when
/// present): where Prometheus is, the health window, query templates.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub prometheus: Option<String>,
    pub window: Option<std::time::Duration>,
    /// The whole text, for the parts other modules read (`[queries.*]`).
    pub text: String,
}

impl Config {
    /// Reads the named file (which must exist) or the default one (which may not).
    pub fn load(path: Option<&Path>) -> Result<Config> {
        let (file, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => match config_dir() {
                Some(dir) => (dir.join("config.toml"), false),
                None => return Ok(Config::default()),
            },
        };
        if !required && !file.is_file() {
            return Ok(Config::default());
        }
        let text = std::fs::read_to_string(&file)
            .wrap_err_with(|| format!("reading {}", file.display()))?;
        Self::parse(&text).wrap_err_with(|| format!("in {}", file.display()))
    }

    pub fn parse(text: &str) -> Result<Config> {
        let table: toml::Table = text.parse().map_err(|e| eyre!("not valid TOML: {e}"))?;
        let metrics = table.get("metrics").and_then(toml::Value::as_table);
        let field = |name: &str| metrics.and_then(|m| m.get(name));
        let prometheus = match field("prometheus") {
            None => None,
            Some(toml::Value::String(url)) => Some(url.clone()),
            Some(other) => {
                return Err(eyre!(
                    "metrics.prometheus must be a URL string, not {other}"
                ));
            }
        };
        let window = match field("window") {
            None => None,
            Some(toml::Value::String(text)) => {
                Some(crate::ages::parse_duration(text).map_err(|e| eyre!("metrics.window: {e}"))?)
            }
            Some(other) => {
                return Err(eyre!(
                    "metrics.window must be a duration string such as \"1m\", not {other}"
                ));
            }
        };
        Ok(Config {
            prometheus,
            window,
            text: text.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_reads_metrics_and_says_what_is_wrong() {
        let config =
            Config::parse("[metrics]\nprometheus = \"http://127.0.0.1:9090\"\nwindow = \"5m\"\n")
                .unwrap();
        assert_eq!(config.prometheus.as_deref(), Some("http://127.0.0.1:9090"));
        assert_eq!(config.window, Some(std::time::Duration::from_secs(300)));
        assert!(
            Config::parse("[metrics]\nwindow = 5\n")
                .unwrap_err()
                .to_string()
                .contains("metrics.window")
        );
        assert!(Config::parse("not toml = = ").is_err());
        assert_eq!(Config::parse("").unwrap().prometheus, None);
    }
}
