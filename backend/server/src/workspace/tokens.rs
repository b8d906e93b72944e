//! The caller's own tokens: `/token/create`, `/token/list`, `/token/delete`.

use crate::auth::WorkspaceCtx;
use crate::authz::Action;
use crate::error::{ApiError, ApiResult};
use crate::json::Body;
use crate::model::{Principal, TokenRecord, TokenScope};
use crate::policy::WorkspacePolicy;
use crate::state::AppState;
use crate::tokens::{self, NewToken, DEFAULT_LIFETIME_SECONDS};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use ironbrick_api::tokens::{
    CreateTokenRequest, CreateTokenResponse, ListTokensResponse, PublicTokenInfo,
    RevokeTokenRequest,
};
use ironbrick_api::Empty;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/token/create", post(create))
        .route("/token/list", get(list))
        .route("/token/delete", post(delete))
}

/// The public view of a token.
pub fn public_info(t: &TokenRecord) -> PublicTokenInfo {
    PublicTokenInfo {
        token_id: t.token_id.clone(),
        creation_time: t.creation_time,
        expiry_time: t.expiry_time,
        comment: t.comment.clone(),
    }
}

/// Resolves a requested lifetime against the workspace's maximum.
pub fn lifetime(policy: &WorkspacePolicy, requested: Option<i64>) -> ApiResult<Option<i64>> {
    let max = policy
        .max_token_lifetime_days()
        .map(|d| d.saturating_mul(86_400));
    let requested = requested.filter(|s| *s > 0);
    match (requested, max) {
        (Some(s), Some(m)) if s > m => Err(ApiError::invalid(format!(
            "lifetime_seconds {s} exceeds the maximum token lifetime of this workspace ({m} seconds)."
        ))),
        (Some(s), _) => Ok(Some(s)),
        (None, Some(m)) => Ok(Some(m)),
        (None, None) => Ok(Some(DEFAULT_LIFETIME_SECONDS)),
    }
}

/// Mints a workspace token for `owner`.
pub async fn mint(
    state: &AppState,
    ctx: &WorkspaceCtx,
    owner: Principal,
    comment: Option<String>,
    lifetime_seconds: Option<i64>,
) -> ApiResult<(ironbrick_api::tokens::TokenValue, TokenRecord)> {
    let comment = comment.unwrap_or_default();
    if comment.len() > 1024 {
        return Err(ApiError::invalid("comment is longer than 1024 characters."));
    }
    let new = NewToken {
        scope: TokenScope::Workspace(ctx.id()),
        owner,
        created_by: ctx.principal.clone(),
        comment,
        lifetime_seconds: lifetime(&ctx.policy, lifetime_seconds)?,
    };
    let minted = tokens::mint(state.store(), new)?;
    state.flush().await?;
    Ok(minted)
}

async fn create(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(req): Body<CreateTokenRequest>,
) -> ApiResult<Json<CreateTokenResponse>> {
    if !ctx.policy.tokens_enabled() {
        ctx.allow(&Action::Administer(
            "token creation while it is disabled for users (enableTokensConfig)",
        ))?;
    }
    let (value, record) = mint(
        &state,
        &ctx,
        ctx.principal.clone(),
        req.comment,
        req.lifetime_seconds,
    )
    .await?;
    Ok(Json(CreateTokenResponse {
        token_value: value,
        token_info: public_info(&record),
    }))
}

async fn list(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
) -> ApiResult<Json<ListTokensResponse>> {
    let token_infos = tokens::list(state.store(), TokenScope::Workspace(ctx.id()))?
        .iter()
        .filter(|t| t.owner.id == ctx.principal.id)
        .map(public_info)
        .collect();
    Ok(Json(ListTokensResponse { token_infos }))
}

async fn delete(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(req): Body<RevokeTokenRequest>,
) -> ApiResult<Json<Empty>> {
    let token = tokens::get(
        state.store(),
        TokenScope::Workspace(ctx.id()),
        &req.token_id,
    )?;
    if token.owner.id != ctx.principal.id {
        return Err(ApiError::not_found(format!(
            "Token with id {} does not exist.",
            req.token_id
        )));
    }
    tokens::revoke(state.store(), &token)?;
    state.flush().await?;
    Ok(Json(Empty {}))
}
