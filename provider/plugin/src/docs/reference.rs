//! The generated half of a page: argument and attribute references rendered from a schema.

use std::collections::{BTreeMap, BTreeSet};
use tf_framework::{Attr, Block, Dyn, Kind, NestedBlock, Ty};

/// Renders references for one type, preferring hand-written descriptions (by dotted path)
/// to the schema's, and remembering which of those were used.
#[derive(Debug)]
pub struct Reference<'a> {
    /// The type (or `provider`), for error messages.
    pub type_name: &'a str,
    /// Whether changing an argument can replace the object (resources only).
    pub resource: bool,
    /// Hand-written descriptions by dotted path.
    pub overrides: &'a BTreeMap<String, String>,
    /// Override paths used so far.
    pub used: BTreeSet<String>,
    /// Attributes that have no description anywhere.
    pub missing: Vec<String>,
}

/// A type as the registry docs name it.
pub fn type_label(ty: &Ty) -> String {
    match ty {
        Ty::String => "String".to_owned(),
        Ty::Number => "Number".to_owned(),
        Ty::Bool => "Boolean".to_owned(),
        Ty::List(t) => format!("List of {}", type_label(t)),
        Ty::Set(t) => format!("Set of {}", type_label(t)),
        Ty::Map(t) => format!("Map of {}", type_label(t)),
    }
}

