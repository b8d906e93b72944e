//! What the identity types (users, groups, service principals, memberships, entitlements)
//! share: where their SCIM API is (account or workspace), the `api` argument that overrides
//! that choice, the entitlement booleans, and the SCIM calls they all make.
//!
//! The level follows the official provider: `api = "account"` or `"workspace"` when set; else
//! a workspace named by `provider_config` (or the provider's `workspace_id`) means the
//! workspace API; else an account-level provider ([`Conn::account_level`]) means the account
//! API (`/api/2.0/accounts/{account_id}/scim/v2`), and a workspace host the workspace API
//! (`{workspace_url}/api/2.0/preview/scim/v2`).

use crate::common::{account, own_workspace, report, workspace, workspace_id_of, Conn};
use crate::validate::{check, one_of};
use ironbrick_api::client::{Client, ClientError};
use ironbrick_api::error::ErrorCode;
use ironbrick_api::scim::{
    ComplexValue, ListResponse, PatchOp, PatchOperation, PatchRequest, PATCH_OP_SCHEMA,
};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use tf_framework::{Attr, Block, Diagnostics, Obj, Path, Ty, Value};

/// Where an identity object lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The account SCIM API.
    Account,
    /// The workspace SCIM API (of the workspace [`workspace_id_of`] names, else the host's).
    Workspace,
}

/// The values of `api`.
const API_LEVELS: [&str; 2] = ["account", "workspace"];

/// The `api` argument of the account-or-workspace types.
pub fn api_attr() -> Attr {
    Attr::optional(
        "api",
        Ty::String,
        "`account` or `workspace`: which SCIM API manages the object. When unset, a workspace \
         named in `provider_config` (or the provider's `workspace_id`) means the workspace, \
         else an account-level provider means the account.",
    )
}

/// Adds `api`, `provider_config` and the deprecated top-level `workspace_id` to the block of an
/// account-or-workspace type.
pub fn dual_scoped(mut block: Block) -> Block {
    block.attrs.push(api_attr());
    crate::common::workspace_scoped(block)
}

/// Plan-time check of `api`.
pub fn check_api(config: &Obj, diags: &mut Diagnostics) {
    check(config, "api", Path::attr("api"), diags, one_of(&API_LEVELS));
}

/// The level an object uses (see the module docs).
pub fn level(conn: &Conn, o: &Obj) -> Level {
    match o.opt_str("api").as_deref() {
        Some("account") => return Level::Account,
        Some("workspace") => return Level::Workspace,
        _ => {}
    }
    if own_workspace(o).is_some() {
        return Level::Workspace;
    }
    if conn.account_level() {
        Level::Account
    } else {
        Level::Workspace
    }
}

/// A SCIM API to call: the client, the base URL (ending in `/scim/v2`) and its level.
pub struct Scim {
    pub client: Client,
    pub base: String,
    pub level: Level,
    /// The workspace API base (`.../api/2.0`) at workspace level.
    pub workspace_base: Option<String>,
    /// The URL people open for this API's workspace or account.
    pub site: String,
}

impl Scim {
    /// The SCIM API for `o`, or `None` (reported) when the provider cannot reach it.
    pub fn of(conn: &Arc<Conn>, o: &Obj, diags: &mut Diagnostics) -> Option<Scim> {
        Self::at(conn, o, level(conn, o), diags)
    }

    /// The SCIM API of `level` for `o`.
    pub fn at(conn: &Arc<Conn>, o: &Obj, level: Level, diags: &mut Diagnostics) -> Option<Scim> {
        match level {
            Level::Account => {
                let (client, base) = account(conn, o, diags)?;
                let site = client.host().to_owned();
                Some(Scim {
                    client,
                    base: format!("{base}/scim/v2"),
                    level: Level::Account,
                    workspace_base: None,
                    site,
                })
            }
            Level::Workspace => {
                let (client, base) = workspace(conn, o, diags)?;
                let site = match workspace_id_of(conn, o) {
                    Ok(Some(ws)) => client.workspace_url(ws),
                    _ => client.host().to_owned(),
                };
                Some(Scim {
                    client,
                    base: format!("{base}/preview/scim/v2"),
                    level: Level::Workspace,
                    workspace_base: Some(base),
                    site,
                })
            }
        }
    }

