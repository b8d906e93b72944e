//! Terraform values (`tf_framework`): a `DynamicValue` decoded against a real schema of
//! `terraform-provider-databricks` (the provider block, every resource and data source), then
//! the resource's static `validate`, and resource import ids.
//!
//! Input: byte 0 picks the schema, byte 1 the encoding (even: msgpack, odd: JSON as
//! `UpgradeResourceState` and some clients send), the rest is the value; with byte 1 ≥ 0xF0
//! the rest is an import id for the resource instead. Invariants:
//! - decoding never panics; a decoded value is null, unknown, or an object with exactly the
//!   schema's attributes and blocks;
//! - shaping an object is idempotent, and any decoded value re-encoded as msgpack decodes to
//!   the same bytes (what the provider answers, Terraform sends back);
//! - `validate` and `import` never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, LazyLock};
use terraform_provider_databricks::provider::Databricks;
use tf_framework::{decode_dynamic_value, Block, Diagnostics, Dyn, Obj, Provider, Resource};

struct Target {
    block: Block,
    resource: Option<Arc<dyn Resource>>,
}

static TARGETS: LazyLock<Vec<Target>> = LazyLock::new(|| {
    let p = Databricks::default();
    let mut out = vec![Target {
        block: p.schema().block,
        resource: None,
    }];
    for r in p.resources() {
        out.push(Target {
            block: r.schema().block,
            resource: Some(r),
        });
    }
    for d in p.data_sources() {
        out.push(Target {
            block: d.schema().block,
            resource: None,
        });
    }
    out
});

fn check_shape(block: &Block, d: &Dyn) {
    match d {
        Dyn::Null | Dyn::Unknown => {}
        Dyn::Map(m) => {
            let expected = block.attrs.len() + block.blocks.len();
            assert_eq!(
                m.len(),
                expected,
                "a shaped object has every attribute and block"
            );
            for a in &block.attrs {
                assert!(m.contains_key(a.name), "attribute {} missing", a.name);
            }
            for b in &block.blocks {
                match &m[b.name] {
                    Dyn::List(items) => items.iter().for_each(|i| check_shape(&b.block, i)),
                    Dyn::Unknown => {}
                    other => panic!("block {} is {other:?}", b.name),
                }
            }
        }
        other => panic!("a shaped value is {other:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let [which, how, value @ ..] = data else {
        return;
    };
    let t = &TARGETS[*which as usize % TARGETS.len()];
    if *how >= 0xF0 {
        if let (Some(r), Ok(id)) = (&t.resource, std::str::from_utf8(value)) {
            let mut diags = Diagnostics::default();
            if let Some(o) = r.import(id, &mut diags) {
                let _ = t.block.normalize(o.into());
            }
        }
        return;
    }
    let (d, failed) = if how % 2 == 0 {
        decode_dynamic_value(value, &[], &t.block)
    } else {
        decode_dynamic_value(&[], value, &t.block)
    };
    if failed {
        assert!(d.is_null(), "an undecodable value reads as null");
        return;
    }
    check_shape(&t.block, &d);
    let bytes = d.to_msgpack();
    if matches!(d, Dyn::Map(_)) {
        assert_eq!(
            t.block.normalize(d.clone()).to_msgpack(),
            bytes,
            "shaping is idempotent"
        );
    }
    let (again, failed) = decode_dynamic_value(&bytes, &[], &t.block);
    assert!(!failed, "the provider's own encoding decodes");
    assert_eq!(again.to_msgpack(), bytes, "msgpack round trip");
    if let (Some(r), Some(o)) = (&t.resource, Obj::from_dyn(&d)) {
        let mut diags = Diagnostics::default();
        r.validate(&o, &mut diags);
    }
});
