//! Schema compatibility with the official `databricks/databricks` provider: every argument it
//! accepts on the types we serve (and on the provider block) is accepted here with the same
//! type and optionality, nested blocks included. The official arguments are checked in as
//! `official-schema.json`, written by `scripts/official-schema` from the CDK bindings' jsii
//! assembly of a stated provider version.

use serde_json::Value as Json;
use std::collections::BTreeMap;
use terraform_provider_databricks::provider::Databricks;
use tf_framework::{Block, Kind, Provider, Ty};

fn official() -> Json {
    let text = include_str!("../official-schema.json");
    serde_json::from_str(text).expect("official-schema.json is JSON")
}

fn ours() -> BTreeMap<String, Block> {
    let p = Databricks::default();
    let mut out = BTreeMap::new();
    out.insert("provider".to_owned(), p.schema().block);
    for r in p.resources() {
        out.insert(r.type_name().to_owned(), r.schema().block);
    }
    for d in p.data_sources() {
        out.insert(format!("data.{}", d.type_name()), d.schema().block);
    }
    out
}

/// Whether our type accepts what the official type names (jsii: string, number, bool,
/// [list, T] for lists and sets, [map, T]).
fn same_type(official: &Json, ours: &Ty) -> bool {
    match (official, ours) {
        (Json::String(s), Ty::String) => s == "string",
        (Json::String(s), Ty::Number) => s == "number",
        (Json::String(s), Ty::Bool) => s == "bool",
        (Json::Array(a), Ty::List(t) | Ty::Set(t)) if a[0] == "list" => same_type(&a[1], t),
        (Json::Array(a), Ty::Map(t)) if a[0] == "map" => same_type(&a[1], t),
        _ => false,
    }
}

fn compare(at: &str, official: &Json, ours: &Block, problems: &mut Vec<String>) {
    let Some(args) = official.as_object() else {
        return;
    };
    for (name, spec) in args {
        let path = format!("{at}.{name}");
        let optional = spec["optional"].as_bool().unwrap_or(false);
        if let Some(nested) = spec.get("block") {
            match ours.blocks.iter().find(|b| b.name == name) {
                None => problems.push(format!("{path}: block missing")),
                Some(b) => {
                    if optional == (b.min_items > 0) {
                        problems.push(format!(
                            "{path}: official block is {}, ours has min_items {}",
                            if optional { "optional" } else { "required" },
                            b.min_items
                        ));
                    }
                    compare(&path, nested, &b.block, problems);
                }
            }
            continue;
        }
        let Some(a) = ours.attr(name) else {
            problems.push(format!("{path}: attribute missing"));
            continue;
        };
        if !same_type(&spec["type"], &a.ty) {
            problems.push(format!(
                "{path}: official type {}, ours {:?}",
                spec["type"], a.ty
            ));
        }
        let ours_optional = matches!(a.kind, Kind::Optional | Kind::OptionalComputed);
        let ours_required = a.kind == Kind::Required;
        if optional && !ours_optional {
            problems.push(format!("{path}: optional upstream, ours is {:?}", a.kind));
        }
        if !optional && !ours_required {
            problems.push(format!("{path}: required upstream, ours is {:?}", a.kind));
        }
    }
}

#[test]
fn every_official_argument_is_accepted_with_the_same_type_and_optionality() {
    let official = official();
    let ours = ours();
    let mut problems = Vec::new();
    let types = official["types"].as_object().expect("types");
    for (type_name, args) in types {
        match ours.get(type_name) {
            None => problems.push(format!("{type_name}: type not served")),
            Some(block) => compare(type_name, args, block, &mut problems),
        }
    }
    assert!(
        problems.is_empty(),
        "{} differences from the official provider {} ({}):\n{}",
        problems.len(),
        official["provider_version"],
        official["source"],
        problems.join("\n")
    );
}

#[test]
fn the_checked_in_list_covers_every_type_we_serve() {
    let official = official();
    let types = official["types"].as_object().expect("types");
    let missing: Vec<_> = ours()
        .keys()
        .filter(|t| !types.contains_key(*t))
        .cloned()
        .collect();
    assert!(
        missing.is_empty(),
        "types we serve that scripts/official-schema does not list: {missing:?}"
    );
    assert!(types.len() >= 17, "the list names {} types", types.len());
}
