//! `databricks_secret_scope`: a named collection of secrets.

use crate::common::{
    check_workspace_id, imported, post_removal, report, workspace, workspace_scoped, Conn,
};
use crate::validate::aws_only;
use crate::validate::{check, secret_name};
use ironbrick_api::client::{Client, ClientError};
use ironbrick_api::secrets::{
    CreateScopeRequest, DeleteScopeRequest, ListScopesResponse, SecretScope as SecretScopeInfo,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tf_framework::{
    async_trait, Attr, Block, Diagnostics, NestedBlock, Obj, Path, Resource, Schema, Ty,
};

pub struct SecretScope {
    conn: Arc<Conn>,
    scopes: ScopeCache,
}

impl SecretScope {
    pub fn new(conn: Arc<Conn>) -> Self {
        SecretScope {
            conn,
            scopes: ScopeCache::default(),
        }
    }
}

/// How long a listing of a workspace's scopes answers reads. The API has no call that reads one
/// scope, so without it refreshing N scopes lists all N scopes N times. Only presence is
/// answered from it: a scope missing from a cached listing is looked up again, so a scope is
/// never dropped from state on a stale listing.
const SCOPE_LISTING_TTL: Duration = Duration::from_secs(10);

type Listing = Arc<tokio::sync::Mutex<Option<(Instant, Arc<Vec<SecretScopeInfo>>)>>>;

/// Recent scope listings, one per workspace base URL; concurrent reads of one workspace share
/// a single list call.
#[derive(Default)]
struct ScopeCache(std::sync::Mutex<HashMap<String, Listing>>);

impl ScopeCache {
    fn slot(&self, base: &str) -> Listing {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(base.to_owned()).or_default().clone()
    }

    /// The scope called `name`: from a listing younger than the TTL when it has it, else from
    /// a new listing. `Ok(None)` when the workspace has no such scope (or is gone).
    async fn find(
        &self,
        client: &Client,
        base: &str,
        name: &str,
    ) -> Result<Option<SecretScopeInfo>, ClientError> {
        let slot = self.slot(base);
        let mut cached = slot.lock().await;
        if let Some((at, scopes)) = cached.as_ref() {
            if at.elapsed() < SCOPE_LISTING_TTL {
                if let Some(s) = scopes.iter().find(|s| s.name == name) {
                    return Ok(Some(s.clone()));
                }
            }
        }
        let list: ListScopesResponse =
            match client.get(&format!("{base}/secrets/scopes/list")).await {
                Ok(l) => l,
                Err(e) if e.is_not_found() => return Ok(None),
                Err(e) => return Err(e),
            };
        let found = list.scopes.iter().find(|s| s.name == name).cloned();
        *cached = Some((Instant::now(), Arc::new(list.scopes)));
        Ok(found)
    }

    /// Forgets the listing of `base` (after this provider changed its scopes).
    fn forget(&self, base: &str) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(base);
    }
}

#[async_trait]
impl Resource for SecretScope {
    fn type_name(&self) -> &'static str {
        "databricks_secret_scope"
    }

    fn schema(&self) -> Schema {
        Schema::new(workspace_scoped(Block::new(
            "A secret scope. Secret values are encrypted under the workspace's managed-services key.",
            vec![
                Attr::optional_computed("id", Ty::String, "The scope name."),
                Attr::required("name", Ty::String, "Scope name.").force_new(),
                Attr::optional("initial_manage_principal", Ty::String, "`users` to let all users manage it.").force_new(),
                Attr::optional_computed("backend_type", Ty::String, "`DATABRICKS`.").force_new(),
            ],
        )
        .with_block(NestedBlock::single_list(
            "keyvault_metadata",
            Block::new(
                "Azure Key Vault backing (not supported: Ironbrick serves AWS workspaces).",
                vec![
                    Attr::required("dns_name", Ty::String, "Key Vault DNS name."),
                    Attr::required("resource_id", Ty::String, "Key Vault resource id."),
                ],
            ),
        ))))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check_workspace_id(config, diags);
        check(
            config,
            "name",
            Path::attr("name"),
            diags,
            secret_name("scope name"),
        );
        aws_only(config, &["keyvault_metadata"], diags);
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.conn, &planned, diags)?;
        let req = CreateScopeRequest {
            scope: planned.str("name").to_owned(),
            initial_manage_principal: planned.opt_str("initial_manage_principal"),
            scope_backend_type: planned.opt_str("backend_type"),
        };
        match client
            .post::<_, serde_json::Value>(&format!("{base}/secrets/scopes/create"), &req)
            .await
        {
            Ok(_) => {
                self.scopes.forget(&base);
                let mut st = planned;
                let name = st.str("name").to_owned();
                let backend = st
                    .opt_str("backend_type")
                    .unwrap_or_else(|| "DATABRICKS".to_owned());
                st.set("id", name).set("backend_type", backend);
                Some(st)
            }
            Err(e) => {
                report(diags, "create the secret scope", &e);
                None
            }
        }
    }

    async fn read(&self, mut st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.conn, &st, diags)?;
        let name = st.opt_str("name").or_else(|| st.opt_str("id"))?;
        let scope = match self.scopes.find(&client, &base, &name).await {
            Ok(found) => found?,
            Err(e) => {
                report(diags, "list secret scopes", &e);
                return Some(st);
            }
        };
        st.set("id", scope.name.clone())
            .set("name", scope.name)
            .set("backend_type", scope.backend_type);
        Some(st)
    }

    async fn update(&self, _prior: Obj, planned: Obj, _diags: &mut Diagnostics) -> Option<Obj> {
        Some(planned)
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        let Some((client, base)) = workspace(&self.conn, &st, diags) else {
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
        self.scopes.forget(&base);
    }

    fn import(&self, id: &str, _diags: &mut Diagnostics) -> Option<Obj> {
        let (mut o, name) = imported(&self.conn, id, false);
        o.set("name", name);
        Some(o)
    }
}
