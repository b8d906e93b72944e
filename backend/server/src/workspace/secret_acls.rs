//! Secret scope ACLs: `/secrets/acls/put|get|list|delete`, and the effective ACL every
//! secret endpoint checks.
//!
//! Grants (READ < WRITE < MANAGE) are stored per scope in [`crate::authz::store`] under
//! `secret-scopes/{scope}`. The scope's creator gets MANAGE when the scope is created (and
//! `initial_manage_principal = "users"` gives every member MANAGE); workspace admins always
//! hold MANAGE. A scope stored before ACLs existed has no record and behaves as if its creator
//! held MANAGE.

use super::secrets::{no_scope, scope_key, ScopeRecord};
use crate::auth::WorkspaceCtx;
use crate::authz::store::{self as acl_store, AclRecord, StoredGrant};
use crate::authz::{Acl, Action, Grant, Level, ObjectKind};
use crate::error::{ApiError, ApiResult};
use crate::identity::{directory, Kind, Scope, USERS};
use crate::json::Body;
use crate::repo::{self, trees};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use ironbrick_api::secrets::{
    AclItem, AclPermission, DeleteAclRequest, GetAclQuery, ListAclsQuery, ListAclsResponse,
    PutAclRequest,
};
use ironbrick_api::Empty;
use ironbrick_store::Store;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/secrets/acls/put", post(put))
        .route("/secrets/acls/delete", post(delete))
        .route("/secrets/acls/get", get(fetch))
        .route("/secrets/acls/list", get(list))
}

/// The authz store key of `scope`'s ACL.
pub fn object(scope: &str) -> String {
    format!("secret-scopes/{scope}")
}

/// The grants of a new scope created by `creator`; `initial_manage_principal` may only be
/// `users` (every member gets MANAGE).
pub fn initial_grants(
    store: &Store,
    ws: i64,
    creator: i64,
    initial_manage_principal: Option<&str>,
) -> ApiResult<AclRecord> {
    let mut grants = vec![StoredGrant {
        principal: creator,
        level: Level::Manage,
    }];
    match initial_manage_principal {
        None => {}
        Some(USERS) => {
            if let Some(users) =
                directory::id_by_name(store, Scope::Workspace(ws), Kind::Group, USERS)?
            {
                grants.push(StoredGrant {
                    principal: users,
                    level: Level::Manage,
                });
            }
        }
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "initial_manage_principal {other:?} is not supported; the only accepted value is \"users\"."
            )))
        }
    }
    Ok(AclRecord { grants })
}

/// The stored grants of a scope, or for a scope stored before ACLs, its creator's MANAGE.
fn stored(
    store: &Store,
    ws: i64,
    scope: &str,
    record: &ScopeRecord,
) -> ApiResult<Vec<StoredGrant>> {
    Ok(acl_store::get(store, ws, &object(scope))?.map_or_else(
        || {
            vec![StoredGrant {
                principal: record.created_by,
                level: Level::Manage,
            }]
        },
        |r| r.grants,
    ))
}

/// The effective ACL of `scope`, whose record is `record`.
pub fn acl_of(store: &Store, ws: i64, scope: &str, record: &ScopeRecord) -> ApiResult<Acl> {
    Ok(Acl {
        kind: ObjectKind::SecretScope,
        name: scope.to_string(),
        grants: stored(store, ws, scope, record)?
            .into_iter()
            .map(|g| Grant {
                principal: g.principal,
                level: g.level,
                inherited_from: None,
            })
            .collect(),
    })
}

fn scope_record(store: &Store, ws: i64, scope: &str) -> ApiResult<ScopeRecord> {
    repo::get(store, trees::SECRET_SCOPES, &scope_key(ws, scope))?.ok_or_else(|| no_scope(scope))
}

/// The effective ACL of `scope`; RESOURCE_DOES_NOT_EXIST when there is no such scope.
pub fn scope_acl(store: &Store, ws: i64, scope: &str) -> ApiResult<Acl> {
    let record = scope_record(store, ws, scope)?;
    acl_of(store, ws, scope, &record)
}

/// The principal called `name`: a group of the workspace or the account, a user, or a service
/// principal (by application id).
fn principal(store: &Store, ws: i64, name: &str) -> ApiResult<i64> {
    let candidates = [
        (Scope::Workspace(ws), Kind::Group),
        (Scope::Account, Kind::Group),
        (Scope::Account, Kind::User),
        (Scope::Account, Kind::ServicePrincipal),
    ];
    for (scope, kind) in candidates {
        if let Some(id) = directory::id_by_name(store, scope, kind, name)? {
            return Ok(id);
        }
    }
    Err(ApiError::not_found(format!(
        "Principal {name} does not exist."
    )))
}

