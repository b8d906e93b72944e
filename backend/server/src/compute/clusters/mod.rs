//! Clusters: `/api/2.1/clusters/create|edit|get|list|delete|permanent-delete|start|restart|
//! resize|pin|unpin|events` (also at `/api/2.0`).
//!
//! Clusters are control-plane records: the specification as admitted ([`admit`]), a lifecycle
//! state that moves by the clock ([`lifecycle`]), events, and the libraries asked for. Who may
//! do what is the cluster's ACL (`clusters/{id}`): CAN_ATTACH_TO to see it, CAN_RESTART to
//! start, restart and terminate it, CAN_MANAGE to edit, resize, delete it and manage its
//! libraries. The creator gets CAN_MANAGE. Editing a policy leaves its clusters as they are;
//! their next edit is judged by the new definition.

pub mod admit;
mod events;
pub mod libraries;
pub mod lifecycle;
mod list;
pub mod spec;
pub mod store;

pub use store::TREE;

use crate::auth::WorkspaceCtx;
use crate::authz::store::{self as acl_store, AclRecord, StoredGrant};
use crate::authz::{Action, Level};
use crate::compute::policies;
use crate::error::{ApiError, ApiResult};
use crate::json::Body;
use crate::permissions::compute::ComputeObjects;
use crate::state::AppState;
use crate::time::now_ms;
use crate::workspace::object_acl::Groups;
use admit::{admit, Admitted};
use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use ironbrick_api::clusters::{ClusterId, ClusterInfo, ResizeCluster, State as ClusterState};
use ironbrick_api::compute::ClusterSpec;
use ironbrick_api::{Empty, ErrorCode};
use lifecycle::{reason, ClusterRecord, NewEvent};
use serde::Deserialize;
use serde_json::{json, Value};

/// Routes of the clusters API (the catalogue routes are the parent's).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/clusters/create", post(create))
        .route("/clusters/edit", post(edit))
        .route("/clusters/get", get(fetch))
        .route("/clusters/list", get(list::list))
        .route("/clusters/delete", post(terminate))
        .route("/clusters/permanent-delete", post(permanent_delete))
        .route("/clusters/start", post(start))
        .route("/clusters/restart", post(restart))
        .route("/clusters/resize", post(resize))
        .route("/clusters/pin", post(pin))
        .route("/clusters/unpin", post(unpin))
        .route("/clusters/events", post(events::events))
}

/// Asks the decision point whether the caller holds `level` on cluster `id`.
pub fn authorize(state: &AppState, ctx: &WorkspaceCtx, id: &str, level: Level) -> ApiResult<()> {
    let acl = ComputeObjects::CLUSTERS.acl(state.store(), ctx.id(), id)?;
    ctx.allow(&Action::Access { acl: &acl, level })
}

/// The clusters of the workspace, as they stand now, that the caller may attach to.
pub fn visible(state: &AppState, ctx: &WorkspaceCtx) -> ApiResult<Vec<ClusterRecord>> {
    let admins = Groups::of(state.store(), ctx.id())?.admins;
    let mut out = Vec::new();
    for rec in store::all(state, ctx.id(), now_ms())? {
        let acl = ComputeObjects::CLUSTERS.acl_with(
            state.store(),
            ctx.id(),
            &rec.info.cluster_id,
            admins,
        )?;
        let action = Action::Access {
            acl: &acl,
            level: Level::CanAttachTo,
        };
        if ctx.allow(&action).is_ok() {
            out.push(rec);
        }
    }
    Ok(out)
}

/// Loads cluster `id`, checks the caller holds `level`, lets `change` alter it, and stores it
/// with the events of its settled transitions and those `change` returns.
pub async fn mutate<R>(
    state: &AppState,
    ctx: &WorkspaceCtx,
    id: &str,
    level: Level,
    change: impl FnOnce(&mut ClusterRecord, i64) -> ApiResult<(R, Vec<NewEvent>)>,
) -> ApiResult<R> {
    let _guard = state.identity_writes().await?;
    let now = now_ms();
    let (mut rec, mut events) = store::load(state, ctx.id(), id, now)?;
    authorize(state, ctx, id, level)?;
    let (out, more) = change(&mut rec, now)?;
    events.extend(more);
    state
        .store()
        .transact(|tx| store::tx_save(tx, ctx.id(), &rec, &events).map_err(ApiError::from))?;
    state.flush().await?;
    Ok(out)
}

fn policy_id(spec: &ClusterSpec) -> Option<&str> {
    spec.get("policy_id").and_then(Value::as_str)
}

