//! Wall-clock helpers: Databricks timestamps are milliseconds since the Unix epoch.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `ms` since the epoch as RFC 3339 UTC with seconds (`2025-01-31T12:00:00Z`).
pub fn rfc3339(ms: i64) -> String {
    let t = UNIX_EPOCH + std::time::Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    humantime::format_rfc3339_seconds(t).to_string()
}

/// The UTC day of `ms` since the epoch, `yyyy-mm-dd`.
pub fn utc_date(ms: i64) -> String {
    let mut s = rfc3339(ms);
    s.truncate(10);
    s
}

/// Milliseconds since the epoch at 00:00 UTC of day `year-month-day` (a valid date).
pub fn day_start_ms(year: i32, month: u32, day: u32) -> Option<i64> {
    let t = humantime::parse_rfc3339(&format!("{year:04}-{month:02}-{day:02}T00:00:00Z")).ok()?;
    let d = t.duration_since(UNIX_EPOCH).ok()?;
    i64::try_from(d.as_millis()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_utc() {
        assert_eq!(utc_date(1_796_320_247_000), "2026-12-03");
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(day_start_ms(1970, 1, 2), Some(86_400_000));
        assert_eq!(rfc3339(1_796_320_247_000), "2026-12-03T17:50:47Z");
    }
}
