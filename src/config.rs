//! User files: themes and keymaps named on the command line are a file path, a file in
//! the config folder (`$XDG_CONFIG_HOME/kshift/themes/NAME.toml`,
//! `.../keymaps/NAME.toml`), or a built-in; `$XDG_CONFIG_HOME/kshift/keymap.toml`
//! overrides the default keymap when no other is named.

use std::path::{Path, PathBuf};

use std::time::Duration;

use color_eyre::eyre::{Result, WrapErr, eyre};
use etcetera::BaseStrategy;

use crate::analysis::Thresholds;
use crate::analysis::verdict::{parse_ceiling, parse_count, parse_rate};
use crate::autopilot::Settings;

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
/// present): where Prometheus and Alertmanager are, the health window, the verdict's
/// thresholds, the autopilot's settings, query templates.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub prometheus: Option<String>,
    pub window: Option<Duration>,
    /// `[verdict]`: the defaults every release's annotations start from.
    pub thresholds: Thresholds,
    /// `[autopilot]`: what the console's autopilot runs with (the command line's
    /// flags say it for `kshift autopilot`).
    pub autopilot: Autopilot,
    /// `[alerts] alertmanager`.
    pub alertmanager: Option<String>,
    /// `[alerts] critical_fails`: a firing critical alert on a release makes its
    /// verdict failing.
    pub critical_alerts_fail: bool,
    /// The whole text, for the parts other modules read (`[queries.*]`).
    pub text: String,
}

/// The autopilot's settings in the config.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Autopilot {
    pub interval: Duration,
    pub settings: Settings,
}

impl Default for Autopilot {
    fn default() -> Self {
        Autopilot {
            interval: Duration::from_secs(30),
            settings: Settings::default(),
        }
    }
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
        let read = Sections(&table);
        let mut thresholds = Thresholds::default();
        read.set(
            &mut thresholds.max_error_rate,
            "verdict",
            "max_error_rate",
            parse_rate,
        )?;
        read.set(
            &mut thresholds.max_p99_ms,
            "verdict",
            "max_p99_ms",
            parse_ceiling,
        )?;
        read.set(&mut thresholds.margin, "verdict", "margin", parse_rate)?;
        read.set(
            &mut thresholds.min_requests,
            "verdict",
            "min_requests",
            parse_count,
        )?;
        read.set(
            &mut thresholds.failure_probability,
            "verdict",
            "failure_probability",
            parse_rate,
        )?;
        read.set(
            &mut thresholds.p99_tolerance,
            "verdict",
            "p99_tolerance",
            parse_factor,
        )?;
        read.set(
            &mut thresholds.min_p99_requests,
            "verdict",
            "min_p99_requests",
            parse_count,
        )?;
        let mut autopilot = Autopilot::default();
        read.set(
            &mut autopilot.interval,
            "autopilot",
            "interval",
            parse_interval,
        )?;
        let settings = &mut autopilot.settings;
        read.set(
            &mut settings.healthy_intervals,
            "autopilot",
            "healthy_intervals",
            parse_intervals,
        )?;
        read.set(
            &mut settings.failing_intervals,
            "autopilot",
            "failing_intervals",
            parse_intervals,
        )?;
        read.set(
            &mut settings.max_weight,
            "autopilot",
            "max_weight",
            parse_weight,
        )?;
        let mut critical_alerts_fail = false;
        read.set(
            &mut critical_alerts_fail,
            "alerts",
            "critical_fails",
            parse_bool,
        )?;
        Ok(Config {
            prometheus: read.get("metrics", "prometheus", parse_url)?,
            window: read.get("metrics", "window", |t| {
                crate::ages::parse_duration(t).map_err(|_| "a duration such as \"1m\"")
            })?,
            thresholds,
            autopilot,
            alertmanager: read.get("alerts", "alertmanager", parse_url)?,
            critical_alerts_fail,
            text: text.to_string(),
        })
    }
}

impl Config {
    /// A string in a section of the config (`[metrics] prometheus_token`), if set.
    pub fn string(&self, section: &str, key: &str) -> Option<String> {
        let table: toml::Table = self.text.parse().ok()?;
        table.get(section)?.get(key)?.as_str().map(str::to_string)
    }
}

/// The config's tables, read a value at a time: strings, numbers and booleans are all
/// read as text by the same parsers the annotations use, so that `0.05` and `"5%"`
/// mean the same everywhere.
struct Sections<'a>(&'a toml::Table);

