//! OAuth machine-to-machine authentication of service principals (the `client_credentials`
//! grant), as the Databricks SDKs and the Terraform provider use it.
//!
//! - [`secrets`]: OAuth secrets of service principals, managed through
//!   `/api/2.0/accounts/{account_id}/servicePrincipals/{id}/credentials/secrets` (account
//!   admins) and its workspace proxy `{workspace_url}/api/2.0/accounts/servicePrincipals/...`
//!   (workspace admins, for principals of that workspace); see [`manage`].
//! - [`token`]: the token endpoints `{workspace_url}/oidc/v1/token` and
//!   `{host}/oidc/accounts/{account_id}/v1/token`.
//! - [`discovery`]: `oidc_endpoint` in `/.well-known/databricks-config` and the
//!   `/.well-known/oauth-authorization-server` documents the SDKs read to find the token
//!   endpoint.
//!
//! # Access tokens are opaque, not JWTs
//!
//! An access token is a random value (`doa_` + 64 hex digits) whose SHA-256 digest is stored
//! as a [`TokenRecord`](crate::model::TokenRecord) like a personal access token, with
//! [`OAuthGrant`](crate::model::OAuthGrant) naming the service principal and the secret it
//! was issued for. It lives 1 hour (`--oauth-token-ttl`, hidden, for tests). Why not a signed
//! JWT:
//! - **Revocation is immediate.** Authenticating an OAuth token reads its secret (one point
//!   read): deleting the secret ends every token issued for it at once. The owner is resolved
//!   on every request anyway ([`crate::identity::subject::resolve`]), so a deactivated or
//!   deleted service principal stops at once too. A JWT would stay valid until it expires
//!   unless every request consulted a revocation list, which is the same lookup plus a
//!   signing key to guard and rotate.
//! - **One lookup path.** Bearer tokens of every kind go through [`crate::tokens::authenticate`]
//!   and the same admission rules (scope, workspace, IP access lists, token permissions).
//! - Nothing outside this server needs to verify tokens offline, which is what JWTs buy.
//!
//! OAuth tokens are stored under `oauth/{service_principal_id}/{token_id}`, outside the key
//! ranges of token scopes, so `/token/list` and token management never list them and cannot
//! revoke them. An expired one (or one whose secret is gone) is deleted when presented, and
//! each new token for a service principal sweeps that principal's expired ones.

pub mod discovery;
pub mod manage;
pub mod secrets;
pub mod token;

use crate::error::{ApiError, ApiResult};
use crate::model::OAuthGrant;
use crate::state::AppState;
use crate::time::now_ms;
use axum::routing::{get, post};
use axum::Router;
use ironbrick_store::Store;

/// The only OAuth scope: every API the principal may call.
pub const ALL_APIS: &str = "all-apis";

/// The key of OAuth access token `token_id` of service principal `sp` in
/// [`crate::repo::trees::TOKENS`].
pub fn access_token_key(sp: i64, token_id: &str) -> String {
    format!("{}{token_id}", access_token_prefix(sp))
}

/// The key prefix of the OAuth access tokens of `sp`.
pub fn access_token_prefix(sp: i64) -> String {
    format!("oauth/{sp:020}/")
}

/// Checks that the secret an OAuth access token was issued for still exists and has not
/// expired (one point read).
pub fn check_grant(store: &Store, grant: &OAuthGrant) -> ApiResult<()> {
    match secrets::get(store, grant.service_principal_id, &grant.secret_id)? {
        Some(s) if !s.expired_at(now_ms()) => Ok(()),
        Some(_) => Err(ApiError::unauthenticated(
            "The OAuth secret this access token was issued for has expired.",
        )),
        None => Err(ApiError::unauthenticated(
            "The OAuth secret this access token was issued for was deleted.",
        )),
    }
}

/// Routes outside the authenticated APIs: token endpoints and discovery documents.
pub fn public_routes() -> Router<AppState> {
    Router::new()
        .route("/w/{workspace_id}/oidc/v1/token", post(token::workspace))
        .route("/oidc/accounts/{account_id}/v1/token", post(token::account))
        .route(
            "/w/{workspace_id}/oidc/.well-known/oauth-authorization-server",
            get(discovery::workspace),
        )
        .route(
            "/oidc/accounts/{account_id}/.well-known/oauth-authorization-server",
            get(discovery::account),
        )
}
