//! The secrets API: create, list and delete a service principal's OAuth secrets.
//!
//! - Account: `/api/2.0/accounts/{account_id}/servicePrincipals/{id}/credentials/secrets`
//!   (behind the account API layer: account admins only).
//! - Workspace proxy: `{workspace_url}/api/2.0/accounts/servicePrincipals/{id}/credentials/secrets`
//!   (admin-only by the gate table; the principal must be able to use the workspace).
//!
//! `{id}` is the service principal's SCIM id. A secret's value appears only in the create
//! answer.

use super::{secrets, ALL_APIS};
use crate::auth::WorkspaceCtx;
use crate::error::{ApiError, ApiResult};
use crate::identity::{directory, subject, Kind, PrincipalRecord, Scope};
use crate::json::Body;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::routing::{delete, get};
use axum::{Extension, Json, Router};
use ironbrick_api::oauth::{
    CreateServicePrincipalSecretRequest, CreateServicePrincipalSecretResponse,
    ListServicePrincipalSecretsResponse,
};
use ironbrick_api::Empty;
use std::collections::HashMap;

const COLLECTION: &str = "/servicePrincipals/{service_principal_id}/credentials/secrets";
const ITEM: &str = "/servicePrincipals/{service_principal_id}/credentials/secrets/{secret_id}";

/// Routes of the account API (relative to `/api/2.0/accounts/{account_id}`).
pub fn account_routes() -> Router<AppState> {
    Router::new()
        .route(COLLECTION, get(list_account).post(create_account))
        .route(ITEM, delete(delete_account))
}

/// Routes of the workspace API (relative to `/w/{workspace_id}/api/2.0`).
pub fn workspace_routes() -> Router<AppState> {
    Router::new()
        .route(
            &format!("/accounts{COLLECTION}"),
            get(list_workspace).post(create_workspace),
        )
        .route(&format!("/accounts{ITEM}"), delete(delete_workspace))
}

type Params = Path<HashMap<String, String>>;

fn param<'a>(params: &'a HashMap<String, String>, name: &str) -> &'a str {
    params.get(name).map_or("", String::as_str)
}

/// The account service principal with SCIM id `id`.
fn service_principal(state: &AppState, id: &str) -> ApiResult<PrincipalRecord> {
    let missing = || ApiError::not_found(format!("Service principal {id} does not exist."));
    let id: i64 = id.parse().map_err(|_| missing())?;
    directory::get(state.store(), Scope::Account, id)?
        .filter(|p| p.kind == Kind::ServicePrincipal)
        .ok_or_else(missing)
}

/// The service principal `id`, which must be able to use workspace `ws`.
fn workspace_principal(state: &AppState, ws: i64, id: &str) -> ApiResult<PrincipalRecord> {
    let sp = service_principal(state, id)?;
    subject::resolve(state.store(), sp.id, ws).map_err(|_| {
        ApiError::not_found(format!(
            "Service principal {id} does not exist in workspace {ws}."
        ))
    })?;
    Ok(sp)
}

async fn create(
    state: &AppState,
    sp: &PrincipalRecord,
    req: CreateServicePrincipalSecretRequest,
) -> ApiResult<Json<CreateServicePrincipalSecretResponse>> {
    let lifetime = secrets::parse_lifetime(req.lifetime.as_deref())?;
    if let Some(bad) = req.scopes.iter().flatten().find(|s| s.as_str() != ALL_APIS) {
        return Err(ApiError::invalid(format!(
            "Scope {bad:?} is not supported; OAuth secrets grant {ALL_APIS}."
        )));
    }
    let (value, record) = {
        let _guard = state.identity_writes().await?;
        secrets::create(state.store(), sp.id, lifetime)?
    };
    state.flush().await?;
    Ok(Json(CreateServicePrincipalSecretResponse {
        info: record.info(),
        secret: value,
    }))
}

fn list(
    state: &AppState,
    sp: &PrincipalRecord,
) -> ApiResult<Json<ListServicePrincipalSecretsResponse>> {
    let secrets = secrets::list(state.store(), sp.id)?
        .iter()
        .map(secrets::SecretRecord::info)
        .collect();
    Ok(Json(ListServicePrincipalSecretsResponse { secrets }))
}

async fn remove(state: &AppState, sp: &PrincipalRecord, secret_id: &str) -> ApiResult<Json<Empty>> {
    secrets::delete(state.store(), sp.id, secret_id)?;
    state.flush().await?;
    Ok(Json(Empty {}))
}

async fn create_account(
    State(state): State<AppState>,
    Path(p): Params,
    Body(req): Body<CreateServicePrincipalSecretRequest>,
) -> ApiResult<Json<CreateServicePrincipalSecretResponse>> {
    let sp = service_principal(&state, param(&p, "service_principal_id"))?;
    create(&state, &sp, req).await
}

async fn list_account(
    State(state): State<AppState>,
    Path(p): Params,
) -> ApiResult<Json<ListServicePrincipalSecretsResponse>> {
    let sp = service_principal(&state, param(&p, "service_principal_id"))?;
    list(&state, &sp)
}

async fn delete_account(State(state): State<AppState>, Path(p): Params) -> ApiResult<Json<Empty>> {
    let sp = service_principal(&state, param(&p, "service_principal_id"))?;
    remove(&state, &sp, param(&p, "secret_id")).await
}

async fn create_workspace(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Path(p): Params,
    Body(req): Body<CreateServicePrincipalSecretRequest>,
) -> ApiResult<Json<CreateServicePrincipalSecretResponse>> {
    let sp = workspace_principal(&state, ctx.id(), param(&p, "service_principal_id"))?;
    create(&state, &sp, req).await
}

async fn list_workspace(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Path(p): Params,
) -> ApiResult<Json<ListServicePrincipalSecretsResponse>> {
    let sp = workspace_principal(&state, ctx.id(), param(&p, "service_principal_id"))?;
    list(&state, &sp)
}

async fn delete_workspace(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Path(p): Params,
) -> ApiResult<Json<Empty>> {
    let sp = workspace_principal(&state, ctx.id(), param(&p, "service_principal_id"))?;
    remove(&state, &sp, param(&p, "secret_id")).await
}
