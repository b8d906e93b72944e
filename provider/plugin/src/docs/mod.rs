//! Registry-style documentation (`docs/`) and the acceptance fixture built from its examples.
//!
//! Pages are laid out as the Terraform registry expects (`docs/index.md`,
//! `docs/resources/<name>.md`, `docs/data-sources/<name>.md`, names without `databricks_`).
//! Everything a schema knows (arguments, types, optionality, replacement, sensitivity, nested
//! blocks, exported attributes) is rendered from the live schemas; the rest (subcategory, intro,
//! examples, import id, notes) is hand-written under `provider/plugin/docs-src/` (see
//! [`source`] for the format).
//!
//! Every example is a `.tf` file in `docs-src/`, shown in the docs through `{{example NAME}}`
//! and also written, unchanged, into the acceptance fixture
//! (`tests/acceptance/fixtures/official/`), so the HCL the docs show is the HCL the acceptance
//! test applies, imports and destroys. `tests/docs.rs` fails when a checked-in file differs.

mod reference;
mod source;

use crate::provider::Databricks;
use reference::Reference;
use source::{expand_examples, PageSource, OVERRIDE_SECTIONS};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use tf_framework::{Block, Provider};

/// The command that rewrites the generated files.
pub const REGENERATE: &str =
    "UPDATE_DOCS=1 cargo test -p terraform-provider-databricks --test docs";

/// Generated directories, relative to the repository root: every file in them is generated
/// (in the fixture directories, every `.tf` file).
pub const GENERATED_DIRS: [&str; 3] = ["docs", FIXTURE, FIXTURE_TF_1_11];

/// The fixture every supported Terraform CLI applies.
pub const FIXTURE: &str = "tests/acceptance/fixtures/official";

/// Examples that need Terraform 1.11 or later (write-only arguments), added to [`FIXTURE`] by
/// the acceptance test on those versions only.
pub const FIXTURE_TF_1_11: &str = "tests/acceptance/fixtures/official-tf1.11";

/// Examples (paths under `docs-src/`) that go to [`FIXTURE_TF_1_11`].
pub const NEEDS_TERRAFORM_1_11: [&str; 1] = ["resources/secret_write_only.tf"];

const PROVIDER_NAME: &str = "terraform-provider-databricks";

/// A generated file: its path relative to the repository root, and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Relative path, `/`-separated.
    pub path: String,
    /// Full contents.
    pub contents: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PageKind {
    Resource,
    DataSource,
}

impl PageKind {
    fn dir(self) -> &'static str {
        match self {
            PageKind::Resource => "resources",
            PageKind::DataSource => "data-sources",
        }
    }

    fn label(self) -> &'static str {
        match self {
            PageKind::Resource => "Resource",
            PageKind::DataSource => "Data Source",
        }
    }
}

/// What the renderer collects while it works.
#[derive(Debug, Default)]
struct Run {
    files: Vec<GeneratedFile>,
    errors: Vec<String>,
    /// Example file (path under docs-src) → contents, for those shown somewhere.
    examples: BTreeMap<String, String>,
    /// Shared overrides (common.md) used by at least one type.
    common_used: BTreeSet<String>,
}

fn read(src: &Path, rel: &str) -> Result<String, String> {
    std::fs::read_to_string(src.join(rel)).map_err(|e| format!("docs-src/{rel}: {e}"))
}

fn list(src: &Path, dir: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(src.join(dir))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.path().is_file())
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn short(type_name: &str) -> &str {
    type_name.strip_prefix("databricks_").unwrap_or(type_name)
}

/// Types whose objects live at the account or in one workspace, as the provider is configured
/// (`api`, `provider_config`): their examples may leave `provider_config` out.
pub const ACCOUNT_OR_WORKSPACE: [&str; 5] = [
    "databricks_user",
    "databricks_group",
    "databricks_group_member",
    "databricks_service_principal",
    "databricks_service_principal_secret",
];

/// Whether a type manages objects inside one workspace (and so takes `provider_config`).
fn workspace_level(type_name: &str, block: &Block) -> bool {
    !type_name.starts_with("databricks_mws_")
        && !ACCOUNT_OR_WORKSPACE.contains(&type_name)
        && block.blocks.iter().any(|b| b.name == "provider_config")
}

