//! Schemas: attribute types as cty JSON, flags, nested blocks, and normalisation of values.

use crate::proto::tfplugin6 as pb;
use crate::value::Dyn;
use std::collections::BTreeMap;

/// An attribute type, encoded for Terraform as cty's JSON type syntax.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    /// `"string"`.
    String,
    /// `"number"`.
    Number,
    /// `"bool"`.
    Bool,
    /// `["list", T]`.
    List(Box<Ty>),
    /// `["set", T]`.
    Set(Box<Ty>),
    /// `["map", T]`.
    Map(Box<Ty>),
}

impl Ty {
    /// A list of strings.
    pub fn list_of_strings() -> Ty {
        Ty::List(Box::new(Ty::String))
    }

    /// A set of strings.
    pub fn set_of_strings() -> Ty {
        Ty::Set(Box::new(Ty::String))
    }

    /// A map of strings.
    pub fn map_of_strings() -> Ty {
        Ty::Map(Box::new(Ty::String))
    }

    fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Ty::String => json!("string"),
            Ty::Number => json!("number"),
            Ty::Bool => json!("bool"),
            Ty::List(t) => json!(["list", t.to_json()]),
            Ty::Set(t) => json!(["set", t.to_json()]),
            Ty::Map(t) => json!(["map", t.to_json()]),
        }
    }

    /// Coerces a value decoded without type information (JSON state) to this type.
    fn conform(&self, v: Dyn) -> Dyn {
        match (self, v) {
            (_, Dyn::Null) => Dyn::Null,
            (_, Dyn::Unknown) => Dyn::Unknown,
            (Ty::String, Dyn::Int(i)) => Dyn::String(i.to_string()),
            (Ty::String, Dyn::Bool(b)) => Dyn::String(b.to_string()),
            (Ty::Number, Dyn::String(s)) => s
                .parse::<i64>()
                .map(Dyn::Int)
                .or_else(|_| s.parse::<f64>().map(Dyn::Float))
                .unwrap_or(Dyn::Null),
            (Ty::Bool, Dyn::String(s)) => Dyn::Bool(s == "true"),
            (Ty::List(t) | Ty::Set(t), Dyn::List(items)) => {
                Dyn::List(items.into_iter().map(|i| t.conform(i)).collect())
            }
            (Ty::Map(t), Dyn::Map(m)) => {
                Dyn::Map(m.into_iter().map(|(k, v)| (k, t.conform(v))).collect())
            }
            (_, v) => v,
        }
    }
}

/// Whether an attribute is set by the user, by the provider, or either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Must be set in configuration.
    Required,
    /// May be set in configuration.
    Optional,
    /// Set by the provider only.
    Computed,
    /// Set in configuration or, when not, by the provider.
    OptionalComputed,
}

/// One attribute of a block.
#[derive(Debug, Clone)]
pub struct Attr {
    /// Name in HCL.
    pub name: &'static str,
    /// Type.
    pub ty: Ty,
    /// Who sets it.
    pub kind: Kind,
    /// Hidden from plan output and logs.
    pub sensitive: bool,
    /// Changing it replaces the resource (RequiresReplace).
    pub force_new: bool,
    /// A computed value that the provider may change on update: it becomes unknown in the plan
    /// whenever anything else changes. Other computed values keep their prior state.
    pub volatile: bool,
    /// The value planned when the configuration leaves the attribute unset.
    pub default: Option<Dyn>,
    /// Configured but never stored (protocol 6.9, Terraform 1.11+): planned and saved as null,
    /// handed to `create`/`update` from the configuration. Older clients are refused at
    /// validation when it is set.
    pub write_only: bool,
    /// Still accepted, but Terraform warns when it is set; `Some` carries the advice.
    pub deprecated: Option<&'static str>,
    /// Shown by `terraform providers schema` and language servers.
    pub description: &'static str,
}

