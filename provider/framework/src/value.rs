//! Terraform values: a dynamic tree with explicit null and unknown, and typed accessors.
//!
//! On the wire Terraform sends values as msgpack (`DynamicValue.msgpack`) encoded against the
//! schema's type: objects and maps as msgpack maps, lists and sets as arrays, null as nil and
//! "known after apply" as msgpack extension type 0. Stored state arrives as JSON in
//! `UpgradeResourceState`. Both decode to [`Dyn`]; the schema then normalises the tree
//! (missing attributes become null, unknown ones are dropped).

use std::collections::BTreeMap;
use std::fmt;

/// A Terraform value of any type. Objects and maps are both [`Dyn::Map`]; lists and sets are
/// both [`Dyn::List`] (order is kept as received).
#[derive(Clone, PartialEq, Default)]
pub enum Dyn {
    /// An absent value.
    #[default]
    Null,
    /// A value that is only known after apply.
    Unknown,
    /// A boolean.
    Bool(bool),
    /// A whole number (Terraform's `number` when it is integral).
    Int(i64),
    /// A fractional number.
    Float(f64),
    /// A string.
    String(String),
    /// A list, set or tuple.
    List(Vec<Dyn>),
    /// An object or map.
    Map(BTreeMap<String, Dyn>),
}

impl fmt::Debug for Dyn {
    /// Values can hold secrets (token values, secret strings), so Debug never prints strings.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dyn::Null => f.write_str("null"),
            Dyn::Unknown => f.write_str("(unknown)"),
            Dyn::Bool(b) => write!(f, "{b}"),
            Dyn::Int(i) => write!(f, "{i}"),
            Dyn::Float(x) => write!(f, "{x}"),
            Dyn::String(s) => write!(f, "<string, {} bytes>", s.len()),
            Dyn::List(items) => f.debug_list().entries(items).finish(),
            Dyn::Map(m) => f.debug_map().entries(m).finish(),
        }
    }
}

/// A malformed `DynamicValue` or raw state.
#[derive(Debug, thiserror::Error)]
#[error("cannot decode value: {0}")]
pub struct DecodeError(pub String);

impl Dyn {
    /// Whether the value is null.
    pub fn is_null(&self) -> bool {
        matches!(self, Dyn::Null)
    }

