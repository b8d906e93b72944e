//! Workspace permission assignments: which account principals (users, service principals,
//! account groups) can use a workspace, as `USER` or `ADMIN`.

use crate::error::{ApiError, ApiResult};
use crate::identity::directory::{self, Scope};
use crate::identity::{seed, Kind, PrincipalRecord, WorkspacePermission as Stored};
use crate::json::Body;
use crate::model::WorkspaceRecord;
use crate::repo::{self, trees, ws_key};
use crate::scim::write;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::routing::{get, put};
use axum::{Json, Router};
use ironbrick_api::workspace_assignment::{
    PermissionAssignment, PermissionAssignments, PermissionOutput, PrincipalOutput,
    UpdateWorkspaceAssignments, WorkspacePermission, WorkspacePermissions,
};
use ironbrick_api::Empty;
use ironbrick_store::Store;

const BASE: &str = "/workspaces/{workspace_id}/permissionassignments";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(BASE, get(list))
        .route(&format!("{BASE}/permissions"), get(permissions))
        .route(
            &format!("{BASE}/principals/{{principal_id}}"),
            put(update).delete(delete),
        )
}

fn workspace(store: &Store, ws: i64) -> ApiResult<WorkspaceRecord> {
    repo::get(store, trees::WORKSPACES, &ws_key(ws))?
        .ok_or_else(|| ApiError::not_found(format!("Workspace {ws} does not exist.")))
}

fn principal(store: &Store, id: i64) -> ApiResult<PrincipalRecord> {
    directory::get(store, Scope::Account, id)?
        .ok_or_else(|| ApiError::not_found(format!("Principal {id} does not exist.")))
}

fn output(p: &PrincipalRecord) -> PrincipalOutput {
    let name = Some(p.name.clone());
    let mut out = PrincipalOutput {
        principal_id: p.id,
        display_name: Some(p.display_name.clone()),
        ..PrincipalOutput::default()
    };
    match p.kind {
        Kind::User => out.user_name = name,
        Kind::ServicePrincipal => out.service_principal_name = name,
        Kind::Group => out.group_name = name,
    }
    out
}

fn wire(p: Stored) -> WorkspacePermission {
    match p {
        Stored::User => WorkspacePermission::User,
        Stored::Admin => WorkspacePermission::Admin,
    }
}

fn assignment(
    p: &PrincipalRecord,
    permissions: impl IntoIterator<Item = Stored>,
) -> PermissionAssignment {
    PermissionAssignment {
        principal: Some(output(p)),
        permissions: permissions.into_iter().map(wire).collect(),
        error: None,
    }
}

async fn list(
    State(state): State<AppState>,
    Path((_, ws)): Path<(String, i64)>,
) -> ApiResult<Json<PermissionAssignments>> {
    let store = state.store();
    workspace(store, ws)?;
    let mut permission_assignments = Vec::new();
    for (id, a) in directory::assignments(store, ws)? {
        if let Some(p) = directory::get(store, Scope::Account, id)? {
            permission_assignments.push(assignment(&p, a.permissions));
        }
    }
    Ok(Json(PermissionAssignments {
        permission_assignments,
    }))
}

async fn permissions(
    State(state): State<AppState>,
    Path((_, ws)): Path<(String, i64)>,
) -> ApiResult<Json<WorkspacePermissions>> {
    workspace(state.store(), ws)?;
    Ok(Json(WorkspacePermissions {
        permissions: vec![
            PermissionOutput {
                permission_level: WorkspacePermission::User,
                description: "Can use the workspace.".into(),
            },
            PermissionOutput {
                permission_level: WorkspacePermission::Admin,
                description: "Can use and administer the workspace.".into(),
            },
        ],
    }))
}

async fn update(
    State(state): State<AppState>,
    Path((_, ws, id)): Path<(String, i64, i64)>,
    Body(req): Body<UpdateWorkspaceAssignments>,
) -> ApiResult<Json<PermissionAssignment>> {
    let store = state.store();
    let _writes = state.identity_writes().await?;
    workspace(store, ws)?;
    let p = principal(store, id)?;
    // ADMIN wins over USER; other values are ignored, and no permission at all removes the
    // principal from the workspace (as the API documents).
    let strongest = req.permissions.iter().max().and_then(|p| match p {
        WorkspacePermission::Admin => Some(Stored::Admin),
        WorkspacePermission::User => Some(Stored::User),
        WorkspacePermission::Unknown => None,
    });
    match strongest {
        Some(level) => {
            store.transact(|tx| directory::tx_assign(tx, ws, id, &seed::assignment_of(level)))?;
        }
        None if directory::assignment(store, ws, id)?.is_some() => {
            write::remove_from_workspace(store, ws, &p, false)?
        }
        None => {}
    }
    state.flush().await?;
    Ok(Json(assignment(&p, strongest)))
}

async fn delete(
    State(state): State<AppState>,
    Path((_, ws, id)): Path<(String, i64, i64)>,
) -> ApiResult<Json<Empty>> {
    let store = state.store();
    let _writes = state.identity_writes().await?;
    workspace(store, ws)?;
    let p = principal(store, id)?;
    if directory::assignment(store, ws, id)?.is_none() {
        return Err(ApiError::not_found(format!(
            "Principal {id} ({} {}) is not assigned to workspace {ws}.",
            p.kind.noun(),
            p.name
        )));
    }
    write::remove_from_workspace(store, ws, &p, false)?;
    state.flush().await?;
    Ok(Json(Empty {}))
}
