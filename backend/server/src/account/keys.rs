//! Customer-managed keys.

use super::object::{AccountObject, Fresh};
use super::refs::Kind;
use crate::error::{ApiError, ApiResult};
use crate::model::KeyRecord;
use crate::state::AppState;
use crate::validate;
use ironbrick_api::account::{
    AwsKeyInfo, CreateCustomerManagedKeyRequest, CustomerManagedKey, KEY_USE_CASES,
};

/// Customer-managed keys (`/customer-managed-keys`).
#[derive(Debug)]
pub struct Keys;

impl AccountObject for Keys {
    type Wire = CustomerManagedKey;
    type Stored = KeyRecord;
    type Create = CreateCustomerManagedKeyRequest;
    const KIND: Kind = Kind::Key;
    const SEGMENT: &'static str = "customer-managed-keys";
    const ID: &'static str = "customer_managed_key_id";

    fn id(o: &CustomerManagedKey) -> &str {
        &o.customer_managed_key_id
    }

    fn make(
        _: &AppState,
        req: CreateCustomerManagedKeyRequest,
        fresh: Fresh,
    ) -> ApiResult<CustomerManagedKey> {
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
        Ok(CustomerManagedKey {
            customer_managed_key_id: fresh.id,
            account_id: fresh.account_id,
            aws_key_info: key_info(req.aws_key_info)?,
            use_cases: use_cases(req.use_cases)?,
            creation_time: fresh.now,
        })
    }
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
