//! `databricks_service_principal_secret`: an OAuth secret of a service principal, through the
//! account API (`/accounts/{id}/servicePrincipals/{sp}/credentials/secrets`) or the workspace
//! proxy (`{workspace_url}/api/2.0/accounts/servicePrincipals/{sp}/credentials/secrets`).
//!
//! The value is returned once, at creation, and kept in state (sensitive). A secret that has
//! expired or was deleted outside Terraform drops out of state, so the next apply creates a new
//! one, as the official provider does. There is no import: a secret's value cannot be read back.

use crate::common::{get_opt, report, Conn};
use crate::scim::{check_api, dual_scoped, level, Level};
use crate::validate::check;
use ironbrick_api::client::Client;
use ironbrick_api::oauth::{
    CreateServicePrincipalSecretRequest, CreateServicePrincipalSecretResponse,
    ListServicePrincipalSecretsResponse, SecretInfo,
};
use std::sync::Arc;
use tf_framework::{async_trait, Attr, Block, Diagnostics, Obj, Path, Resource, Schema, Ty};

pub struct ServicePrincipalSecret(pub Arc<Conn>);

impl ServicePrincipalSecret {
    /// The client and the secrets collection URL of the object's service principal.
    fn collection(&self, o: &Obj, diags: &mut Diagnostics) -> Option<(Client, String)> {
        let sp = o.str("service_principal_id").to_owned();
        let (client, base) = match level(&self.0, o) {
            Level::Account => crate::common::account(&self.0, o, diags)?,
            Level::Workspace => {
                let (client, base) = crate::common::workspace(&self.0, o, diags)?;
                (client, format!("{base}/accounts"))
            }
        };
        Some((
            client,
            format!("{base}/servicePrincipals/{sp}/credentials/secrets"),
        ))
    }
}

fn set_info(o: &mut Obj, info: SecretInfo) {
    o.set("id", info.id)
        .set("secret_hash", info.secret_hash)
        .set("status", info.status)
        .set("create_time", info.create_time)
        .set("update_time", info.update_time)
        .set("expire_time", info.expire_time.unwrap_or_default());
}

/// The server's default lifetime (730 days), recorded when the configuration sets none.
const DEFAULT_LIFETIME: &str = "63072000s";

/// Plan-time check of `lifetime`: a whole number of seconds, written `NNNNs`.
fn lifetime_ok(v: &str) -> Result<(), String> {
    let digits = v.strip_suffix('s').unwrap_or(v);
    match digits.parse::<u64>() {
        Ok(n) if n > 0 => Ok(()),
        _ => Err(format!(
            "{v:?} is not a lifetime in seconds such as \"3600s\" (at most 730 days, \"63072000s\")."
        )),
    }
}

#[async_trait]
impl Resource for ServicePrincipalSecret {
    fn type_name(&self) -> &'static str {
        "databricks_service_principal_secret"
    }

    fn schema(&self) -> Schema {
        Schema::new(dual_scoped(Block::new(
            "An OAuth secret of a service principal, for OAuth machine-to-machine authentication \
             (`client_id` = its application id, `client_secret` = `secret`).",
            vec![
                Attr::optional_computed("id", Ty::String, "Id of the secret."),
                Attr::required(
                    "service_principal_id",
                    Ty::String,
                    "SCIM id of the service principal (not its application id).",
                )
                .force_new(),
                Attr::optional_computed(
                    "lifetime",
                    Ty::String,
                    "Lifetime in seconds, as `NNNNs`. Default: 730 days (`63072000s`). An \
                     expired secret is created again by the next apply.",
                )
                .force_new(),
                Attr::optional(
                    "time_rotating",
                    Ty::String,
                    "Any value; changing it creates a new secret (for example from a \
                     `time_rotating` resource).",
                )
                .force_new(),
                Attr::optional_computed("secret", Ty::String, "The secret (shown once).")
                    .sensitive(),
                Attr::optional_computed("secret_hash", Ty::String, "SHA-256 of the secret, hex."),
                Attr::optional_computed("status", Ty::String, "`ACTIVE` or `EXPIRED`."),
                Attr::optional_computed("create_time", Ty::String, "Creation time (RFC 3339)."),
                Attr::optional_computed("update_time", Ty::String, "Update time (RFC 3339)."),
                Attr::optional_computed("expire_time", Ty::String, "Expiry time (RFC 3339)."),
            ],
        )))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check_api(config, diags);
        crate::common::check_workspace_id(config, diags);
        check(
            config,
            "lifetime",
            Path::attr("lifetime"),
            diags,
            lifetime_ok,
        );
        check(
            config,
            "service_principal_id",
            Path::attr("service_principal_id"),
            diags,
            |v| match v.parse::<i64>() {
                Ok(n) if n > 0 => Ok(()),
                _ => Err(format!(
                    "{v:?} is not the SCIM id of a service principal (use \
                     databricks_service_principal.<name>.id, not its application_id)."
                )),
            },
        );
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, url) = self.collection(&planned, diags)?;
        let req = CreateServicePrincipalSecretRequest {
            lifetime: planned.opt_str("lifetime"),
            scopes: None,
        };
        match client
            .post::<_, CreateServicePrincipalSecretResponse>(&url, &req)
            .await
        {
            Ok(created) => {
                let mut o = planned;
                o.set("secret", created.secret.0);
                if o.opt_str("lifetime").is_none() {
                    o.set("lifetime", DEFAULT_LIFETIME);
                }
                set_info(&mut o, created.info);
                Some(o)
            }
            Err(e) => {
                report(diags, "create the service principal secret", &e);
                None
            }
        }
    }

    async fn read(&self, mut st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, url) = self.collection(&st, diags)?;
        let listed: Option<ListServicePrincipalSecretsResponse> =
            match get_opt(&client, &url, "the service principal", diags).await {
                Ok(l) => l,
                Err(()) => return Some(st),
            };
        let id = st.str("id").to_owned();
        let info = listed?.secrets.into_iter().find(|s| s.id == id)?;
        if info.status == "EXPIRED" {
            return None;
        }
        set_info(&mut st, info);
        Some(st)
    }

    async fn update(&self, _prior: Obj, planned: Obj, _diags: &mut Diagnostics) -> Option<Obj> {
        Some(planned)
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        if let Some((client, url)) = self.collection(&st, diags) {
            let url = format!("{url}/{}", st.str("id"));
            crate::common::delete_url(&client, &url, "the service principal secret", diags).await;
        }
    }

    fn import(&self, _id: &str, diags: &mut Diagnostics) -> Option<Obj> {
        diags.error(
            "databricks_service_principal_secret cannot be imported",
            "A secret's value is shown only once, when it is created; create a new secret \
             instead (and delete the old one).",
        );
        None
    }
}
