//! `databricks_mws_workspaces`: a workspace, created and waited for until it reaches the
//! expected status (`RUNNING` unless `expected_workspace_status` says `PROVISIONING`), with the
//! optional `token {}` block that mints a bootstrap PAT in it. The customer-managed key ids are
//! fixed at creation: changing either plans a replacement. `timeouts { create, read, update }`
//! bound the waits (20 minutes each by default, as upstream). GCP arguments are refused at plan
//! time.

mod schema;
mod state;

use crate::account_object::AccountObject;
use crate::common::{account, post_removal, report, split_account_id, Conn};
use ironbrick_api::account::{
    CreateWorkspaceRequest, ExternalCustomerInfo, UpdateWorkspaceRequest, Workspace,
};
use ironbrick_api::client::Client;
use ironbrick_api::tokens::{CreateTokenRequest, CreateTokenResponse, RevokeTokenRequest};
use state::state;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tf_framework::{async_trait, Diagnostics, Dyn, Obj, PlanRequest, Resource, Schema};

pub struct MwsWorkspaces(pub Arc<Conn>);

/// How long create, read and update wait for a workspace by default (upstream's
/// `DefaultProvisionTimeout`).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20 * 60);

const WORKSPACES: AccountObject<Workspace> = AccountObject {
    collection: "workspaces",
    id_attr: "workspace_id",
    what: "the workspace",
    state: |w| state(w, None, None),
};

fn tags(o: &Obj) -> Option<std::collections::BTreeMap<String, String>> {
    o.string_map("custom_tags").known()
}

/// The status an operation waits for: the configured `expected_workspace_status`, else RUNNING.
fn expected(o: &Obj) -> String {
    o.opt_str("expected_workspace_status")
        .unwrap_or_else(|| "RUNNING".to_owned())
}

/// Polls until the workspace reaches `status` (RUNNING also satisfies PROVISIONING), fails,
/// or `timeout` passes.
async fn wait_for(
    client: &Client,
    url: &str,
    status: &str,
    timeout: Duration,
    diags: &mut Diagnostics,
) -> Option<Workspace> {
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
        let now = w.workspace_status.as_str();
        if now == status || now == "RUNNING" {
            return Some(w);
        }
        if matches!(now, "FAILED" | "BANNED" | "CANCELLING" | "CANCELLED") {
            diags.error(
                "Workspace provisioning failed",
                format!("{}: {}", w.workspace_status, w.workspace_status_message),
            );
            return None;
        }
        if started.elapsed() >= timeout {
            diags.error(
                "Workspace provisioning timed out",
                format!(
                    "Still {now} after {timeout:?}, waiting for {status} (raise timeouts to wait longer)."
                ),
            );
            return None;
        }
        let left = timeout.saturating_sub(started.elapsed());
        tokio::time::sleep(delay.min(left)).await;
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}

fn customer_info(o: &Obj) -> Option<ExternalCustomerInfo> {
    o.block("external_customer_info")
        .map(|b| ExternalCustomerInfo {
            customer_name: b.str("customer_name").to_owned(),
            authoritative_user_email: b.str("authoritative_user_email").to_owned(),
            authoritative_user_full_name: b.str("authoritative_user_full_name").to_owned(),
        })
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
        schema::schema()
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        schema::validate(config, diags);
    }

    fn modify_plan(&self, req: &mut PlanRequest, _diags: &mut Diagnostics) {
        if let Some(prior) = &req.prior {
            if prior.get("expected_workspace_status")
                != req.planned.get("expected_workspace_status")
            {
                req.planned
                    .set("workspace_status", Dyn::Unknown)
                    .set("workspace_status_message", Dyn::Unknown);
            }
        }
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
                .opt_str("managed_services_customer_managed_key_id")
                .or_else(|| planned.opt_str("customer_managed_key_id")),
            storage_customer_managed_key_id: planned.opt_str("storage_customer_managed_key_id"),
            private_access_settings_id: planned.opt_str("private_access_settings_id"),
            pricing_tier: planned
                .opt_str("pricing_tier")
                .map(|p| p.to_ascii_uppercase()),
            custom_tags: tags(&planned),
            compute_mode: planned.opt_str("compute_mode"),
            is_no_public_ip_enabled: planned.bool("is_no_public_ip_enabled").known(),
            network_connectivity_config_id: planned.opt_str("network_connectivity_config_id"),
            expected_workspace_status: planned.opt_str("expected_workspace_status"),
            external_customer_info: customer_info(&planned),
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
        let timeout = crate::timeouts::get(&planned, "create", DEFAULT_TIMEOUT);
        let Some(w) = wait_for(&client, &url, &expected(&planned), timeout, diags).await else {
            return Some(state(created, None, Some(&planned)));
        };
        let token = match planned.block("token") {
            Some(b) => create_token(&client, w.workspace_id, &b, diags).await,
            None => None,
        };
        Some(state(w, token, Some(&planned)))
    }

    async fn read(&self, st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let mut w = match WORKSPACES.fetch(&self.0, &st, diags).await {
            Ok(found) => found?,
            Err(()) => return Some(st),
        };
        let (client, base) = account(&self.0, &st, diags)?;
        // a refresh waits for a workspace still provisioning towards the expected status, as
        // upstream does (not after an import: nothing says what to expect yet)
        let imported = st.get("workspace_status").is_null();
        if !imported && w.workspace_status == "PROVISIONING" && expected(&st) == "RUNNING" {
            let url = format!("{base}/workspaces/{}", w.workspace_id);
            let timeout = crate::timeouts::get(&st, "read", DEFAULT_TIMEOUT);
            w = wait_for(&client, &url, "RUNNING", timeout, diags).await?;
        }
        let mut token = st.block("token");
        if let Some(t) = token.as_mut() {
            let id = t.str("token_id").to_owned();
            if !id.is_empty() && !token_exists(&client, w.workspace_id, &id).await {
                t.set("token_id", Dyn::Null).set("token_value", Dyn::Null);
            }
        }
        Some(state(w, token, Some(&st)))
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
            network_connectivity_config_id: pick("network_connectivity_config_id"),
            expected_workspace_status: changed("expected_workspace_status")
                .then(|| expected(&planned)),
            ..UpdateWorkspaceRequest::default()
        };
        let url = WORKSPACES.url(&base, &prior);
        if req != UpdateWorkspaceRequest::default() {
            if let Err(e) = client.patch::<_, serde_json::Value>(&url, &req).await {
                report(diags, "update the workspace", &e);
                return None;
            }
        }
        let timeout = crate::timeouts::get(&planned, "update", DEFAULT_TIMEOUT);
        let w = wait_for(&client, &url, &expected(&planned), timeout, diags).await?;
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
        Some(state(w, token, Some(&planned)))
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