fn front_matter(title: &str, subcategory: Option<&str>, description: &str) -> String {
    let mut out = format!("---\npage_title: \"{title}\"\n");
    if let Some(s) = subcategory {
        out.push_str(&format!("subcategory: \"{s}\"\n"));
    }
    out.push_str(&format!("description: |-\n  {}\n---\n", description.trim()));
    out
}

fn hcl_block(text: &str) -> String {
    format!("```hcl\n{}\n```", text.trim_end())
}

fn fixture_name(rel: &str) -> String {
    let file = rel.rsplit('/').next().unwrap_or(rel);
    match rel.split_once('/') {
        Some(("resources", _)) => format!("resource_{file}"),
        Some(("data-sources", _)) => format!("data_source_{file}"),
        _ => file.to_owned(),
    }
}

/// The name of the first `<keyword> "<type>" "<name>"` block in `hcl`.
fn first_label(hcl: &str, keyword: &str, type_name: &str) -> Option<String> {
    let prefix = format!("{keyword} \"{type_name}\" \"");
    hcl.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
}

/// Top-level blocks of `hcl`: (keyword, type, full text).
fn top_level_blocks(hcl: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String, String)> = None;
    for line in hcl.lines() {
        if let Some((_, _, text)) = current.as_mut() {
            text.push_str(line);
            text.push('\n');
            if line == "}" {
                out.extend(current.take());
            }
            continue;
        }
        for keyword in ["resource", "data"] {
            if let Some(rest) = line.strip_prefix(&format!("{keyword} \"")) {
                let ty = rest.split('"').next().unwrap_or_default().to_owned();
                let block = (keyword.to_owned(), ty, format!("{line}\n"));
                if line.trim_end().ends_with("{}") {
                    out.push(block);
                } else {
                    current = Some(block);
                }
            }
        }
    }
    out
}

impl Run {
    /// Loads example `name` (relative to `dir` under docs-src) and returns it as a code block.
    fn example(&mut self, src: &Path, dir: &str, name: &str) -> Result<String, String> {
        let rel = if dir.is_empty() {
            name.to_owned()
        } else {
            format!("{dir}/{name}")
        };
        if !name.ends_with(".tf") {
            return Err(format!("docs-src/{rel}: examples are .tf files"));
        }
        let text = read(src, &rel)?;
        self.examples.insert(rel, text.clone());
        Ok(hcl_block(&text))
    }

    fn expand(&mut self, src: &Path, dir: &str, text: &str, what: &str) -> String {
        match expand_examples(text, |name| self.example(src, dir, name)) {
            Ok((text, _)) => text,
            Err(e) => {
                self.errors.push(format!("{what}: {e}"));
                text.to_owned()
            }
        }
    }

    /// Renders the reference, recording missing descriptions.
    fn reference(
        &mut self,
        type_name: &str,
        resource: bool,
        block: &Block,
        page: &BTreeMap<String, String>,
        common: &BTreeMap<String, String>,
    ) -> (String, String) {
        let mut overrides = common.clone();
        overrides.extend(page.iter().map(|(k, v)| (k.clone(), v.clone())));
        let mut r = Reference::new(type_name, resource, &overrides);
        let args = r.arguments(block);
        let attrs = r.attributes(block);
        self.errors.extend(
            r.missing
                .iter()
                .map(|m| format!("{m}: no description in the schema or in docs-src")),
        );
        for k in page.keys().filter(|k| !r.used.contains(*k)) {
            self.errors.push(format!(
                "{type_name}: `{k}` is described in docs-src but is not in the schema"
            ));
        }
        self.common_used.extend(
            common
                .keys()
                .filter(|k| r.used.contains(*k) && !page.contains_key(*k))
                .cloned(),
        );
        (args, attrs)
    }

