//! Schema-driven conversion between Terraform values and API JSON, for resources whose API
//! object mirrors their schema field for field (a cluster specification): attributes map to
//! JSON fields of the same name, `MaxItems: 1` blocks to objects, repeated blocks to arrays.
//! Unknown and null values are left out of the JSON; fields the JSON lacks become null (or no
//! blocks).

use serde_json::{Map, Number, Value};
use std::collections::BTreeMap;
use tf_framework::{Block, Dyn, Ty};

/// The JSON of the attributes and blocks of `block` set in `v` (an object), except `skip`.
pub fn to_api(block: &Block, v: &Dyn, skip: &[&str]) -> Map<String, Value> {
    let mut out = Map::new();
    let Dyn::Map(m) = v else {
        return out;
    };
    for a in block.attrs.iter().filter(|a| !skip.contains(&a.name)) {
        if let Some(j) = m.get(a.name).and_then(value) {
            out.insert(a.name.to_owned(), j);
        }
    }
    for b in block.blocks.iter().filter(|b| !skip.contains(&b.name)) {
        let Some(Dyn::List(items)) = m.get(b.name) else {
            continue;
        };
        let objects: Vec<Value> = items
            .iter()
            .map(|i| Value::Object(to_api(&b.block, i, &[])))
            .collect();
        if b.max_items == 1 {
            if let Some(first) = objects.into_iter().next() {
                out.insert(b.name.to_owned(), first);
            }
        } else if !objects.is_empty() {
            out.insert(b.name.to_owned(), Value::Array(objects));
        }
    }
    out
}

fn value(d: &Dyn) -> Option<Value> {
    Some(match d {
        Dyn::Null | Dyn::Unknown => return None,
        Dyn::Bool(b) => Value::Bool(*b),
        Dyn::Int(i) => Value::from(*i),
        Dyn::Float(f) => Number::from_f64(*f).map(Value::Number)?,
        Dyn::String(s) => Value::String(s.clone()),
        Dyn::List(items) => Value::Array(items.iter().filter_map(value).collect()),
        Dyn::Map(m) => Value::Object(
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), value(v)?)))
                .collect(),
        ),
    })
}

/// The Terraform value of `block` from API JSON (fields not in the schema are ignored), with
/// `skip` left null (or without blocks) for the caller to fill.
pub fn from_api(block: &Block, json: &Map<String, Value>, skip: &[&str]) -> BTreeMap<String, Dyn> {
    let mut out = BTreeMap::new();
    for a in &block.attrs {
        let v = match json.get(a.name) {
            Some(j) if !skip.contains(&a.name) => typed(&a.ty, j),
            _ => Dyn::Null,
        };
        out.insert(a.name.to_owned(), v);
    }
    for b in &block.blocks {
        let items = match json.get(b.name) {
            _ if skip.contains(&b.name) => Vec::new(),
            Some(Value::Object(o)) => vec![Dyn::Map(from_api(&b.block, o, &[]))],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_object)
                .map(|o| Dyn::Map(from_api(&b.block, o, &[])))
                .collect(),
            _ => Vec::new(),
        };
        out.insert(b.name.to_owned(), Dyn::List(items));
    }
    out
}

/// The Terraform value of `j` as type `ty` (null when it does not fit).
pub fn typed(ty: &Ty, j: &Value) -> Dyn {
    match (ty, j) {
        (_, Value::Null) => Dyn::Null,
        (Ty::String, Value::String(s)) => Dyn::String(s.clone()),
        (Ty::String, other) => Dyn::String(other.to_string()),
        (Ty::Bool, Value::Bool(b)) => Dyn::Bool(*b),
        (Ty::Number, Value::Number(n)) => n
            .as_i64()
            .map(Dyn::Int)
            .or_else(|| n.as_f64().map(Dyn::Float))
            .unwrap_or(Dyn::Null),
        (Ty::List(t) | Ty::Set(t), Value::Array(items)) => {
            Dyn::List(items.iter().map(|i| typed(t, i)).collect())
        }
        (Ty::Map(t), Value::Object(o)) => {
            Dyn::Map(o.iter().map(|(k, v)| (k.clone(), typed(t, v))).collect())
        }
        _ => Dyn::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tf_framework::{Attr, NestedBlock};

    fn schema() -> Block {
        Block::new(
            "t",
            vec![
                Attr::optional("name", Ty::String, ""),
                Attr::optional("workers", Ty::Number, ""),
                Attr::optional("tags", Ty::map_of_strings(), ""),
                Attr::computed("id", Ty::String, ""),
            ],
        )
        .with_block(NestedBlock::single_list(
            "scale",
            Block::new("", vec![Attr::optional("max", Ty::Number, "")]),
        ))
        .with_block(NestedBlock::set(
            "scripts",
            Block::new("", vec![Attr::optional("path", Ty::String, "")]),
        ))
    }

    #[test]
    fn round_trip() {
        let api = json!({"name": "a", "workers": 2, "tags": {"x": "1"}, "scale": {"max": 4},
                         "scripts": [{"path": "/a"}, {"path": "/b"}], "extra": true});
        let tf = Dyn::Map(from_api(&schema(), api.as_object().unwrap(), &["id"]));
        let back = to_api(&schema(), &tf, &["id"]);
        let mut expected = api.as_object().cloned().unwrap();
        expected.remove("extra");
        assert_eq!(back, expected);
    }

    #[test]
    fn unknown_and_null_values_are_left_out() {
        let tf = Dyn::Map(
            [
                ("name".to_owned(), Dyn::Unknown),
                ("workers".to_owned(), Dyn::Null),
                ("scale".to_owned(), Dyn::List(vec![])),
            ]
            .into_iter()
            .collect(),
        );
        assert!(to_api(&schema(), &tf, &[]).is_empty());
    }
}
