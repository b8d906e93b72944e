//! The SCIM 2.0 identity API, one implementation mounted twice: at the account
//! (`/api/2.0/accounts/{account_id}/scim/v2/...`, account admins) and in each workspace
//! (`/api/2.0/preview/scim/v2/...`, reads open to members, writes to admins by the gate
//! table).
//!
//! Every resource is rendered to its JSON wire form ([`render`]); lists filter, sort, page
//! and project that form ([`query`], [`filter`]); a `PATCH` applies its operations to it
//! ([`patch`]) and is then stored like a `PUT` ([`draft`], [`write`]). What a workspace sees
//! is decided in [`visibility`].

pub mod draft;
pub mod filter;
pub mod patch;
pub mod query;
pub mod render;
pub mod visibility;
pub mod write;

use crate::auth::{AccountCaller, WorkspaceCtx};
use crate::error::{ApiError, ApiResult};
use crate::identity::Kind;
use crate::json::Body;
use crate::state::AppState;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use draft::Absent;
use ironbrick_api::scim::{ListResponse, PatchRequest};
use query::{ListParams, Projection};
use serde_json::Value;
use std::collections::HashMap;

/// Where a SCIM request is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The account API: account principals and account groups.
    Account,
    /// A workspace: the principals that can use it, its local groups and the account groups
    /// assigned to it; entitlements.
    Workspace(i64),
}

impl Level {
    /// The workspace, if any.
    pub fn workspace(self) -> Option<i64> {
        match self {
            Level::Account => None,
            Level::Workspace(ws) => Some(ws),
        }
    }
}

/// The level of a request and whether its caller is an account admin, taken from what the
/// authentication layer of either API left in the request.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    pub level: Level,
    pub account_admin: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if let Some(ctx) = parts.extensions.get::<WorkspaceCtx>() {
            return Ok(Self {
                level: Level::Workspace(ctx.id()),
                account_admin: ctx.subject.account_admin,
            });
        }
        if let Some(a) = parts.extensions.get::<AccountCaller>() {
            return Ok(Self {
                level: Level::Account,
                account_admin: a.subject.account_admin,
            });
        }
        Err(ApiError::Internal(
            "SCIM route reached without authentication".into(),
        ))
    }
}

/// A SCIM resource type.
pub trait Resource: Send + Sync + 'static {
    const KIND: Kind;
}

/// `/Users`.
#[derive(Debug)]
pub struct Users;
/// `/Groups`.
#[derive(Debug)]
pub struct Groups;
/// `/ServicePrincipals`.
#[derive(Debug)]
pub struct ServicePrincipals;

impl Resource for Users {
    const KIND: Kind = Kind::User;
}
impl Resource for Groups {
    const KIND: Kind = Kind::Group;
}
impl Resource for ServicePrincipals {
    const KIND: Kind = Kind::ServicePrincipal;
}

/// Top-level attributes of a user.
pub const USER_ATTRIBUTES: [&str; 12] = [
    "id",
    "userName",
    "displayName",
    "active",
    "name",
    "externalId",
    "emails",
    "entitlements",
    "groups",
    "roles",
    "schemas",
    "meta",
];
const GROUP_ATTRIBUTES: [&str; 9] = [
    "id",
    "displayName",
    "externalId",
    "members",
    "groups",
    "entitlements",
    "roles",
    "meta",
    "schemas",
];
const SERVICE_PRINCIPAL_ATTRIBUTES: [&str; 10] = [
    "id",
    "applicationId",
    "displayName",
    "active",
    "externalId",
    "entitlements",
    "groups",
    "roles",
    "schemas",
    "meta",
];
/// What a user patch may name besides its attributes: `password` (write-only: hashed and
/// stored, never rendered, echoed or logged).
const USER_PATCHABLE: [&str; 13] = [
    "id",
    "userName",
    "displayName",
    "active",
    "name",
    "externalId",
    "emails",
    "entitlements",
    "groups",
    "roles",
    "schemas",
    "meta",
    "password",
];

/// The top-level attributes of `kind`.
pub fn attributes(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::User => &USER_ATTRIBUTES,
        Kind::Group => &GROUP_ATTRIBUTES,
        Kind::ServicePrincipal => &SERVICE_PRINCIPAL_ATTRIBUTES,
    }
}

