//! Secret scopes and secrets. Values are sealed by the workspace's envelope, bound to their
//! scope and key; they are never listed and never logged.

use super::secret_acls;
use crate::auth::WorkspaceCtx;
use crate::authz::{Action, Level};
use crate::error::{ApiError, ApiResult};
use crate::json::Body;
use crate::repo::{self, trees, ws_key};
use crate::state::AppState;
use crate::time::now_ms;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use base64::Engine;
use ironbrick_api::secrets::{
    CreateScopeRequest, DeleteScopeRequest, DeleteSecretRequest, GetSecretResponse,
    ListScopesResponse, ListSecretsResponse, PutSecretRequest, SecretMetadata, SecretScope,
};
use ironbrick_api::{Empty, ErrorCode};
use ironbrick_store::record::Record;
use serde::{Deserialize, Serialize};

const SCOPES: &str = trees::SECRET_SCOPES;
const SECRETS: &str = trees::SECRETS;
/// Envelope object class of secret values.
pub const SECRET_CLASS: &str = "secret";
/// Largest secret value, in bytes.
pub const MAX_VALUE: usize = 128 * 1024;
/// Most secrets in one scope.
pub const MAX_SECRETS_PER_SCOPE: usize = 1000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/secrets/scopes/create", post(create_scope))
        .route("/secrets/scopes/list", get(list_scopes))
        .route("/secrets/scopes/delete", post(delete_scope))
        .route("/secrets/put", post(put))
        .route("/secrets/list", get(list))
        .route("/secrets/delete", post(delete))
        .route("/secrets/get", get(fetch))
        .merge(secret_acls::routes())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct ScopeRecord {
    pub(super) created_at: i64,
    /// The principal that created the scope (holds MANAGE when the scope has no stored ACL).
    pub(super) created_by: i64,
}

impl Record for ScopeRecord {}

/// A stored secret: the sealed value (base64) and when it was last written.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SecretRecord {
    sealed: String,
    last_updated_timestamp: i64,
}

impl Record for SecretRecord {}

fn name(field: &str, value: &str) -> ApiResult<String> {
    ironbrick_api::validate::secret_name(field, value).map_err(ApiError::invalid)
}

pub(super) fn scope_key(ws: i64, scope: &str) -> String {
    format!("{}{scope}", ws_key(ws))
}

fn secrets_prefix(ws: i64, scope: &str) -> String {
    format!("{}{scope}/", ws_key(ws))
}

fn secret_key(ws: i64, scope: &str, key: &str) -> String {
    format!("{}{key}", secrets_prefix(ws, scope))
}

fn object_id(scope: &str, key: &str) -> String {
    format!("{scope}/{key}")
}

pub(super) fn no_scope(scope: &str) -> ApiError {
    ApiError::not_found(format!("Scope {scope} does not exist!"))
}

/// Refuses unless `scope` exists and the caller holds `level` on it.
fn require_scope(state: &AppState, ctx: &WorkspaceCtx, scope: &str, level: Level) -> ApiResult<()> {
    let acl = secret_acls::scope_acl(state.store(), ctx.id(), scope)?;
    ctx.allow(&Action::Access { acl: &acl, level })
}

async fn create_scope(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(req): Body<CreateScopeRequest>,
) -> ApiResult<Json<Empty>> {
    let scope = name("scope", &req.scope)?;
    if let Some(b) = req
        .scope_backend_type
        .as_deref()
        .filter(|b| *b != "DATABRICKS")
    {
        return Err(ApiError::invalid(format!(
            "scope_backend_type {b} is not supported; use DATABRICKS."
        )));
    }
    let initial = secret_acls::initial_grants(
        state.store(),
        ctx.id(),
        ctx.principal.id,
        req.initial_manage_principal.as_deref(),
    )?;
    let record = ScopeRecord {
        created_at: now_ms(),
        created_by: ctx.principal.id,
    };
    let ws = ctx.id();
    let key = scope_key(ws, &scope);
    state.store().transact(|tx| {
        if tx.get(SCOPES, key.as_bytes())?.is_some() {
            return Err(ApiError::exists(format!("Scope {scope} already exists!")));
        }
        repo::tx_put(tx, SCOPES, &key, &record)?;
        crate::authz::store::tx_put(tx, ws, &secret_acls::object(&scope), &initial)?;
        Ok(())
    })?;
    state.flush().await?;
    Ok(Json(Empty {}))
}

async fn list_scopes(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
) -> ApiResult<Json<ListScopesResponse>> {
    let ws = ctx.id();
    let prefix = ws_key(ws);
    let mut scopes = Vec::new();
    for (k, v) in state.store().kv().scan_prefix(SCOPES, prefix.as_bytes())? {
        let name = String::from_utf8_lossy(&k[prefix.len()..]).to_string();
        let record: ScopeRecord = ironbrick_store::record::decode(&v)?;
        let acl = secret_acls::acl_of(state.store(), ws, &name, &record)?;
        let read = Action::Access {
            acl: &acl,
            level: Level::Read,
        };
        if crate::authz::decide(&ctx.subject, &read).is_ok() {
            scopes.push(SecretScope {
                name,
                backend_type: "DATABRICKS".into(),
            });
        }
    }
    Ok(Json(ListScopesResponse { scopes }))
}

