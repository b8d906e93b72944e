//! The `timeouts { create, read, update }` block of the official provider's SDKv2 resources:
//! durations written as Go writes them (`"20m"`, `"1h30m"`, `"90s"`, `"1.5h"`), checked at plan
//! time and read when an operation waits.

use std::time::Duration;
use tf_framework::{Attr, Block, Diagnostics, NestedBlock, Obj, Path, Ty, Value};

/// The block, with the operations it times.
pub fn block(ops: &[&'static str]) -> NestedBlock {
    let attrs = ops
        .iter()
        .map(|op| {
            let what = match *op {
                "create" => "How long `create` waits (Go duration syntax, e.g. `\"30m\"`).",
                "read" => "How long a refresh waits for the object (Go duration syntax).",
                "update" => "How long `update` waits (Go duration syntax).",
                _ => "How long the operation waits (Go duration syntax).",
            };
            Attr::optional(op, Ty::String, what)
        })
        .collect();
    NestedBlock::single_list(
        "timeouts",
        Block::new(
            "Operation timeouts, as in the official provider (defaults: 20 minutes each).",
            attrs,
        ),
    )
}

/// Parses a Go duration: one or more `<decimal><unit>` terms, units `ns`, `us` (`µs`), `ms`,
/// `s`, `m`, `h`; a bare `0` is zero. Signs are refused: timeouts are not negative.
pub fn parse(text: &str) -> Result<Duration, String> {
    let bad = |why: &str| {
        Err(format!(
            "{text:?} is not a duration ({why}); write e.g. \"20m\", \"1h30m\" or \"90s\"."
        ))
    };
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    if text.is_empty() {
        return bad("it is empty");
    }
    let mut rest = text;
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, tail) = rest.split_at(number_len);
        let Ok(value) = number.parse::<f64>() else {
            return bad("a number is missing or malformed");
        };
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let seconds = match unit {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "" => return bad("a unit is missing"),
            _ => return bad("units are ns, us, ms, s, m and h"),
        };
        total += value * seconds;
        rest = tail;
    }
    if !total.is_finite() || total > 365.0 * 24.0 * 3600.0 {
        return bad("it is longer than a year");
    }
    Ok(Duration::from_secs_f64(total))
}

/// Reports malformed durations in a configuration's `timeouts` block.
pub fn validate(config: &Obj, diags: &mut Diagnostics) {
    let Some(t) = config.block("timeouts") else {
        return;
    };
    for op in t.0.keys() {
        if let Value::Known(text) = t.string(op) {
            if let Err(why) = parse(&text) {
                diags.error_at(
                    Path::attr("timeouts").index(0).then(op),
                    format!("Invalid timeouts.{op}"),
                    why,
                );
            }
        }
    }
}

/// The timeout of `op` in `o`'s `timeouts` block, else `default`.
pub fn get(o: &Obj, op: &str, default: Duration) -> Duration {
    o.block("timeouts")
        .and_then(|t| t.opt_str(op))
        .and_then(|text| parse(&text).ok())
        .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_parse() {
        let s = Duration::from_secs;
        assert_eq!(parse("20m").unwrap(), s(1200));
        assert_eq!(parse("1h30m").unwrap(), s(5400));
        assert_eq!(parse("1.5h").unwrap(), s(5400));
        assert_eq!(parse("90s").unwrap(), s(90));
        assert_eq!(parse("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse("0").unwrap(), Duration::ZERO);
        for bad in [
            "", "20", "m", "20 m", "-5m", "5d", "1h30", "..5s", "9999999h",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn configured_values_win_over_defaults() {
        let mut t = Obj::new();
        t.set("create", "45s");
        let mut o = Obj::new();
        o.set_block("timeouts", Some(t));
        let default = Duration::from_secs(1200);
        assert_eq!(get(&o, "create", default), Duration::from_secs(45));
        assert_eq!(get(&o, "update", default), default);
        assert_eq!(get(&Obj::new(), "create", default), default);
        let mut diags = Diagnostics::default();
        let mut t = Obj::new();
        t.set("read", "soon");
        let mut o = Obj::new();
        o.set_block("timeouts", Some(t));
        validate(&o, &mut diags);
        assert!(diags.has_errors());
    }
}
