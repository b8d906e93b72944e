//! `databricks_mws_workspaces`: a workspace, created and waited for until `RUNNING`, with the
//! optional `token {}` block that mints a bootstrap PAT in it. The customer-managed key ids are
//! fixed at creation: changing either plans a replacement.

use crate::account_object::AccountObject;
use crate::common::{account, post_removal, report, split_account_id, Conn};
use crate::validate::{check, region};
use ironbrick_api::account::{CreateWorkspaceRequest, UpdateWorkspaceRequest, Workspace};
use ironbrick_api::client::Client;
use ironbrick_api::tokens::{CreateTokenRequest, CreateTokenResponse, RevokeTokenRequest};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tf_framework::{
    async_trait, Attr, Block, Diagnostics, Dyn, NestedBlock, Obj, Path, PlanRequest, Resource,
    Schema, Ty,
};

pub struct MwsWorkspaces(pub Arc<Conn>);

const PROVISIONING_TIMEOUT: Duration = Duration::from_secs(20 * 60);
const DEFAULT_TOKEN_LIFETIME: i64 = 2_592_000;

fn state(w: Workspace, token: Option<Obj>) -> Obj {
    let mut o = Obj::new();
    o.set("id", format!("{}/{}", w.account_id, w.workspace_id))
        .set("account_id", w.account_id)
        .set("workspace_id", w.workspace_id)
        .set("workspace_name", w.workspace_name)
        .set("deployment_name", w.deployment_name)
        .set("aws_region", w.aws_region)
        .set("credentials_id", w.credentials_id)
        .set("storage_configuration_id", w.storage_configuration_id)
        .set("network_id", w.network_id)
        .set("private_access_settings_id", w.private_access_settings_id)
        .set(
            "managed_services_customer_managed_key_id",
            w.managed_services_customer_managed_key_id,
        )
        .set(
            "storage_customer_managed_key_id",
            w.storage_customer_managed_key_id,
        )
        .set("pricing_tier", w.pricing_tier)
        .set("cloud", w.cloud)
        .set("workspace_status", w.workspace_status)
        .set("workspace_status_message", w.workspace_status_message)
        .set("workspace_url", w.workspace_url)
        .set("creation_time", w.creation_time)
        .set_block("token", token);
    let tags = w
        .custom_tags
        .filter(|t| !t.is_empty())
        .map(|t| Dyn::Map(t.into_iter().map(|(k, v)| (k, Dyn::from(v))).collect()));
    o.set("custom_tags", tags.unwrap_or_default());
    o
}

const WORKSPACES: AccountObject<Workspace> = AccountObject {
    collection: "workspaces",
    id_attr: "workspace_id",
    what: "the workspace",
    state: |w| state(w, None),
};

fn tags(o: &Obj) -> Option<std::collections::BTreeMap<String, String>> {
    o.string_map("custom_tags").known()
}

/// Polls until the workspace is `RUNNING` (or has failed, or the timeout passed).
async fn wait_running(client: &Client, url: &str, diags: &mut Diagnostics) -> Option<Workspace> {
    let started = Instant::now();
    let mut delay = Duration::from_millis(50);
    loop {
        let w: Workspace = match client.get(url).await {
            Ok(w) => w,
            Err(e) => {
                report(diags, "read the workspace while it provisions", &e);
                return None;
            }
        };
        match w.workspace_status.as_str() {
            "RUNNING" => return Some(w),
            "FAILED" | "BANNED" | "CANCELLING" => {
                diags.error(
                    "Workspace provisioning failed",
                    format!("{}: {}", w.workspace_status, w.workspace_status_message),
                );
                return None;
            }
            _ if started.elapsed() > PROVISIONING_TIMEOUT => {
                diags.error(
                    "Workspace provisioning timed out",
                    format!(
                        "Still {} after {PROVISIONING_TIMEOUT:?}.",
                        w.workspace_status
                    ),
                );
                return None;
            }
            _ => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(2));
            }
        }
    }
}

/// Mints the bootstrap PAT of the `token {}` block inside the workspace.
async fn create_token(
    client: &Client,
    workspace_id: i64,
    block: &Obj,
    diags: &mut Diagnostics,
) -> Option<Obj> {
    let req = CreateTokenRequest {
        lifetime_seconds: block.int("lifetime_seconds").known(),
        comment: block.opt_str("comment"),
    };
    let url = format!("{}/token/create", client.workspace_base(Some(workspace_id)));
    match client.post::<_, CreateTokenResponse>(&url, &req).await {
        Ok(t) => {
            let mut o = block.clone();
            o.set("token_id", t.token_info.token_id)
                .set("token_value", t.token_value.0);
            Some(o)
        }
        Err(e) => {
            report(diags, "create the workspace token", &e);
            None
        }
    }
}

