//! Libraries: `/api/2.0/libraries/install|uninstall|cluster-status|all-cluster-statuses`.
//!
//! Libraries are recorded against the cluster (CAN_MANAGE to change them, CAN_ATTACH_TO to read
//! them). A library is INSTALLED while the cluster runs and PENDING otherwise; an uninstalled
//! one shows UNINSTALL_ON_RESTART until the next (re)start. A cluster policy that sets
//! `libraries` decides a cluster's libraries: they are listed for every cluster under it (with
//! the message `Set by cluster policy "<name>".`), and nobody installs or uninstalls others
//! there.

use super::lifecycle::{ClusterRecord, LibraryEntry};
use super::{authorize, mutate, store};
use crate::auth::WorkspaceCtx;
use crate::authz::Level;
use crate::compute::libraries::check_library;
use crate::compute::policies;
use crate::error::{ApiError, ApiResult};
use crate::json::Body;
use crate::state::AppState;
use crate::time::now_ms;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use ironbrick_api::clusters::{
    ClusterLibraryStatuses, InstallLibraries, LibraryFullStatus, ListAllClusterLibraryStatuses,
    State as ClusterState,
};
use ironbrick_api::Empty;
use serde::Deserialize;
use serde_json::Value;

/// Routes, relative to `/api/2.0`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/libraries/install", post(install))
        .route("/libraries/uninstall", post(uninstall))
        .route("/libraries/cluster-status", get(cluster_status))
        .route("/libraries/all-cluster-statuses", get(all_statuses))
}

/// The libraries the cluster's policy sets, if it sets any.
fn policy_libraries(
    state: &AppState,
    ws: i64,
    rec: &ClusterRecord,
) -> Option<(String, Vec<Value>)> {
    let id = rec.info.attributes.get("policy_id")?.as_str()?;
    let policy = policies::find(state, ws, id).ok()?;
    let libs = policy.libraries.filter(|l| !l.is_empty())?;
    Some((policy.name, libs))
}

fn check_request(req: &InstallLibraries) -> ApiResult<()> {
    crate::validate::required("cluster_id", &req.cluster_id)?;
    if req.libraries.is_empty() {
        return Err(ApiError::invalid(
            "libraries must name at least one library.",
        ));
    }
    req.libraries.iter().try_for_each(check_library)
}

/// Refuses library changes on a cluster whose policy sets its libraries.
fn check_ungoverned(state: &AppState, ws: i64, rec: &ClusterRecord) -> ApiResult<()> {
    match policy_libraries(state, ws, rec) {
        Some((name, _)) => Err(ApiError::invalid(format!(
            "Cluster {} uses cluster policy {name:?}, which sets its libraries: no library can be \
             installed or uninstalled on it.",
            rec.info.cluster_id
        ))),
        None => Ok(()),
    }
}

async fn install(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(req): Body<InstallLibraries>,
) -> ApiResult<Json<Empty>> {
    check_request(&req)?;
    mutate(&state, &ctx, &req.cluster_id, Level::CanManage, |rec, _| {
        check_ungoverned(&state, ctx.id(), rec)?;
        for lib in &req.libraries {
            match rec.libraries.iter_mut().find(|l| &l.library == lib) {
                Some(entry) => entry.uninstall = false,
                None => rec.libraries.push(LibraryEntry {
                    library: lib.clone(),
                    uninstall: false,
                }),
            }
        }
        Ok((Json(Empty {}), Vec::new()))
    })
    .await
}

async fn uninstall(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(req): Body<InstallLibraries>,
) -> ApiResult<Json<Empty>> {
    check_request(&req)?;
    mutate(&state, &ctx, &req.cluster_id, Level::CanManage, |rec, _| {
        check_ungoverned(&state, ctx.id(), rec)?;
        for entry in &mut rec.libraries {
            if req.libraries.contains(&entry.library) {
                entry.uninstall = true;
            }
        }
        Ok((Json(Empty {}), Vec::new()))
    })
    .await
}

fn statuses(state: &AppState, ws: i64, rec: &ClusterRecord) -> ClusterLibraryStatuses {
    let running = rec.info.state == ClusterState::Running;
    let status = |uninstall: bool| match (uninstall, running) {
        (true, _) => "UNINSTALL_ON_RESTART",
        (false, true) => "INSTALLED",
        (false, false) => "PENDING",
    };
    let from_policy = policy_libraries(state, ws, rec)
        .map(|(_, l)| l)
        .unwrap_or_default();
    let library_statuses = from_policy
        .into_iter()
        .map(|library| (library, false))
        .chain(
            rec.libraries
                .iter()
                .map(|l| (l.library.clone(), l.uninstall)),
        )
        .map(|(library, uninstall)| LibraryFullStatus {
            library,
            status: status(uninstall).to_owned(),
            is_library_for_all_clusters: false,
            messages: Vec::new(),
        })
        .collect();
    ClusterLibraryStatuses {
        cluster_id: rec.info.cluster_id.clone(),
        library_statuses,
    }
}

#[derive(Debug, Deserialize)]
struct StatusQuery {
    #[serde(default)]
    cluster_id: String,
}

async fn cluster_status(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Query(q): Query<StatusQuery>,
) -> ApiResult<Json<ClusterLibraryStatuses>> {
    let id = crate::validate::required("cluster_id", &q.cluster_id)?;
    let (rec, _) = store::load(&state, ctx.id(), id, now_ms())?;
    authorize(&state, &ctx, id, Level::CanAttachTo)?;
    Ok(Json(statuses(&state, ctx.id(), &rec)))
}

async fn all_statuses(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
) -> ApiResult<Json<ListAllClusterLibraryStatuses>> {
    let out = super::visible(&state, &ctx)?
        .iter()
        .map(|rec| statuses(&state, ctx.id(), rec))
        .collect();
    Ok(Json(ListAllClusterLibraryStatuses { statuses: out }))
}
