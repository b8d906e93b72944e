//! The cluster policy language: a definition is a JSON object from attribute paths to rules.
//!
//! ```json
//! {"spark_version": {"type": "regex", "pattern": "1[3-5]\\..*", "defaultValue": "15.4.x-scala2.12"},
//!  "autoscale.max_workers": {"type": "range", "maxValue": 10},
//!  "custom_tags.team": {"type": "fixed", "value": "data", "hidden": true}}
//! ```
//!
//! Rule types: `fixed` (`value`, `hidden`), `forbidden`, `allowlist` and `blocklist`
//! (`values`), `regex` (`pattern`, matched against the whole value), `range` (`minValue`
//! and/or `maxValue`) and `unlimited`. Every type but `fixed` and `forbidden` takes
//! `defaultValue` and `isOptional`. A limiting rule (allowlist, regex, range) makes its
//! attribute required unless `isOptional` is true; `blocklist` and `unlimited` leave it
//! optional unless `isOptional` is false. Parsing refuses a malformed rule with its path and
//! the reason.

use regex::Regex;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// What a rule allows.
#[derive(Debug, Clone)]
pub enum Constraint {
    Fixed { value: Value, hidden: bool },
    Forbidden,
    Allowlist(Vec<Value>),
    Blocklist(Vec<Value>),
    Regex { pattern: String, compiled: Regex },
    Range { min: Option<f64>, max: Option<f64> },
    Unlimited,
}

/// One rule of a definition.
#[derive(Debug, Clone)]
pub struct Rule {
    pub constraint: Constraint,
    /// Set when the specification leaves the attribute out.
    pub default: Option<Value>,
    /// Whether the attribute may be left out (after defaults).
    pub optional: bool,
}

/// A parsed policy definition: rules by attribute path, in path order.
#[derive(Debug, Clone, Default)]
pub struct Definition {
    pub rules: BTreeMap<String, Rule>,
}

/// A malformed rule: its path and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub path: String,
    pub reason: String,
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(f, "{}: {}", self.path, self.reason)
        }
    }
}

/// Paths that no cluster specification has but a policy may constrain: computed from the
/// specification (`dbus_per_hour`) or from how the cluster is made (`cluster_type`).
pub const VIRTUAL_PATHS: [&str; 2] = ["dbus_per_hour", "cluster_type"];

const KNOWN_KEYS: [&str; 7] = [
    "type",
    "value",
    "hidden",
    "values",
    "pattern",
    "defaultValue",
    "isOptional",
];

impl Definition {
    /// Parses a definition (a JSON object, as text). An empty text is an empty definition.
    pub fn parse(text: &str) -> Result<Self, Vec<Malformed>> {
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        let root: Value = serde_json::from_str(text).map_err(|e| {
            vec![Malformed {
                path: String::new(),
                reason: format!("the definition is not valid JSON: {e}"),
            }]
        })?;
        let Value::Object(entries) = root else {
            return Err(vec![Malformed {
                path: String::new(),
                reason: "the definition must be a JSON object of attribute paths to rules".into(),
            }]);
        };
        let mut rules = BTreeMap::new();
        let mut problems = Vec::new();
        for (path, rule) in entries {
            match parse_rule(&path, &rule) {
                Ok(r) => {
                    rules.insert(path, r);
                }
                Err(reason) => problems.push(Malformed { path, reason }),
            }
        }
        if problems.is_empty() {
            Ok(Self { rules })
        } else {
            Err(problems)
        }
    }

    /// This definition with `overrides` (another definition) laid over it, rule by rule.
    pub fn overlaid(mut self, overrides: Definition) -> Self {
        self.rules.extend(overrides.rules);
        self
    }
}