    fn page(
        &mut self,
        src: &Path,
        kind: PageKind,
        type_name: &str,
        block: &Block,
        common: &PageSource,
        common_overrides: &BTreeMap<String, String>,
    ) {
        let name = short(type_name);
        let rel = format!("{}/{name}.md", kind.dir());
        let what = format!("docs-src/{rel}");
        let page = match read(src, &rel).and_then(|t| PageSource::parse(&t, &what)) {
            Ok(p) => p,
            Err(e) => {
                self.errors.push(format!("{type_name}: {e}"));
                return;
            }
        };
        let (subcategory, description) = match (
            page.front("subcategory", &what),
            page.front("description", &what),
        ) {
            (Ok(s), Ok(d)) => (s.to_owned(), d.to_owned()),
            (a, b) => {
                self.errors.extend(a.err().into_iter().chain(b.err()));
                return;
            }
        };
        let overrides = page.overrides(&what).unwrap_or_else(|e| {
            self.errors.push(e);
            BTreeMap::new()
        });
        let (args, attrs) = self.reference(
            type_name,
            kind == PageKind::Resource,
            block,
            &overrides,
            common_overrides,
        );
        let ws_level = workspace_level(type_name, block);

        let mut out = front_matter(
            &format!("{type_name} {} - {PROVIDER_NAME}", kind.label()),
            Some(&subcategory),
            &description,
        );
        out.push_str(&format!(
            "\n# {type_name} ({})\n\n{description}\n",
            kind.label()
        ));
        if !page.intro.is_empty() {
            out.push_str(&format!(
                "\n{}\n",
                self.expand(src, kind.dir(), &page.intro, &what)
            ));
        }
        let note = if ws_level {
            Some("Workspace-level note")
        } else if ACCOUNT_OR_WORKSPACE.contains(&type_name) {
            Some("Account-or-workspace note")
        } else if type_name.starts_with("databricks_mws_") {
            Some("Account-level note")
        } else {
            None
        };
        if let Some(n) = note.and_then(|n| common.section(n)) {
            let n = n.replace("{kind}", &kind.label().to_lowercase());
            out.push_str(&format!("\n{n}\n"));
        }
        match page.section("Example Usage") {
            Some(body) => {
                let body = self.expand(src, kind.dir(), body, &what);
                out.push_str(&format!("\n## Example Usage\n\n{body}\n"));
            }
            None => self
                .errors
                .push(format!("{what}: no `## Example Usage` section")),
        }
        out.push_str("\n## Argument Reference\n\n");
        if args.is_empty() {
            out.push_str(&format!(
                "This {} takes no arguments.\n",
                kind.label().to_lowercase()
            ));
        } else {
            out.push_str(&format!(
                "The following arguments are supported:\n\n{args}\n"
            ));
        }
        if !attrs.is_empty() {
            let lead = match kind {
                PageKind::Resource => {
                    "In addition to all arguments above, the following attributes are exported:"
                }
                PageKind::DataSource => "This data source exports the following attributes:",
            };
            out.push_str(&format!("\n## Attribute Reference\n\n{lead}\n\n{attrs}\n"));
        }
        for (heading, body) in &page.sections {
            if heading == "Example Usage"
                || heading == "Import"
                || OVERRIDE_SECTIONS.contains(&heading.as_str())
            {
                continue;
            }
            let body = self.expand(src, kind.dir(), body, &what);
            out.push_str(&format!("\n## {heading}\n\n{body}\n"));
        }
        if kind == PageKind::Resource {
            let import = self.import_section(src, type_name, &page, common, ws_level, &what);
            out.push_str(&format!("\n## Import\n\n{import}\n"));
        } else if page.section("Import").is_some() || page.front.contains_key("import") {
            self.errors
                .push(format!("{what}: data sources are not imported"));
        }
        self.files.push(GeneratedFile {
            path: format!("docs/{rel}"),
            contents: out,
        });
    }

