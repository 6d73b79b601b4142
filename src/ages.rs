//! Times as the cluster writes them (RFC 3339) and ages as kubectl prints them.

/// An RFC 3339 timestamp (`2024-05-01T12:00:00Z`, `2024-05-01T14:00:00.5+02:00`);
/// `None` when it does not parse.
pub fn timestamp(text: &str) -> Option<jiff::Timestamp> {
    text.trim().parse().ok()
}

/// Unix seconds of an RFC 3339 timestamp.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    timestamp(text).map(|t| t.as_second())
}

/// The age of a moment as kubectl prints it (`45s`, `3m12s`, `5h`, `12d`),
/// or `-` when either time is unknown.
///
/// Seconds only under a minute (kubectl writes `3m12s` up to ten minutes): a console
/// redraws when an age on screen changes, and an idle one should tick once a minute,
/// not once a second.
pub fn age(at: Option<i64>, now: Option<i64>) -> String {
    match (at, now) {
        (Some(at), Some(now)) if (60..600).contains(&(now - at)) => {
            format!("{}m", (now - at) / 60)
        }
        (Some(at), Some(now)) => human_duration(now - at),
        _ => "-".to_string(),
    }
}

/// kubectl's `duration.HumanDuration`; a moment in the future (clock skew
/// between the cluster and this machine) reads `0s`.
pub fn human_duration(seconds: i64) -> String {
    let s = seconds.max(0);
    let (minutes, hours) = (s / 60, s / 3600);
    let days = hours / 24;
    let with = |big: i64, unit: &str, small: i64, small_unit: &str| {
        if small == 0 {
            format!("{big}{unit}")
        } else {
            format!("{big}{unit}{small}{small_unit}")
        }
    };
    if s < 120 {
        format!("{s}s")
    } else if minutes < 10 {
        with(minutes, "m", s % 60, "s")
    } else if minutes < 180 {
        format!("{minutes}m")
    } else if hours < 8 {
        with(hours, "h", minutes % 60, "m")
    } else if hours < 48 {
        format!("{hours}h")
    } else if hours < 24 * 8 {
        with(days, "d", hours % 24, "h")
    } else if hours < 24 * 365 * 2 {
        format!("{days}d")
    } else if hours < 24 * 365 * 8 {
        with(days / 365, "y", days % 365, "d")
    } else {
        format!("{}y", days / 365)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc3339() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2024-05-01T14:00:00.123+02:00"),
            Some(1_714_564_800)
        );
        assert_eq!(
            timestamp("2026-11-21T21:14:37Z"),
            timestamp("2026-11-21T23:14:37+02:00")
        );
        for bad in [
            "",
            "yesterday",
            "2024-05-01T12:00:00",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations_read_like_kubectl_and_ages_tick_by_their_size() {
        let cases = [
            (-5, "0s"),
            (0, "0s"),
            (45, "45s"),
            (119, "119s"),
            (120, "2m"),
            (192, "3m12s"),
            (600, "10m"),
            (179 * 60, "179m"),
            (3 * 3600, "3h"),
            (5 * 3600 + 7 * 60, "5h7m"),
            (30 * 3600, "30h"),
            (3 * 86_400 + 4 * 3600, "3d4h"),
            (12 * 86_400, "12d"),
            (800 * 86_400, "2y70d"),
            (3000 * 86_400, "8y"),
        ];
        for (seconds, want) in cases {
            assert_eq!(human_duration(seconds), want, "{seconds}");
        }
        // On screen, seconds only under a minute: an idle console ticks once a minute.
        for (seconds, want) in [
            (45, "45s"),
            (60, "1m"),
            (119, "1m"),
            (192, "3m"),
            (600, "10m"),
        ] {
            assert_eq!(age(Some(0), Some(seconds)), want, "{seconds}");
        }
        assert_eq!(age(None, Some(5)), "-");
        assert_eq!(age(Some(5), None), "-");
    }
}

/// A Prometheus-style duration (`30s`, `5m`, `1h`, `2d`), as `--window` takes it.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => 0,
    };
    match number.parse::<u64>() {
        Ok(n) if n > 0 && seconds > 0 => Ok(std::time::Duration::from_secs(n * seconds)),
        _ => Err(format!("{text:?} is not a duration like 30s, 5m or 1h")),
    }
}

#[cfg(test)]
mod duration_tests {
    use super::*;

    #[test]
    fn durations_like_prometheus() {
        assert_eq!(
            parse_duration("90s"),
            Ok(std::time::Duration::from_secs(90))
        );
        assert_eq!(
            parse_duration("5m"),
            Ok(std::time::Duration::from_secs(300))
        );
        assert_eq!(
            parse_duration("1h"),
            Ok(std::time::Duration::from_secs(3600))
        );
        for bad in ["", "5", "m", "0s", "1.5m", "-1m", "5w"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