impl Attr {
    fn new(name: &'static str, ty: Ty, kind: Kind, description: &'static str) -> Self {
        Attr {
            name,
            ty,
            kind,
            sensitive: false,
            force_new: false,
            volatile: false,
            default: None,
            write_only: false,
            deprecated: None,
            description,
        }
    }

    /// A required attribute.
    pub fn required(name: &'static str, ty: Ty, description: &'static str) -> Self {
        Self::new(name, ty, Kind::Required, description)
    }

    /// An optional attribute.
    pub fn optional(name: &'static str, ty: Ty, description: &'static str) -> Self {
        Self::new(name, ty, Kind::Optional, description)
    }

    /// A computed attribute.
    pub fn computed(name: &'static str, ty: Ty, description: &'static str) -> Self {
        Self::new(name, ty, Kind::Computed, description)
    }

    /// An optional attribute the provider fills in when it is not set.
    pub fn optional_computed(name: &'static str, ty: Ty, description: &'static str) -> Self {
        Self::new(name, ty, Kind::OptionalComputed, description)
    }

    /// Marks the attribute sensitive.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Marks the attribute as replacing the resource when it changes.
    pub fn force_new(mut self) -> Self {
        self.force_new = true;
        self
    }

    /// Marks a computed attribute as changing whenever the resource is updated.
    pub fn volatile(mut self) -> Self {
        self.volatile = true;
        self
    }

    /// Marks an optional attribute write-only (see [`Attr::write_only`]).
    pub fn write_only(mut self) -> Self {
        self.write_only = true;
        self
    }

    /// Marks the attribute deprecated; `advice` says what to use instead.
    pub fn deprecated(mut self, advice: &'static str) -> Self {
        self.deprecated = Some(advice);
        self
    }

    /// Plans `v` when the configuration leaves the attribute unset (the attribute becomes
    /// optional and computed, as Terraform requires of defaulted attributes).
    pub fn default(mut self, v: impl Into<Dyn>) -> Self {
        self.default = Some(v.into());
        if self.kind == Kind::Optional {
            self.kind = Kind::OptionalComputed;
        }
        self
    }

    pub(crate) fn is_computed(&self) -> bool {
        matches!(self.kind, Kind::Computed | Kind::OptionalComputed)
    }

    fn to_proto(&self) -> pb::schema::Attribute {
        pb::schema::Attribute {
            name: self.name.to_owned(),
            r#type: self.ty.to_json().to_string().into_bytes(),
            nested_type: None,
            description: self.description.to_owned(),
            required: self.kind == Kind::Required,
            optional: matches!(self.kind, Kind::Optional | Kind::OptionalComputed),
            computed: self.is_computed(),
            sensitive: self.sensitive,
            description_kind: pb::StringKind::Markdown as i32,
            deprecated: self.deprecated.is_some(),
            write_only: self.write_only,
        }
    }
}

/// How a nested block repeats: as the official provider's `token {}` and `aws_key_info {}`
/// (`MaxItems: 1` lists), or as its order-insensitive `access_control {}` blocks (sets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// Zero or more blocks, kept in order.
    List,
    /// Zero or more distinct blocks, in no order: Terraform compares them as a set, so a
    /// provider may return them in any order. Set blocks should hold only configured
    /// attributes: the framework plans their elements as Terraform proposes them (it cannot
    /// pair a set element with its prior self to carry computed values over).
    Set,
}

/// A nested block type.
#[derive(Debug, Clone)]
pub struct NestedBlock {
    /// Block type name in HCL.
    pub name: &'static str,
    /// Contents.
    pub block: Block,
    /// Repetition.
    pub nesting: Nesting,
    /// Minimum count.
    pub min_items: i64,
    /// Maximum count (0 = unlimited).
    pub max_items: i64,
    /// Changing anything inside replaces the resource.
    pub force_new: bool,
}

impl NestedBlock {
    /// A block that may appear at most once.
    pub fn single_list(name: &'static str, block: Block) -> Self {
        NestedBlock {
            name,
            block,
            nesting: Nesting::List,
            min_items: 0,
            max_items: 1,
            force_new: false,
        }
    }