    /// Whether the value is unknown.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Dyn::Unknown)
    }

    /// Whether this value or anything inside it is unknown.
    pub fn contains_unknown(&self) -> bool {
        match self {
            Dyn::Unknown => true,
            Dyn::List(items) => items.iter().any(Dyn::contains_unknown),
            Dyn::Map(m) => m.values().any(Dyn::contains_unknown),
            _ => false,
        }
    }

    /// The string inside, if this is a known string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Dyn::String(s) => Some(s),
            _ => None,
        }
    }

    /// The elements inside, if this is a known list.
    pub fn as_list(&self) -> Option<&[Dyn]> {
        match self {
            Dyn::List(items) => Some(items),
            _ => None,
        }
    }

    /// The attributes inside, if this is a known object or map.
    pub fn as_map(&self) -> Option<&BTreeMap<String, Dyn>> {
        match self {
            Dyn::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Decodes msgpack as Terraform sends it.
    pub fn from_msgpack(bytes: &[u8]) -> Result<Dyn, DecodeError> {
        let mut rd = bytes;
        let v = rmpv::decode::read_value(&mut rd).map_err(|e| DecodeError(e.to_string()))?;
        Self::from_rmpv(v)
    }

    fn from_rmpv(v: rmpv::Value) -> Result<Dyn, DecodeError> {
        use rmpv::Value as V;
        Ok(match v {
            V::Nil => Dyn::Null,
            V::Boolean(b) => Dyn::Bool(b),
            V::Integer(i) => match i.as_i64() {
                Some(i) => Dyn::Int(i),
                None => Dyn::Float(i.as_f64().unwrap_or(f64::MAX)),
            },
            V::F32(x) => Self::number(f64::from(x)),
            V::F64(x) => Self::number(x),
            V::String(s) => match s.into_str() {
                Some(s) => Dyn::String(s),
                None => return Err(DecodeError("string is not UTF-8".into())),
            },
            V::Binary(b) => Dyn::String(
                String::from_utf8(b).map_err(|_| DecodeError("string is not UTF-8".into()))?,
            ),
            V::Array(items) => Dyn::List(
                items
                    .into_iter()
                    .map(Self::from_rmpv)
                    .collect::<Result<_, _>>()?,
            ),
            V::Map(entries) => {
                let mut m = BTreeMap::new();
                for (k, v) in entries {
                    let key = match k {
                        V::String(s) => s
                            .into_str()
                            .ok_or_else(|| DecodeError("key is not UTF-8".into()))?,
                        other => {
                            return Err(DecodeError(format!("map key {other} is not a string")))
                        }
                    };
                    m.insert(key, Self::from_rmpv(v)?);
                }
                Dyn::Map(m)
            }
            V::Ext(_, _) => Dyn::Unknown,
        })
    }

    fn number(x: f64) -> Dyn {
        if x.fract() == 0.0 && x.abs() < 9.0e15 {
            Dyn::Int(x as i64)
        } else {
            Dyn::Float(x)
        }
    }

    /// Encodes as msgpack for Terraform. Unknown is extension type 0 (cty's encoding).
    pub fn to_msgpack(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        self.write_msgpack(&mut out);
        out
    }

    fn write_msgpack(&self, out: &mut Vec<u8>) {
        // Writes into a Vec cannot fail.
        let _ = match self {
            Dyn::Null => rmp::encode::write_nil(out).map_err(drop),
            Dyn::Unknown => rmp::encode::write_ext_meta(out, 1, 0)
                .map(|_| out.push(0))
                .map_err(drop),
            Dyn::Bool(b) => rmp::encode::write_bool(out, *b).map_err(drop),
            Dyn::Int(i) => rmp::encode::write_sint(out, *i).map(drop).map_err(drop),
            Dyn::Float(x) => rmp::encode::write_f64(out, *x).map_err(drop),
            Dyn::String(s) => rmp::encode::write_str(out, s).map_err(drop),
            Dyn::List(items) => {
                let r = rmp::encode::write_array_len(out, items.len() as u32).map(drop);
                for item in items {
                    item.write_msgpack(out);
                }
                r.map_err(drop)
            }
            Dyn::Map(m) => {
                let r = rmp::encode::write_map_len(out, m.len() as u32).map(drop);
                for (k, v) in m {
                    let _ = rmp::encode::write_str(out, k);
                    v.write_msgpack(out);
                }
                r.map_err(drop)
            }
        };
    }

    /// Decodes JSON (stored state or a `DynamicValue.json`).
    pub fn from_json(bytes: &[u8]) -> Result<Dyn, DecodeError> {
        let v: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| DecodeError(e.to_string()))?;
        Ok(Self::from_json_value(v))
    }

    fn from_json_value(v: serde_json::Value) -> Dyn {
        use serde_json::Value as J;
        match v {
            J::Null => Dyn::Null,
            J::Bool(b) => Dyn::Bool(b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Dyn::Int(i),
                None => Self::number(n.as_f64().unwrap_or(f64::MAX)),
            },
            J::String(s) => Dyn::String(s),
            J::Array(items) => Dyn::List(items.into_iter().map(Self::from_json_value).collect()),
            J::Object(m) => Dyn::Map(
                m.into_iter()
                    .map(|(k, v)| (k, Self::from_json_value(v)))
                    .collect(),
            ),
        }
    }

    /// Replaces every unknown inside with null (for results that must be wholly known).
    pub fn unknowns_to_null(&mut self) -> bool {
        match self {
            Dyn::Unknown => {
                *self = Dyn::Null;
                true
            }
            Dyn::List(items) => {
                items
                    .iter_mut()
                    .map(Dyn::unknowns_to_null)
                    .filter(|replaced| *replaced)
                    .count()
                    > 0
            }
            Dyn::Map(m) => {
                m.values_mut()
                    .map(Dyn::unknowns_to_null)
                    .filter(|replaced| *replaced)
                    .count()
                    > 0
            }
            _ => false,
        }
    }
}

