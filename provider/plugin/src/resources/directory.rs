//! `databricks_directory`: a workspace folder.

use super::notebook::{delete_object, object_url, status};
use crate::common::{check_workspace_id, imported, report, workspace, workspace_scoped, Conn};
use crate::validate::check;
use ironbrick_api::workspace_objects::MkdirsRequest;
use std::sync::Arc;
use tf_framework::{async_trait, Attr, Block, Diagnostics, Obj, Path, Resource, Schema, Ty};

pub struct Directory(pub Arc<Conn>);

#[async_trait]
impl Resource for Directory {
    fn type_name(&self) -> &'static str {
        "databricks_directory"
    }

    fn schema(&self) -> Schema {
        Schema::new(workspace_scoped(Block::new(
            "A workspace folder (parents are created as needed).",
            vec![
                Attr::optional_computed("id", Ty::String, "The folder path."),
                Attr::required("path", Ty::String, "Absolute workspace path.").force_new(),
                Attr::optional(
                    "delete_recursive",
                    Ty::Bool,
                    "Delete the folder's contents on destroy.",
                )
                .default(false),
                Attr::optional_computed("object_id", Ty::Number, "Object id."),
                Attr::computed(
                    "workspace_path",
                    Ty::String,
                    "Path with the `/Workspace` prefix.",
                ),
                Attr::computed("url", Ty::String, "Link to the folder."),
            ],
        )))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check_workspace_id(config, diags);
        check(config, "path", Path::attr("path"), diags, |p| {
            (p.starts_with('/') && p.len() > 1)
                .then_some(())
                .ok_or_else(|| format!("{p:?} is not an absolute folder path."))
        });
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &planned, diags)?;
        let req = MkdirsRequest {
            path: planned.str("path").to_owned(),
        };
        match client
            .post::<_, serde_json::Value>(&format!("{base}/workspace/mkdirs"), &req)
            .await
        {
            Ok(_) => self.read(planned, diags).await,
            Err(e) => {
                report(diags, &format!("create the folder {}", req.path), &e);
                None
            }
        }
    }

    async fn read(&self, mut st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &st, diags)?;
        let path = st.opt_str("path").or_else(|| st.opt_str("id"))?;
        let info = match status(&client, &base, &path, diags).await {
            Ok(found) => found?,
            Err(()) => return Some(st),
        };
        if info.object_type != "DIRECTORY" {
            return None;
        }
        let ws = st.int("workspace_id").known();
        st.set("id", path.clone())
            .set("path", path.clone())
            .set("object_id", info.object_id)
            .set("url", object_url(&client, ws, &path))
            .set("workspace_path", format!("/Workspace{path}"));
        if st.get("delete_recursive").is_null() {
            st.set("delete_recursive", false);
        }
        Some(st)
    }

    async fn update(&self, _prior: Obj, planned: Obj, _diags: &mut Diagnostics) -> Option<Obj> {
        Some(planned)
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        if let Some((client, base)) = workspace(&self.0, &st, diags) {
            let recursive = st.bool("delete_recursive").known().unwrap_or(false);
            delete_object(&client, &base, st.str("path"), recursive, diags).await;
        }
    }

    fn import(&self, id: &str, _diags: &mut Diagnostics) -> Option<Obj> {
        let (mut o, path) = imported(&self.0, id, true);
        o.set("path", path);
        Some(o)
    }
}