    /// Blocks that may repeat, in no order (see [`Nesting::Set`]).
    pub fn set(name: &'static str, block: Block) -> Self {
        NestedBlock {
            name,
            block,
            nesting: Nesting::Set,
            min_items: 0,
            max_items: 0,
            force_new: false,
        }
    }

    /// Requires at least `n` blocks.
    pub fn min_items(mut self, n: i64) -> Self {
        self.min_items = n;
        self
    }

    /// Makes the block required (exactly one).
    pub fn required(mut self) -> Self {
        self.min_items = 1;
        self
    }

    /// Marks the block as replacing the resource when it changes.
    pub fn force_new(mut self) -> Self {
        self.force_new = true;
        self
    }
}

/// A block: attributes and nested blocks.
#[derive(Debug, Clone, Default)]
pub struct Block {
    /// Attributes.
    pub attrs: Vec<Attr>,
    /// Nested block types.
    pub blocks: Vec<NestedBlock>,
    /// Description.
    pub description: &'static str,
}

impl Block {
    /// A block with these attributes.
    pub fn new(description: &'static str, attrs: Vec<Attr>) -> Self {
        Block {
            attrs,
            blocks: Vec::new(),
            description,
        }
    }

    /// Adds a nested block type.
    pub fn with_block(mut self, b: NestedBlock) -> Self {
        self.blocks.push(b);
        self
    }

    /// The attribute called `name`.
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }

    /// Nulls the write-only attributes of `v` (plans and state never hold them).
    pub(crate) fn null_write_only(&self, v: &mut Dyn) {
        if let Dyn::Map(m) = v {
            for a in self.attrs.iter().filter(|a| a.write_only) {
                if let Some(slot) = m.get_mut(a.name) {
                    *slot = Dyn::Null;
                }
            }
        }
    }

    /// Copies the write-only attributes of `config` into `planned`, for `create` and `update`.
    pub(crate) fn with_write_only(&self, mut planned: Dyn, config: &Dyn) -> Dyn {
        if let (Dyn::Map(p), Some(c)) = (&mut planned, config.as_map()) {
            for a in self.attrs.iter().filter(|a| a.write_only) {
                if let Some(v) = c.get(a.name) {
                    p.insert(a.name.to_owned(), v.clone());
                }
            }
        }
        planned
    }

    /// Checks `config` for arguments that Terraform must be told about: write-only arguments
    /// set for a client that cannot handle them (Terraform before 1.11), and deprecated ones.
    pub(crate) fn check_config(
        &self,
        config: &Dyn,
        write_only_allowed: bool,
        diags: &mut crate::Diagnostics,
    ) {
        let Some(m) = config.as_map() else {
            return;
        };
        for a in &self.attrs {
            if m.get(a.name).is_none_or(Dyn::is_null) {
                continue;
            }
            if a.write_only && !write_only_allowed {
                diags.error_at(
                    crate::Path::attr(a.name),
                    format!("{} needs Terraform 1.11 or later", a.name),
                    format!(
                        "{} is a write-only argument, which Terraform supports from version \
                         1.11. Upgrade Terraform, or use the argument it stands for.",
                        a.name
                    ),
                );
            }
            if let Some(advice) = a.deprecated {
                diags.warning_at(
                    crate::Path::attr(a.name),
                    format!("{} is deprecated", a.name),
                    advice,
                );
            }
        }
    }

    fn to_proto(&self, version: i64) -> pb::schema::Block {
        pb::schema::Block {
            version,
            attributes: self.attrs.iter().map(Attr::to_proto).collect(),
            block_types: self
                .blocks
                .iter()
                .map(|b| pb::schema::NestedBlock {
                    type_name: b.name.to_owned(),
                    block: Some(b.block.to_proto(0)),
                    nesting: match b.nesting {
                        Nesting::List => pb::schema::nested_block::NestingMode::List,
                        Nesting::Set => pb::schema::nested_block::NestingMode::Set,
                    } as i32,
                    min_items: b.min_items,
                    max_items: b.max_items,
                })
                .collect(),
            description: self.description.to_owned(),
            description_kind: pb::StringKind::Markdown as i32,
            deprecated: false,
        }
    }

    /// Shapes `v` to this block: every attribute present (null when missing), values of the
    /// declared type, attributes the schema does not know dropped, absent list blocks empty.
    pub fn normalize(&self, v: Dyn) -> Dyn {
        let mut m = match v {
            Dyn::Map(m) => m,
            Dyn::Unknown => return Dyn::Unknown,
            _ => BTreeMap::new(),
        };
        let mut out = BTreeMap::new();
        for a in &self.attrs {
            let v = m.remove(a.name).unwrap_or_default();
            out.insert(a.name.to_owned(), a.ty.conform(v));
        }
        for b in &self.blocks {
            let v = match m.remove(b.name).unwrap_or_default() {
                Dyn::List(items) => {
                    Dyn::List(items.into_iter().map(|i| b.block.normalize(i)).collect())
                }
                Dyn::Unknown => Dyn::Unknown,
                Dyn::Map(obj) => Dyn::List(vec![b.block.normalize(Dyn::Map(obj))]),
                _ => Dyn::List(Vec::new()),
            };
            out.insert(b.name.to_owned(), v);
        }
        Dyn::Map(out)
    }
}

