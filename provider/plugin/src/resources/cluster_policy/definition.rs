//! Policy definitions are JSON text: two texts that differ only in whitespace, key order or how
//! a number is written (`10` and `10.0`) are the same definition, and plans and refreshes keep
//! the text as the configuration wrote it.

use serde_json::{Map, Value};

/// The JSON object `text` holds, or why it is not one (a syntax error names line and column).
pub fn parse_object(text: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(format!(
            "the policy must be a JSON object of attribute paths to rules, not {}",
            kind(&other)
        )),
        Err(e) => Err(format!("not valid JSON: {e}")),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Whether two JSON values are equal, objects compared without regard to key order and numbers
/// by value.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_value(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_value(v, w)))
        }
        _ => a == b,
    }
}

/// Whether two definition texts denote the same JSON document. Texts that are not JSON are the
/// same only when they are identical.
pub fn same(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (
        serde_json::from_str::<Value>(a),
        serde_json::from_str::<Value>(b),
    ) {
        (Ok(x), Ok(y)) => same_value(&x, &y),
        _ => false,
    }
}

/// The text to keep in state: `ours` (as configured or previously stored) when it denotes the
/// same document as the API's `theirs`, else the API's.
pub fn keep(ours: Option<String>, theirs: Option<String>) -> Option<String> {
    match (ours, theirs) {
        (Some(o), Some(t)) if same(&o, &t) => Some(o),
        (_, t) => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_key_order_and_number_spelling_do_not_matter() {
        let a = r#"{"spark_version": {"type": "fixed", "value": "15.4.x-scala2.12"},
                    "autotermination_minutes": {"type": "range", "maxValue": 60}}"#;
        let b = r#"{"autotermination_minutes":{"maxValue":60.0,"type":"range"},"spark_version":{"value":"15.4.x-scala2.12","type":"fixed"}}"#;
        assert!(same(a, b));
        assert!(same("{}", " { } "));
    }

    #[test]
    fn different_documents_differ() {
        assert!(!same(r#"{"a": {"type": "forbidden"}}"#, "{}"));
        assert!(!same(
            r#"{"a": {"type": "range", "maxValue": 60}}"#,
            r#"{"a": {"type": "range", "maxValue": 61}}"#
        ));
        assert!(!same(
            r#"{"a": {"type": "allowlist", "values": [1, 2]}}"#,
            r#"{"a": {"type": "allowlist", "values": [2, 1]}}"#
        ));
        assert!(!same("not json", "not  json"));
        assert!(same("not json", "not json"));
    }

    #[test]
    fn state_keeps_the_configured_text_when_equal() {
        let configured = "{\n  \"a\": {\"type\": \"forbidden\"}\n}".to_owned();
        let api = r#"{"a":{"type":"forbidden"}}"#.to_owned();
        assert_eq!(
            keep(Some(configured.clone()), Some(api.clone())),
            Some(configured)
        );
        let changed = r#"{"b":{"type":"forbidden"}}"#.to_owned();
        assert_eq!(keep(Some(api), Some(changed.clone())), Some(changed));
        assert_eq!(keep(None, Some("{}".into())), Some("{}".into()));
    }

    #[test]
    fn only_json_objects_are_definitions() {
        assert!(parse_object(r#"{"a": {"type": "forbidden"}}"#).is_ok());
        assert!(parse_object("[1]").unwrap_err().contains("not an array"));
        let e = parse_object("{\"a\": ").unwrap_err();
        assert!(e.contains("not valid JSON") && e.contains("line 1"), "{e}");
    }
}
