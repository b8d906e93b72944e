//! Token management for workspace admins: list, get and revoke any token of the workspace, and
//! create tokens on behalf of service principals.

use super::tokens::mint;
use crate::auth::WorkspaceCtx;
use crate::error::{ApiError, ApiResult};
use crate::identity::{directory, subject, Kind, Scope};
use crate::json::Body;
use crate::model::{Principal, TokenRecord, TokenScope};
use crate::state::AppState;
use crate::tokens;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use ironbrick_api::tokens::{
    CreateOboTokenRequest, CreateOboTokenResponse, GetTokenResponse, ListTokenInfosResponse,
    TokenInfo,
};
use ironbrick_api::Empty;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/token-management/tokens", get(list))
        .route(
            "/token-management/tokens/{token_id}",
            get(fetch).delete(delete),
        )
        .route("/token-management/on-behalf-of/tokens", post(create_obo))
}

fn info(t: &TokenRecord) -> TokenInfo {
    TokenInfo {
        token_id: t.token_id.clone(),
        creation_time: t.creation_time,
        expiry_time: t.expiry_time,
        comment: t.comment.clone(),
        created_by_id: t.created_by.id,
        created_by_username: t.created_by.name.clone(),
        owner_id: t.owner.id,
        workspace_id: match t.scope {
            TokenScope::Workspace(id) => Some(id),
            TokenScope::Account => None,
        },
    }
}

#[derive(Debug, Deserialize)]
struct Filter {
    created_by_id: Option<i64>,
    created_by_username: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Query(filter): Query<Filter>,
) -> ApiResult<Json<ListTokenInfosResponse>> {
    let token_infos = tokens::list(state.store(), TokenScope::Workspace(ctx.id()))?
        .iter()
        .filter(|t| filter.created_by_id.is_none_or(|id| t.created_by.id == id))
        .filter(|t| {
            filter
                .created_by_username
                .as_ref()
                .is_none_or(|n| &t.created_by.name == n)
        })
        .map(info)
        .collect();
    Ok(Json(ListTokenInfosResponse { token_infos }))
}

async fn fetch(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Path((_, token_id)): Path<(i64, String)>,
) -> ApiResult<Json<GetTokenResponse>> {
    let token = tokens::get(state.store(), TokenScope::Workspace(ctx.id()), &token_id)?;
    Ok(Json(GetTokenResponse {
        token_info: info(&token),
    }))
}

async fn delete(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Path((_, token_id)): Path<(i64, String)>,
) -> ApiResult<Json<Empty>> {
    let token = tokens::get(state.store(), TokenScope::Workspace(ctx.id()), &token_id)?;
    tokens::revoke(state.store(), &token)?;
    state.flush().await?;
    Ok(Json(Empty {}))
}

/// The account service principal `application_id`, which must be able to use this workspace.
fn service_principal(state: &AppState, ws: i64, application_id: &str) -> ApiResult<Principal> {
    uuid::Uuid::parse_str(application_id).map_err(|_| {
        ApiError::invalid(format!("application_id {application_id:?} is not a UUID."))
    })?;
    let sp = directory::by_name(
        state.store(),
        Scope::Account,
        Kind::ServicePrincipal,
        application_id,
    )?
    .ok_or_else(|| {
        ApiError::not_found(format!(
            "Service principal with application id {application_id} does not exist."
        ))
    })?;
    match subject::resolve(state.store(), sp.id, ws) {
        Ok(_) => Ok(sp.reference()),
        Err(ApiError::Client { message, .. }) => Err(ApiError::invalid(message)),
        Err(e) => Err(e),
    }
}

async fn create_obo(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(req): Body<CreateOboTokenRequest>,
) -> ApiResult<Json<CreateOboTokenResponse>> {
    let owner = service_principal(&state, ctx.id(), req.application_id.trim())?;
    let (value, record) = mint(&state, &ctx, owner, req.comment, req.lifetime_seconds).await?;
    Ok(Json(CreateOboTokenResponse {
        token_value: value,
        token_info: info(&record),
    }))
}