/// A versioned schema for a provider, resource or data source.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// State version (for UpgradeResourceState).
    pub version: i64,
    /// Top-level block.
    pub block: Block,
}

impl Schema {
    /// Version 0 schema of this block.
    pub fn new(block: Block) -> Self {
        Schema { version: 0, block }
    }

    pub(crate) fn to_proto(&self) -> pb::Schema {
        pb::Schema {
            version: self.version,
            block: Some(self.block.to_proto(self.version)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block() -> Block {
        Block::new(
            "t",
            vec![
                Attr::required("name", Ty::String, "n"),
                Attr::optional("n", Ty::Number, "n"),
                Attr::optional("tags", Ty::list_of_strings(), "t"),
            ],
        )
        .with_block(NestedBlock::single_list(
            "token",
            Block::new(
                "tok",
                vec![Attr::computed("value", Ty::String, "v").sensitive()],
            ),
        ))
    }

    #[test]
    fn types_encode_as_cty_json() {
        assert_eq!(
            Ty::list_of_strings().to_json().to_string(),
            r#"["list","string"]"#
        );
        let p = block().to_proto(0);
        assert_eq!(p.attributes[0].r#type, br#""string""#);
        assert!(p.attributes[0].required);
        assert_eq!(p.block_types[0].max_items, 1);
        assert_eq!(
            p.block_types[0].nesting,
            pb::schema::nested_block::NestingMode::List as i32
        );
        assert!(p.block_types[0].block.as_ref().unwrap().attributes[0].sensitive);
        let acl = NestedBlock::set("access_control", Block::new("a", vec![])).min_items(1);
        let p = Block::new("t", vec![]).with_block(acl).to_proto(0);
        assert_eq!(
            p.block_types[0].nesting,
            pb::schema::nested_block::NestingMode::Set as i32
        );
        assert_eq!(
            (p.block_types[0].min_items, p.block_types[0].max_items),
            (1, 0)
        );
    }

    #[test]
    fn normalize_fills_drops_and_conforms() {
        let state = Dyn::from_json(br#"{"name":"x","n":"5","old":1}"#).unwrap();
        let m = block().normalize(state);
        let m = m.as_map().unwrap();
        assert_eq!(m["n"], Dyn::Int(5));
        assert_eq!(m["tags"], Dyn::Null);
        assert_eq!(m["token"], Dyn::List(vec![]));
        assert!(!m.contains_key("old"));
    }
}