    /// Whether this is the account API.
    pub fn is_account(&self) -> bool {
        self.level == Level::Account
    }

    /// `GET {base}/{collection}/{id}`: `Ok(None)` when it is gone.
    pub async fn get<T: DeserializeOwned>(
        &self,
        collection: &str,
        id: &str,
        what: &str,
        diags: &mut Diagnostics,
    ) -> Result<Option<T>, ()> {
        crate::common::get_opt(
            &self.client,
            &format!("{}/{collection}/{id}", self.base),
            what,
            diags,
        )
        .await
    }

    /// The objects of `collection` matching a SCIM `filter`.
    pub async fn filter<T: DeserializeOwned + Default>(
        &self,
        collection: &str,
        filter: &str,
    ) -> Result<Vec<T>, ClientError> {
        let url = format!("{}/{collection}", self.base);
        let list: ListResponse<T> = self
            .client
            .get_query(&url, &[("filter", filter), ("excludedAttributes", "roles")])
            .await?;
        Ok(list.resources)
    }

    /// `PATCH {base}/{collection}/{id}` with `operations`.
    pub async fn patch(
        &self,
        collection: &str,
        id: &str,
        operations: Vec<PatchOperation>,
    ) -> Result<(), ClientError> {
        let body = PatchRequest {
            schemas: vec![PATCH_OP_SCHEMA.to_owned()],
            operations,
        };
        let url = format!("{}/{collection}/{id}", self.base);
        self.client
            .patch::<_, serde_json::Value>(&url, &body)
            .await
            .map(drop)
    }

    /// Deletes `/Users/<name>` and `/Repos/<name>` folders as `force_delete_home_dir` and
    /// `force_delete_repos` ask (workspace level only; a folder already gone is fine).
    pub async fn delete_folders(&self, o: &Obj, name: &str, diags: &mut Diagnostics) {
        let Some(base) = &self.workspace_base else {
            return;
        };
        for (flag, root) in [
            ("force_delete_repos", "/Repos"),
            ("force_delete_home_dir", "/Users"),
        ] {
            if o.bool(flag).known() != Some(true) {
                continue;
            }
            let req = ironbrick_api::workspace_objects::DeleteRequest {
                path: format!("{root}/{name}"),
                recursive: Some(true),
            };
            crate::common::post_removal(
                &self.client,
                &format!("{base}/workspace/delete"),
                &req,
                &format!("delete {root}/{name} ({flag})"),
                diags,
            )
            .await;
        }
    }

    /// Removes a user or service principal as `disable_as_user_deletion` asks: deactivates it
    /// (the default at account level) or deletes it, then deletes its folders when asked.
    pub async fn remove_principal(
        &self,
        collection: &str,
        st: &Obj,
        name: &str,
        what: &str,
        diags: &mut Diagnostics,
    ) {
        let disable = st
            .bool("disable_as_user_deletion")
            .known()
            .unwrap_or(self.is_account());
        if !self.is_account() && disable {
            for flag in ["force_delete_repos", "force_delete_home_dir"] {
                if st.bool(flag).known() == Some(true) {
                    diags.error_at(
                        Path::attr(flag),
                        format!("Cannot {flag}"),
                        format!("{flag}: cannot force delete if disable_as_user_deletion is set"),
                    );
                    return;
                }
            }
        }
        let id = st.str("id");
        let done = if disable {
            self.patch(
                collection,
                id,
                vec![PatchOperation {
                    op: PatchOp::Replace,
                    path: Some("active".to_owned()),
                    value: Some(serde_json::Value::Bool(false)),
                }],
            )
            .await
        } else {
            self.client
                .delete(&format!("{}/{collection}/{id}", self.base))
                .await
        };
        match done {
            Ok(()) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => {
                let action = if disable { "deactivate" } else { "delete" };
                report(diags, &format!("{action} {what}"), &e);
                return;
            }
        }
        if !disable {
            self.delete_folders(st, name, diags).await;
        }
    }
}

