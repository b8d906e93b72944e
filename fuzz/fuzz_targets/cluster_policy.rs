//! Cluster policy definitions (`ironbrick::compute::rules`) and applying one to a cluster
//! specification (`ironbrick::compute::clusters::admit::enforce`, what create and edit run).
//!
//! Input: a policy definition, a NUL byte, then a cluster specification (JSON). Without a NUL
//! the whole input is the definition and a plain specification is used. Invariants:
//! - parsing never panics; a refusal names at least one problem;
//! - a definition that parses is accepted again when re-serialized from its JSON (the text
//!   `get` and `list` show is the stored text, so this holds for stored policies);
//! - completing a specification is idempotent;
//! - enforcing answers INVALID_PARAMETER_VALUE or admits; an admitted specification passes
//!   `check_shape` and its size and cost compute.
#![no_main]

use ironbrick::compute::check;
use ironbrick::compute::clusters::{admit, spec};
use ironbrick::compute::rules::Definition;
use ironbrick_api::compute::{ClusterSpec, Policy};
use ironbrick_api::ErrorCode;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fn plain() -> ClusterSpec {
    let v = json!({"spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge",
        "num_workers": 2, "autotermination_minutes": 60, "custom_tags": {"team": "data"}});
    v.as_object().cloned().unwrap_or_default()
}

fuzz_target!(|data: &[u8]| {
    let (def_bytes, spec_bytes) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let Ok(text) = std::str::from_utf8(def_bytes) else {
        return;
    };
    let def = match Definition::parse(text) {
        Ok(d) => d,
        Err(problems) => {
            assert!(!problems.is_empty(), "a refusal names its problems");
            for p in &problems {
                let _ = p.to_string();
            }
            return;
        }
    };
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        let again = Definition::parse(&v.to_string());
        assert!(again.is_ok(), "re-serialized definition refused: {again:?}");
        assert_eq!(
            again.map(|d| d.rules.len()).unwrap_or_default(),
            def.rules.len()
        );
    }
    let requested = match spec_bytes {
        None => plain(),
        Some(b) => match ironbrick::json::parse::<ClusterSpec>(b) {
            Ok(s) => s,
            Err(_) => return,
        },
    };
    if spec::check_fields(&requested).is_err() {
        return;
    }
    for defaults in [true, false] {
        let mut once = requested.clone();
        check::complete(&def, &mut once, defaults);
        let mut twice = once.clone();
        check::complete(&def, &mut twice, defaults);
        assert_eq!(once, twice, "completing is idempotent");
    }
    let policy = Policy {
        policy_id: "ABCDEF0123456789".into(),
        name: "fuzz".into(),
        definition: Some(text.to_owned()),
        ..Policy::default()
    };
    let mut attributes = requested.clone();
    match admit::enforce(&policy, &def, &mut attributes, true) {
        Ok(()) => {
            assert!(spec::check_shape(&attributes).is_ok());
            let workers = attributes
                .get("num_workers")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            let _ = spec::size(&attributes, workers);
            let _ = spec::dbus_per_hour(&attributes);
        }
        Err(e) => assert_eq!(e.code(), ErrorCode::InvalidParameterValue, "{e:?}"),
    }
});