fn level(p: AclPermission) -> Level {
    match p {
        AclPermission::Read => Level::Read,
        AclPermission::Write => Level::Write,
        AclPermission::Manage => Level::Manage,
    }
}

fn permission(l: Level) -> Option<AclPermission> {
    match l {
        Level::Read => Some(AclPermission::Read),
        Level::Write => Some(AclPermission::Write),
        Level::Manage => Some(AclPermission::Manage),
        _ => None,
    }
}

/// Checks that the caller may manage `scope`'s ACL; answers the scope record.
fn manage(state: &AppState, ctx: &WorkspaceCtx, scope: &str) -> ApiResult<ScopeRecord> {
    let record = scope_record(state.store(), ctx.id(), scope)?;
    let acl = acl_of(state.store(), ctx.id(), scope, &record)?;
    ctx.allow(&Action::Access {
        acl: &acl,
        level: Level::Manage,
    })?;
    Ok(record)
}

fn no_acl(scope: &str, principal: &str) -> ApiError {
    ApiError::not_found(format!(
        "No ACL for principal {principal} in scope {scope}."
    ))
}

/// Rewrites the grants of `scope` with `change` applied to the current ones.
async fn change(
    state: &AppState,
    ws: i64,
    scope: &str,
    record: &ScopeRecord,
    change: impl Fn(&mut Vec<StoredGrant>) -> ApiResult<()>,
) -> ApiResult<()> {
    let legacy = stored(state.store(), ws, scope, record)?;
    let key = object(scope);
    state.store().transact(|tx| {
        if tx
            .get(trees::SECRET_SCOPES, scope_key(ws, scope).as_bytes())?
            .is_none()
        {
            return Err(no_scope(scope));
        }
        let mut grants =
            acl_store::tx_get(tx, ws, &key)?.map_or_else(|| legacy.clone(), |r| r.grants);
        change(&mut grants)?;
        acl_store::tx_put(tx, ws, &key, &AclRecord { grants })?;
        Ok(())
    })?;
    state.flush().await
}

async fn put(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(req): Body<PutAclRequest>,
) -> ApiResult<Json<Empty>> {
    let record = manage(&state, &ctx, &req.scope)?;
    let id = principal(state.store(), ctx.id(), &req.principal)?;
    let wanted = level(req.permission);
    change(&state, ctx.id(), &req.scope, &record, |grants| {
        match grants.iter_mut().find(|g| g.principal == id) {
            Some(g) => g.level = wanted,
            None => grants.push(StoredGrant {
                principal: id,
                level: wanted,
            }),
        }
        Ok(())
    })
    .await?;
    Ok(Json(Empty {}))
}

async fn delete(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(req): Body<DeleteAclRequest>,
) -> ApiResult<Json<Empty>> {
    let record = manage(&state, &ctx, &req.scope)?;
    let id = principal(state.store(), ctx.id(), &req.principal)
        .map_err(|_| no_acl(&req.scope, &req.principal))?;
    change(&state, ctx.id(), &req.scope, &record, |grants| {
        let before = grants.len();
        grants.retain(|g| g.principal != id);
        if grants.len() == before {
            return Err(no_acl(&req.scope, &req.principal));
        }
        Ok(())
    })
    .await?;
    Ok(Json(Empty {}))
}

/// The grants of `scope` as answer items, named from the identity store.
fn items(
    state: &AppState,
    ws: i64,
    scope: &str,
    record: &ScopeRecord,
) -> ApiResult<Vec<(i64, AclItem)>> {
    let mut out = Vec::new();
    for g in stored(state.store(), ws, scope, record)? {
        let (Some(p), Some(permission)) = (
            directory::find(state.store(), Some(ws), g.principal)?,
            permission(g.level),
        ) else {
            continue;
        };
        out.push((
            g.principal,
            AclItem {
                principal: p.name,
                permission,
            },
        ));
    }
    Ok(out)
}

async fn fetch(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Query(q): Query<GetAclQuery>,
) -> ApiResult<Json<AclItem>> {
    let record = manage(&state, &ctx, &q.scope)?;
    let id = principal(state.store(), ctx.id(), &q.principal)
        .map_err(|_| no_acl(&q.scope, &q.principal))?;
    items(&state, ctx.id(), &q.scope, &record)?
        .into_iter()
        .find(|(p, _)| *p == id)
        .map(|(_, item)| Json(item))
        .ok_or_else(|| no_acl(&q.scope, &q.principal))
}

async fn list(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Query(q): Query<ListAclsQuery>,
) -> ApiResult<Json<ListAclsResponse>> {
    let record = manage(&state, &ctx, &q.scope)?;
    let items = items(&state, ctx.id(), &q.scope, &record)?
        .into_iter()
        .map(|(_, item)| item)
        .collect();
    Ok(Json(ListAclsResponse { items }))
}