impl From<String> for Dyn {
    fn from(s: String) -> Self {
        Dyn::String(s)
    }
}

impl From<&str> for Dyn {
    fn from(s: &str) -> Self {
        Dyn::String(s.to_owned())
    }
}

impl From<bool> for Dyn {
    fn from(b: bool) -> Self {
        Dyn::Bool(b)
    }
}

impl From<i64> for Dyn {
    fn from(i: i64) -> Self {
        Dyn::Int(i)
    }
}

impl<T: Into<Dyn>> From<Option<T>> for Dyn {
    fn from(v: Option<T>) -> Self {
        v.map_or(Dyn::Null, Into::into)
    }
}

impl<T: Into<Dyn>> From<Vec<T>> for Dyn {
    fn from(v: Vec<T>) -> Self {
        Dyn::List(v.into_iter().map(Into::into).collect())
    }
}

impl From<Obj> for Dyn {
    fn from(o: Obj) -> Self {
        Dyn::Map(o.0)
    }
}

/// A three-valued attribute: known, null, or unknown until apply. Terraform's "known after
/// apply" must be a first-class state, not an `Option`.
#[derive(Clone, PartialEq, Eq)]
pub enum Value<T> {
    /// A known value.
    Known(T),
    /// No value.
    Null,
    /// Known only after apply.
    Unknown,
}

impl<T> Value<T> {
    /// The known value, if any.
    pub fn known(self) -> Option<T> {
        match self {
            Value::Known(v) => Some(v),
            _ => None,
        }
    }

    /// Whether the value is unknown.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }
}

impl<T: fmt::Debug> fmt::Debug for Value<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Known(v) => v.fmt(f),
            Value::Null => f.write_str("null"),
            Value::Unknown => f.write_str("(unknown)"),
        }
    }
}

/// An object value (a resource's state, plan or config) with typed accessors.
#[derive(Clone, PartialEq, Default, Debug)]
pub struct Obj(pub BTreeMap<String, Dyn>);

impl Obj {
    /// An empty object.
    pub fn new() -> Self {
        Self::default()
    }

    /// The object inside `v`, or `None` when `v` is null, unknown or not an object.
    pub fn from_dyn(v: &Dyn) -> Option<Obj> {
        v.as_map().map(|m| Obj(m.clone()))
    }

    /// The raw value of an attribute (null when absent).
    pub fn get(&self, name: &str) -> &Dyn {
        self.0.get(name).unwrap_or(&Dyn::Null)
    }

    /// Sets an attribute.
    pub fn set(&mut self, name: &str, v: impl Into<Dyn>) -> &mut Self {
        self.0.insert(name.to_owned(), v.into());
        self
    }

    /// A string attribute.
    pub fn string(&self, name: &str) -> Value<String> {
        match self.get(name) {
            Dyn::String(s) => Value::Known(s.clone()),
            Dyn::Int(i) => Value::Known(i.to_string()),
            Dyn::Unknown => Value::Unknown,
            _ => Value::Null,
        }
    }

    /// A string attribute that must be known (plans and state after apply); empty when not.
    pub fn str(&self, name: &str) -> &str {
        self.get(name).as_str().unwrap_or("")
    }

    /// A known, non-empty string attribute.
    pub fn opt_str(&self, name: &str) -> Option<String> {
        self.string(name).known().filter(|s| !s.is_empty())
    }

    /// A whole-number attribute (accepting numeric strings, as Terraform converts them).
    pub fn int(&self, name: &str) -> Value<i64> {
        match self.get(name) {
            Dyn::Int(i) => Value::Known(*i),
            Dyn::Float(x) => Value::Known(*x as i64),
            Dyn::String(s) => s.parse().map_or(Value::Null, Value::Known),
            Dyn::Unknown => Value::Unknown,
            _ => Value::Null,
        }
    }

