//! `databricks_secret_scope`: a named collection of secrets.

use crate::common::{imported, post_removal, report, workspace, workspace_id_attr, Conn};
use crate::validate::{check, secret_name};
use ironbrick_api::secrets::{CreateScopeRequest, DeleteScopeRequest, ListScopesResponse};
use std::sync::Arc;
use tf_framework::{async_trait, Attr, Block, Diagnostics, Obj, Path, Resource, Schema, Ty};

pub struct SecretScope(pub Arc<Conn>);

#[async_trait]
impl Resource for SecretScope {
    fn type_name(&self) -> &'static str {
        "databricks_secret_scope"
    }

    fn schema(&self) -> Schema {
        Schema::new(Block::new(
            "A secret scope. Secret values are encrypted under the workspace's managed-services key.",
            vec![
                Attr::computed("id", Ty::String, "The scope name."),
                workspace_id_attr(),
                Attr::required("name", Ty::String, "Scope name.").force_new(),
                Attr::optional("initial_manage_principal", Ty::String, "`users` to let all users manage it.").force_new(),
                Attr::optional_computed("backend_type", Ty::String, "`DATABRICKS`.").force_new(),
            ],
        ))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check(
            config,
            "name",
            Path::attr("name"),
            diags,
            secret_name("scope name"),
        );
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &planned, diags)?;
        let req = CreateScopeRequest {
            scope: planned.str("name").to_owned(),
            initial_manage_principal: planned.opt_str("initial_manage_principal"),
            scope_backend_type: planned.opt_str("backend_type"),
        };
        match client
            .post::<_, serde_json::Value>(&format!("{base}/secrets/scopes/create"), &req)
            .await
        {
            Ok(_) => self.read(planned, diags).await,
            Err(e) => {
                report(diags, "create the secret scope", &e);
                None
            }
        }
    }

    async fn read(&self, mut st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &st, diags)?;
        let name = st.opt_str("name").or_else(|| st.opt_str("id"))?;
        let list: ListScopesResponse =
            match client.get(&format!("{base}/secrets/scopes/list")).await {
                Ok(l) => l,
                Err(e) if e.is_not_found() => return None,
                Err(e) => {
                    report(diags, "list secret scopes", &e);
                    return Some(st);
                }
            };
        let scope = list.scopes.into_iter().find(|s| s.name == name)?;
        st.set("id", scope.name.clone())
            .set("name", scope.name)
            .set("backend_type", scope.backend_type);
        Some(st)
    }

    async fn update(&self, _prior: Obj, planned: Obj, _diags: &mut Diagnostics) -> Option<Obj> {
        Some(planned)
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        let Some((client, base)) = workspace(&self.0, &st, diags) else {
            return;
        };
        let req = DeleteScopeRequest {
            scope: st.str("name").to_owned(),
        };
        post_removal(
            &client,
            &format!("{base}/secrets/scopes/delete"),
            &req,
            "delete the secret scope",
            diags,
        )
        .await;
    }

    fn import(&self, id: &str, _diags: &mut Diagnostics) -> Option<Obj> {
        let (mut o, name) = imported(id, false);
        o.set("name", name);
        Some(o)
    }
}