async fn revoke_token(client: &Client, workspace_id: i64, token_id: &str, diags: &mut Diagnostics) {
    let url = format!("{}/token/delete", client.workspace_base(Some(workspace_id)));
    let req = RevokeTokenRequest {
        token_id: token_id.to_owned(),
    };
    post_removal(client, &url, &req, "revoke the workspace token", diags).await;
}

/// Whether the bootstrap token named in state still exists.
async fn token_exists(client: &Client, workspace_id: i64, token_id: &str) -> bool {
    let url = format!("{}/token/list", client.workspace_base(Some(workspace_id)));
    match client
        .get::<ironbrick_api::tokens::ListTokensResponse>(&url)
        .await
    {
        Ok(list) => list.token_infos.iter().any(|t| t.token_id == token_id),
        Err(_) => true,
    }
}

#[async_trait]
impl Resource for MwsWorkspaces {
    fn type_name(&self) -> &'static str {
        "databricks_mws_workspaces"
    }

    fn schema(&self) -> Schema {
        let token = Block::new(
            "A bootstrap personal access token created in the workspace.",
            vec![
                Attr::optional("comment", Ty::String, "Token comment.").default("Terraform PAT"),
                Attr::optional("lifetime_seconds", Ty::Number, "Token lifetime in seconds.")
                    .default(DEFAULT_TOKEN_LIFETIME),
                Attr::computed("token_id", Ty::String, "Token id."),
                Attr::computed("token_value", Ty::String, "Token value.").sensitive(),
            ],
        );
        let s = |n, d| Attr::computed(n, Ty::String, d);
        Schema::new(
            Block::new(
                "A workspace.",
                vec![
                    Attr::computed("id", Ty::String, "`<account_id>/<workspace_id>`."),
                    Attr::optional_computed("account_id", Ty::String, "Account id (defaults to the provider's).").force_new(),
                    Attr::required("workspace_name", Ty::String, "Workspace name."),
                    Attr::optional_computed("deployment_name", Ty::String, "Deployment name.").force_new(),
                    Attr::optional_computed("aws_region", Ty::String, "AWS region.").force_new(),
                    Attr::optional("credentials_id", Ty::String, "Credential configuration id."),
                    Attr::optional("storage_configuration_id", Ty::String, "Storage configuration id."),
                    Attr::optional("network_id", Ty::String, "Network configuration id."),
                    Attr::optional("private_access_settings_id", Ty::String, "Private access settings id."),
                    Attr::optional("managed_services_customer_managed_key_id", Ty::String, "CMK for managed services (notebooks, secrets). Changing it replaces the workspace.").force_new(),
                    Attr::optional("storage_customer_managed_key_id", Ty::String, "CMK for workspace storage. Changing it replaces the workspace.").force_new(),
                    Attr::optional_computed("pricing_tier", Ty::String, "Pricing tier.").force_new(),
                    Attr::optional("custom_tags", Ty::map_of_strings(), "Tags."),
                    Attr::computed("workspace_id", Ty::Number, "Workspace id."),
                    s("workspace_url", "Workspace URL: the host of workspace-level API calls."),
                    s("workspace_status", "`RUNNING` once provisioned."),
                    s("workspace_status_message", "Status detail."),
                    s("cloud", "Always `aws`."),
                    Attr::computed("creation_time", Ty::Number, "Creation time (ms since the epoch)."),
                ],
            )
            .with_block(NestedBlock::single_list("token", token)),
        )
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check(
            config,
            "aws_region",
            Path::attr("aws_region"),
            diags,
            region,
        );
        if let Some(t) = config.block("token") {
            crate::validate::lifetime(
                &t,
                "lifetime_seconds",
                Path::attr("token").index(0).then("lifetime_seconds"),
                diags,
            );
        }
    }

    fn modify_plan(&self, req: &mut PlanRequest, _diags: &mut Diagnostics) {
        let Some(mut planned_token) = req.planned.block("token") else {
            return;
        };
        let prior_token = req.prior.as_ref().and_then(|p| p.block("token"));
        let same = prior_token.as_ref().is_some_and(|p| {
            p.get("comment") == planned_token.get("comment")
                && p.get("lifetime_seconds") == planned_token.get("lifetime_seconds")
                && p.opt_str("token_id").is_some()
        });
        if !same {
            planned_token
                .set("token_id", Dyn::Unknown)
                .set("token_value", Dyn::Unknown);
            req.planned.set_block("token", Some(planned_token));
        }
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = account(&self.0, &planned, diags)?;
        let req = CreateWorkspaceRequest {
            workspace_name: planned.str("workspace_name").to_owned(),
            aws_region: planned.opt_str("aws_region"),
            deployment_name: planned.opt_str("deployment_name"),
            credentials_id: planned.opt_str("credentials_id"),
            storage_configuration_id: planned.opt_str("storage_configuration_id"),
            network_id: planned.opt_str("network_id"),
            managed_services_customer_managed_key_id: planned
                .opt_str("managed_services_customer_managed_key_id"),
            storage_customer_managed_key_id: planned.opt_str("storage_customer_managed_key_id"),
            private_access_settings_id: planned.opt_str("private_access_settings_id"),
            pricing_tier: planned.opt_str("pricing_tier"),
            custom_tags: tags(&planned),
            ..CreateWorkspaceRequest::default()
        };
        let created: Workspace = match client.post(&format!("{base}/workspaces"), &req).await {
            Ok(w) => w,
            Err(e) => {
                report(diags, "create the workspace", &e);
                return None;
            }
        };
        let url = format!("{base}/workspaces/{}", created.workspace_id);
        let Some(w) = wait_running(&client, &url, diags).await else {
            return Some(state(created, None));
        };
        let token = match planned.block("token") {
            Some(b) => create_token(&client, w.workspace_id, &b, diags).await,
            None => None,
        };
        Some(state(w, token))
    }

    async fn read(&self, st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let w = match WORKSPACES.fetch(&self.0, &st, diags).await {
            Ok(found) => found?,
            Err(()) => return Some(st),
        };
        let (client, _) = account(&self.0, &st, diags)?;
        let mut token = st.block("token");
        if let Some(t) = token.as_mut() {
            let id = t.str("token_id").to_owned();
            if !id.is_empty() && !token_exists(&client, w.workspace_id, &id).await {
                t.set("token_id", Dyn::Null).set("token_value", Dyn::Null);
            }
        }
        Some(state(w, token))
    }

    async fn update(&self, prior: Obj, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = account(&self.0, &planned, diags)?;
        let changed = |name: &str| prior.get(name) != planned.get(name);
        let pick = |name: &str| changed(name).then(|| planned.opt_str(name)).flatten();
        let req = UpdateWorkspaceRequest {
            workspace_name: pick("workspace_name"),
            credentials_id: pick("credentials_id"),
            storage_configuration_id: pick("storage_configuration_id"),
            network_id: pick("network_id"),
            private_access_settings_id: pick("private_access_settings_id"),
            custom_tags: changed("custom_tags").then(|| tags(&planned).unwrap_or_default()),
            ..UpdateWorkspaceRequest::default()
        };
        let url = WORKSPACES.url(&base, &prior);
        if req != UpdateWorkspaceRequest::default() {
            if let Err(e) = client.patch::<_, serde_json::Value>(&url, &req).await {
                report(diags, "update the workspace", &e);
                return None;
            }
        }
        let w = wait_running(&client, &url, diags).await?;
        let prior_token = prior.block("token");
        let mut token = planned.block("token");
        let replace_token = token
            .as_ref()
            .is_none_or(|t| t.get("token_id").is_unknown());
        if replace_token {
            if let Some(old) = prior_token.as_ref().and_then(|t| t.opt_str("token_id")) {
                revoke_token(&client, w.workspace_id, &old, diags).await;
            }
            if let Some(b) = token.take() {
                token = create_token(&client, w.workspace_id, &b, diags).await;
            }
        }
        Some(state(w, token))
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        WORKSPACES.delete(&self.0, &st, diags).await;
    }

    fn import(&self, id: &str, diags: &mut Diagnostics) -> Option<Obj> {
        let (acct, wid) = split_account_id(id);
        let Ok(wid) = wid.parse::<i64>() else {
            diags.error(
                "Invalid import id",
                format!("{id:?} is not <account_id>/<workspace_id>."),
            );
            return None;
        };
        let mut o = Obj::new();
        o.set("account_id", acct).set("workspace_id", wid);
        Some(o)
    }
}