fn parse_rule(path: &str, rule: &Value) -> Result<Rule, String> {
    check_path(path)?;
    let Value::Object(o) = rule else {
        return Err("a rule must be a JSON object with a \"type\"".into());
    };
    let kind = match o.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(_) => return Err("\"type\" must be a string".into()),
        None => return Err("the rule has no \"type\"".into()),
    };
    let allowed: &[&str] = match kind {
        "fixed" => &["value", "hidden"],
        "forbidden" => &[],
        "allowlist" | "blocklist" => &["values", "defaultValue", "isOptional"],
        "regex" => &["pattern", "defaultValue", "isOptional"],
        "range" => &["minValue", "maxValue", "defaultValue", "isOptional"],
        "unlimited" => &["defaultValue", "isOptional"],
        other => {
            return Err(format!(
                "unknown rule type {other:?}; use fixed, forbidden, allowlist, blocklist, regex, range or unlimited"
            ))
        }
    };
    if let Some(extra) = o
        .keys()
        .find(|k| *k != "type" && !allowed.contains(&k.as_str()))
    {
        let hint = if KNOWN_KEYS.contains(&extra.as_str()) || extra.ends_with("Value") {
            format!("a {kind} rule does not take {extra:?}")
        } else {
            format!("unknown field {extra:?}")
        };
        return Err(hint);
    }
    let optional_flag = match o.get("isOptional") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err("\"isOptional\" must be true or false".into()),
    };
    let default = o.get("defaultValue").cloned();
    if let Some(d) = &default {
        scalar(d).map_err(|why| format!("\"defaultValue\" {why}"))?;
    }
    let constraint = match kind {
        "fixed" => {
            let value = o
                .get("value")
                .ok_or("a fixed rule needs \"value\"")?
                .clone();
            scalar(&value).map_err(|why| format!("\"value\" {why}"))?;
            let hidden = match o.get("hidden") {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err("\"hidden\" must be true or false".into()),
            };
            Constraint::Fixed { value, hidden }
        }
        "forbidden" => Constraint::Forbidden,
        "allowlist" | "blocklist" => {
            let values = match o.get("values") {
                Some(Value::Array(v)) if !v.is_empty() => v.clone(),
                Some(Value::Array(_)) => return Err("\"values\" must not be empty".into()),
                _ => return Err(format!("a {kind} rule needs \"values\", a list")),
            };
            for v in &values {
                scalar(v).map_err(|why| format!("\"values\" entry {why}"))?;
            }
            if kind == "allowlist" {
                Constraint::Allowlist(values)
            } else {
                Constraint::Blocklist(values)
            }
        }
        "regex" => {
            let pattern = match o.get("pattern") {
                Some(Value::String(p)) => p.clone(),
                _ => return Err("a regex rule needs \"pattern\", a string".into()),
            };
            let compiled = Regex::new(&format!("^(?:{pattern})$"))
                .map_err(|e| format!("\"pattern\" is not a valid regular expression: {e}"))?;
            Constraint::Regex { pattern, compiled }
        }
        "range" => {
            let bound = |name: &str| match o.get(name) {
                None => Ok(None),
                Some(v) => v
                    .as_f64()
                    .map(Some)
                    .ok_or_else(|| format!("\"{name}\" must be a number")),
            };
            let (min, max) = (bound("minValue")?, bound("maxValue")?);
            match (min, max) {
                (None, None) => {
                    return Err("a range rule needs \"minValue\" or \"maxValue\"".into())
                }
                (Some(lo), Some(hi)) if lo > hi => {
                    return Err(format!("\"minValue\" {lo} is above \"maxValue\" {hi}"))
                }
                _ => {}
            }
            if let Some(d) = &default {
                if number(d).is_none() {
                    return Err("\"defaultValue\" of a range rule must be a number".into());
                }
            }
            Constraint::Range { min, max }
        }
        _ => Constraint::Unlimited,
    };
    let limiting = matches!(
        constraint,
        Constraint::Allowlist(_) | Constraint::Regex { .. } | Constraint::Range { .. }
    );
    let rule = Rule {
        optional: optional_flag.unwrap_or(!limiting),
        default,
        constraint,
    };
    if let Some(d) = &rule.default {
        if let Err(why) = crate::compute::check::verdict(&rule.constraint, d) {
            return Err(format!("\"defaultValue\" breaks the rule itself: {why}"));
        }
    }
    Ok(rule)
}

/// Attribute paths: dot-separated segments, `*` or an index for list elements.
fn check_path(path: &str) -> Result<(), String> {
    if path.is_empty() || path.split('.').any(str::is_empty) {
        return Err(
            "an attribute path must be dot-separated names, such as autoscale.max_workers".into(),
        );
    }
    Ok(())
}