/// Refuses one more active cluster of the caller under the admitted policy when the policy's
/// `max_clusters_per_user` is reached (`except`: the cluster being edited or started).
fn check_quota(
    state: &AppState,
    ctx: &WorkspaceCtx,
    attributes: &ClusterSpec,
    except: Option<&str>,
    now: i64,
) -> ApiResult<()> {
    let Some(wanted) = policy_id(attributes) else {
        return Ok(());
    };
    let policy = policies::find(state, ctx.id(), wanted)?;
    let Some(max) = policy.max_clusters_per_user else {
        return Ok(());
    };
    let active = store::all(state, ctx.id(), now)?
        .iter()
        .filter(|c| {
            c.creator_id == ctx.principal.id
                && c.info.state.is_active()
                && policy_id(&c.info.attributes) == Some(wanted)
                && Some(c.info.cluster_id.as_str()) != except
        })
        .count();
    if active as i64 >= max {
        return Err(ApiError::new(
            ErrorCode::QuotaExceeded,
            format!(
                "{} already has {active} active cluster(s) under cluster policy {:?}, whose \
                 max_clusters_per_user is {max}.",
                ctx.principal.name, policy.name
            ),
        ));
    }
    Ok(())
}

/// Recomputes what follows from the specification: default tags, cores and memory.
fn derive(rec: &mut ClusterRecord) {
    let info = &mut rec.info;

    let name = info
        .attributes
        .get("cluster_name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    info.default_tags = [
        ("Vendor", "Databricks".to_owned()),
        (
            "Creator",
            info.creator_user_name.clone().unwrap_or_default(),
        ),
        ("ClusterName", name),
        ("ClusterId", info.cluster_id.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let workers = rec.workers();
    let (cores, memory) = spec::size(&rec.info.attributes, workers);
    rec.info.cluster_cores = cores;
    rec.info.cluster_memory_mb = memory;
}

const PENDING_MESSAGE: &str =
    "Finding instances for new nodes, acquiring more instances if necessary";

fn new_record(ctx: &WorkspaceCtx, id: String, admitted: Admitted, now: i64) -> ClusterRecord {
    let mut rec = ClusterRecord {
        info: ClusterInfo {
            cluster_id: id,
            creator_user_name: Some(ctx.principal.name.clone()),
            state: ClusterState::Pending,
            state_message: PENDING_MESSAGE.to_owned(),
            start_time: now,
            terminated_time: None,
            last_restarted_time: None,
            termination_reason: None,
            cluster_source: "API".to_owned(),
            default_tags: Default::default(),
            cluster_cores: None,
            cluster_memory_mb: None,
            spark_context_id: Some(rand::random::<i64>().abs()),
            is_pinned: false,
            requested: admitted.requested,
            attributes: admitted.attributes,
        },
        creator_id: ctx.principal.id,
        since: now,
        next_event: 0,
        libraries: Vec::new(),
    };
    derive(&mut rec);
    rec
}

/// With `clone_from`, the source cluster's specification under the given fields.
fn with_clone_source(
    state: &AppState,
    ctx: &WorkspaceCtx,
    mut body: ClusterSpec,
    now: i64,
) -> ApiResult<ClusterSpec> {
    let Some(from) = body.remove("clone_from") else {
        return Ok(body);
    };
    let source = from
        .get("source_cluster_id")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid("clone_from.source_cluster_id is required."))?;
    let (rec, _) = store::load(state, ctx.id(), source, now)
        .map_err(|_| ApiError::invalid(format!("Cluster {source} does not exist.")))?;
    authorize(state, ctx, source, Level::CanAttachTo)?;
    let mut spec = rec.info.requested.clone();
    spec.remove("idempotency_token");
    spec.extend(body);
    Ok(spec)
}

/// The active cluster created earlier with the same `idempotency_token`, if any.
fn idempotent_match(
    state: &AppState,
    ctx: &WorkspaceCtx,
    body: &ClusterSpec,
    now: i64,
) -> ApiResult<Option<String>> {
    let Some(token) = body.get("idempotency_token") else {
        return Ok(None);
    };
    if token.as_str().is_none_or(|t| t.is_empty() || t.len() > 64) {
        return Err(ApiError::invalid(
            "idempotency_token must be a string of 1 to 64 characters.",
        ));
    }
    Ok(store::all(state, ctx.id(), now)?
        .into_iter()
        .find(|c| {
            c.info.state.is_active() && c.info.requested.get("idempotency_token") == Some(token)
        })
        .map(|c| c.info.cluster_id))
}

async fn create(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(body): Body<ClusterSpec>,
) -> ApiResult<Json<ClusterId>> {
    let _guard = state.identity_writes().await?;
    let now = now_ms();
    let requested = with_clone_source(&state, &ctx, body, now)?;
    if let Some(cluster_id) = idempotent_match(&state, &ctx, &requested, now)? {
        return Ok(Json(ClusterId { cluster_id }));
    }
    let admitted = admit(&state, &ctx, requested)?;
    check_quota(&state, &ctx, &admitted.attributes, None, now)?;
    let id = store::new_id(now);
    let mut rec = new_record(&ctx, id.clone(), admitted, now);
    let created = rec.event(now, "CREATING", json!({"user": ctx.principal.name}));
    let owner = AclRecord {
        grants: vec![StoredGrant {
            principal: ctx.principal.id,
            level: Level::CanManage,
        }],
    };
    state.store().transact(|tx| {
        store::tx_save(tx, ctx.id(), &rec, std::slice::from_ref(&created))?;
        acl_store::tx_put(tx, ctx.id(), &format!("clusters/{id}"), &owner)?;
        Ok::<_, ApiError>(())
    })?;
    state.flush().await?;
    Ok(Json(ClusterId { cluster_id: id }))
}

fn unexpected(rec: &ClusterRecord, wanted: &str) -> ApiError {
    ApiError::invalid_state(format!(
        "Cluster {} is in unexpected state {}; {wanted}.",
        rec.info.cluster_id, rec.info.state
    ))
}

/// Drops the libraries uninstalled before a (re)start.
fn restart_libraries(rec: &mut ClusterRecord) {
    rec.libraries.retain(|l| !l.uninstall);
}

async fn edit(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(mut body): Body<ClusterSpec>,
) -> ApiResult<Json<Empty>> {
    let id = match body.remove("cluster_id") {
        Some(Value::String(id)) if !id.is_empty() => id,
        _ => return Err(ApiError::invalid("cluster_id is required.")),
    };
    let (st, c) = (&state, &ctx);
    mutate(st, c, &id, Level::CanManage, |rec, now| {
        if !matches!(
            rec.info.state,
            ClusterState::Running | ClusterState::Terminated
        ) {
            return Err(unexpected(
                rec,
                "a cluster can be edited when RUNNING or TERMINATED",
            ));
        }
        body.remove("clone_from");
        let admitted = admit(st, c, body)?;
        if rec.info.state == ClusterState::Running {
            check_quota(st, c, &admitted.attributes, Some(&rec.info.cluster_id), now)?;
        }
        let previous = std::mem::replace(&mut rec.info.attributes, admitted.attributes);
        rec.info.requested = admitted.requested;
        derive(rec);
        let details = json!({
            "user": c.principal.name,
            "attributes": rec.info.attributes,
            "previous_attributes": previous,
        });
        let mut events = vec![rec.event(now, "EDITED", details)];
        if rec.info.state == ClusterState::Running {
            rec.enter(
                ClusterState::Restarting,
                now,
                "Restarting to apply the new specification.",
            );
            rec.info.last_restarted_time = Some(now);
            restart_libraries(rec);
            events.push(rec.event(now, "RESTARTING", json!({"user": c.principal.name})));
        }
        Ok((Json(Empty {}), events))
    })
    .await
}

#[derive(Debug, Deserialize)]
struct IdQuery {
    #[serde(default)]
    cluster_id: String,
}

async fn fetch(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Query(q): Query<IdQuery>,
) -> ApiResult<Json<ClusterInfo>> {
    let id = crate::validate::required("cluster_id", &q.cluster_id)?;
    let (rec, _) = store::load(&state, ctx.id(), id, now_ms())?;
    authorize(&state, &ctx, id, Level::CanAttachTo)?;
    Ok(Json(rec.info))
}

async fn terminate(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(req): Body<ClusterId>,
) -> ApiResult<Json<Empty>> {
    let user = ctx.principal.name.clone();
    mutate(
        &state,
        &ctx,
        &req.cluster_id,
        Level::CanRestart,
        |rec, now| {
            if matches!(
                rec.info.state,
                ClusterState::Terminating | ClusterState::Terminated
            ) {
                return Ok((Json(Empty {}), Vec::new()));
            }
            let why = reason("USER_REQUEST", "SUCCESS", &[("username", user.clone())]);
            Ok((Json(Empty {}), vec![rec.terminate(now, why, Some(&user))]))
        },
    )
    .await
}

async fn start(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(req): Body<ClusterId>,
) -> ApiResult<Json<Empty>> {
    let (st, c) = (&state, &ctx);
    mutate(st, c, &req.cluster_id, Level::CanRestart, |rec, now| {
        if rec.info.state != ClusterState::Terminated {
            return Err(unexpected(rec, "only a TERMINATED cluster can be started"));
        }
        check_quota(st, c, &rec.info.attributes, Some(&rec.info.cluster_id), now)?;
        rec.enter(ClusterState::Pending, now, PENDING_MESSAGE);
        rec.info.start_time = now;
        rec.info.terminated_time = None;
        rec.info.termination_reason = None;
        restart_libraries(rec);
        let started = rec.event(now, "STARTING", json!({"user": c.principal.name}));
        Ok((Json(Empty {}), vec![started]))
    })
    .await
}

async fn restart(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(req): Body<ClusterId>,
) -> ApiResult<Json<Empty>> {
    let user = ctx.principal.name.clone();
    mutate(
        &state,
        &ctx,
        &req.cluster_id,
        Level::CanRestart,
        |rec, now| {
            if rec.info.state != ClusterState::Running {
                return Err(unexpected(rec, "only a RUNNING cluster can be restarted"));
            }
            rec.enter(ClusterState::Restarting, now, "Restarting Spark.");
            rec.info.last_restarted_time = Some(now);
            restart_libraries(rec);
            Ok((
                Json(Empty {}),
                vec![rec.event(now, "RESTARTING", json!({"user": user}))],
            ))
        },
    )
    .await
}

async fn resize(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(req): Body<ResizeCluster>,
) -> ApiResult<Json<Empty>> {
    let (st, c) = (&state, &ctx);
    mutate(st, c, &req.cluster_id, Level::CanManage, |rec, now| {
        if rec.info.state != ClusterState::Running {
            return Err(unexpected(rec, "only a RUNNING cluster can be resized"));
        }
        let mut requested = rec.info.requested.clone();
        requested.remove("num_workers");
        requested.remove("autoscale");
        match (req.num_workers, req.autoscale.clone()) {
            (Some(n), None) => requested.insert("num_workers".into(), json!(n)),
            (None, Some(a)) => requested.insert("autoscale".into(), a),
            _ => {
                return Err(ApiError::invalid(
                    "Specify num_workers or autoscale (one of them).",
                ))
            }
        };
        let before = rec.workers();
        let admitted = admit(st, c, requested)?;
        rec.info.attributes = admitted.attributes;
        rec.info.requested = admitted.requested;
        derive(rec);
        rec.enter(ClusterState::Resizing, now, "Resizing the cluster.");
        let details = json!({
            "current_num_workers": before,
            "target_num_workers": rec.workers(),
            "user": c.principal.name,
        });
        Ok((Json(Empty {}), vec![rec.event(now, "RESIZING", details)]))
    })
    .await
}

async fn set_pinned(
    state: &AppState,
    ctx: &WorkspaceCtx,
    id: &str,
    pinned: bool,
) -> ApiResult<Json<Empty>> {
    let kind = if pinned { "PINNED" } else { "UNPINNED" };
    mutate(state, ctx, id, Level::CanManage, |rec, now| {
        if rec.info.is_pinned == pinned {
            return Ok((Json(Empty {}), Vec::new()));
        }
        rec.info.is_pinned = pinned;
        Ok((
            Json(Empty {}),
            vec![rec.event(now, kind, json!({"user": ctx.principal.name}))],
        ))
    })
    .await
}

async fn pin(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(req): Body<ClusterId>,
) -> ApiResult<Json<Empty>> {
    set_pinned(&state, &ctx, &req.cluster_id, true).await
}

async fn unpin(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(req): Body<ClusterId>,
) -> ApiResult<Json<Empty>> {
    set_pinned(&state, &ctx, &req.cluster_id, false).await
}

async fn permanent_delete(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(req): Body<ClusterId>,
) -> ApiResult<Json<Empty>> {
    let _guard = state.identity_writes().await?;
    let id = crate::validate::required("cluster_id", &req.cluster_id)?;
    let now = now_ms();
    let (mut rec, mut events) = store::load(&state, ctx.id(), id, now)?;
    authorize(&state, &ctx, id, Level::CanManage)?;
    if !matches!(
        rec.info.state,
        ClusterState::Terminating | ClusterState::Terminated
    ) {
        let user = ctx.principal.name.clone();
        let why = reason("USER_REQUEST", "SUCCESS", &[("username", user.clone())]);
        events.push(rec.terminate(now, why, Some(&user)));
    }
    state
        .store()
        .transact(|tx| store::tx_purge(tx, ctx.id(), &rec, &events).map_err(ApiError::from))?;
    state.flush().await?;
    Ok(Json(Empty {}))
}
