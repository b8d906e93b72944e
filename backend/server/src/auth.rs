//! Authentication and authorization layers for the account API and the workspace API.

use crate::audit::Actor;
use crate::client_ip::ClientIp;
use crate::error::{ApiError, ApiResult};
use crate::model::{Principal, TokenRecord, TokenScope, WorkspaceRecord};
use crate::policy::WorkspacePolicy;
use crate::repo::{self, trees, ws_key};
use crate::state::AppState;
use crate::tokens;
use axum::extract::{Path, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

/// The caller of an account API request (always an account admin).
#[derive(Debug, Clone)]
pub struct AccountCaller {
    pub principal: Principal,
}

/// The caller and target of a workspace API request.
#[derive(Debug, Clone)]
pub struct WorkspaceCtx {
    pub workspace: Arc<WorkspaceRecord>,
    pub principal: Principal,
    pub token_id: String,
    pub client_ip: IpAddr,
    pub policy: Arc<WorkspacePolicy>,
}

impl WorkspaceCtx {
    /// The workspace id.
    pub fn id(&self) -> i64 {
        self.workspace.workspace_id
    }

    /// Refuses callers that are not workspace admins.
    pub fn require_admin(&self) -> ApiResult<()> {
        if self.principal.admin {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "Only workspace admins can use this API.",
            ))
        }
    }
}

fn bearer(headers: &HeaderMap) -> ApiResult<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| {
            ApiError::unauthenticated("Missing credentials: send Authorization: Bearer <token>.")
        })?;
    value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::unauthenticated("Malformed Authorization header: expected Bearer <token>.")
        })
}

fn with_actor(mut resp: Response, token: &TokenRecord, workspace_id: Option<i64>) -> Response {
    resp.extensions_mut().insert(Actor {
        name: token.owner.name.clone(),
        id: token.owner.id,
        workspace_id,
    });
    resp
}

/// Layer of the account API: an account-scoped admin token, for this server's account.
pub async fn account(
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    mut req: Request,
    next: Next,
) -> Response {
    let token = match bearer(req.headers()).and_then(|t| tokens::authenticate(state.store(), t)) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let refusal = if token.scope != TokenScope::Account || !token.owner.admin {
        Some(ApiError::forbidden(
            "This API is only available to account admins with an account-level token.",
        ))
    } else if params.get("account_id").map(String::as_str) != Some(state.account_id()) {
        Some(ApiError::forbidden(
            "The token is not valid for this account.",
        ))
    } else {
        None
    };
    if let Some(e) = refusal {
        return with_actor(e.into_response(), &token, None);
    }
    req.extensions_mut().insert(AccountCaller {
        principal: token.owner.clone(),
    });
    let resp = next.run(req).await;
    with_actor(resp, &token, None)
}

/// Layer of the workspace API: the workspace exists, the client address passes its IP access
/// lists, and the token is valid in it.
pub async fn workspace(
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    mut req: Request,
    next: Next,
) -> Response {
    let ws_id = params
        .get("workspace_id")
        .and_then(|s| s.parse::<i64>().ok());
    let ctx = match ws_id.map(|id| admit(&state, id, &req)) {
        Some(Ok(ctx)) => ctx,
        Some(Err((e, token))) => {
            let resp = e.into_response();
            return match token {
                Some(t) => with_actor(resp, &t, ws_id),
                None => resp,
            };
        }
        None => return ApiError::not_found("No such workspace.").into_response(),
    };
    let token = ctx.1;
    req.extensions_mut().insert(ctx.0);
    let resp = next.run(req).await;
    with_actor(resp, &token, ws_id)
}

type Denial = (ApiError, Option<Box<TokenRecord>>);

fn admit(
    state: &AppState,
    ws_id: i64,
    req: &Request,
) -> Result<(WorkspaceCtx, TokenRecord), Denial> {
    let workspace: WorkspaceRecord = repo::get(state.store(), trees::WORKSPACES, &ws_key(ws_id))
        .map_err(|e| (e, None))?
        .ok_or_else(|| {
            (
                ApiError::not_found(format!("Workspace {ws_id} does not exist.")),
                None,
            )
        })?;
    let client_ip = req
        .extensions()
        .get::<ClientIp>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0);
    let policy = state
        .policies()
        .get(state.store(), ws_id)
        .map_err(|e| (e, None))?;
    if !policy.permits(client_ip) {
        return Err((
            ApiError::forbidden(format!(
                "Source IP address: {client_ip} is blocked by Databricks IP ACL for workspace: {ws_id}"
            )),
            None,
        ));
    }
    let token = bearer(req.headers())
        .and_then(|t| tokens::authenticate(state.store(), t))
        .map_err(|e| (e, None))?;
    let valid_here = match token.scope {
        TokenScope::Account => token.owner.admin,
        TokenScope::Workspace(id) => id == ws_id,
    };
    if !valid_here {
        return Err((
            ApiError::unauthenticated("Invalid access token for this workspace."),
            Some(Box::new(token)),
        ));
    }
    let ctx = WorkspaceCtx {
        workspace: Arc::new(workspace),
        principal: token.owner.clone(),
        token_id: token.token_id.clone(),
        client_ip,
        policy,
    };
    Ok((ctx, token))
}