impl Sections<'_> {
    fn get<T>(
        &self,
        section: &str,
        key: &str,
        parse: impl Fn(&str) -> Result<T, &'static str>,
    ) -> Result<Option<T>> {
        let Some(value) = self.0.get(section).and_then(|s| s.get(key)) else {
            return Ok(None);
        };
        let text = match value {
            toml::Value::String(text) => text.clone(),
            toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::Boolean(_) => {
                value.to_string()
            }
            other => return Err(eyre!("{section}.{key} must be a single value, not {other}")),
        };
        parse(&text)
            .map(Some)
            .map_err(|expected| eyre!("{section}.{key} must be {expected}, not {value}"))
    }

    fn set<T>(
        &self,
        field: &mut T,
        section: &str,
        key: &str,
        parse: impl Fn(&str) -> Result<T, &'static str>,
    ) -> Result<()> {
        if let Some(value) = self.get(section, key, parse)? {
            *field = value;
        }
        Ok(())
    }
}

fn parse_url(text: &str) -> Result<String, &'static str> {
    if text.starts_with("http://") || text.starts_with("https://") {
        Ok(text.to_string())
    } else {
        Err("an http:// or https:// URL")
    }
}

fn parse_factor(text: &str) -> Result<f64, &'static str> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && value >= 1.0 => Ok(value),
        _ => Err("a factor of 1 or more, such as 1.5"),
    }
}

pub fn parse_interval(text: &str) -> Result<Duration, &'static str> {
    match crate::ages::parse_duration(text) {
        Ok(interval) if interval >= Duration::from_secs(1) => Ok(interval),
        _ => Err("a duration of 1s or more, such as \"30s\""),
    }
}

pub fn parse_intervals(text: &str) -> Result<u32, &'static str> {
    match text.parse::<u32>() {
        Ok(count) if count >= 1 => Ok(count),
        _ => Err("a count of intervals, 1 or more"),
    }
}

pub fn parse_weight(text: &str) -> Result<f64, &'static str> {
    match text.parse::<f64>() {
        Ok(weight) if weight > 0.0 && weight <= 100.0 => Ok(weight),
        _ => Err("a weight in percent, above 0 and at most 100"),
    }
}

fn parse_bool(text: &str) -> Result<bool, &'static str> {
    text.parse().map_err(|_| "true or false")
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
        let error = |text: &str| Config::parse(text).unwrap_err().to_string();
        assert!(error("[metrics]\nwindow = 5\n").contains("metrics.window must be a duration"));
        assert!(error("[metrics]\nprometheus = \"localhost:9090\"\n").contains("http://"));
        assert!(Config::parse("not toml = = ").is_err());
        assert_eq!(Config::parse("").unwrap().prometheus, None);
    }

    #[test]
    fn config_reads_the_verdict_autopilot_and_alerts_sections() {
        let config = Config::parse(
            "[verdict]\nmax_error_rate = \"2%\"\nmax_p99_ms = 400\nmargin = 0.02\n\
             min_requests = 100\nfailure_probability = 0.9\np99_tolerance = 2\n\
             min_p99_requests = 500\n\
             [autopilot]\ninterval = \"10s\"\nhealthy_intervals = 2\nfailing_intervals = 1\n\
             max_weight = 60\n[alerts]\nalertmanager = \"http://127.0.0.1:9093\"\n\
             critical_fails = true\n",
        )
        .unwrap();
        let t = config.thresholds;
        assert_eq!(t.max_error_rate, 0.02);
        assert_eq!(t.max_p99_ms, Some(400.0));
        assert_eq!((t.margin, t.min_requests), (0.02, 100.0));
        assert_eq!((t.failure_probability, t.p99_tolerance), (0.9, 2.0));
        assert_eq!(t.min_p99_requests, 500.0);
        assert_eq!(config.autopilot.interval, Duration::from_secs(10));
        assert_eq!(
            config.autopilot.settings,
            Settings {
                healthy_intervals: 2,
                failing_intervals: 1,
                max_weight: 60.0
            }
        );
        assert_eq!(
            config.alertmanager.as_deref(),
            Some("http://127.0.0.1:9093")
        );
        assert!(config.critical_alerts_fail);
        // Absent sections leave the defaults.
        let empty = Config::parse("").unwrap();
        assert_eq!(empty.thresholds, Thresholds::default());
        assert_eq!(empty.autopilot, Autopilot::default());
        assert!(!empty.critical_alerts_fail);
    }

    #[test]
    fn config_names_the_key_and_what_it_expects() {
        let error = |text: &str| Config::parse(text).unwrap_err().to_string();
        assert!(
            error("[verdict]\nmax_error_rate = 5\n")
                .contains("verdict.max_error_rate must be a rate")
        );
        assert!(error("[verdict]\np99_tolerance = 0.5\n").contains("a factor of 1 or more"));
        assert!(
            error("[autopilot]\nhealthy_intervals = 0\n").contains("autopilot.healthy_intervals")
        );
        assert!(error("[autopilot]\nmax_weight = 120\n").contains("at most 100"));
        assert!(error("[autopilot]\ninterval = \"0s\"\n").contains("1s or more"));
        assert!(error("[alerts]\ncritical_fails = \"maybe\"\n").contains("true or false"));
        assert!(error("[verdict]\nmargin = [1]\n").contains("single value"));
    }
}
