//! `data "databricks_notebook"`: a notebook's content and metadata.

use crate::common::{check_workspace_id, report, workspace, workspace_scoped, Conn};
use ironbrick_api::workspace_objects::{ExportResponse, ObjectInfo};
use std::sync::Arc;
use tf_framework::{async_trait, Attr, Block, DataSource, Diagnostics, Obj, Schema, Ty};

pub struct Notebook(pub Arc<Conn>);

#[async_trait]
impl DataSource for Notebook {
    fn type_name(&self) -> &'static str {
        "databricks_notebook"
    }

    fn schema(&self) -> Schema {
        Schema::new(workspace_scoped(Block::new(
            "A notebook, decrypted and exported.",
            vec![
                Attr::optional_computed("id", Ty::String, "The notebook path."),
                Attr::required("path", Ty::String, "Absolute workspace path."),
                Attr::required("format", Ty::String, "Export format: `SOURCE`."),
                Attr::computed("content", Ty::String, "Content, base64-encoded."),
                Attr::optional_computed("language", Ty::String, "Language."),
                Attr::optional_computed("object_type", Ty::String, "`NOTEBOOK`."),
                Attr::optional_computed("object_id", Ty::Number, "Object id."),
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
    }

    async fn read(&self, config: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &config, diags)?;
        let path = config.str("path").to_owned();
        let format = config.str("format").to_owned();
        let status = format!("{base}/workspace/get-status");
        let info: ObjectInfo = match client.get_query(&status, &[("path", &path)]).await {
            Ok(i) => i,
            Err(e) => {
                report(diags, &format!("read {path}"), &e);
                return None;
            }
        };
        let export = format!("{base}/workspace/export");
        let x: ExportResponse = match client
            .get_query(&export, &[("path", &path), ("format", &format)])
            .await
        {
            Ok(x) => x,
            Err(e) => {
                report(diags, &format!("export {path}"), &e);
                return None;
            }
        };
        let mut o = config;
        o.set("id", path.clone())
            .set("content", x.content)
            .set("language", info.language)
            .set("object_type", info.object_type)
            .set("object_id", info.object_id)
            .set("workspace_path", format!("/Workspace{path}"));
        Some(o)
    }
}
