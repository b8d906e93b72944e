//! Authentication and authorization layers for the account API and the workspace API.

use crate::audit::Actor;
use crate::authz::{self, Action, Gate, Level};
use crate::client_ip::{ClientIp, ViaEndpoint};
use crate::error::{ApiError, ApiResult};
use crate::identity::{seed, subject, Subject};
use crate::model::{Principal, TokenRecord, TokenScope, WorkspaceRecord};
use crate::passwords::{Password, SignInFailure};
use crate::policy::WorkspacePolicy;
use crate::private_link::{self, Traffic};
use crate::repo::{self, trees, ws_key};
use crate::state::AppState;
use crate::tokens;
use axum::extract::{MatchedPath, Path, Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use ironbrick_api::ErrorCode;
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
    /// The id of the token the caller presented; empty for a password sign-in.
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

/// How a caller proved who it is.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A personal access token or an OAuth access token (`Authorization: Bearer`).
    Token(Box<TokenRecord>),
    /// A user name and password (`Authorization: Basic`), verified.
    Password,
}

/// An authenticated caller: who it is and how it proved it. Whether it may do what it asks
/// (active, member of the workspace, token or password permissions) is decided afterwards.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The principal the credential belongs to.
    pub owner: Principal,
    pub credential: Credential,
}

impl Authenticated {
    fn token(&self) -> Option<&TokenRecord> {
        match &self.credential {
            Credential::Token(t) => Some(t),
            Credential::Password => None,
        }
    }

    fn actor(&self, workspace_id: Option<i64>) -> Actor {
        Actor {
            name: self.owner.name.clone(),
            id: self.owner.id,
            workspace_id,
        }
    }
}

/// A refused request: the error, who tried (for the audit log: the token's owner, or the
/// user name a password was presented for; never a secret), and, when throttled, how many
/// seconds to wait.
#[derive(Debug)]
pub struct Refusal {
    pub error: ApiError,
    pub actor: Option<(String, i64)>,
    pub retry_after: Option<u64>,
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Self {
        Self {
            error,
            actor: None,
            retry_after: None,
        }
    }
}

impl Refusal {
    fn by(error: impl Into<ApiError>, who: &Authenticated) -> Self {
        Self {
            error: error.into(),
            actor: Some((who.owner.name.clone(), who.owner.id)),
            retry_after: None,
        }
    }

    /// The answer: the error in the Databricks format (429 with `Retry-After` when
    /// throttled), with the actor attached for the audit log.
    pub fn into_response(self, workspace_id: Option<i64>) -> Response {
        let mut resp = match self.retry_after {
            Some(secs) => throttled(&self.error, secs),
            None => self.error.into_response(),
        };
        if let Some((name, id)) = self.actor {
            resp.extensions_mut().insert(Actor {
                name,
                id,
                workspace_id,
            });
        }
        resp
    }
}

/// 429 REQUEST_LIMIT_EXCEEDED with `Retry-After: secs`.
fn throttled(error: &ApiError, secs: u64) -> Response {
    crate::error::throttled(error.message().to_string(), secs)
}

const MISSING: &str =
    "Missing credentials: send Authorization: Bearer <token> or Basic <user:password>.";

/// Authenticates the request's `Authorization` header from `client_ip`: a bearer token
/// (personal access token or OAuth access token) or HTTP Basic user name and password.
/// Passwords go through [`crate::passwords::Passwords::sign_in`] (throttle first, then the
/// cache of verified passwords, then argon2).
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    client_ip: IpAddr,
) -> Result<Authenticated, Refusal> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthenticated(MISSING))?
        .to_str()
        .map_err(|_| ApiError::unauthenticated(MISSING))?;
    let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value, ""));
    let rest = rest.trim();
    let who = if scheme.eq_ignore_ascii_case("Bearer") && !rest.is_empty() {
        let token = tokens::authenticate(state.store(), rest)?;
        Authenticated {
            owner: token.owner.clone(),
            credential: Credential::Token(Box::new(token)),
        }
    } else if scheme.eq_ignore_ascii_case("Basic") && !rest.is_empty() {
        let (user, password) = basic(rest)?;
        sign_in(state, &user, password, client_ip).await?
    } else {
        return Err(ApiError::unauthenticated(
            "Malformed Authorization header: expected Bearer <token> or Basic <user:password>.",
        )
        .into());
    };
    throttle(state, &who)?;
    Ok(who)
}

