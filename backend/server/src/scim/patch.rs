//! SCIM `PATCH` (RFC 7644 §3.5.2) applied to the JSON wire form of a resource.
//!
//! The handler renders the resource, applies the operations here, and stores the result as
//! it would a `PUT`, so both verbs share one validation and one write path. Paths are
//! `attr`, `attr.sub`, `attr[filter]` and `attr[filter].sub`, attribute names
//! case-insensitive. The SDK drops falsy values, so `replace` of `active` without `value`
//! means `false`, and an absent value elsewhere means empty.

use super::filter::{self, Filter};
use crate::error::{ApiError, ApiResult};
use ironbrick_api::scim::{PatchOp, PatchOperation};
use serde_json::{Map, Value};

/// Attributes that hold lists.
const MULTI_VALUED: [&str; 6] = [
    "emails",
    "entitlements",
    "groups",
    "members",
    "roles",
    "schemas",
];
/// Sub-attribute spellings, for case-insensitive paths.
const SUBS: [&str; 7] = [
    "value",
    "display",
    "primary",
    "type",
    "$ref",
    "givenName",
    "familyName",
];

struct Target {
    attr: String,
    filter: Option<Filter>,
    sub: Option<String>,
}

fn canonical(name: &str, known: &[&str], path: &str) -> ApiResult<String> {
    known
        .iter()
        .find(|k| k.eq_ignore_ascii_case(name))
        .map(|k| k.to_string())
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "Invalid patch path {path:?}: unknown attribute '{name}'."
            ))
        })
}

fn canonical_sub(name: &str) -> String {
    SUBS.iter()
        .find(|k| k.eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_string(), |k| k.to_string())
}

fn parse_path(path: &str, known: &[&str]) -> ApiResult<Target> {
    let bad = |why: &str| ApiError::invalid(format!("Invalid patch path {path:?}: {why}."));
    let path = path.trim();
    let (head, filter, rest) = match path.find('[') {
        Some(open) => {
            let close = path.rfind(']').ok_or_else(|| bad("missing ']'"))?;
            if close < open {
                return Err(bad("missing ']'"));
            }
            let inner = filter::parse(&path[open + 1..close])
                .map_err(|e| bad(&format!("invalid filter: {e}")))?;
            let rest = &path[close + 1..];
            let rest = match rest.strip_prefix('.') {
                Some(sub) => Some(sub),
                None if rest.is_empty() => None,
                None => return Err(bad("unexpected text after ']'")),
            };
            (&path[..open], Some(inner), rest)
        }
        None => (path, None, None),
    };
    let attr_path = filter::AttrPath::parse(head).ok_or_else(|| bad("not an attribute path"))?;
    let attr = canonical(attr_path.head(), known, path)?;
    let sub = match (attr_path.0.get(1), rest) {
        (Some(_), Some(_)) => return Err(bad("too many sub-attributes")),
        (Some(s), None) => Some(canonical_sub(s)),
        (None, Some(s)) => Some(canonical_sub(s)),
        (None, None) => None,
    };
    if attr_path.0.len() > 2 {
        return Err(bad("too many sub-attributes"));
    }
    Ok(Target { attr, filter, sub })
}

fn same_entry(a: &Value, b: &Value) -> bool {
    let key = |v: &Value| match v {
        Value::Object(o) => filter::member(o, "value").cloned(),
        other => Some(other.clone()),
    };
    match (key(a), key(b)) {
        (Some(Value::String(x)), Some(Value::String(y))) => x.eq_ignore_ascii_case(&y),
        (x, y) => x == y && x.is_some(),
    }
}