/// Whether an error says the object already exists (the case `force` adopts).
pub fn already_exists(e: &ClientError) -> bool {
    match e {
        ClientError::Api {
            status, message, ..
        } => {
            e.code() == Some(ErrorCode::ResourceAlreadyExists)
                || *status == 409
                || message.to_ascii_lowercase().contains("already exists")
        }
        _ => false,
    }
}

/// A SCIM filter comparing `attr` with `value` (quotes in the value are escaped).
pub fn eq_filter(attr: &str, value: &str) -> String {
    format!(
        "{attr} eq \"{}\"",
        value.replace('\\', "\\\\").replace('"', "\\\"")
    )
}

/// SCIM entitlement ↔ argument, in the official provider's order.
pub const ENTITLEMENTS: [(&str, &str); 5] = [
    ("allow-cluster-create", "allow_cluster_create"),
    ("allow-instance-pool-create", "allow_instance_pool_create"),
    ("databricks-sql-access", "databricks_sql_access"),
    ("workspace-access", "workspace_access"),
    ("workspace-consume", "workspace_consume"),
];

/// The entitlement booleans (default false), as the official provider declares them.
pub fn entitlement_attrs() -> Vec<Attr> {
    vec![
        Attr::optional(
            "allow_cluster_create",
            Ty::Bool,
            "Allowed to create clusters (`allow-cluster-create`).",
        )
        .default(false),
        Attr::optional(
            "allow_instance_pool_create",
            Ty::Bool,
            "Allowed to create instance pools (`allow-instance-pool-create`).",
        )
        .default(false),
        Attr::optional(
            "databricks_sql_access",
            Ty::Bool,
            "Access to Databricks SQL (`databricks-sql-access`).",
        )
        .default(false),
        Attr::optional(
            "workspace_access",
            Ty::Bool,
            "Access to the workspace (`workspace-access`).",
        )
        .default(false),
        Attr::optional(
            "workspace_consume",
            Ty::Bool,
            "Consumer access (`workspace-consume`); not offered by Ironbrick, so it must stay \
             false.",
        )
        .default(false),
    ]
}

/// Plan-time checks of the entitlement booleans: `workspace_consume` conflicts with
/// `workspace_access` and `databricks_sql_access` (as upstream) and is not offered here.
pub fn check_entitlements(config: &Obj, diags: &mut Diagnostics) {
    if config.bool("workspace_consume").known() == Some(true) {
        diags.error_at(
            Path::attr("workspace_consume"),
            "workspace_consume is not supported",
            "Ironbrick offers the entitlements workspace-access, allow-cluster-create, \
             databricks-sql-access and allow-instance-pool-create; remove workspace_consume or \
             set it to false.",
        );
    }
}

/// The entitlements an object's booleans grant.
pub fn entitlements_of(o: &Obj) -> Vec<ComplexValue> {
    ENTITLEMENTS
        .iter()
        .filter(|(_, attr)| o.bool(attr).known() == Some(true))
        .map(|(value, _)| ComplexValue::value(*value))
        .collect()
}

/// Sets every entitlement boolean from what the API answered.
pub fn set_entitlements(o: &mut Obj, granted: &[ComplexValue]) {
    for (value, attr) in ENTITLEMENTS {
        let has = granted.iter().any(|g| g.value.as_deref() == Some(value));
        o.set(attr, has);
    }
}

/// Refuses entitlements at account level: they belong to a workspace.
pub fn refuse_account_entitlements(scim: &Scim, o: &Obj, diags: &mut Diagnostics) -> bool {
    if scim.is_account() && !entitlements_of(o).is_empty() {
        diags.error(
            "Entitlements need a workspace",
            "Entitlements (workspace_access, allow_cluster_create, databricks_sql_access, \
             allow_instance_pool_create) are granted in a workspace: manage this object with \
             provider_config { workspace_id = ... }, or grant them with databricks_entitlements.",
        );
        return true;
    }
    false
}