    fn import_section(
        &mut self,
        src: &Path,
        type_name: &str,
        page: &PageSource,
        common: &PageSource,
        ws_level: bool,
        what: &str,
    ) -> String {
        let prose = page
            .section("Import")
            .map(|p| self.expand(src, "resources", p, what));
        let id = match page.front("import", what) {
            Ok(id) => id.to_owned(),
            Err(e) => {
                self.errors.push(e);
                return String::new();
            }
        };
        if id == "none" {
            return prose.unwrap_or_else(|| {
                self.errors.push(format!(
                    "{what}: `import: none` needs an `## Import` section saying why"
                ));
                String::new()
            });
        }
        let own = format!("resources/{}.tf", short(type_name));
        let label = self
            .examples
            .get(&own)
            .and_then(|text| first_label(text, "resource", type_name))
            .or_else(|| {
                self.examples
                    .values()
                    .find_map(|text| first_label(text, "resource", type_name))
            })
            .unwrap_or_else(|| "this".to_owned());
        let template = match page.front.get("import_template") {
            Some(named) => common.section(named),
            None if ACCOUNT_OR_WORKSPACE.contains(&type_name) => {
                common.section("Account-or-workspace import")
            }
            None if ws_level => common.section("Workspace-level import"),
            None => common.section("Import"),
        };
        let Some(template) = template else {
            self.errors
                .push("docs-src/common.md: missing an import section".to_owned());
            return String::new();
        };
        let path_note = if id == "<path>" {
            " (such as `1234567890//Shared/x`; `1234567890/Shared/x` means the same)"
        } else {
            ""
        };
        let mut out = template
            .replace("{address}", &format!("{type_name}.{label}"))
            .replace("{path_note}", path_note)
            .replace("{id}", &id);
        if let Some(p) = prose {
            out.push_str(&format!("\n\n{p}"));
        }
        out
    }

    fn index(&mut self, src: &Path, provider: &Block) {
        let what = "docs-src/index.md";
        let page = match read(src, "index.md").and_then(|t| PageSource::parse(&t, what)) {
            Ok(p) => p,
            Err(e) => {
                self.errors.push(e);
                return;
            }
        };
        let (title, description) = match (
            page.front("page_title", what),
            page.front("description", what),
        ) {
            (Ok(t), Ok(d)) => (t.to_owned(), d.to_owned()),
            (a, b) => {
                self.errors.extend(a.err().into_iter().chain(b.err()));
                return;
            }
        };
        let overrides = page.overrides(what).unwrap_or_else(|e| {
            self.errors.push(e);
            BTreeMap::new()
        });
        let (args, _) = self.reference("provider", false, provider, &overrides, &BTreeMap::new());
        let mut out = front_matter(&title, None, &description);
        out.push_str(&format!("\n{}\n", self.expand(src, "", &page.intro, what)));
        let mut placed = false;
        for (heading, body) in &page.sections {
            if OVERRIDE_SECTIONS.contains(&heading.as_str()) {
                continue;
            }
            let body = self.expand(src, "", body, what);
            placed |= body.contains("{{provider_arguments}}");
            let body = body.replace("{{provider_arguments}}", &args);
            out.push_str(&format!("\n## {heading}\n\n{body}\n"));
        }
        if !placed {
            self.errors
                .push(format!("{what}: no {{{{provider_arguments}}}} marker"));
        }
        self.files.push(GeneratedFile {
            path: "docs/index.md".to_owned(),
            contents: out,
        });
    }

    /// Fixture files from the examples, and checks that every example is shown and that
    /// workspace-level blocks name their workspace.
    fn fixtures(&mut self, src: &Path, workspace_types: &BTreeSet<String>) {
        for dir in ["", "resources", "data-sources"] {
            for file in list(src, dir).into_iter().filter(|f| f.ends_with(".tf")) {
                let rel = if dir.is_empty() {
                    file
                } else {
                    format!("{dir}/{file}")
                };
                if !self.examples.contains_key(&rel) {
                    self.errors.push(format!(
                        "docs-src/{rel}: not shown by any {{{{example ...}}}} marker"
                    ));
                }
            }
        }
        for want in NEEDS_TERRAFORM_1_11 {
            if !self.examples.contains_key(want) {
                self.errors.push(format!(
                    "docs-src/{want}: listed in NEEDS_TERRAFORM_1_11 but not shown"
                ));
            }
        }
        for (rel, text) in &self.examples {
            for (keyword, ty, body) in top_level_blocks(text) {
                if workspace_types.contains(&ty) && !body.contains("provider_config {") {
                    self.errors.push(format!(
                        "docs-src/{rel}: {keyword} \"{ty}\" has no provider_config {{ workspace_id = ... }}"
                    ));
                }
            }
            let dir = if NEEDS_TERRAFORM_1_11.contains(&rel.as_str()) {
                FIXTURE_TF_1_11
            } else {
                FIXTURE
            };
            let header = format!(
                "# Generated from provider/plugin/docs-src/{rel}, an example in docs/. Edit that file, then\n\
                 # run: {REGENERATE}\n\n"
            );
            self.files.push(GeneratedFile {
                path: format!("{dir}/{}", fixture_name(rel)),
                contents: format!("{header}{}", text.trim_end()) + "\n",
            });
        }
    }
}

