//! IP access lists: create, get, list, update (PATCH), replace (PUT), delete.
//!
//! Every change is checked against the caller's own address: a change that would lock the
//! caller out of the workspace (while enforcement is on) is refused.

use crate::auth::WorkspaceCtx;
use crate::error::{ApiError, ApiResult};
use crate::json::Body;
use crate::model::IpListRecord;
use crate::policy::{parse_net, WorkspacePolicy};
use crate::repo::{self, trees, ws_key};
use crate::state::AppState;
use crate::time::now_ms;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use ironbrick_api::ip_access_lists::{
    CreateIpAccessListRequest, IpAccessListInfo, IpAccessListResponse, ListIpAccessListsResponse,
    ReplaceIpAccessListRequest, UpdateIpAccessListRequest, LIST_TYPES,
};
use ironbrick_api::{Empty, ErrorCode};

/// At most this many addresses and CIDR blocks across all lists of a workspace.
pub const MAX_ENTRIES: usize = 1000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ip-access-lists", get(list).post(create))
        .route(
            "/ip-access-lists/{ip_access_list_id}",
            get(fetch).patch(update).put(replace).delete(delete),
        )
}

fn list_type(t: &str) -> ApiResult<String> {
    if LIST_TYPES.contains(&t) {
        Ok(t.to_string())
    } else {
        Err(ApiError::invalid(format!(
            "list_type {t:?} must be ALLOW or BLOCK."
        )))
    }
}

/// Validates entries and drops duplicates (entries denoting the same network). Entries are kept
/// as the client wrote them, as Databricks echoes them, so declarative clients see no drift.
fn addresses(addrs: &[String]) -> ApiResult<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(addrs.len());
    let mut seen = Vec::with_capacity(addrs.len());
    for a in addrs {
        let net = parse_net(a).map_err(|m| ApiError::invalid(format!("ip_addresses: {m}.")))?;
        if !seen.contains(&net) {
            seen.push(net);
            out.push(a.trim().to_string());
        }
    }
    Ok(out)
}

fn label(l: &str) -> ApiResult<String> {
    crate::validate::required("label", l).map(str::to_string)
}

/// Checks the workspace's lists after a change: the entry limit, label uniqueness and that the
/// caller keeps access.
fn check(
    ctx: &WorkspaceCtx,
    conf: &WorkspacePolicy,
    lists: Vec<IpAccessListInfo>,
) -> ApiResult<()> {
    let total: usize = lists.iter().map(|l| l.ip_addresses.len()).sum();
    if total > MAX_ENTRIES {
        return Err(ApiError::new(
            ErrorCode::QuotaExceeded,
            format!("A workspace can hold at most {MAX_ENTRIES} IP addresses and CIDR blocks; this change makes {total}."),
        ));
    }
    for (i, l) in lists.iter().enumerate() {
        if lists[..i].iter().any(|o| o.label == l.label) {
            return Err(ApiError::exists(format!(
                "An IP access list labelled {:?} already exists.",
                l.label
            )));
        }
    }
    let next = WorkspacePolicy::compile(conf.conf.clone(), lists);
    if !next.permits(ctx.client_ip) {
        return Err(ApiError::invalid(format!(
            "Your current IP {} would not be allowed to access the workspace under this change.",
            ctx.client_ip
        )));
    }
    Ok(())
}

/// Applies `change` to the workspace's lists under [`AppState::policy_writes`] (across
/// replicas too), checks the result and stores the changed list (or deletes it when `change`
/// returns `None`).
async fn change(
    state: &AppState,
    ctx: &WorkspaceCtx,
    id: &str,
    change: impl FnOnce(Option<IpAccessListInfo>) -> ApiResult<Option<IpAccessListInfo>>,
) -> ApiResult<Option<IpAccessListInfo>> {
    let _guard = state.policy_writes().await?;
    let current = state.policies().fresh(state.store(), ctx.id())?;
    let existing = current.lists.iter().find(|l| l.list_id == id).cloned();
    let changed = change(existing)?;
    let mut lists: Vec<IpAccessListInfo> = current
        .lists
        .iter()
        .filter(|l| l.list_id != id)
        .cloned()
        .collect();
    lists.extend(changed.clone());
    check(ctx, &current, lists)?;
    let key = format!("{}{id}", ws_key(ctx.id()));
    state.store().transact(|tx| match &changed {
        Some(l) => repo::tx_put(tx, trees::IP_LISTS, &key, &IpListRecord(l.clone()))
            .map_err(ApiError::from),
        None => repo::tx_delete(tx, trees::IP_LISTS, &key).map_err(ApiError::from),
    })?;
    state.policies().invalidate(ctx.id());
    state.flush().await?;
    Ok(changed)
}

