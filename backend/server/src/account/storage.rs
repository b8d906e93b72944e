//! Storage configurations: the workspace root bucket.

use super::object::{AccountObject, Fresh};
use super::refs::Kind;
use crate::error::{ApiError, ApiResult};
use crate::model::StorageRecord;
use crate::state::AppState;
use crate::validate;
use ironbrick_api::account::{
    CreateStorageConfigurationRequest, RootBucketInfo, StorageConfiguration,
};

/// Storage configurations (`/storage-configurations`).
#[derive(Debug)]
pub struct Storage;

impl AccountObject for Storage {
    type Wire = StorageConfiguration;
    type Stored = StorageRecord;
    type Create = CreateStorageConfigurationRequest;
    const KIND: Kind = Kind::Storage;
    const SEGMENT: &'static str = "storage-configurations";
    const ID: &'static str = "storage_configuration_id";

    fn id(o: &StorageConfiguration) -> &str {
        &o.storage_configuration_id
    }

    fn make(
        _: &AppState,
        req: CreateStorageConfigurationRequest,
        fresh: Fresh,
    ) -> ApiResult<StorageConfiguration> {
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
        Ok(StorageConfiguration {
            storage_configuration_id: fresh.id,
            storage_configuration_name: name.to_string(),
            root_bucket_info: RootBucketInfo {
                bucket_name: Some(bucket),
            },
            role_arn: req.role_arn,
            account_id: fresh.account_id,
            creation_time: fresh.now,
        })
    }

    /// An enabled log delivery configuration using it.
    fn used_by(state: &AppState, id: &str) -> ApiResult<Option<String>> {
        super::log_delivery::used_by(state, Kind::Storage, id)
    }
}
