//! Libraries: the kinds a cluster or a policy can name (`jar`, `egg`, `whl`, `requirements`,
//! `pypi`, `maven`, `cran`), checked for shape.

use crate::error::{ApiError, ApiResult};
use serde_json::Value;

const KINDS: [&str; 7] = ["jar", "egg", "whl", "requirements", "pypi", "maven", "cran"];

/// Checks one library object: exactly one kind, with the fields that kind needs.
pub fn check_library(lib: &Value) -> ApiResult<()> {
    let Some(o) = lib.as_object() else {
        return Err(ApiError::invalid(
            "A library must be an object such as {\"pypi\": {\"package\": \"...\"}}.",
        ));
    };
    let kinds: Vec<&String> = o.keys().filter(|k| KINDS.contains(&k.as_str())).collect();
    let [kind] = kinds.as_slice() else {
        return Err(ApiError::invalid(format!(
            "A library names exactly one of {}; this one names {}.",
            KINDS.join(", "),
            if kinds.is_empty() {
                "none".to_owned()
            } else {
                format!("{kinds:?}")
            }
        )));
    };
    let needed = match kind.as_str() {
        "pypi" | "cran" => Some("package"),
        "maven" => Some("coordinates"),
        _ => None,
    };
    let value = &o[kind.as_str()];
    let ok = match needed {
        Some(field) => value
            .get(field)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.trim().is_empty()),
        None => value.as_str().is_some_and(|s| !s.trim().is_empty()),
    };
    if !ok {
        return Err(ApiError::invalid(match needed {
            Some(field) => format!("A {kind} library needs {kind}.{field}."),
            None => {
                format!("A {kind} library needs a path, such as {{\"{kind}\": \"/Volumes/...\"}}.")
            }
        }));
    }
    Ok(())
}
