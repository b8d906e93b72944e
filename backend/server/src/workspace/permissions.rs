//! Routes of the Permissions API (`/permissions/{object_type}/{object_id}` and its
//! `/permissionLevels`). Every member reaches them; whether the caller may read or change an
//! object's ACL is decided here per object.

use crate::auth::WorkspaceCtx;
use crate::authz::store as acl_store;
use crate::authz::{Action, ObjectKind};
use crate::error::{ApiError, ApiResult};
use crate::identity::{directory, Kind, Scope, ADMINS};
use crate::json::Body;
use crate::permissions::{self, edit, render, Descriptor, Target};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use ironbrick_api::permissions::{
    GetPermissionLevelsResponse, ObjectPermissions, ObjectPermissionsRequest,
};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/permissions/{object_type}/{object_id}",
            get(fetch).put(set).patch(update),
        )
        .route(
            "/permissions/{object_type}/{object_id}/permissionLevels",
            get(levels),
        )
}

#[derive(Debug, Deserialize)]
struct ObjectPath {
    object_type: String,
    object_id: String,
}

fn target(
    state: &AppState,
    ctx: &WorkspaceCtx,
    p: &ObjectPath,
) -> ApiResult<(&'static dyn Descriptor, Target)> {
    let d = permissions::descriptor(&p.object_type).ok_or_else(|| {
        ApiError::invalid(format!(
            "Permissions on {} are not supported; supported object types: {}.",
            p.object_type,
            permissions::served()
        ))
    })?;
    Ok((d, d.resolve(state.store(), ctx.id(), &p.object_id)?))
}

async fn fetch(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Path(p): Path<ObjectPath>,
) -> ApiResult<Json<ObjectPermissions>> {
    let (_, t) = target(&state, &ctx, &p)?;
    ctx.allow(&Action::ManagePermissions { acl: &t.acl })?;
    Ok(Json(render::answer(state.store(), ctx.id(), &t)?))
}

async fn levels(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Path(p): Path<ObjectPath>,
) -> ApiResult<Json<GetPermissionLevelsResponse>> {
    let (_, t) = target(&state, &ctx, &p)?;
    let weakest = t.acl.kind.levels()[0];
    ctx.allow(&Action::Access {
        acl: &t.acl,
        level: weakest,
    })?;
    Ok(Json(GetPermissionLevelsResponse {
        permission_levels: render::levels(t.acl.kind),
    }))
}

/// How a request changes the direct grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// `PUT`: replace them.
    Set,
    /// `PATCH`: merge into them.
    Update,
}

async fn write(
    state: AppState,
    ctx: WorkspaceCtx,
    p: ObjectPath,
    req: ObjectPermissionsRequest,
    change: Change,
) -> ApiResult<Json<ObjectPermissions>> {
    let (d, t) = target(&state, &ctx, &p)?;
    ctx.allow(&Action::ManagePermissions { acl: &t.acl })?;
    let ws = ctx.id();
    let store = state.store();
    let admins = directory::id_by_name(store, Scope::Workspace(ws), Kind::Group, ADMINS)?;
    let kind: ObjectKind = t.acl.kind;
    let grants = edit::grants(kind, &req.access_control_list, admins, |name| {
        edit::principal_id(store, ws, name)
    })?;
    store.transact(|tx| {
        let next = match change {
            Change::Set => grants.clone(),
            Change::Update => {
                let current = acl_store::tx_get(tx, ws, &t.key)?
                    .map_or_else(|| t.defaults.clone(), |r| r.grants);
                edit::merge(&current, &grants)
            }
        };
        acl_store::tx_put(tx, ws, &t.key, &acl_store::AclRecord { grants: next })
    })?;
    state.flush().await?;
    d.changed(&state, ws);
    let fresh = d.resolve(store, ws, &p.object_id)?;
    Ok(Json(render::answer(store, ws, &fresh)?))
}

async fn set(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Path(p): Path<ObjectPath>,
    Body(req): Body<ObjectPermissionsRequest>,
) -> ApiResult<Json<ObjectPermissions>> {
    write(state, ctx, p, req, Change::Set).await
}

async fn update(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Path(p): Path<ObjectPath>,
    Body(req): Body<ObjectPermissionsRequest>,
) -> ApiResult<Json<ObjectPermissions>> {
    write(state, ctx, p, req, Change::Update).await
}