/// Routes of the three resources under `prefix` (`/scim/v2` or `/preview/scim/v2`).
pub fn routes(prefix: &str) -> Router<AppState> {
    fn resource<R: Resource>(r: Router<AppState>, prefix: &str, name: &str) -> Router<AppState> {
        r.route(
            &format!("{prefix}/{name}"),
            get(list::<R>).post(create::<R>),
        )
        .route(
            &format!("{prefix}/{name}/{{id}}"),
            get(fetch::<R>)
                .put(replace::<R>)
                .patch(patch::<R>)
                .delete(delete::<R>),
        )
    }
    let r = resource::<Users>(Router::new(), prefix, "Users");
    let r = resource::<Groups>(r, prefix, "Groups");
    resource::<ServicePrincipals>(r, prefix, "ServicePrincipals")
}

fn id_param(params: &HashMap<String, String>) -> ApiResult<&str> {
    params
        .get("id")
        .map(String::as_str)
        .ok_or_else(|| ApiError::Internal("SCIM route without {id}".into()))
}

async fn list<R: Resource>(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<ListResponse<Value>>> {
    let params = ListParams::parse(&q, attributes(R::KIND))?;
    let store = state.store();
    let docs = write::list(store, caller.level, R::KIND)?
        .iter()
        .map(|p| render::doc(store, caller.level, p))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(params.answer(docs)))
}

async fn fetch<R: Resource>(
    State(state): State<AppState>,
    caller: Caller,
    Path(params): Path<HashMap<String, String>>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let projection = Projection::parse(&q, attributes(R::KIND))?;
    let p = write::lookup(state.store(), caller.level, R::KIND, id_param(&params)?)?;
    let doc = render::doc(state.store(), caller.level, &p)?;
    Ok(Json(projection.apply(doc)))
}

async fn create<R: Resource>(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<Value>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let mut d = draft::parse(R::KIND, caller.level, body, Absent::Keeps, None)?;
    hash_password(&state, &mut d).await?;
    let _writes = state.identity_writes().await?;
    let p = write::create(state.store(), &caller, R::KIND, d)?;
    state.passwords().cache().forget(p.id);
    state.flush().await?;
    let doc = render::doc(state.store(), caller.level, &p)?;
    Ok((StatusCode::CREATED, Json(doc)))
}

async fn replace<R: Resource>(
    State(state): State<AppState>,
    caller: Caller,
    Path(params): Path<HashMap<String, String>>,
    Body(body): Body<Value>,
) -> ApiResult<Json<Value>> {
    let store = state.store();
    let _writes = state.identity_writes().await?;
    let p = write::lookup(store, caller.level, R::KIND, id_param(&params)?)?;
    let mut d = draft::parse(R::KIND, caller.level, body, Absent::Keeps, Some(&p))?;
    hash_password(&state, &mut d).await?;
    write::replace(store, &caller, &p, d)?;
    state.passwords().cache().forget(p.id);
    state.flush().await?;
    let p = write::lookup(store, caller.level, R::KIND, &p.id.to_string())?;
    Ok(Json(render::doc(store, caller.level, &p)?))
}

async fn patch<R: Resource>(
    State(state): State<AppState>,
    caller: Caller,
    Path(params): Path<HashMap<String, String>>,
    Body(req): Body<PatchRequest>,
) -> ApiResult<Json<Value>> {
    let store = state.store();
    let _writes = state.identity_writes().await?;
    let p = write::lookup(store, caller.level, R::KIND, id_param(&params)?)?;
    let mut doc = render::doc(store, caller.level, &p)?;
    let patchable: &[&str] = match R::KIND {
        Kind::User => &USER_PATCHABLE,
        kind => attributes(kind),
    };
    patch::apply(&mut doc, &req.operations, patchable)?;
    let mut d = draft::parse(R::KIND, caller.level, doc, Absent::Empties, Some(&p))?;
    hash_password(&state, &mut d).await?;
    write::replace(store, &caller, &p, d)?;
    state.passwords().cache().forget(p.id);
    state.flush().await?;
    let p = write::lookup(store, caller.level, R::KIND, &p.id.to_string())?;
    Ok(Json(render::doc(store, caller.level, &p)?))
}

/// Hashes the new password of a draft (argon2, off the async runtime).
async fn hash_password(state: &AppState, d: &mut draft::Draft) -> ApiResult<()> {
    if let Some(p) = d.password.take() {
        d.password_hash = Some(state.passwords().hash(&d.name, p).await?);
    }
    Ok(())
}

async fn delete<R: Resource>(
    State(state): State<AppState>,
    caller: Caller,
    Path(params): Path<HashMap<String, String>>,
) -> ApiResult<StatusCode> {
    let _writes = state.identity_writes().await?;
    let p = write::lookup(state.store(), caller.level, R::KIND, id_param(&params)?)?;
    write::delete(state.store(), &caller, &p)?;
    state.passwords().cache().forget(p.id);
    state.flush().await?;
    Ok(StatusCode::NO_CONTENT)
}
