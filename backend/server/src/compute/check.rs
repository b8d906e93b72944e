//! A cluster specification against a policy definition: first completed (fixed values, then
//! `defaultValue`s of attributes left out), then checked, every violated path reported at once.
//!
//! Paths are dot-separated. The first segment of the map attributes (`spark_conf`,
//! `spark_env_vars`, `custom_tags`) is followed by one key, dots included
//! (`spark_conf.spark.databricks.cluster.profile`). In lists, `*` means every element and a
//! number one element (`init_scripts.*.s3.destination`); such paths are checked, never filled.
//! The virtual paths (`dbus_per_hour`, `cluster_type`) are values the caller computes.

use super::rules::{number, same, text, Constraint, Definition, Rule, VIRTUAL_PATHS};
use serde_json::{Map, Value};

/// One violated rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub path: String,
    pub reason: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

/// Attributes whose values are string maps: the rest of a path is one key.
const MAP_ATTRIBUTES: [&str; 3] = ["spark_conf", "spark_env_vars", "custom_tags"];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Each,
    Index(usize),
}

fn segments(path: &str) -> Vec<Seg> {
    let mut parts = path.splitn(2, '.');
    let first = parts.next().unwrap_or_default();
    let rest = parts.next();
    if MAP_ATTRIBUTES.contains(&first) {
        let mut out = vec![Seg::Key(first.to_owned())];
        out.extend(rest.map(|k| Seg::Key(k.to_owned())));
        return out;
    }
    path.split('.')
        .map(|s| match s {
            "*" => Seg::Each,
            _ => s
                .parse()
                .map_or_else(|_| Seg::Key(s.to_owned()), Seg::Index),
        })
        .collect()
}

/// Every value at `segs` under `v`.
fn lookup<'a>(v: &'a Value, segs: &[Seg], out: &mut Vec<&'a Value>) {
    let Some((head, rest)) = segs.split_first() else {
        if !v.is_null() {
            out.push(v);
        }
        return;
    };
    match (head, v) {
        (Seg::Key(k), Value::Object(o)) => {
            if let Some(next) = o.get(k) {
                lookup(next, rest, out);
            }
        }
        (Seg::Each, Value::Array(items)) => items.iter().for_each(|i| lookup(i, rest, out)),
        (Seg::Index(i), Value::Array(items)) => {
            if let Some(next) = items.get(*i) {
                lookup(next, rest, out);
            }
        }
        _ => {}
    }
}

/// Every value at `segs` under the object `spec`.
fn lookup_in<'a>(spec: &'a Map<String, Value>, segs: &[Seg]) -> Vec<&'a Value> {
    let mut out = Vec::new();
    if let Some((Seg::Key(k), rest)) = segs.split_first() {
        if let Some(v) = spec.get(k) {
            lookup(v, rest, &mut out);
        }
    }
    out
}

/// Sets `value` at a path of keys only, creating the objects on the way.
fn put(spec: &mut Map<String, Value>, segs: &[Seg], value: Value) {
    let Some((Seg::Key(head), rest)) = segs.split_first() else {
        return;
    };
    if rest.is_empty() {
        spec.insert(head.clone(), value);
        return;
    }
    let slot = spec
        .entry(head.clone())
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    if let Value::Object(inner) = slot {
        put(inner, rest, value);
    }
}

fn fillable(segs: &[Seg]) -> bool {
    segs.iter().all(|s| matches!(s, Seg::Key(_)))
}