/// Rule values are JSON scalars.
fn scalar(v: &Value) -> Result<(), String> {
    match v {
        Value::String(_) | Value::Number(_) | Value::Bool(_) => Ok(()),
        _ => Err("must be a string, a number or a boolean".into()),
    }
}

/// A value as a number (numbers, and strings that hold one, as policy values often are).
pub fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A scalar as the text Databricks compares: `true`, `4`, `2.5`, or the string itself.
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// Whether two scalars are the same value, across spellings (`4` and `"4"`, `true` and `"true"`).
pub fn same(a: &Value, b: &Value) -> bool {
    text(a) == text(b)
}

/// The object at the top of a definition, for callers that edit it.
pub fn as_object(text: &str) -> Option<Map<String, Value>> {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.as_object().cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        Definition::parse(text)
            .err()
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn every_rule_type_parses_with_its_options() {
        let d = Definition::parse(
            r#"{"spark_version": {"type": "regex", "pattern": "1[3-5]\\..*", "defaultValue": "15.4.x-scala2.12"},
                "autoscale.max_workers": {"type": "range", "minValue": 1, "maxValue": 10, "defaultValue": 4},
                "custom_tags.team": {"type": "fixed", "value": "data", "hidden": true},
                "instance_pool_id": {"type": "forbidden"},
                "node_type_id": {"type": "allowlist", "values": ["i3.xlarge", "m5d.large"]},
                "driver_node_type_id": {"type": "blocklist", "values": ["i3.4xlarge"]},
                "autotermination_minutes": {"type": "unlimited", "defaultValue": 60, "isOptional": false}}"#,
        )
        .expect("valid");
        assert_eq!(d.rules.len(), 7);
        assert!(
            !d.rules["node_type_id"].optional,
            "limiting rules require their attribute"
        );
        assert!(d.rules["driver_node_type_id"].optional);
        assert!(!d.rules["autotermination_minutes"].optional);
        assert!(matches!(
            d.rules["custom_tags.team"].constraint,
            Constraint::Fixed { hidden: true, .. }
        ));
        assert!(Definition::parse("").expect("empty").rules.is_empty());
    }

    #[test]
    fn malformed_rules_name_their_path_and_reason() {
        let p = problems(
            r#"{"a": {"type": "range"}, "b": {"type": "regex", "pattern": "("},
                "c": {"type": "sometimes"}, "d": {"type": "fixed"}, "e": {"type": "allowlist", "values": []},
                "f": {"type": "range", "minValue": 5, "maxValue": 1}, "g": 3,
                "h": {"type": "forbidden", "defaultValue": 1}, "i": {"type": "range", "maxValue": 4, "defaultValue": 8},
                "j": {"type": "unlimited", "isOptional": "yes"}}"#,
        );
        let expect = [
            "a: a range rule needs \"minValue\" or \"maxValue\"",
            "b: \"pattern\" is not a valid regular expression",
            "c: unknown rule type \"sometimes\"",
            "d: a fixed rule needs \"value\"",
            "e: \"values\" must not be empty",
            "f: \"minValue\" 5 is above \"maxValue\" 1",
            "g: a rule must be a JSON object",
            "h: a forbidden rule does not take \"defaultValue\"",
            "i: \"defaultValue\" breaks the rule itself",
            "j: \"isOptional\" must be true or false",
        ];
        assert_eq!(p.len(), expect.len(), "{p:#?}");
        for (got, want) in p.iter().zip(expect) {
            assert!(got.starts_with(want), "{got:?} should start with {want:?}");
        }
        assert!(problems("[1]")[0].contains("JSON object"));
        assert!(problems("{nope")[0].contains("not valid JSON"));
        assert!(problems(r#"{"a..b": {"type": "forbidden"}}"#)[0].contains("dot-separated"));
    }

    #[test]
    fn values_compare_across_spellings() {
        assert!(same(&Value::from(4), &Value::from("4")));
        assert!(same(&Value::from(true), &Value::from("true")));
        assert!(same(&Value::from(2.0), &Value::from("2")));
        assert!(!same(&Value::from("i3.xlarge"), &Value::from("i3.2xlarge")));
        assert_eq!(number(&Value::from("2.5")), Some(2.5));
    }
}