    /// A boolean attribute.
    pub fn bool(&self, name: &str) -> Value<bool> {
        match self.get(name) {
            Dyn::Bool(b) => Value::Known(*b),
            Dyn::Unknown => Value::Unknown,
            _ => Value::Null,
        }
    }

    /// A list or set of strings; unknown when the list or any element is unknown.
    pub fn strings(&self, name: &str) -> Value<Vec<String>> {
        match self.get(name) {
            Dyn::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Dyn::String(s) => out.push(s.clone()),
                        Dyn::Unknown => return Value::Unknown,
                        _ => {}
                    }
                }
                Value::Known(out)
            }
            Dyn::Unknown => Value::Unknown,
            _ => Value::Null,
        }
    }

    /// A map of strings.
    pub fn string_map(&self, name: &str) -> Value<BTreeMap<String, String>> {
        match self.get(name) {
            Dyn::Map(m) => {
                let mut out = BTreeMap::new();
                for (k, v) in m {
                    match v {
                        Dyn::String(s) => {
                            out.insert(k.clone(), s.clone());
                        }
                        Dyn::Unknown => return Value::Unknown,
                        _ => {}
                    }
                }
                Value::Known(out)
            }
            Dyn::Unknown => Value::Unknown,
            _ => Value::Null,
        }
    }

    /// The single element of a list-nested block with at most one element.
    pub fn block(&self, name: &str) -> Option<Obj> {
        match self.get(name) {
            Dyn::List(items) => items.first().and_then(Obj::from_dyn),
            v => Obj::from_dyn(v),
        }
    }

    /// Sets a list-nested block to one element (or none).
    pub fn set_block(&mut self, name: &str, block: Option<Obj>) -> &mut Self {
        let items = block.map(|b| vec![Dyn::from(b)]).unwrap_or_default();
        self.set(name, Dyn::List(items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msgpack_round_trips_every_kind_including_unknown() {
        let mut o = Obj::new();
        o.set("s", "x")
            .set("n", 42i64)
            .set("f", Dyn::Float(1.5))
            .set("b", true)
            .set("null", Dyn::Null)
            .set("u", Dyn::Unknown)
            .set("l", vec!["a", "b"]);
        let v = Dyn::from(o);
        let back = Dyn::from_msgpack(&v.to_msgpack()).unwrap();
        assert_eq!(back, v);
        assert_eq!(Dyn::Unknown.to_msgpack(), vec![0xd4, 0, 0]);
    }

    #[test]
    fn integral_floats_decode_as_ints() {
        let mut buf = Vec::new();
        rmp::encode::write_f64(&mut buf, 3.0).unwrap();
        assert_eq!(Dyn::from_msgpack(&buf).unwrap(), Dyn::Int(3));
        assert_eq!(Dyn::from_json(b"2.0").unwrap(), Dyn::Int(2));
    }

    #[test]
    fn debug_never_prints_strings() {
        let v = Dyn::from("dapi-secret");
        assert!(!format!("{v:?}").contains("dapi"));
    }

    #[test]
    fn typed_accessors_distinguish_null_and_unknown() {
        let mut o = Obj::new();
        o.set("a", Dyn::Unknown)
            .set("l", vec![Dyn::from("x"), Dyn::Unknown]);
        assert_eq!(o.string("a"), Value::Unknown);
        assert_eq!(o.string("missing"), Value::Null);
        assert!(o.strings("l").is_unknown());
        assert!(Dyn::from(o).contains_unknown());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(Dyn::from_msgpack(&[0x92, 0x01]).is_err());
        assert!(Dyn::from_msgpack(&[0x81, 0x01, 0x01]).is_err());
        assert!(Dyn::from_msgpack(&[]).is_err());
        assert!(Dyn::from_json(b"{").is_err());
    }
}
