//! The protocol border: `DynamicValue` ⇄ [`Dyn`] shaped to a schema.

use crate::diag::Diagnostics;
use crate::proto::tfplugin6 as pb;
use crate::schema::Block;
use crate::value::{Dyn, Obj};

/// Decodes a `DynamicValue` (msgpack, or JSON as some clients send) and shapes it to `block`.
/// A missing value is null; an undecodable one is reported and treated as null.
pub(crate) fn decode(v: Option<&pb::DynamicValue>, block: &Block, diags: &mut Diagnostics) -> Dyn {
    let Some(v) = v else {
        return Dyn::Null;
    };
    let raw = if !v.msgpack.is_empty() {
        Dyn::from_msgpack(&v.msgpack)
    } else if !v.json.is_empty() {
        Dyn::from_json(&v.json)
    } else {
        Ok(Dyn::Null)
    };
    match raw {
        Ok(Dyn::Null) => Dyn::Null,
        Ok(Dyn::Unknown) => Dyn::Unknown,
        Ok(d) => block.normalize(d),
        Err(e) => {
            diags.error("Invalid value from Terraform", e.to_string());
            Dyn::Null
        }
    }
}

/// Encodes a value for Terraform.
pub(crate) fn encode(v: &Dyn) -> pb::DynamicValue {
    pb::DynamicValue {
        msgpack: v.to_msgpack(),
        json: Vec::new(),
    }
}

/// Shapes a provider-produced object to `block` and encodes it; `None` encodes null.
pub(crate) fn encode_obj(o: Option<Obj>, block: &Block) -> pb::DynamicValue {
    encode(&o.map_or(Dyn::Null, |o| block.normalize(o.into())))
}

/// The object view of a decoded value (empty when null or unknown).
pub(crate) fn obj(v: &Dyn) -> Obj {
    Obj::from_dyn(v).unwrap_or_default()
}