fn as_list(v: Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items,
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

fn default_value(attr: &str, op: PatchOp) -> Value {
    if attr == "active" {
        Value::Bool(false)
    } else if MULTI_VALUED.contains(&attr) || op == PatchOp::Add {
        Value::Array(Vec::new())
    } else {
        Value::String(String::new())
    }
}

/// Applies `ops` to `doc` (an object), attribute names checked against `known`.
pub fn apply(doc: &mut Value, ops: &[PatchOperation], known: &[&str]) -> ApiResult<()> {
    let obj = doc
        .as_object_mut()
        .ok_or_else(|| ApiError::Internal("patched resource is not an object".into()))?;
    for op in ops {
        match &op.path {
            None => {
                if op.op == PatchOp::Remove {
                    return Err(ApiError::invalid(
                        "A remove operation needs a path (RFC 7644 §3.5.2.2).",
                    ));
                }
                let Some(Value::Object(values)) = &op.value else {
                    return Err(ApiError::invalid(format!(
                        "An {} operation without a path needs an object value.",
                        op.op
                    )));
                };
                for (k, v) in values {
                    let target = parse_path(k, known)?;
                    apply_one(obj, op.op, &target, Some(v.clone()))?;
                }
            }
            Some(path) => {
                let target = parse_path(path, known)?;
                apply_one(obj, op.op, &target, op.value.clone())?;
            }
        }
    }
    if let Some(Value::String(s)) = obj.get("active") {
        let b = match s.to_ascii_lowercase().as_str() {
            "true" => true,
            "false" => false,
            _ => {
                return Err(ApiError::invalid(format!(
                    "active must be true or false, not {s:?}."
                )))
            }
        };
        obj.insert("active".into(), Value::Bool(b));
    }
    Ok(())
}

fn apply_one(
    obj: &mut Map<String, Value>,
    op: PatchOp,
    t: &Target,
    value: Option<Value>,
) -> ApiResult<()> {
    let multi = MULTI_VALUED.contains(&t.attr.as_str());
    if let Some(f) = &t.filter {
        let items = match obj.get_mut(&t.attr) {
            Some(Value::Array(items)) => items,
            _ if op == PatchOp::Remove => return Ok(()),
            _ => {
                return Err(ApiError::invalid(format!(
                    "No values of {} match the patch path filter.",
                    t.attr
                )))
            }
        };
        match (op, &t.sub) {
            (PatchOp::Remove, None) => items.retain(|i| !f.matches(i)),
            (PatchOp::Remove, Some(sub)) => {
                items.iter_mut().filter(|i| f.matches(i)).for_each(|i| {
                    if let Value::Object(o) = i {
                        o.remove(sub);
                    }
                })
            }
            (_, sub) => {
                let value = value.unwrap_or(Value::Null);
                let mut hit = false;
                for item in items.iter_mut().filter(|i| f.matches(i)) {
                    hit = true;
                    match (sub, item) {
                        (Some(sub), Value::Object(o)) => {
                            o.insert(sub.clone(), value.clone());
                        }
                        (None, Value::Object(o)) => match &value {
                            Value::Object(v) => o.extend(v.clone()),
                            other => {
                                o.insert("value".into(), other.clone());
                            }
                        },
                        (_, item) => *item = value.clone(),
                    }
                }
                if !hit {
                    return Err(ApiError::invalid(format!(
                        "No values of {} match the patch path filter.",
                        t.attr
                    )));
                }
            }
        }
        return Ok(());
    }
    match (op, &t.sub) {
        (PatchOp::Remove, None) => match value {
            Some(v) if multi => {
                let gone = as_list(v);
                if let Some(Value::Array(items)) = obj.get_mut(&t.attr) {
                    items.retain(|i| !gone.iter().any(|g| same_entry(i, g)));
                }
            }
            _ => {
                obj.remove(&t.attr);
            }
        },
        (PatchOp::Remove, Some(sub)) => match obj.get_mut(&t.attr) {
            Some(Value::Object(o)) => {
                o.remove(sub);
            }
            Some(Value::Array(items)) => items.iter_mut().for_each(|i| {
                if let Value::Object(o) = i {
                    o.remove(sub);
                }
            }),
            _ => {}
        },
        (op, None) => {
            let value = value.unwrap_or_else(|| default_value(&t.attr, op));
            if multi {
                let new = as_list(value);
                let list = obj
                    .entry(t.attr.clone())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if !list.is_array() {
                    *list = Value::Array(Vec::new());
                }
                if let Value::Array(items) = list {
                    if op == PatchOp::Replace {
                        items.clear();
                    }
                    for v in new {
                        if !items.iter().any(|i| same_entry(i, &v)) {
                            items.push(v);
                        }
                    }
                }
            } else {
                obj.insert(t.attr.clone(), value);
            }
        }
        (op, Some(sub)) => {
            let value = value.unwrap_or_else(|| default_value(sub, op));
            let target = obj
                .entry(t.attr.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            match target {
                Value::Object(o) => {
                    o.insert(sub.clone(), value);
                }
                Value::Array(items) => items.iter_mut().for_each(|i| {
                    if let Value::Object(o) = i {
                        o.insert(sub.clone(), value.clone());
                    }
                }),
                other => {
                    return Err(ApiError::invalid(format!(
                        "{} has no sub-attribute {sub} (it is {other}).",
                        t.attr
                    )))
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KNOWN: [&str; 8] = [
        "id",
        "displayName",
        "active",
        "members",
        "entitlements",
        "name",
        "emails",
        "userName",
    ];

    fn run(doc: Value, ops: Value) -> ApiResult<Value> {
        let ops: Vec<PatchOperation> = serde_json::from_value(ops).expect("ops");
        let mut doc = doc;
        apply(&mut doc, &ops, &KNOWN).map(|()| doc)
    }

    fn group() -> Value {
        json!({"id": "1", "displayName": "g", "members": [{"value": "10"}, {"value": "11"}]})
    }

    #[test]
    fn members_add_dedupes_and_remove_by_filter_or_value() {
        let d = run(
            group(),
            json!([{"op": "add", "path": "members",
            "value": [{"value": "11"}, {"value": "12"}]}]),
        )
        .unwrap();
        assert_eq!(
            d["members"],
            json!([{"value": "10"}, {"value": "11"}, {"value": "12"}])
        );
        let d = run(
            d,
            json!([{"op": "remove", "path": "members[value eq \"11\"]"}]),
        )
        .unwrap();
        assert_eq!(d["members"], json!([{"value": "10"}, {"value": "12"}]));
        let d = run(
            d,
            json!([{"op": "Remove", "path": "Members",
            "value": [{"value": "10"}]}]),
        )
        .unwrap();
        assert_eq!(d["members"], json!([{"value": "12"}]));
        let d = run(
            d,
            json!([{"op": "add", "path": "members", "value": {"value": "13"}}]),
        )
        .unwrap();
        assert_eq!(d["members"], json!([{"value": "12"}, {"value": "13"}]));
        let d = run(d, json!([{"op": "replace", "path": "members"}])).unwrap();
        assert_eq!(d["members"], json!([]));
        let d = run(
            d,
            json!([{"op": "remove", "path": "members[value eq \"99\"]"}]),
        )
        .unwrap();
        assert_eq!(d["members"], json!([]));
    }

    #[test]
    fn add_to_an_absent_list_creates_it() {
        let d = run(
            json!({"id": "1"}),
            json!([{"op": "add", "path": "entitlements",
            "value": [{"value": "allow-cluster-create"}]}]),
        )
        .unwrap();
        assert_eq!(
            d["entitlements"],
            json!([{"value": "allow-cluster-create"}])
        );
    }

    #[test]
    fn replace_active_without_value_means_false_and_strings_parse() {
        let d = run(
            json!({"active": true}),
            json!([{"op": "replace", "path": "active"}]),
        )
        .unwrap();
        assert_eq!(d["active"], false);
        let d = run(
            d,
            json!([{"op": "replace", "path": "active", "value": "True"}]),
        )
        .unwrap();
        assert_eq!(d["active"], true);
        let d = run(d, json!([{"op": "replace", "value": {"active": "false"}}])).unwrap();
        assert_eq!(d["active"], false);
        let err = run(
            d,
            json!([{"op": "replace", "path": "active", "value": "maybe"}]),
        );
        assert!(err
            .unwrap_err()
            .to_string()
            .contains("active must be true or false"));
    }

    #[test]
    fn sub_attributes_and_pathless_objects() {
        let d = run(
            json!({"name": {"givenName": "A"}}),
            json!([
            {"op": "replace", "path": "name.familyName", "value": "B"},
            {"op": "replace", "value": {"displayName": "A B", "name.givenName": "Ann"}}]),
        )
        .unwrap();
        assert_eq!(d["name"], json!({"givenName": "Ann", "familyName": "B"}));
        assert_eq!(d["displayName"], "A B");
        let d = run(d, json!([{"op": "remove", "path": "name.givenName"}])).unwrap();
        assert_eq!(d["name"], json!({"familyName": "B"}));
        let d = run(
            json!({"emails": [{"value": "a", "type": "work"}, {"value": "b"}]}),
            json!([
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "c"}]),
        )
        .unwrap();
        assert_eq!(
            d["emails"],
            json!([{"value": "c", "type": "work"}, {"value": "b"}])
        );
        let d = run(d, json!([{"op": "remove", "path": "displayName"}])).unwrap();
        assert!(d.get("displayName").is_none());
    }

    #[test]
    fn bad_operations_are_refused() {
        let err = |ops: Value| run(group(), ops).unwrap_err().to_string();
        assert!(
            err(json!([{"op": "add", "path": "nickName", "value": "x"}]))
                .contains("unknown attribute 'nickName'")
        );
        assert!(err(json!([{"op": "remove"}])).contains("needs a path"));
        assert!(err(json!([{"op": "add", "value": "x"}])).contains("object value"));
        assert!(
            err(json!([{"op": "remove", "path": "members[value eq"}])).contains("missing ']'")
                || err(json!([{"op": "remove", "path": "members[value eq"}]))
                    .contains("invalid filter")
        );
        assert!(
            err(json!([{"op": "replace", "path": "members[value eq \"9\"]", "value": {}}]))
                .contains("No values of members match")
        );
    }
}
