//! Storage configurations (root S3 bucket).

use super::refs::{self, Kind};
use crate::error::{ApiError, ApiResult};
use crate::json::Body;
use crate::model::StorageRecord;
use crate::repo::{self, trees};
use crate::state::AppState;
use crate::time::now_ms;
use crate::validate;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use ironbrick_api::account::{
    CreateStorageConfigurationRequest, RootBucketInfo, StorageConfiguration,
};
use ironbrick_api::Empty;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/storage-configurations", get(list).post(create))
        .route(
            "/storage-configurations/{storage_configuration_id}",
            get(fetch).delete(delete),
        )
}

async fn create(
    State(state): State<AppState>,
    Body(req): Body<CreateStorageConfigurationRequest>,
) -> ApiResult<Json<StorageConfiguration>> {
    let name = validate::required(
        "storage_configuration_name",
        &req.storage_configuration_name,
    )?;
    let bucket = req
        .root_bucket_info
        .bucket_name
        .ok_or_else(|| ApiError::invalid("root_bucket_info.bucket_name is required."))?;
    validate::bucket_name(&bucket)?;
    if let Some(role) = &req.role_arn {
        validate::iam_role_arn("role_arn", role)?;
    }
    let config = StorageConfiguration {
        storage_configuration_id: crate::ids::uuid(),
        storage_configuration_name: name.to_string(),
        root_bucket_info: RootBucketInfo {
            bucket_name: Some(bucket),
        },
        role_arn: req.role_arn,
        account_id: state.account_id().to_string(),
        creation_time: now_ms(),
    };
    let record = StorageRecord(config.clone());
    state.store().transact(|tx| {
        repo::tx_put(
            tx,
            trees::STORAGE,
            &config.storage_configuration_id,
            &record,
        )
        .map_err(ApiError::from)
    })?;
    state.flush().await?;
    Ok(Json(config))
}

async fn list(State(state): State<AppState>) -> ApiResult<Json<Vec<StorageConfiguration>>> {
    let all = repo::scan::<StorageRecord>(state.store(), trees::STORAGE, "")?;
    Ok(Json(all.into_iter().map(|r| r.0).collect()))
}

async fn fetch(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<StorageConfiguration>> {
    repo::get::<StorageRecord>(state.store(), trees::STORAGE, &id)?
        .map(|r| Json(r.0))
        .ok_or_else(|| ApiError::not_found(format!("Storage configuration {id} does not exist.")))
}

async fn delete(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<Empty>> {
    state
        .store()
        .transact(|tx| refs::delete_unused(tx, Kind::Storage, &id))?;
    state.flush().await?;
    Ok(Json(Empty {}))
}