/// A string attribute as written in the configuration, else `None` (unknown or unset).
pub fn configured(o: &Obj, name: &str) -> Option<String> {
    match o.string(name) {
        Value::Known(s) if !s.is_empty() => Some(s),
        _ => None,
    }
}

/// Keeps `state`'s spelling of a name the API answers in another case (user names compare
/// without regard to case, as upstream).
pub fn same_name(state: Option<String>, answered: String) -> String {
    match state {
        Some(s) if s.eq_ignore_ascii_case(&answered) => s,
        _ => answered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(pairs: &[(&str, &str)]) -> Obj {
        let mut o = Obj::new();
        for (k, v) in pairs {
            o.set(k, *v);
        }
        o
    }

    #[test]
    fn level_follows_api_then_provider_config_then_the_provider() {
        let account = Conn::with_settings("http://127.0.0.1:1", Some("acc"), None);
        let ws_host = Conn::with_settings("http://127.0.0.1:1/w/5", Some("acc"), None);
        let ws_default = Conn::with_settings("http://127.0.0.1:1", Some("acc"), Some("5"));
        let no_account = Conn::with_settings("http://127.0.0.1:1", None, None);
        let plain = Obj::new();
        assert_eq!(level(&account, &plain), Level::Account);
        assert_eq!(level(&ws_host, &plain), Level::Workspace);
        assert_eq!(level(&ws_default, &plain), Level::Workspace);
        assert_eq!(level(&no_account, &plain), Level::Workspace);
        let mut pc = Obj::new();
        pc.set_block("provider_config", Some(obj(&[("workspace_id", "7")])));
        assert_eq!(level(&account, &pc), Level::Workspace);
        pc.set("api", "account");
        assert_eq!(level(&account, &pc), Level::Account);
        assert_eq!(
            level(&account, &obj(&[("api", "workspace")])),
            Level::Workspace
        );
        assert_eq!(level(&ws_host, &obj(&[("api", "account")])), Level::Account);
    }

    #[test]
    fn entitlements_map_both_ways() {
        let mut o = Obj::new();
        o.set("allow_cluster_create", true)
            .set("workspace_access", true)
            .set("databricks_sql_access", false);
        let e = entitlements_of(&o);
        assert_eq!(
            e,
            vec![
                ComplexValue::value("allow-cluster-create"),
                ComplexValue::value("workspace-access")
            ]
        );
        let mut back = Obj::new();
        set_entitlements(&mut back, &[ComplexValue::value("databricks-sql-access")]);
        assert_eq!(back.bool("databricks_sql_access").known(), Some(true));
        assert_eq!(back.bool("workspace_access").known(), Some(false));
        assert_eq!(back.bool("workspace_consume").known(), Some(false));
        let mut diags = Diagnostics::default();
        let mut consume = Obj::new();
        consume.set("workspace_consume", true);
        check_entitlements(&consume, &mut diags);
        assert!(diags.has_errors());
        let mut diags = Diagnostics::default();
        check_api(&obj(&[("api", "accounts")]), &mut diags);
        assert!(diags.has_errors());
    }

    #[test]
    fn filters_escape_quotes_and_names_keep_their_case() {
        assert_eq!(eq_filter("userName", "a\"b@x"), "userName eq \"a\\\"b@x\"");
        assert_eq!(
            same_name(Some("Ann@X.com".into()), "ann@x.com".into()),
            "Ann@X.com"
        );
        assert_eq!(same_name(Some("bob".into()), "ann".into()), "ann");
        let e = ClientError::Api {
            status: 409,
            code: Some(ErrorCode::ResourceAlreadyExists),
            message: "User with username a already exists.".into(),
        };
        assert!(already_exists(&e));
        let e = ClientError::Api {
            status: 400,
            code: Some(ErrorCode::InvalidParameterValue),
            message: "bad".into(),
        };
        assert!(!already_exists(&e));
    }
}