async fn delete_scope(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(req): Body<DeleteScopeRequest>,
) -> ApiResult<Json<Empty>> {
    let ws = ctx.id();
    require_scope(&state, &ctx, &req.scope, Level::Manage)?;
    let secrets = state
        .store()
        .kv()
        .scan_prefix(SECRETS, secrets_prefix(ws, &req.scope).as_bytes())?;
    state.store().transact(|tx| {
        for (k, _) in &secrets {
            tx.delete(SECRETS, k)?;
        }
        tx.delete(SCOPES, scope_key(ws, &req.scope).as_bytes())?;
        crate::authz::store::tx_delete(tx, ws, &secret_acls::object(&req.scope))?;
        Ok::<_, ApiError>(())
    })?;
    state.flush().await?;
    Ok(Json(Empty {}))
}

fn value_of(req: &PutSecretRequest) -> ApiResult<Vec<u8>> {
    let value = match (&req.string_value, &req.bytes_value) {
        (Some(s), None) => s.as_bytes().to_vec(),
        (None, Some(b)) => base64::engine::general_purpose::STANDARD
            .decode(b)
            .map_err(|_| ApiError::invalid("bytes_value is not valid base64."))?,
        _ => {
            return Err(ApiError::invalid(
                "Exactly one of string_value and bytes_value is required.",
            ))
        }
    };
    if value.len() > MAX_VALUE {
        return Err(ApiError::invalid(format!(
            "A secret value is limited to {MAX_VALUE} bytes."
        )));
    }
    Ok(value)
}

async fn put(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(req): Body<PutSecretRequest>,
) -> ApiResult<Json<Empty>> {
    let ws = ctx.id();
    let key = name("key", &req.key)?;
    require_scope(&state, &ctx, &req.scope, Level::Write)?;
    let value = value_of(&req)?;
    let sealed = state
        .vault()
        .seal(
            &ctx.workspace,
            SECRET_CLASS,
            &object_id(&req.scope, &key),
            &value,
        )
        .await?;
    let count = state
        .store()
        .kv()
        .count_prefix(SECRETS, secrets_prefix(ws, &req.scope).as_bytes())?;
    let record = SecretRecord {
        sealed: base64::engine::general_purpose::STANDARD.encode(sealed),
        last_updated_timestamp: now_ms(),
    };
    let skey = secret_key(ws, &req.scope, &key);
    state.store().transact(|tx| {
        if tx
            .get(SCOPES, scope_key(ws, &req.scope).as_bytes())?
            .is_none()
        {
            return Err(no_scope(&req.scope));
        }
        if count >= MAX_SECRETS_PER_SCOPE && tx.get(SECRETS, skey.as_bytes())?.is_none() {
            return Err(ApiError::new(
                ErrorCode::QuotaExceeded,
                format!(
                    "Scope {} already holds {MAX_SECRETS_PER_SCOPE} secrets.",
                    req.scope
                ),
            ));
        }
        repo::tx_put(tx, SECRETS, &skey, &record)?;
        Ok(())
    })?;
    state.flush().await?;
    Ok(Json(Empty {}))
}

#[derive(Debug, Deserialize)]
struct ScopeQuery {
    scope: String,
}

async fn list(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Query(q): Query<ScopeQuery>,
) -> ApiResult<Json<ListSecretsResponse>> {
    let ws = ctx.id();
    require_scope(&state, &ctx, &q.scope, Level::Read)?;
    let prefix = secrets_prefix(ws, &q.scope);
    let secrets = state
        .store()
        .kv()
        .scan_prefix(SECRETS, prefix.as_bytes())?
        .into_iter()
        .map(|(k, v)| {
            let record: SecretRecord = ironbrick_store::record::decode(&v)?;
            Ok(SecretMetadata {
                key: String::from_utf8_lossy(&k[prefix.len()..]).to_string(),
                last_updated_timestamp: record.last_updated_timestamp,
            })
        })
        .collect::<ApiResult<_>>()?;
    Ok(Json(ListSecretsResponse { secrets }))
}

async fn delete(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(req): Body<DeleteSecretRequest>,
) -> ApiResult<Json<Empty>> {
    let ws = ctx.id();
    require_scope(&state, &ctx, &req.scope, Level::Write)?;
    let skey = secret_key(ws, &req.scope, &req.key);
    state.store().transact(|tx| {
        if tx.get(SECRETS, skey.as_bytes())?.is_none() {
            return Err(ApiError::not_found(format!(
                "Secret {} does not exist in scope {}.",
                req.key, req.scope
            )));
        }
        tx.delete(SECRETS, skey.as_bytes())?;
        Ok(())
    })?;
    state.flush().await?;
    Ok(Json(Empty {}))
}

#[derive(Debug, Deserialize)]
struct SecretQuery {
    scope: String,
    key: String,
}

async fn fetch(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Query(q): Query<SecretQuery>,
) -> ApiResult<Json<GetSecretResponse>> {
    let ws = ctx.id();
    require_scope(&state, &ctx, &q.scope, Level::Read)?;
    let record: SecretRecord =
        repo::get(state.store(), SECRETS, &secret_key(ws, &q.scope, &q.key))?.ok_or_else(|| {
            ApiError::not_found(format!(
                "Secret {} does not exist in scope {}.",
                q.key, q.scope
            ))
        })?;
    let sealed = base64::engine::general_purpose::STANDARD
        .decode(&record.sealed)
        .map_err(|_| ApiError::Internal("stored secret is not base64".into()))?;
    let plain = state
        .vault()
        .open(
            &ctx.workspace,
            SECRET_CLASS,
            &object_id(&q.scope, &q.key),
            &sealed,
        )
        .await?;
    Ok(Json(GetSecretResponse {
        key: q.key,
        value: base64::engine::general_purpose::STANDARD.encode(plain),
    }))
}
