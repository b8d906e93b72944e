//! Network configurations: customer-managed VPCs.

use super::refs::{self, Kind};
use crate::error::{ApiError, ApiResult};
use crate::json::Body;
use crate::model::NetworkRecord;
use crate::repo::{self, trees};
use crate::state::AppState;
use crate::time::now_ms;
use crate::validate;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use ironbrick_api::account::{CreateNetworkRequest, Network};
use ironbrick_api::Empty;
use std::collections::BTreeSet;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/networks", get(list).post(create))
        .route("/networks/{network_id}", get(fetch).delete(delete))
}

fn unique(field: &str, prefix: &str, ids: &[String], min: usize, max: usize) -> ApiResult<()> {
    if ids.len() < min || ids.len() > max {
        return Err(ApiError::invalid(format!(
            "{field} must list between {min} and {max} ids; got {}.",
            ids.len()
        )));
    }
    for id in ids {
        validate::aws_id(field, prefix, id)?;
    }
    if ids.iter().collect::<BTreeSet<_>>().len() != ids.len() {
        return Err(ApiError::invalid(format!("{field} contains duplicates.")));
    }
    Ok(())
}

async fn create(
    State(state): State<AppState>,
    Body(req): Body<CreateNetworkRequest>,
) -> ApiResult<Json<Network>> {
    if req.gcp_network_info.as_ref().is_some_and(|v| !v.is_null()) {
        return Err(ApiError::invalid(
            "gcp_network_info not supported: Ironbrick serves AWS workspaces.",
        ));
    }
    let name = validate::required("network_name", &req.network_name)?;
    let vpc_id = req
        .vpc_id
        .clone()
        .ok_or_else(|| ApiError::invalid("vpc_id is required for a customer-managed VPC."))?;
    validate::aws_id("vpc_id", "vpc-", &vpc_id)?;
    unique("subnet_ids", "subnet-", &req.subnet_ids, 2, 16)?;
    unique("security_group_ids", "sg-", &req.security_group_ids, 1, 5)?;
    let network = Network {
        network_id: crate::ids::uuid(),
        network_name: name.to_string(),
        vpc_id: Some(vpc_id),
        subnet_ids: req.subnet_ids,
        security_group_ids: req.security_group_ids,
        vpc_endpoints: req.vpc_endpoints,
        vpc_status: "UNATTACHED".into(),
        workspace_id: None,
        account_id: state.account_id().to_string(),
        creation_time: now_ms(),
    };
    let record = NetworkRecord(network.clone());
    state.store().transact(|tx| {
        repo::tx_put(tx, trees::NETWORKS, &network.network_id, &record).map_err(ApiError::from)
    })?;
    state.flush().await?;
    Ok(Json(network))
}

async fn list(State(state): State<AppState>) -> ApiResult<Json<Vec<Network>>> {
    let all = repo::scan::<NetworkRecord>(state.store(), trees::NETWORKS, "")?;
    Ok(Json(all.into_iter().map(|r| r.0).collect()))
}

async fn fetch(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<Network>> {
    repo::get::<NetworkRecord>(state.store(), trees::NETWORKS, &id)?
        .map(|r| Json(r.0))
        .ok_or_else(|| ApiError::not_found(format!("Network configuration {id} does not exist.")))
}

async fn delete(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<Empty>> {
    state
        .store()
        .transact(|tx| refs::delete_unused(tx, Kind::Network, &id))?;
    state.flush().await?;
    Ok(Json(Empty {}))
}
