//! Customer-managed keys.

use super::refs::{self, Kind};
use crate::error::{ApiError, ApiResult};
use crate::json::Body;
use crate::model::KeyRecord;
use crate::repo::{self, trees};
use crate::state::AppState;
use crate::time::now_ms;
use crate::validate;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use ironbrick_api::account::{
    AwsKeyInfo, CreateCustomerManagedKeyRequest, CustomerManagedKey, KEY_USE_CASES,
};
use ironbrick_api::Empty;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/customer-managed-keys", get(list).post(create))
        .route(
            "/customer-managed-keys/{customer_managed_key_id}",
            get(fetch).delete(delete),
        )
}

fn use_cases(requested: Vec<String>) -> ApiResult<Vec<String>> {
    if requested.is_empty() {
        return Err(ApiError::invalid(format!(
            "use_cases is required: one or more of {KEY_USE_CASES:?}."
        )));
    }
    let mut out: Vec<String> = Vec::new();
    for u in requested {
        if !KEY_USE_CASES.contains(&u.as_str()) {
            return Err(ApiError::invalid(format!(
                "use_cases: {u:?} is not one of {KEY_USE_CASES:?}."
            )));
        }
        if out.contains(&u) {
            return Err(ApiError::invalid(format!("use_cases lists {u} twice.")));
        }
        out.push(u);
    }
    Ok(out)
}

fn key_info(info: Option<AwsKeyInfo>) -> ApiResult<AwsKeyInfo> {
    let info = info.ok_or_else(|| ApiError::invalid("aws_key_info is required."))?;
    let arn = validate::kms_key_arn(info.key_arn.trim())?;
    if let Some(region) = info.key_region.as_deref().filter(|r| !r.is_empty()) {
        if region != arn.region {
            return Err(ApiError::invalid(format!(
                "aws_key_info.key_region {region} does not match the region of key_arn ({}).",
                arn.region
            )));
        }
    }
    if let Some(alias) = info.key_alias.as_deref().filter(|a| !a.is_empty()) {
        if !alias.starts_with("alias/") || alias.len() <= "alias/".len() {
            return Err(ApiError::invalid(format!(
                "aws_key_info.key_alias {alias:?} must look like alias/<name>."
            )));
        }
    }
    Ok(AwsKeyInfo {
        key_arn: info.key_arn.trim().to_string(),
        key_alias: info.key_alias.filter(|a| !a.is_empty()),
        key_region: Some(arn.region),
        reuse_key_for_cluster_volumes: info.reuse_key_for_cluster_volumes,
    })
}

async fn create(
    State(state): State<AppState>,
    Body(req): Body<CreateCustomerManagedKeyRequest>,
) -> ApiResult<Json<CustomerManagedKey>> {
    for (field, value) in [
        ("gcp_key_info", &req.gcp_key_info),
        ("azure_key_info", &req.azure_key_info),
    ] {
        if value.as_ref().is_some_and(|v| !v.is_null()) {
            return Err(ApiError::invalid(format!(
                "{field} not supported: Ironbrick serves AWS workspaces."
            )));
        }
    }
    let key = CustomerManagedKey {
        customer_managed_key_id: crate::ids::uuid(),
        account_id: state.account_id().to_string(),
        aws_key_info: key_info(req.aws_key_info)?,
        use_cases: use_cases(req.use_cases)?,
        creation_time: now_ms(),
    };
    let record = KeyRecord(key.clone());
    state.store().transact(|tx| {
        repo::tx_put(tx, trees::KEYS, &key.customer_managed_key_id, &record).map_err(ApiError::from)
    })?;
    state.flush().await?;
    Ok(Json(key))
}

async fn list(State(state): State<AppState>) -> ApiResult<Json<Vec<CustomerManagedKey>>> {
    let all = repo::scan::<KeyRecord>(state.store(), trees::KEYS, "")?;
    Ok(Json(all.into_iter().map(|r| r.0).collect()))
}

async fn fetch(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<CustomerManagedKey>> {
    repo::get::<KeyRecord>(state.store(), trees::KEYS, &id)?
        .map(|r| Json(r.0))
        .ok_or_else(|| ApiError::not_found(format!("Customer-managed key {id} does not exist.")))
}

async fn delete(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<Empty>> {
    state
        .store()
        .transact(|tx| refs::delete_unused(tx, Kind::Key, &id))?;
    state.flush().await?;
    Ok(Json(Empty {}))
}
