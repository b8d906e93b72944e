//! Fixed-point quantities for usage rows. DBUs and machine hours are summed exactly (as
//! integer numerators over node-milliseconds) and rounded once per row to millionths, so the
//! same history always renders the same digits, whatever order it was added up in.

use super::calendar::HOUR_MS;
use std::fmt;

/// Millionths per unit.
const SCALE: i128 = 1_000_000;

/// A quantity in millionths (of a DBU or of a machine hour), printed as a decimal with at most
/// six places: `1.5`, `3.0`, `0.666667`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct Micros(pub i64);

impl Micros {
    /// The quantity accrued by `rate_ms`, a sum of (rate in millionths per hour × milliseconds
    /// at that rate), rounded half away from zero to a millionth.
    pub fn from_rate_ms(rate_ms: i128) -> Self {
        let den = i128::from(HOUR_MS);
        let half = den / 2;
        let q = if rate_ms >= 0 {
            (rate_ms + half) / den
        } else {
            (rate_ms - half) / den
        };
        Self(i64::try_from(q).unwrap_or(i64::MAX))
    }

    /// The value as a float (for callers that want a number, not text).
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / SCALE as f64
    }
}

/// A rate of `units` per hour, in millionths per hour (catalogue rates have two decimals).
pub fn per_hour_micros(units: f64) -> i64 {
    (units * SCALE as f64).round() as i64
}

impl fmt::Display for Micros {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = i128::from(self.0).abs();
        let whole = abs / SCALE;
        let frac = format!("{:06}", abs % SCALE);
        let frac = frac.trim_end_matches('0');
        let frac = if frac.is_empty() { "0" } else { frac };
        write!(f, "{sign}{whole}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_a_double_with_six_places_at_most() {
        assert_eq!(Micros(1_500_000).to_string(), "1.5");
        assert_eq!(Micros(3_000_000).to_string(), "3.0");
        assert_eq!(Micros(0).to_string(), "0.0");
        assert_eq!(Micros(666_667).to_string(), "0.666667");
        assert_eq!(Micros(12_345_000).to_string(), "12.345");
        assert_eq!(Micros(-250_000).to_string(), "-0.25");
    }

    #[test]
    fn rounds_once_half_away_from_zero() {
        // 2 nodes for 20 minutes: 2/3 of a machine hour.
        let two_nodes = i128::from(per_hour_micros(2.0));
        assert_eq!(
            Micros::from_rate_ms(two_nodes * 20 * 60_000),
            Micros(666_667)
        );
        // Half a millionth of an hour (1.8 ms at one unit per hour) rounds up.
        assert_eq!(Micros::from_rate_ms(1_800_000), Micros(1));
        assert_eq!(Micros::from_rate_ms(1_799_999), Micros(0));
        assert_eq!(per_hour_micros(0.69), 690_000);
        assert!((Micros(1_035_000).as_f64() - 1.035).abs() < 1e-12);
    }
}
