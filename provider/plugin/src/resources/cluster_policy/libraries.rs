//! `libraries` blocks: the libraries installed on every cluster that uses a policy, as the
//! official provider writes them (`jar`, `egg`, `whl`, `requirements`, `pypi {}`, `maven {}`,
//! `cran {}`), and their JSON form in the policies API.

use crate::common::provider_config;
use serde_json::{json, Map, Value};
use tf_framework::{Attr, Block, Diagnostics, Dyn, NestedBlock, Obj, Path, Ty};

/// Library kinds given by a path or URI.
const PATHS: [&str; 4] = ["jar", "egg", "whl", "requirements"];

/// Library kinds given by a package block, with the block's required field.
const PACKAGES: [(&str, &str); 3] = [
    ("pypi", "package"),
    ("maven", "coordinates"),
    ("cran", "package"),
];

/// The `libraries` block type (a set: order does not matter).
pub fn block() -> NestedBlock {
    let package = |what: &'static str| {
        Block::new(
            what,
            vec![
                Attr::required(
                    "package",
                    Ty::String,
                    "Package name, optionally with a version.",
                ),
                Attr::optional("repo", Ty::String, "Repository to install it from."),
            ],
        )
    };
    let maven = Block::new(
        "A Maven package.",
        vec![
            Attr::required(
                "coordinates",
                Ty::String,
                "Gradle-style coordinates, such as `org.jsoup:jsoup:1.7.2`.",
            ),
            Attr::optional("repo", Ty::String, "Maven repository to install it from."),
            Attr::optional(
                "exclusions",
                Ty::list_of_strings(),
                "Dependencies to leave out, such as `slf4j:slf4j`.",
            ),
        ],
    );
    NestedBlock::set(
        "libraries",
        Block::new(
            "A library installed on every cluster that uses the policy; exactly one kind.",
            vec![
                Attr::optional("jar", Ty::String, "Path or URI of a JAR."),
                Attr::optional("egg", Ty::String, "Path or URI of a Python egg."),
                Attr::optional("whl", Ty::String, "Path or URI of a Python wheel."),
                Attr::optional(
                    "requirements",
                    Ty::String,
                    "Path of a `requirements.txt` file.",
                ),
            ],
        )
        .with_block(NestedBlock::single_list("pypi", package("A PyPI package.")))
        .with_block(NestedBlock::single_list("maven", maven))
        .with_block(NestedBlock::single_list("cran", package("A CRAN package.")))
        .with_block(provider_config()),
    )
}

/// The kinds one block names (known or unknown values count).
fn kinds(b: &Obj) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = PATHS.into_iter().filter(|k| !b.get(k).is_null()).collect();
    out.extend(
        PACKAGES
            .iter()
            .map(|(k, _)| *k)
            .filter(|k| !matches!(b.get(k), Dyn::List(items) if items.is_empty()))
            .filter(|k| !b.get(k).is_null()),
    );
    out
}

/// Plan-time check: each block names exactly one kind of library.
pub fn check(config: &Obj, diags: &mut Diagnostics) {
    let items = config.get("libraries").as_list().unwrap_or(&[]);
    for b in items.iter().filter_map(Obj::from_dyn) {
        let named = kinds(&b);
        if named.len() != 1 {
            diags.error_at(
                Path::attr("libraries"),
                "Invalid libraries block",
                format!(
                    "Each libraries block names exactly one of jar, egg, whl, requirements, \
                     pypi, maven and cran; one names {}.",
                    if named.is_empty() {
                        "none".to_owned()
                    } else {
                        named.join(", ")
                    }
                ),
            );
        }
    }
}

/// The API form of the planned blocks (values known at apply).
pub fn to_api(o: &Obj) -> Vec<Value> {
    let items = o.get("libraries").as_list().unwrap_or(&[]);
    items
        .iter()
        .filter_map(Obj::from_dyn)
        .map(|b| one(&b))
        .collect()
}

fn one(b: &Obj) -> Value {
    let mut lib = Map::new();
    for k in PATHS {
        if let Some(v) = b.opt_str(k) {
            lib.insert(k.to_owned(), Value::String(v));
        }
    }
    for (k, _) in PACKAGES {
        let Some(pkg) = b.block(k) else { continue };
        let mut p = Map::new();
        for f in ["package", "coordinates", "repo"] {
            if let Some(v) = pkg.opt_str(f) {
                p.insert(f.to_owned(), Value::String(v));
            }
        }
        if let Some(ex) = pkg.strings("exclusions").known().filter(|e| !e.is_empty()) {
            p.insert("exclusions".to_owned(), json!(ex));
        }
        lib.insert(k.to_owned(), Value::Object(p));
    }
    Value::Object(lib)
}

