//! `databricks_notebook`: a notebook imported from a `source` file or `content_base64`. The
//! content is tracked by its `md5`: a changed file plans an in-place re-import.

use crate::common::{
    check_workspace_id, imported, post_removal, report, workspace, workspace_scoped, Conn,
};
use crate::validate::{check, one_of};
use base64::Engine;
use ironbrick_api::client::Client;
use ironbrick_api::workspace_objects::{
    DeleteRequest, ExportResponse, ImportRequest, MkdirsRequest, ObjectInfo, LANGUAGES,
};
use md5::{Digest, Md5};
use std::sync::Arc;
use tf_framework::{
    async_trait, Attr, Block, Diagnostics, Dyn, Obj, Path, PlanRequest, Resource, Schema, Ty, Value,
};

pub struct Notebook(pub Arc<Conn>);

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn language_of(source: &str) -> Option<&'static str> {
    let ext = source.rsplit_once('.')?.1.to_ascii_lowercase();
    match ext.as_str() {
        "py" => Some("PYTHON"),
        "scala" => Some("SCALA"),
        "sql" => Some("SQL"),
        "r" => Some("R"),
        _ => None,
    }
}

/// The notebook's bytes from configuration: unknown when they cannot be known yet.
fn content(o: &Obj) -> Result<Value<Vec<u8>>, String> {
    match (o.string("source"), o.string("content_base64")) {
        (Value::Unknown, _) | (_, Value::Unknown) => Ok(Value::Unknown),
        (Value::Known(path), _) => std::fs::read(&path)
            .map(Value::Known)
            .map_err(|e| format!("cannot read source {path:?}: {e}")),
        (_, Value::Known(b64)) => B64
            .decode(b64.trim())
            .map(Value::Known)
            .map_err(|e| format!("content_base64 is not base64: {e}")),
        _ => Ok(Value::Null),
    }
}

fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

pub(crate) fn object_url(client: &Client, ws: Option<i64>, path: &str) -> String {
    let host = ws.map_or_else(|| client.host().to_owned(), |w| client.workspace_url(w));
    format!("{host}#workspace{path}")
}

/// Reads an object's status; `Ok(None)` when it does not exist.
pub(crate) async fn status(
    client: &Client,
    base: &str,
    path: &str,
    diags: &mut Diagnostics,
) -> Result<Option<ObjectInfo>, ()> {
    let url = format!("{base}/workspace/get-status");
    match client
        .get_query::<ObjectInfo>(&url, &[("path", path)])
        .await
    {
        Ok(i) => Ok(Some(i)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => {
            report(diags, &format!("read {path}"), &e);
            Err(())
        }
    }
}

/// Deletes a workspace object; one already gone counts as deleted.
pub(crate) async fn delete_object(
    client: &Client,
    base: &str,
    path: &str,
    recursive: bool,
    diags: &mut Diagnostics,
) {
    let req = DeleteRequest {
        path: path.to_owned(),
        recursive: Some(recursive),
    };
    post_removal(
        client,
        &format!("{base}/workspace/delete"),
        &req,
        &format!("delete {path}"),
        diags,
    )
    .await;
}

impl Notebook {
    async fn upload(&self, planned: Obj, overwrite: bool, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &planned, diags)?;
        let bytes = match content(&planned) {
            Ok(Value::Known(b)) => b,
            Ok(_) => {
                diags.error("Missing notebook content", "Set source or content_base64.");
                return None;
            }
            Err(why) => {
                diags.error("Unreadable notebook content", why);
                return None;
            }
        };
        let path = planned.str("path").to_owned();
        if let Some((parent, _)) = path.rsplit_once('/').filter(|(p, _)| !p.is_empty()) {
            let req = MkdirsRequest {
                path: parent.to_owned(),
            };
            if let Err(e) = client
                .post::<_, serde_json::Value>(&format!("{base}/workspace/mkdirs"), &req)
                .await
            {
                report(diags, &format!("create the folder {parent}"), &e);
                return None;
            }
        }
        let req = ImportRequest {
            path: path.clone(),
            format: planned.opt_str("format"),
            language: planned.opt_str("language"),
            content: Some(B64.encode(&bytes)),
            overwrite: Some(overwrite),
        };
        if let Err(e) = client
            .post::<_, serde_json::Value>(&format!("{base}/workspace/import"), &req)
            .await
        {
            report(diags, &format!("import the notebook {path}"), &e);
            return None;
        }
        let mut o = planned;
        o.set("md5", md5_hex(&bytes));
        self.read(o, diags).await
    }
}