/// Renders every page and fixture file from the live schemas and the sources in `src`
/// (`provider/plugin/docs-src`). Errors list every problem found (missing sources or
/// descriptions, stale overrides, examples not shown, workspace-level blocks without
/// `provider_config`).
pub fn render(src: &Path) -> Result<Vec<GeneratedFile>, Vec<String>> {
    let provider = Databricks::default();
    let mut run = Run::default();
    let common =
        match read(src, "common.md").and_then(|t| PageSource::parse(&t, "docs-src/common.md")) {
            Ok(c) => c,
            Err(e) => return Err(vec![e]),
        };
    let common_overrides = common
        .overrides("docs-src/common.md")
        .map_err(|e| vec![e])?;
    run.index(src, &provider.schema().block);

    let mut workspace_types = BTreeSet::new();
    let mut served: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for r in provider.resources() {
        let block = r.schema().block;
        if workspace_level(r.type_name(), &block) {
            workspace_types.insert(r.type_name().to_owned());
        }
        served
            .entry("resources")
            .or_default()
            .insert(format!("{}.md", short(r.type_name())));
        run.page(
            src,
            PageKind::Resource,
            r.type_name(),
            &block,
            &common,
            &common_overrides,
        );
    }
    for d in provider.data_sources() {
        let block = d.schema().block;
        if workspace_level(d.type_name(), &block) {
            workspace_types.insert(d.type_name().to_owned());
        }
        served
            .entry("data-sources")
            .or_default()
            .insert(format!("{}.md", short(d.type_name())));
        run.page(
            src,
            PageKind::DataSource,
            d.type_name(),
            &block,
            &common,
            &common_overrides,
        );
    }
    for (dir, pages) in &served {
        for file in list(src, dir).into_iter().filter(|f| f.ends_with(".md")) {
            if !pages.contains(&file) {
                run.errors
                    .push(format!("docs-src/{dir}/{file}: no such type is served"));
            }
        }
    }
    for k in common_overrides
        .keys()
        .filter(|k| !run.common_used.contains(*k))
    {
        run.errors.push(format!(
            "docs-src/common.md: `{k}` describes nothing any type has"
        ));
    }
    run.fixtures(src, &workspace_types);
    if run.errors.is_empty() {
        run.files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(run.files)
    } else {
        Err(run.errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_names_say_what_they_hold() {
        assert_eq!(fixture_name("index.tf"), "index.tf");
        assert_eq!(fixture_name("resources/token.tf"), "resource_token.tf");
        assert_eq!(
            fixture_name("data-sources/notebook.tf"),
            "data_source_notebook.tf"
        );
    }

    #[test]
    fn top_level_blocks_and_labels() {
        let hcl = "resource \"databricks_token\" \"pat\" {\n  comment = \"x\"\n  provider_config {\n    workspace_id = 1\n  }\n}\n\ndata \"databricks_current_user\" \"me\" {}\n\
                   data \"databricks_notebook\" \"n\" {\n  path = \"/x\"\n}\n";
        let blocks = top_level_blocks(hcl);
        assert_eq!(blocks.len(), 3, "{blocks:?}");
        assert!(blocks[0].2.contains("provider_config {"));
        assert_eq!(blocks[1].2, "data \"databricks_current_user\" \"me\" {}\n");
        assert_eq!(blocks[2].1, "databricks_notebook");
        assert_eq!(
            first_label(hcl, "resource", "databricks_token").as_deref(),
            Some("pat")
        );
        assert_eq!(first_label(hcl, "resource", "databricks_secret"), None);
    }
}