/// State blocks for the API's libraries.
fn from_api(libs: &[Value]) -> Vec<Dyn> {
    let shape = block().block;
    libs.iter()
        .map(|lib| {
            let mut b = Obj::new();
            for k in PATHS {
                if let Some(v) = lib.get(k).and_then(Value::as_str) {
                    b.set(k, v);
                }
            }
            for (k, _) in PACKAGES {
                let Some(p) = lib.get(k) else { continue };
                let mut pkg = Obj::new();
                for f in ["package", "coordinates", "repo"] {
                    if let Some(v) = p.get(f).and_then(Value::as_str) {
                        pkg.set(f, v);
                    }
                }
                if let Some(ex) = p.get("exclusions").and_then(Value::as_array) {
                    let ex: Vec<String> = ex
                        .iter()
                        .filter_map(|e| e.as_str().map(str::to_owned))
                        .collect();
                    pkg.set("exclusions", ex);
                }
                b.set_block(k, Some(pkg));
            }
            shape.normalize(b.into())
        })
        .collect()
}

/// Sets `libraries` in state from the API's: the blocks already in state are kept when they
/// describe the same libraries (so `provider_config` inside a block, which the API does not
/// keep, causes no diff).
pub fn set_state(st: &mut Obj, api: &[Value]) {
    let mut ours: Vec<String> = to_api(st).iter().map(Value::to_string).collect();
    let mut theirs: Vec<String> = api.iter().map(Value::to_string).collect();
    ours.sort();
    theirs.sort();
    if ours != theirs {
        st.set("libraries", Dyn::List(from_api(api)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lib(kind: &str, v: Dyn) -> Dyn {
        let mut b = Obj::new();
        b.set(kind, v);
        block().block.normalize(b.into())
    }

    fn pkg(fields: &[(&str, &str)]) -> Dyn {
        let mut p = Obj::new();
        for (k, v) in fields {
            p.set(k, *v);
        }
        Dyn::List(vec![p.into()])
    }

    fn with(libs: Vec<Dyn>) -> Obj {
        let mut o = Obj::new();
        o.set("libraries", Dyn::List(libs));
        o
    }

    #[test]
    fn blocks_round_trip_through_the_api_form() {
        let o = with(vec![
            lib("whl", "/Volumes/main/default/libs/a.whl".into()),
            lib("pypi", pkg(&[("package", "databricks-sdk==0.12.0")])),
            lib(
                "maven",
                pkg(&[
                    ("coordinates", "org.jsoup:jsoup:1.7.2"),
                    ("repo", "https://r"),
                ]),
            ),
        ]);
        let api = to_api(&o);
        assert_eq!(api[0], json!({"whl": "/Volumes/main/default/libs/a.whl"}));
        assert_eq!(
            api[1],
            json!({"pypi": {"package": "databricks-sdk==0.12.0"}})
        );
        assert_eq!(
            api[2],
            json!({"maven": {"coordinates": "org.jsoup:jsoup:1.7.2", "repo": "https://r"}})
        );
        let back = with(from_api(&api));
        assert_eq!(back, o);
    }

    #[test]
    fn state_keeps_its_blocks_when_the_libraries_are_the_same() {
        let mut pc = Obj::new();
        pc.set("workspace_id", "123");
        let mut b = Obj::new();
        b.set("jar", "/a.jar")
            .set_block("provider_config", Some(pc));
        let mine = block().block.normalize(b.into());
        let mut st = with(vec![mine.clone()]);
        set_state(&mut st, &[json!({"jar": "/a.jar"})]);
        assert_eq!(st.get("libraries"), &Dyn::List(vec![mine]));
        set_state(&mut st, &[json!({"jar": "/b.jar"})]);
        assert_eq!(
            st.get("libraries"),
            &Dyn::List(vec![lib("jar", "/b.jar".into())])
        );
    }

    #[test]
    fn each_block_names_exactly_one_kind() {
        let mut two = Obj::new();
        two.set("jar", "/a.jar").set("whl", "/b.whl");
        let cfg = with(vec![
            block().block.normalize(two.into()),
            block().block.normalize(Obj::new().into()),
            lib("cran", pkg(&[("package", "data.table")])),
        ]);
        let mut diags = Diagnostics::default();
        check(&cfg, &mut diags);
        let out = format!("{diags:?}");
        assert!(
            out.contains("one names jar, whl") && out.contains("one names none"),
            "{out}"
        );
        assert_eq!(
            out.matches("one names").count(),
            2,
            "the cran block is fine: {out}"
        );
    }
}
