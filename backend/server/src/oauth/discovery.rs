//! Discovery: where the SDKs find the token endpoint.
//!
//! The SDK reads `oidc_endpoint` from `{host}/.well-known/databricks-config`, appends
//! `/.well-known/oauth-authorization-server` and reads `token_endpoint` there. A workspace's
//! OIDC root is `{workspace_url}/oidc`; the account's is `{public_url}/oidc/accounts/{id}`.

use super::ALL_APIS;
use crate::error::{ApiError, ApiResult};
use crate::model::WorkspaceRecord;
use crate::repo::{self, trees, ws_key};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::Json;
use ironbrick_api::oauth::AuthorizationServerMetadata;

/// The OIDC root of the account.
pub fn account_root(state: &AppState) -> String {
    format!(
        "{}/oidc/accounts/{}",
        state.settings().public_url,
        state.account_id()
    )
}

/// The OIDC root of workspace `ws`: under its workspace URL, or the path form when it does
/// not exist (the host metadata answers for any id).
pub fn workspace_root(state: &AppState, ws: &str) -> ApiResult<String> {
    let record = match ws.parse::<i64>() {
        Ok(id) => repo::get::<WorkspaceRecord>(state.store(), trees::WORKSPACES, &ws_key(id))?,
        Err(_) => None,
    };
    Ok(match record {
        Some(w) => format!("{}/oidc", state.workspace_url(&w)),
        None => format!("{}/w/{ws}/oidc", state.settings().public_url),
    })
}

fn metadata(root: String) -> AuthorizationServerMetadata {
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    AuthorizationServerMetadata {
        authorization_endpoint: format!("{root}/v1/authorize"),
        token_endpoint: format!("{root}/v1/token"),
        issuer: root,
        grant_types_supported: strings(&["client_credentials"]),
        scopes_supported: strings(&[ALL_APIS]),
        token_endpoint_auth_methods_supported: strings(&[
            "client_secret_basic",
            "client_secret_post",
        ]),
        response_types_supported: strings(&["code"]),
    }
}

/// `GET {workspace_url}/oidc/.well-known/oauth-authorization-server`.
pub async fn workspace(
    State(state): State<AppState>,
    Path(ws): Path<String>,
) -> ApiResult<Json<AuthorizationServerMetadata>> {
    let id = ws
        .parse::<i64>()
        .map_err(|_| ApiError::not_found(format!("Workspace {ws} does not exist.")))?;
    let w: WorkspaceRecord = repo::get(state.store(), trees::WORKSPACES, &ws_key(id))?
        .ok_or_else(|| ApiError::not_found(format!("Workspace {ws} does not exist.")))?;
    Ok(Json(metadata(format!("{}/oidc", state.workspace_url(&w)))))
}

/// `GET {host}/oidc/accounts/{account_id}/.well-known/oauth-authorization-server`.
pub async fn account(
    State(state): State<AppState>,
    Path(account_id): Path<String>,
) -> ApiResult<Json<AuthorizationServerMetadata>> {
    if account_id != state.account_id() {
        return Err(ApiError::not_found(format!(
            "Account {account_id} does not exist."
        )));
    }
    Ok(Json(metadata(account_root(&state))))
}