fn literal(v: &Dyn) -> String {
    match v {
        Dyn::String(s) => format!("{s:?}"),
        Dyn::Int(i) => i.to_string(),
        Dyn::Float(f) => f.to_string(),
        Dyn::Bool(b) => b.to_string(),
        Dyn::List(items) => format!(
            "[{}]",
            items.iter().map(literal).collect::<Vec<_>>().join(", ")
        ),
        Dyn::Map(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{k} = {}", literal(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Dyn::Null => "null".to_owned(),
        Dyn::Unknown => "(known after apply)".to_owned(),
    }
}

/// The anchor a registry heading gets.
pub fn anchor(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn block_heading(path: &str) -> String {
    format!("{path} block")
}

/// Whether a block takes any configuration (else it only reports values).
fn configurable(b: &Block) -> bool {
    b.attrs.iter().any(|a| a.kind != Kind::Computed)
        || b.blocks.iter().any(|n| configurable(&n.block))
}

fn is_argument(a: &Attr) -> bool {
    a.kind != Kind::Computed && a.name != "id"
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

impl<'a> Reference<'a> {
    /// A renderer for `type_name` with these overrides.
    pub fn new(
        type_name: &'a str,
        resource: bool,
        overrides: &'a BTreeMap<String, String>,
    ) -> Self {
        Reference {
            type_name,
            resource,
            overrides,
            used: BTreeSet::new(),
            missing: Vec::new(),
        }
    }

    fn description(&mut self, path: &str, schema: &str) -> String {
        if let Some(text) = self.overrides.get(path) {
            self.used.insert(path.to_owned());
            return text.trim().to_owned();
        }
        let text = schema.trim();
        if text.is_empty() {
            self.missing.push(format!("{}.{path}", self.type_name));
        }
        text.to_owned()
    }

    /// `* \`name\` - (Kind, Type, flags) description`. Exported attributes (`exported`) show
    /// no kind: they are all read-only.
    fn attr_line(&mut self, parent: &str, a: &Attr, exported: bool) -> String {
        let path = join(parent, a.name);
        let mut tags = Vec::new();
        if !exported {
            tags.push(
                match a.kind {
                    Kind::Required => "Required",
                    Kind::Optional | Kind::OptionalComputed => "Optional",
                    Kind::Computed => "Computed",
                }
                .to_owned(),
            );
            // set by the provider when the configuration leaves it out (and no default says how)
            if a.kind == Kind::OptionalComputed && a.default.is_none() {
                tags.push("Computed".to_owned());
            }
        }
        tags.push(type_label(&a.ty));
        if a.sensitive {
            tags.push("Sensitive".to_owned());
        }
        if a.write_only {
            tags.push("Write-only".to_owned());
        }
        if a.deprecated.is_some() {
            tags.push("Deprecated".to_owned());
        }
        let mut head = tags.join(", ");
        if a.force_new && self.resource {
            head.push_str("; changing it replaces the resource");
        }
        let mut text = self.description(&path, a.description);
        if let Some(d) = &a.default {
            if !text.is_empty() && !text.ends_with('.') {
                text.push('.');
            }
            text.push_str(&format!(" Defaults to `{}`.", literal(d)));
        }
        format!("* `{}` - ({head}) {}", a.name, text.trim())
    }

    fn block_line(&mut self, parent: &str, b: &NestedBlock) -> String {
        let path = join(parent, b.name);
        let mut head = if b.min_items > 0 {
            "Required"
        } else {
            "Optional"
        }
        .to_owned();
        head.push_str(", block");
        match b.max_items {
            1 => head.push_str(", at most one"),
            0 => {}
            n => head.push_str(&format!(", at most {n}")),
        }
        if !configurable(&b.block) {
            head = "Computed, list of blocks".to_owned();
        }
        if b.force_new && self.resource {
            head.push_str("; changing it replaces the resource");
        }
        let text = self.description(&path, b.block.description);
        format!(
            "* `{}` - ({head}) {} See [{}](#{}) below.",
            b.name,
            text.trim(),
            block_heading(&path),
            anchor(&block_heading(&path))
        )
    }

    /// The argument list of a top-level block, then one section per nested block.
    pub fn arguments(&mut self, block: &Block) -> String {
        let mut lines = Vec::new();
        let required = block.attrs.iter().filter(|a| a.kind == Kind::Required);
        let optional = block
            .attrs
            .iter()
            .filter(|a| is_argument(a) && a.kind != Kind::Required && a.deprecated.is_none());
        for a in required.chain(optional) {
            lines.push(self.attr_line("", a, false));
        }
        for b in block.blocks.iter().filter(|b| configurable(&b.block)) {
            lines.push(self.block_line("", b));
        }
        let deprecated = block
            .attrs
            .iter()
            .filter(|a| is_argument(a) && a.kind != Kind::Required && a.deprecated.is_some());
        for a in deprecated {
            lines.push(self.attr_line("", a, false));
        }
        let mut out = lines.join("\n");
        for b in block.blocks.iter().filter(|b| configurable(&b.block)) {
            out.push_str("\n\n");
            out.push_str(&self.block_section("", b));
        }
        out
    }

    /// The exported attributes of a top-level block (empty when there are none).
    pub fn attributes(&mut self, block: &Block) -> String {
        let mut lines = Vec::new();
        let id = block.attrs.iter().filter(|a| a.name == "id");
        let computed = block
            .attrs
            .iter()
            .filter(|a| a.kind == Kind::Computed && a.name != "id");
        for a in id.chain(computed) {
            lines.push(self.attr_line("", a, true));
        }
        let mut sections = Vec::new();
        for b in block.blocks.iter().filter(|b| !configurable(&b.block)) {
            lines.push(self.block_line("", b));
            sections.push(self.block_section("", b));
        }
        let mut out = lines.join("\n");
        for s in sections {
            out.push_str("\n\n");
            out.push_str(&s);
        }
        out
    }

    fn block_section(&mut self, parent: &str, b: &NestedBlock) -> String {
        let path = join(parent, b.name);
        let mut out = format!("### {}\n\n", block_heading(&path));
        let mut lines = Vec::new();
        let required = b.block.attrs.iter().filter(|a| a.kind == Kind::Required);
        let optional = b
            .block
            .attrs
            .iter()
            .filter(|a| is_argument(a) && a.kind != Kind::Required);
        let computed = b
            .block
            .attrs
            .iter()
            .filter(|a| !is_argument(a) && a.kind != Kind::Required);
        for a in required.chain(optional).chain(computed) {
            lines.push(self.attr_line(&path, a, false));
        }
        for n in &b.block.blocks {
            lines.push(self.block_line(&path, n));
        }
        out.push_str(&lines.join("\n"));
        for n in &b.block.blocks {
            out.push_str("\n\n");
            out.push_str(&self.block_section(&path, n));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block() -> Block {
        Block::new(
            "top",
            vec![
                Attr::computed("id", Ty::String, "The id."),
                Attr::optional("comment", Ty::String, "A note.").force_new(),
                Attr::required("name", Ty::String, ""),
                Attr::optional("enabled", Ty::Bool, "On or off").default(true),
                Attr::computed("value", Ty::String, "The value.").sensitive(),
                Attr::optional("old", Ty::Number, "Old.").deprecated("Use name."),
                Attr::optional("secret", Ty::String, "Secret.")
                    .sensitive()
                    .write_only(),
                Attr::optional_computed("region", Ty::String, "Region."),
            ],
        )
        .with_block(NestedBlock::single_list(
            "provider_config",
            Block::new(
                "Where.",
                vec![Attr::required("workspace_id", Ty::String, "Workspace.")],
            ),
        ))
    }

    #[test]
    fn arguments_and_attributes_render_with_flags() {
        let overrides = BTreeMap::from([("name".to_owned(), "The name.".to_owned())]);
        let mut r = Reference::new("databricks_x", true, &overrides);
        let args = r.arguments(&block());
        assert!(
            args.starts_with("* `name` - (Required, String) The name.\n"),
            "{args}"
        );
        assert!(args.contains(
            "* `comment` - (Optional, String; changing it replaces the resource) A note."
        ));
        assert!(args.contains("* `enabled` - (Optional, Boolean) On or off. Defaults to `true`."));
        assert!(args.contains("See [provider_config block](#provider_config-block) below."));
        assert!(args.contains("* `secret` - (Optional, String, Sensitive, Write-only) Secret."));
        assert!(args.contains("* `region` - (Optional, Computed, String) Region."));
        assert!(
            args.contains("below.\n* `old` - (Optional, Number, Deprecated) Old."),
            "deprecated arguments come last: {args}"
        );
        assert!(args.contains(
            "### provider_config block\n\n* `workspace_id` - (Required, String) Workspace."
        ));
        let attrs = r.attributes(&block());
        assert_eq!(
            attrs,
            "* `id` - (String) The id.\n* `value` - (String, Sensitive) The value."
        );
        assert!(r.missing.is_empty());
        assert_eq!(r.used, BTreeSet::from(["name".to_owned()]));
    }

    #[test]
    fn missing_descriptions_are_reported() {
        let overrides = BTreeMap::from([("gone".to_owned(), "x".to_owned())]);
        let mut r = Reference::new("databricks_x", false, &overrides);
        let args = r.arguments(&block());
        assert!(
            !args.contains("replaces"),
            "data sources are never replaced"
        );
        assert_eq!(r.missing, ["databricks_x.name"]);
        assert!(r.used.is_empty(), "the caller reports `gone` as stale");
    }

    #[test]
    fn anchors_follow_the_registry() {
        assert_eq!(anchor("provider_config block"), "provider_config-block");
        assert_eq!(anchor("a.b block"), "ab-block");
    }
}
