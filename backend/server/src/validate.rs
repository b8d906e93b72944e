//! Input validation shared by services. Every function answers INVALID_PARAMETER_VALUE with a
//! message naming the field; the rules themselves live in `ironbrick_api::validate`, where the
//! Terraform provider checks the same ones at plan time.

use crate::error::{ApiError, ApiResult};
use ironbrick_api::validate as rules;

/// Regions where a customer-managed key may protect managed services (notebooks, secrets).
pub const MANAGED_SERVICES_REGIONS: [&str; 3] = ["us-east-1", "us-east-2", "us-west-2"];

pub use ironbrick_api::validate::KmsArn;

/// Requires a non-blank string field.
pub fn required<'a>(field: &str, value: &'a str) -> ApiResult<&'a str> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ApiError::invalid(format!("{field} is required.")));
    }
    if v.len() > 256 {
        return Err(ApiError::invalid(format!(
            "{field} is longer than 256 characters."
        )));
    }
    Ok(v)
}

/// Requires a valid AWS region.
pub fn region(field: &str, value: &str) -> ApiResult<String> {
    rules::region(field, value).map_err(ApiError::invalid)
}

/// Parses a KMS key ARN `arn:aws:kms:<region>:<12-digit account>:key/<id>`.
pub fn kms_key_arn(arn: &str) -> ApiResult<KmsArn> {
    rules::kms_key_arn(arn).map_err(ApiError::invalid)
}

/// Requires an IAM role ARN `arn:aws:iam::<12-digit account>:role/<name>`.
pub fn iam_role_arn(field: &str, arn: &str) -> ApiResult<()> {
    rules::iam_role_arn(field, arn).map_err(ApiError::invalid)
}

/// Requires an AWS resource id with `prefix` (`vpc-`, `subnet-`, `sg-`) followed by hex digits.
pub fn aws_id(field: &str, prefix: &str, value: &str) -> ApiResult<()> {
    rules::aws_id(field, prefix, value).map_err(ApiError::invalid)
}

/// Requires an S3 bucket name.
pub fn bucket_name(value: &str) -> ApiResult<()> {
    rules::bucket_name(value).map_err(ApiError::invalid)
}
