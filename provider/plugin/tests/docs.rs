//! `docs/` and the official-docs acceptance fixture are generated from the live schemas and
//! `provider/plugin/docs-src/`; these tests fail when a checked-in file has drifted.
//! `UPDATE_DOCS=1 cargo test -p terraform-provider-databricks --test docs` rewrites them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use terraform_provider_databricks::docs::{
    render, GeneratedFile, FIXTURE, FIXTURE_TF_1_11, GENERATED_DIRS, REGENERATE,
};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn generated() -> Vec<GeneratedFile> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs-src");
    render(&src).unwrap_or_else(|errors| {
        panic!(
            "the docs cannot be generated ({} problems):\n{}",
            errors.len(),
            errors.join("\n")
        )
    })
}

/// Files under `dir` (relative to the repository), recursively, as `/`-separated paths.
fn walk(dir: &str, out: &mut BTreeSet<String>) {
    let Ok(entries) = std::fs::read_dir(repo().join(dir)) else {
        return;
    };
    for e in entries.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        let rel = format!("{dir}/{name}");
        if e.path().is_dir() {
            walk(&rel, out);
        } else {
            out.insert(rel);
        }
    }
}

/// Checked-in files that the generator owns: all of `docs/`, the `.tf` files of the fixtures.
fn owned_files() -> BTreeSet<String> {
    let mut all = BTreeSet::new();
    for dir in GENERATED_DIRS {
        walk(dir, &mut all);
    }
    all.into_iter()
        .filter(|p| p.starts_with("docs/") || p.ends_with(".tf"))
        .collect()
}

fn update_requested() -> bool {
    std::env::var("UPDATE_DOCS").is_ok_and(|v| !v.is_empty() && v != "0")
}

#[test]
fn docs_and_fixture_match_the_schemas_and_docs_src() {
    let files = generated();
    let root = repo();
    let differing: Vec<&GeneratedFile> = files
        .iter()
        .filter(|f| {
            std::fs::read_to_string(root.join(&f.path)).ok().as_deref() != Some(&f.contents)
        })
        .collect();
    let wanted: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let stale: Vec<String> = owned_files()
        .into_iter()
        .filter(|p| !wanted.contains(p.as_str()))
        .collect();

    if update_requested() {
        for f in &differing {
            let path = root.join(&f.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("create the directory");
            }
            std::fs::write(&path, &f.contents).expect("write the generated file");
            eprintln!("wrote {}", f.path);
        }
        for p in &stale {
            std::fs::remove_file(root.join(p)).expect("remove the stale file");
            eprintln!("removed {p}");
        }
        return;
    }
    let mut problems: Vec<String> = differing
        .iter()
        .map(|f| {
            if root.join(&f.path).exists() {
                format!("differs: {}", f.path)
            } else {
                format!("missing: {}", f.path)
            }
        })
        .collect();
    problems.extend(stale.iter().map(|p| format!("should not exist: {p}")));
    assert!(
        problems.is_empty(),
        "generated docs are out of date:\n{}\nRun `{REGENERATE}` and commit the result.",
        problems.join("\n")
    );
}

/// The ```hcl blocks of the checked-in pages, by page.
fn hcl_blocks() -> BTreeMap<String, Vec<String>> {
    let mut pages = BTreeSet::new();
    walk("docs", &mut pages);
    let mut out = BTreeMap::new();
    for page in pages {
        let text = std::fs::read_to_string(repo().join(&page)).expect("read the page");
        let mut blocks = Vec::new();
        let mut current: Option<String> = None;
        for line in text.lines() {
            match current.as_mut() {
                None if line == "```hcl" => current = Some(String::new()),
                Some(b) if line == "```" => {
                    blocks.push(std::mem::take(b));
                    current = None;
                }
                Some(b) => {
                    b.push_str(line);
                    b.push('\n');
                }
                None => {}
            }
        }
        out.insert(page, blocks);
    }
    out
}

/// The checked-in fixture files' HCL, without their generated header.
fn fixture_bodies() -> BTreeSet<String> {
    let mut files = BTreeSet::new();
    walk(FIXTURE, &mut files);
    walk(FIXTURE_TF_1_11, &mut files);
    files
        .into_iter()
        .filter(|p| p.ends_with(".tf"))
        .map(|p| {
            let text = std::fs::read_to_string(repo().join(&p)).expect("read the fixture");
            text.lines()
                .skip_while(|l| l.starts_with("# "))
                .skip_while(|l| l.is_empty())
                .map(|l| format!("{l}\n"))
                .collect()
        })
        .collect()
}

/// Only `import {}` blocks (import instructions) and alternative `provider "databricks"`
/// blocks (authentication variants on the index page) are shown without being applied.
fn illustrative(block: &str) -> bool {
    block.starts_with("import {") || block.starts_with("provider \"databricks\" {")
}

#[test]
fn every_example_in_the_docs_is_applied_by_the_acceptance_fixture() {
    let fixture = fixture_bodies();
    assert!(
        fixture.len() >= 17,
        "the fixture has {} files",
        fixture.len()
    );
    let mut untested = Vec::new();
    let mut examples = 0;
    for (page, blocks) in hcl_blocks() {
        for b in blocks.iter().filter(|b| !illustrative(b)) {
            examples += 1;
            if !fixture.contains(b) {
                untested.push(format!("{page}:\n{b}"));
            }
        }
    }
    assert!(examples >= 17, "only {examples} examples found in docs/");
    assert!(
        untested.is_empty(),
        "examples in docs/ that tests/acceptance/fixtures/official* does not hold:\n{}",
        untested.join("\n")
    );
}