/// The per-principal rate limit ([`crate::limits`]): a token from the caller's bucket, or 429
/// with `Retry-After`.
fn throttle(state: &AppState, who: &Authenticated) -> Result<(), Refusal> {
    state
        .limiters()
        .admit_principal(who.owner.id)
        .map_err(|wait| {
            let secs = crate::limits::rate::retry_after_secs(wait);
            Refusal {
                error: ApiError::new(
                    ErrorCode::RequestLimitExceeded,
                    format!(
                        "Too many requests from {}; retry in {secs} seconds.",
                        who.owner.name
                    ),
                ),
                actor: Some((who.owner.name.clone(), who.owner.id)),
                retry_after: Some(secs),
            }
        })
}

/// Decodes HTTP Basic credentials.
fn basic(encoded: &str) -> ApiResult<(String, Password)> {
    let malformed = || ApiError::unauthenticated("Malformed HTTP Basic credentials.");
    let decoded = zeroize::Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| malformed())?,
    );
    let text = std::str::from_utf8(&decoded).map_err(|_| malformed())?;
    let (user, password) = text.split_once(':').ok_or_else(malformed)?;
    let user = user.trim();
    if user.is_empty() || user.len() > 512 {
        return Err(malformed());
    }
    Ok((user.to_string(), Password::new(password.to_string())))
}

async fn sign_in(
    state: &AppState,
    user: &str,
    password: Password,
    ip: IpAddr,
) -> Result<Authenticated, Refusal> {
    let attempted = |id: Option<i64>| Some((user.to_string(), id.unwrap_or(0)));
    match state
        .passwords()
        .sign_in(state.store(), user, password, ip)
        .await
    {
        Ok(p) => Ok(Authenticated {
            owner: p.reference(),
            credential: Credential::Password,
        }),
        Err(SignInFailure::Invalid(id)) => Err(Refusal {
            error: ApiError::unauthenticated("Invalid user name or password."),
            actor: attempted(id),
            retry_after: None,
        }),
        Err(SignInFailure::Throttled(wait)) => {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            Err(Refusal {
                error: ApiError::new(
                    ErrorCode::RequestLimitExceeded,
                    format!(
                        "Too many failed sign-in attempts for {user}; try again in {secs} seconds."
                    ),
                ),
                actor: attempted(None),
                retry_after: Some(secs.max(1)),
            })
        }
        Err(SignInFailure::Internal(e)) => Err(Refusal {
            error: e,
            actor: attempted(None),
            retry_after: None,
        }),
    }
}

fn client_ip(req: &Request) -> IpAddr {
    req.extensions()
        .get::<ClientIp>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0)
}

/// Layer of the account API: an account-scoped token of an active account admin, for this
/// server's account.
pub async fn account(
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    mut req: Request,
    next: Next,
) -> Response {
    let who = match authenticate(&state, req.headers(), client_ip(&req)).await {
        Ok(w) => w,
        Err(r) => return r.into_response(None),
    };
    let subject = match admit_account(&state, &who, params.get("account_id")) {
        Ok(s) => s,
        Err(e) => return Refusal::by(e, &who).into_response(None),
    };
    req.extensions_mut().insert(AccountCaller {
        principal: subject.principal.reference(),
        subject: Arc::new(subject),
    });
    let mut resp = next.run(req).await;
    resp.extensions_mut().insert(who.actor(None));
    resp
}

fn admit_account(
    state: &AppState,
    who: &Authenticated,
    account_id: Option<&String>,
) -> ApiResult<Subject> {
    if who.token().is_some_and(|t| t.scope != TokenScope::Account) {
        return Err(ApiError::forbidden(
            "This API is only available to account admins with an account-level token.",
        ));
    }
    if account_id.map(String::as_str) != Some(state.account_id()) {
        return Err(ApiError::forbidden(
            "The token is not valid for this account.",
        ));
    }
    let owner = seed::owner_id(state.store(), &who.owner)?;
    let subject = subject::resolve_account(state.store(), owner)?;
    authz::decide(&subject, &Action::AccountApi)?;
    Ok(subject)
}