#[async_trait]
impl Resource for Notebook {
    fn type_name(&self) -> &'static str {
        "databricks_notebook"
    }

    fn schema(&self) -> Schema {
        Schema::new(workspace_scoped(Block::new(
            "A notebook, stored under the workspace's managed-services key.",
            vec![
                Attr::optional_computed("id", Ty::String, "The notebook path."),
                Attr::required("path", Ty::String, "Absolute workspace path.").force_new(),
                Attr::optional("source", Ty::String, "Local file with the notebook source."),
                Attr::optional(
                    "content_base64",
                    Ty::String,
                    "Notebook source, base64-encoded.",
                ),
                Attr::optional_computed(
                    "language",
                    Ty::String,
                    "`PYTHON`, `SCALA`, `SQL` or `R` (inferred from the source extension).",
                ),
                Attr::optional("format", Ty::String, "Import format.").default("SOURCE"),
                Attr::optional_computed(
                    "md5",
                    Ty::String,
                    "MD5 of the content; a change re-imports.",
                ),
                Attr::computed("url", Ty::String, "Link to the notebook."),
                Attr::optional_computed("object_id", Ty::Number, "Object id."),
                Attr::optional_computed("object_type", Ty::String, "`NOTEBOOK`."),
                Attr::computed(
                    "workspace_path",
                    Ty::String,
                    "Path with the `/Workspace` prefix.",
                ),
            ],
        )))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check_workspace_id(config, diags);
        check(
            config,
            "language",
            Path::attr("language"),
            diags,
            one_of(&LANGUAGES),
        );
        check(
            config,
            "format",
            Path::attr("format"),
            diags,
            one_of(&["SOURCE", "AUTO"]),
        );
        check(config, "path", Path::attr("path"), diags, |p| {
            p.starts_with('/')
                .then_some(())
                .ok_or_else(|| format!("{p:?} is not an absolute path."))
        });
        let (src, b64) = (config.get("source"), config.get("content_base64"));
        if !src.is_null() && !b64.is_null() {
            diags.error_at(
                Path::attr("source"),
                "Conflicting content",
                "Set source or content_base64, not both.",
            );
        } else if src.is_null() && b64.is_null() {
            diags.error("Missing notebook content", "Set source or content_base64.");
        }
        if let Err(why) = content(config) {
            diags.error_at(Path::attr("source"), "Unreadable notebook content", why);
        }
    }

    fn modify_plan(&self, req: &mut PlanRequest, _diags: &mut Diagnostics) {
        let p = &mut req.planned;
        if !req.config.get("md5").is_null() {
            return;
        }
        match content(&req.config) {
            Ok(Value::Known(bytes)) => {
                p.set("md5", md5_hex(&bytes));
            }
            _ => {
                p.set("md5", Dyn::Unknown);
            }
        }
        if req.config.get("language").is_null() {
            if let Some(lang) = p.opt_str("source").as_deref().and_then(language_of) {
                p.set("language", lang);
            }
        }
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        self.upload(planned, false, diags).await
    }

    async fn read(&self, mut st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &st, diags)?;
        let path = st.opt_str("path").or_else(|| st.opt_str("id"))?;
        let info = match status(&client, &base, &path, diags).await {
            Ok(found) => found?,
            Err(()) => return Some(st),
        };
        if info.object_type != "NOTEBOOK" {
            return None;
        }
        if st.get("md5").is_null() {
            let url = format!("{base}/workspace/export");
            let query = [("path", path.as_str()), ("format", "SOURCE")];
            match client.get_query::<ExportResponse>(&url, &query).await {
                Ok(x) => {
                    st.set("md5", md5_hex(&B64.decode(x.content).unwrap_or_default()));
                }
                Err(e) => report(diags, &format!("export {path}"), &e),
            }
        }
        let ws = st.int("workspace_id").known();
        st.set("id", path.clone())
            .set("path", path.clone())
            .set("object_id", info.object_id)
            .set("object_type", info.object_type)
            .set("language", info.language)
            .set("url", object_url(&client, ws, &path))
            .set("workspace_path", format!("/Workspace{path}"));
        if st.get("format").is_null() {
            st.set("format", "SOURCE");
        }
        Some(st)
    }

    async fn update(&self, _prior: Obj, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        self.upload(planned, true, diags).await
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        if let Some((client, base)) = workspace(&self.0, &st, diags) {
            delete_object(&client, &base, st.str("path"), false, diags).await;
        }
    }

    fn import(&self, id: &str, _diags: &mut Diagnostics) -> Option<Obj> {
        let (mut o, path) = imported(&self.0, id, true);
        o.set("path", path);
        Some(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_follow_extensions_and_content_comes_from_either_attribute() {
        assert_eq!(language_of("a/b.py"), Some("PYTHON"));
        assert_eq!(language_of("x.R"), Some("R"));
        assert_eq!(language_of("x.txt"), None);
        let mut o = Obj::new();
        o.set("content_base64", B64.encode("print(1)"));
        assert_eq!(content(&o).unwrap(), Value::Known(b"print(1)".to_vec()));
        o.set("content_base64", Dyn::Unknown);
        assert!(content(&o).unwrap().is_unknown());
        o.set("content_base64", "***");
        assert!(content(&o).is_err());
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
    }
}
