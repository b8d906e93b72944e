//! `data "databricks_current_user"`: who the provider's token belongs to.

use crate::common::{check_workspace_id, report, workspace, workspace_scoped, Conn};
use ironbrick_api::scim::User;
use std::sync::Arc;
use tf_framework::{async_trait, Attr, Block, DataSource, Diagnostics, Obj, Schema, Ty};

pub struct CurrentUser(pub Arc<Conn>);

#[async_trait]
impl DataSource for CurrentUser {
    fn type_name(&self) -> &'static str {
        "databricks_current_user"
    }

    fn schema(&self) -> Schema {
        let s = |n, d| Attr::computed(n, Ty::String, d);
        Schema::new(workspace_scoped(Block::new(
            "The user (or service principal) the provider authenticates as.",
            vec![
                Attr::optional_computed("id", Ty::String, "User id."),
                s("user_name", "User name (e-mail)."),
                s("home", "Home folder, `/Users/<user_name>`."),
                s("repos", "Repos folder, `/Repos/<user_name>`."),
                s(
                    "alphanumeric",
                    "User name reduced to letters, digits and `_`.",
                ),
                s("external_id", "External id."),
                s("acl_principal_id", "`users/<user_name>`."),
                s("workspace_url", "Workspace URL."),
            ],
        )))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check_workspace_id(config, diags);
    }

    async fn read(&self, config: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &config, diags)?;
        let me: User = match client.get(&format!("{base}/preview/scim/v2/Me")).await {
            Ok(u) => u,
            Err(e) => {
                report(diags, "read the current user", &e);
                return None;
            }
        };
        let alnum: String = me
            .user_name
            .split('@')
            .next()
            .unwrap_or_default()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let ws = config.int("workspace_id").known();
        let url = ws.map_or_else(|| client.host().to_owned(), |w| client.workspace_url(w));
        let mut o = config;
        o.set("id", me.id)
            .set("home", format!("/Users/{}", me.user_name))
            .set("repos", format!("/Repos/{}", me.user_name))
            .set("acl_principal_id", format!("users/{}", me.user_name))
            .set("alphanumeric", alnum)
            .set("workspace_url", url)
            .set("user_name", me.user_name);
        Some(o)
    }
}
