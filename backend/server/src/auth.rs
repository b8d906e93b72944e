//! Authentication and authorization layers for the account API and the workspace API.

use crate::audit::Actor;
use crate::authz::{self, Action, Gate, Level};
use crate::client_ip::ClientIp;
use crate::error::{ApiError, ApiResult};
use crate::identity::{seed, subject, Subject};
use crate::model::{Principal, TokenRecord, TokenScope, WorkspaceRecord};
use crate::policy::WorkspacePolicy;
use crate::repo::{self, trees, ws_key};
use crate::state::AppState;
use crate::tokens;
use axum::extract::{MatchedPath, Path, Request, State};
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
    pub subject: Arc<Subject>,
}

/// The caller and target of a workspace API request.
#[derive(Debug, Clone)]
pub struct WorkspaceCtx {
    pub workspace: Arc<WorkspaceRecord>,
    /// The caller as recorded in tokens and audit entries (`admin`: a workspace admin).
    pub principal: Principal,
    /// The caller with its groups and roles, for [`authz::decide`].
    pub subject: Arc<Subject>,
    pub token_id: String,
    pub client_ip: IpAddr,
    pub policy: Arc<WorkspacePolicy>,
}

impl WorkspaceCtx {
    /// The workspace id.
    pub fn id(&self) -> i64 {
        self.workspace.workspace_id
    }

    /// Asks the decision point whether the caller may do `action`.
    pub fn allow(&self, action: &Action<'_>) -> ApiResult<()> {
        Ok(authz::decide(&self.subject, action)?)
    }

    /// Whether the caller is an admin of this workspace.
    pub fn is_admin(&self) -> bool {
        self.subject.workspace_admin
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

/// Layer of the account API: an account-scoped token of an active account admin, for this
/// server's account.
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
    let subject = match admit_account(&state, &token, params.get("account_id")) {
        Ok(s) => s,
        Err(e) => return with_actor(e.into_response(), &token, None),
    };
    req.extensions_mut().insert(AccountCaller {
        principal: subject.principal.reference(),
        subject: Arc::new(subject),
    });
    let resp = next.run(req).await;
    with_actor(resp, &token, None)
}

fn admit_account(
    state: &AppState,
    token: &TokenRecord,
    account_id: Option<&String>,
) -> ApiResult<Subject> {
    if token.scope != TokenScope::Account {
        return Err(ApiError::forbidden(
            "This API is only available to account admins with an account-level token.",
        ));
    }
    if account_id.map(String::as_str) != Some(state.account_id()) {
        return Err(ApiError::forbidden(
            "The token is not valid for this account.",
        ));
    }
    let owner = seed::owner_id(state.store(), &token.owner)?;
    let subject = subject::resolve_account(state.store(), owner)?;
    authz::decide(&subject, &Action::AccountApi)?;
    Ok(subject)
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
    let denied = |e: ApiError, t: &TokenRecord| (e, Some(Box::new(t.clone())));
    if matches!(token.scope, TokenScope::Workspace(id) if id != ws_id) {
        return Err(denied(
            ApiError::unauthenticated("Invalid access token for this workspace."),
            &token,
        ));
    }
    let subject = seed::owner_id(state.store(), &token.owner)
        .and_then(|owner| subject::resolve(state.store(), owner, ws_id))
        .map_err(|e| denied(e, &token))?;
    if token.scope == TokenScope::Account && !subject.account_admin {
        return Err(denied(
            ApiError::unauthenticated("Invalid access token for this workspace."),
            &token,
        ));
    }
    // Token permissions govern personal access tokens, not OAuth access tokens.
    if let Some(acl) = policy.tokens_acl.as_ref().filter(|_| token.oauth.is_none()) {
        authz::decide(
            &subject,
            &Action::Access {
                acl,
                level: Level::CanUse,
            },
        )
        .map_err(|d| denied(d.into(), &token))?;
    }
    if let Some(route) = req.extensions().get::<MatchedPath>() {
        let route = route.as_str();
        let route = route.find("/api/2.0").map_or(route, |i| &route[i + 8..]);
        if let Gate::Admin(feature) = authz::gate(req.method(), route) {
            authz::decide(&subject, &Action::Administer(feature))
                .map_err(|d| denied(d.into(), &token))?;
        }
    }
    let mut principal = subject.principal.reference();
    principal.admin = subject.workspace_admin;
    let ctx = WorkspaceCtx {
        workspace: Arc::new(workspace),
        principal,
        subject: Arc::new(subject),
        token_id: token.token_id.clone(),
        client_ip,
        policy,
    };
    Ok((ctx, token))
}