/// Whether `value` (present) satisfies `constraint`, and why not.
pub fn verdict(constraint: &Constraint, value: &Value) -> Result<(), String> {
    let shown = || match value {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    if !matches!(constraint, Constraint::Forbidden | Constraint::Unlimited)
        && (value.is_object() || value.is_array())
    {
        return Err("must be a single value".into());
    }
    match constraint {
        Constraint::Fixed { value: fixed, .. } if !same(value, fixed) => Err(format!(
            "{} is not allowed: the policy fixes it to {}",
            shown(),
            text(fixed)
        )),
        Constraint::Forbidden => Err("is forbidden by the policy".into()),
        Constraint::Allowlist(values) if !values.iter().any(|a| same(value, a)) => Err(format!(
            "{} is not allowed (allowed values: {})",
            shown(),
            values.iter().map(text).collect::<Vec<_>>().join(", ")
        )),
        Constraint::Blocklist(values) if values.iter().any(|b| same(value, b)) => {
            Err(format!("{} is blocked by the policy", shown()))
        }
        Constraint::Regex { pattern, compiled } if !compiled.is_match(&text(value)) => Err(
            format!("{} does not match the pattern {pattern:?}", shown()),
        ),
        Constraint::Range { min, max } => {
            let n = number(value).ok_or_else(|| format!("{} is not a number", shown()))?;
            if let Some(lo) = min.filter(|lo| n < *lo) {
                return Err(format!(
                    "{} is below the minimum {}",
                    shown(),
                    text(&Value::from(lo))
                ));
            }
            if let Some(hi) = max.filter(|hi| n > *hi) {
                return Err(format!(
                    "{} is above the maximum {}",
                    shown(),
                    text(&Value::from(hi))
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Fills in what the policy fixes and, with `defaults`, the `defaultValue`s of attributes
/// left out (`apply_policy_default_values: false` asks for fixed values only).
pub fn complete(def: &Definition, spec: &mut Map<String, Value>, defaults: bool) {
    for (path, rule) in &def.rules {
        if VIRTUAL_PATHS.contains(&path.as_str()) {
            continue;
        }
        let segs = segments(path);
        if !fillable(&segs) {
            continue;
        }
        if !lookup_in(spec, &segs).is_empty() {
            continue;
        }
        let fill = match &rule.constraint {
            Constraint::Fixed { value, .. } => Some(value.clone()),
            _ if defaults => rule.default.clone(),
            _ => None,
        };
        if let Some(v) = fill {
            put(spec, &segs, typed_like(path, v));
        }
    }
}

/// Map attributes hold strings: `custom_tags.x = 4` is stored as `"4"`.
fn typed_like(path: &str, v: Value) -> Value {
    let first = path.split('.').next().unwrap_or_default();
    if MAP_ATTRIBUTES.contains(&first) && !v.is_string() {
        Value::String(text(&v))
    } else {
        v
    }
}

/// Checks a completed specification; `virtuals` gives the virtual paths' values.
pub fn check(
    def: &Definition,
    spec: &Map<String, Value>,
    virtuals: &[(&str, Value)],
) -> Result<(), Vec<Violation>> {
    let mut violations = Vec::new();
    for (path, rule) in &def.rules {
        let found: Vec<&Value> = match virtuals.iter().find(|(p, _)| p == path) {
            Some((_, v)) => vec![v],
            None => lookup_in(spec, &segments(path)),
        };
        if let Some(reason) = judge(rule, &found) {
            violations.push(Violation {
                path: path.clone(),
                reason,
            });
        }
    }
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    }
}

fn judge(rule: &Rule, found: &[&Value]) -> Option<String> {
    if found.is_empty() {
        let required = !rule.optional
            && !matches!(
                rule.constraint,
                Constraint::Forbidden | Constraint::Fixed { .. }
            );
        return required.then(|| "is required by the policy".to_owned());
    }
    found
        .iter()
        .find_map(|v| verdict(&rule.constraint, v).err())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(def: &str, spec: Value) -> (Map<String, Value>, Result<(), Vec<Violation>>) {
        let def = Definition::parse(def).expect("definition");
        let mut spec = spec.as_object().cloned().expect("object");
        complete(&def, &mut spec, true);
        let verdict = check(&def, &spec, &[("cluster_type", json!("all-purpose"))]);
        (spec, verdict)
    }

    #[test]
    fn fixed_and_default_values_complete_the_specification() {
        let (spec, ok) = run(
            r#"{"spark_conf.spark.databricks.cluster.profile": {"type": "fixed", "value": "singleNode", "hidden": true},
                "custom_tags.cost": {"type": "fixed", "value": 42},
                "autoscale.max_workers": {"type": "range", "maxValue": 8, "defaultValue": 4},
                "autotermination_minutes": {"type": "unlimited", "defaultValue": 30}}"#,
            json!({"autotermination_minutes": 90}),
        );
        assert_eq!(ok, Ok(()));
        assert_eq!(
            spec["spark_conf"]["spark.databricks.cluster.profile"],
            "singleNode"
        );
        assert_eq!(spec["custom_tags"]["cost"], "42");
        assert_eq!(spec["autoscale"]["max_workers"], 4);
        assert_eq!(spec["autotermination_minutes"], 90, "a given value is kept");
    }

    #[test]
    fn every_violated_path_is_reported() {
        let (_, verdict) = run(
            r#"{"node_type_id": {"type": "allowlist", "values": ["i3.xlarge"]},
                "instance_pool_id": {"type": "forbidden"},
                "spark_version": {"type": "regex", "pattern": "15\\..*"},
                "num_workers": {"type": "range", "minValue": 1, "maxValue": 4},
                "init_scripts.*.s3.destination": {"type": "blocklist", "values": ["s3://evil/x.sh"]},
                "cluster_type": {"type": "fixed", "value": "job"}}"#,
            json!({"node_type_id": "i3.4xlarge", "instance_pool_id": "p", "spark_version": "13.3.x-scala2.12",
                   "num_workers": 9, "init_scripts": [{"s3": {"destination": "s3://ok/y.sh"}},
                                                       {"s3": {"destination": "s3://evil/x.sh"}}]}),
        );
        let text: Vec<String> = verdict
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            text,
            [
                "cluster_type: \"all-purpose\" is not allowed: the policy fixes it to job",
                "init_scripts.*.s3.destination: \"s3://evil/x.sh\" is blocked by the policy",
                "instance_pool_id: is forbidden by the policy",
                "node_type_id: \"i3.4xlarge\" is not allowed (allowed values: i3.xlarge)",
                "num_workers: 9 is above the maximum 4",
                "spark_version: \"13.3.x-scala2.12\" does not match the pattern \"15\\\\..*\"",
            ]
        );
    }

    #[test]
    fn required_and_optional_attributes() {
        let def = r#"{"node_type_id": {"type": "allowlist", "values": ["i3.xlarge"]},
                      "driver_node_type_id": {"type": "allowlist", "values": ["i3.xlarge"], "isOptional": true},
                      "custom_tags.team": {"type": "unlimited", "isOptional": false}}"#;
        let (_, verdict) = run(def, json!({}));
        let paths: Vec<String> = verdict.unwrap_err().into_iter().map(|v| v.path).collect();
        assert_eq!(paths, ["custom_tags.team", "node_type_id"]);
        let (_, verdict) = run(
            def,
            json!({"node_type_id": "i3.xlarge", "custom_tags": {"team": "x"}}),
        );
        assert_eq!(verdict, Ok(()));
    }

    #[test]
    fn a_fixed_value_can_be_restated_but_not_changed() {
        let def = r#"{"data_security_mode": {"type": "fixed", "value": "USER_ISOLATION"}}"#;
        assert_eq!(
            run(def, json!({"data_security_mode": "USER_ISOLATION"})).1,
            Ok(())
        );
        let err = run(def, json!({"data_security_mode": "NONE"}))
            .1
            .unwrap_err();
        assert_eq!(err[0].path, "data_security_mode");
    }
}