fn missing(id: &str) -> ApiError {
    ApiError::not_found(format!("IP access list {id} does not exist."))
}

fn stamp(mut l: IpAccessListInfo, ctx: &WorkspaceCtx) -> IpAccessListInfo {
    l.address_count = i64::try_from(l.ip_addresses.len()).unwrap_or(i64::MAX);
    l.updated_at = now_ms();
    l.updated_by = ctx.principal.id;
    l
}

async fn create(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(req): Body<CreateIpAccessListRequest>,
) -> ApiResult<Json<IpAccessListResponse>> {
    let now = now_ms();
    let fresh = IpAccessListInfo {
        list_id: crate::ids::uuid(),
        label: label(&req.label)?,
        list_type: list_type(&req.list_type)?,
        ip_addresses: addresses(&req.ip_addresses)?,
        address_count: 0,
        enabled: true,
        created_at: now,
        created_by: ctx.principal.id,
        updated_at: now,
        updated_by: ctx.principal.id,
    };
    let id = fresh.list_id.clone();
    let created = change(&state, &ctx, &id, |_| Ok(Some(stamp(fresh, &ctx)))).await?;
    Ok(Json(IpAccessListResponse {
        ip_access_list: created.ok_or_else(|| missing(&id))?,
    }))
}

async fn list(
    Extension(ctx): Extension<WorkspaceCtx>,
) -> ApiResult<Json<ListIpAccessListsResponse>> {
    Ok(Json(ListIpAccessListsResponse {
        ip_access_lists: ctx.policy.lists.clone(),
    }))
}

async fn fetch(
    Extension(ctx): Extension<WorkspaceCtx>,
    Path((_, id)): Path<(i64, String)>,
) -> ApiResult<Json<IpAccessListResponse>> {
    let found = ctx.policy.lists.iter().find(|l| l.list_id == id).cloned();
    Ok(Json(IpAccessListResponse {
        ip_access_list: found.ok_or_else(|| missing(&id))?,
    }))
}

async fn update(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Path((_, id)): Path<(i64, String)>,
    Body(req): Body<UpdateIpAccessListRequest>,
) -> ApiResult<Json<Empty>> {
    change(&state, &ctx, &id, |existing| {
        let mut l = existing.ok_or_else(|| missing(&id))?;
        if let Some(v) = &req.label {
            l.label = label(v)?;
        }
        if let Some(v) = &req.list_type {
            l.list_type = list_type(v)?;
        }
        if let Some(v) = &req.ip_addresses {
            l.ip_addresses = addresses(v)?;
        }
        if let Some(v) = req.enabled {
            l.enabled = v;
        }
        Ok(Some(stamp(l, &ctx)))
    })
    .await?;
    Ok(Json(Empty {}))
}

async fn replace(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Path((_, id)): Path<(i64, String)>,
    Body(req): Body<ReplaceIpAccessListRequest>,
) -> ApiResult<Json<Empty>> {
    change(&state, &ctx, &id, |existing| {
        let mut l = existing.ok_or_else(|| missing(&id))?;
        l.label = label(&req.label)?;
        l.list_type = list_type(&req.list_type)?;
        l.ip_addresses = addresses(&req.ip_addresses)?;
        l.enabled = req.enabled;
        Ok(Some(stamp(l, &ctx)))
    })
    .await?;
    Ok(Json(Empty {}))
}

async fn delete(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Path((_, id)): Path<(i64, String)>,
) -> ApiResult<Json<Empty>> {
    change(&state, &ctx, &id, |existing| {
        existing.map(|_| None).ok_or_else(|| missing(&id))
    })
    .await?;
    Ok(Json(Empty {}))
}
