//! UTC calendar arithmetic for usage files: hours, civil dates and the months files are named
//! by. Timestamps are milliseconds since the Unix epoch, as everywhere in the API.

use crate::error::{ApiError, ApiResult};
use std::fmt;

/// Milliseconds in an hour.
pub const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// The start of the UTC hour that contains `ms`.
pub fn hour_start(ms: i64) -> i64 {
    ms.div_euclid(HOUR_MS) * HOUR_MS
}

/// The `timestamp` column of a usage row: the last millisecond of the hour starting at
/// `hour_start`, spelled `YYYY-MM-DDTHH:59:59.999Z` as Databricks' usage logs do.
pub fn hour_end_stamp(hour_start: i64) -> String {
    let days = hour_start.div_euclid(DAY_MS);
    let hour = hour_start.rem_euclid(DAY_MS) / HOUR_MS;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{hour:02}:59:59.999Z")
}

/// The civil date (year, month 1-12, day 1-31) `days` days after 1970-01-01, in the proleptic
/// Gregorian calendar (the era-based algorithm: 400-year eras of 146,097 days).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153; // month counted from March
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days from 1970-01-01 to the civil date `year-month-day`; the inverse of
/// [`civil_from_days`].
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A calendar month in UTC: the unit usage files are delivered by (`usageMonth=YYYY-MM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UsageMonth {
    year: i64,
    /// 1 to 12.
    month: i64,
}

impl UsageMonth {
    /// The month `year-month`; `None` unless `month` is 1 to 12 and `year` has four digits.
    pub fn new(year: i64, month: i64) -> Option<Self> {
        ((1..=12).contains(&month) && (0..=9999).contains(&year)).then_some(Self { year, month })
    }

    /// The month that contains the instant `ms`.
    pub fn containing(ms: i64) -> Self {
        let (year, month, _) = civil_from_days(ms.div_euclid(DAY_MS));
        Self { year, month }
    }

    /// Parses `YYYY-MM` (the form of a log delivery's `delivery_start_time`).
    pub fn parse(s: &str) -> ApiResult<Self> {
        let bad = || ApiError::invalid(format!("{s:?} is not a month in the form YYYY-MM."));
        let (y, m) = s.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 || !(y.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let (y, m) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        Self::new(y, m).ok_or_else(bad)
    }

    /// The first millisecond of the month.
    pub fn start_ms(self) -> i64 {
        days_from_civil(self.year, self.month, 1) * DAY_MS
    }

    /// The first millisecond after the month (the start of the next one).
    pub fn end_ms(self) -> i64 {
        self.next().start_ms()
    }

    /// The month after this one.
    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// Every month that has an instant in `[from_ms, to_ms)`, oldest first (empty when the
    /// window is).
    pub fn covering(from_ms: i64, to_ms: i64) -> Vec<Self> {
        let mut out = Vec::new();
        if from_ms >= to_ms {
            return out;
        }
        let mut m = Self::containing(from_ms);
        while m.start_ms() < to_ms {
            out.push(m);
            m = m.next();
        }
        out
    }
}

impl fmt::Display for UsageMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        for days in [-800_000, -1, 0, 59, 60, 11_016, 20_000, 20_789, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        // 2024 is a leap year: day 19,782 is 2024-02-29.
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn hours_end_a_millisecond_before_the_next() {
        // 2019-02-22T09:12:00Z
        let t = 1_550_826_720_000;
        assert_eq!(hour_start(t), 1_550_826_000_000);
        assert_eq!(hour_end_stamp(hour_start(t)), "2019-02-22T09:59:59.999Z");
        assert_eq!(hour_end_stamp(0), "1970-01-01T00:59:59.999Z");
    }

    #[test]
    fn months_bound_and_name_their_files() {
        let dec = UsageMonth::parse("2026-12").unwrap();
        assert_eq!(dec.to_string(), "2026-12");
        assert_eq!(dec.start_ms(), 1_796_083_200_000); // 2026-12-01T00:00:00Z
        assert_eq!(dec.end_ms(), 1_798_761_600_000); // 2027-01-01T00:00:00Z
        assert_eq!(dec.next().to_string(), "2027-01");
        assert_eq!(UsageMonth::containing(dec.end_ms() - 1), dec);
        assert_eq!(UsageMonth::containing(dec.end_ms()), dec.next());
        let feb = UsageMonth::new(2024, 2).unwrap();
        assert_eq!((feb.end_ms() - feb.start_ms()) / DAY_MS, 29);
        for bad in [
            "2026-13",
            "2026-00",
            "26-12",
            "2026-1",
            "2026/12",
            "２０２６-12",
            "",
        ] {
            assert!(UsageMonth::parse(bad).is_err(), "{bad}");
        }
        let names: Vec<String> = UsageMonth::covering(dec.start_ms() - 1, dec.end_ms() + 1)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(names, ["2026-11", "2026-12", "2027-01"]);
        assert!(UsageMonth::covering(5, 5).is_empty());
        assert_eq!(UsageMonth::covering(dec.start_ms(), dec.end_ms()), [dec]);
    }
}