/// Layer of the workspace API: the workspace exists, the client address passes its IP access
/// lists, and the credential is valid in it (a token: its scope and token permissions; a
/// password: password permissions).
pub async fn workspace(
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    mut req: Request,
    next: Next,
) -> Response {
    let Some(ws_id) = params
        .get("workspace_id")
        .and_then(|s| s.parse::<i64>().ok())
    else {
        return ApiError::not_found("No such workspace.").into_response();
    };
    let asked = Asked {
        headers: req.headers(),
        method: req.method(),
        route: req.extensions().get::<MatchedPath>(),
        client_ip: client_ip(&req),
        via: req
            .extensions()
            .get::<ViaEndpoint>()
            .and_then(|v| v.0.clone()),
    };
    let (ctx, who) = match admit(&state, ws_id, asked).await {
        Ok(admitted) => admitted,
        Err(r) => return r.into_response(Some(ws_id)),
    };
    req.extensions_mut().insert(ctx);
    let mut resp = next.run(req).await;
    resp.extensions_mut().insert(who.actor(Some(ws_id)));
    resp
}

/// What admission reads of a request (borrowed, so that it may be held across awaits).
struct Asked<'a> {
    headers: &'a HeaderMap,
    method: &'a Method,
    route: Option<&'a MatchedPath>,
    client_ip: IpAddr,
    /// The AWS VPC endpoint the request came through, if any.
    via: Option<String>,
}

async fn admit(
    state: &AppState,
    ws_id: i64,
    req: Asked<'_>,
) -> Result<(WorkspaceCtx, Authenticated), Refusal> {
    let workspace: WorkspaceRecord =
        repo::get(state.store(), trees::WORKSPACES, &ws_key(ws_id))?
            .ok_or_else(|| ApiError::not_found(format!("Workspace {ws_id} does not exist.")))?;
    let client_ip = req.client_ip;
    let policy = state.policies().get(state.store(), ws_id)?;
    let traffic = private_link::admit(
        state.store(),
        workspace.private_access_settings_id.as_deref(),
        req.via.as_deref(),
    )?;
    if traffic == Traffic::Public && !policy.permits(client_ip) {
        return Err(ApiError::forbidden(format!(
            "Source IP address: {client_ip} is blocked by Databricks IP ACL for workspace: {ws_id}"
        ))
        .into());
    }
    let who = authenticate(state, req.headers, client_ip).await?;
    let denied = |e: ApiError| Refusal::by(e, &who);
    if let Some(token) = who.token() {
        if matches!(token.scope, TokenScope::Workspace(id) if id != ws_id) {
            return Err(denied(ApiError::unauthenticated(
                "Invalid access token for this workspace.",
            )));
        }
    }
    let subject = seed::owner_id(state.store(), &who.owner)
        .and_then(|owner| subject::resolve(state.store(), owner, ws_id))
        .map_err(denied)?;
    match &who.credential {
        Credential::Token(token) => {
            if token.scope == TokenScope::Account && !subject.account_admin {
                return Err(denied(ApiError::unauthenticated(
                    "Invalid access token for this workspace.",
                )));
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
                .map_err(|d| denied(d.into()))?;
            }
        }
        Credential::Password => {
            // Password permissions: until set, every member (`users`) may sign in.
            if let Some(acl) = policy.passwords_acl.as_ref() {
                authz::decide(
                    &subject,
                    &Action::Access {
                        acl,
                        level: Level::CanUse,
                    },
                )
                .map_err(|d| {
                    denied(ApiError::forbidden(format!(
                        "Password sign-in is not permitted for {} in workspace {ws_id}: {} Use a personal access token, or ask a workspace admin for CAN_USE on authorization/passwords.",
                        who.owner.name, d.0
                    )))
                })?;
            }
        }
    }
    if let Some(route) = req.route {
        let route = route.as_str();
        let route = route.find("/api/2.").map_or(route, |i| &route[i + 8..]);
        if let Gate::Admin(feature) = authz::gate(req.method, route) {
            authz::decide(&subject, &Action::Administer(feature)).map_err(|d| denied(d.into()))?;
        }
    }
    let mut principal = subject.principal.reference();
    principal.admin = subject.workspace_admin;
    let ctx = WorkspaceCtx {
        workspace: Arc::new(workspace),
        principal,
        subject: Arc::new(subject),
        token_id: who.token().map(|t| t.token_id.clone()).unwrap_or_default(),
        client_ip,
        policy,
    };
    Ok((ctx, who))
}
