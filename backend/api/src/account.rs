//! Account API bodies: `/api/2.0/accounts/{account_id}/...`.
//!
//! Timestamps (`creation_time`) are milliseconds since the Unix epoch, as in Databricks.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An STS role Databricks assumes in the customer's AWS account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StsRole {
    /// The IAM role ARN, `arn:aws:iam::<account>:role/<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// The external id Databricks presents when assuming the role (the account id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

/// AWS credentials of a credential configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwsCredentials {
    /// The cross-account role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sts_role: Option<StsRole>,
}

/// `POST /credentials`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateCredentialRequest {
    /// Human-readable name.
    pub credentials_name: String,
    /// The cross-account role.
    pub aws_credentials: AwsCredentials,
}

/// A credential configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    pub credentials_id: String,
    pub credentials_name: String,
    pub aws_credentials: AwsCredentials,
    pub account_id: String,
    pub creation_time: i64,
}

/// The root S3 bucket of a storage configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootBucketInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_name: Option<String>,
}

/// `POST /storage-configurations`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateStorageConfigurationRequest {
    pub storage_configuration_name: String,
    pub root_bucket_info: RootBucketInfo,
    /// Optional IAM role for Unity Catalog-style access; stored and echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
}

/// A storage configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageConfiguration {
    pub storage_configuration_id: String,
    pub storage_configuration_name: String,
    pub root_bucket_info: RootBucketInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    pub account_id: String,
    pub creation_time: i64,
}

/// VPC endpoints (PrivateLink) attached to a network configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkVpcEndpoints {
    #[serde(default)]
    pub rest_api: Vec<String>,
    #[serde(default)]
    pub dataplane_relay: Vec<String>,
}

/// `POST /networks`: a customer-managed VPC.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateNetworkRequest {
    pub network_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    #[serde(default)]
    pub subnet_ids: Vec<String>,
    #[serde(default)]
    pub security_group_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_endpoints: Option<NetworkVpcEndpoints>,
}

/// A network configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    pub network_id: String,
    pub network_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    #[serde(default)]
    pub subnet_ids: Vec<String>,
    #[serde(default)]
    pub security_group_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_endpoints: Option<NetworkVpcEndpoints>,
    /// `UNATTACHED` until a workspace uses it, then `VALID`.
    pub vpc_status: String,
    /// The workspace using this network, once attached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<i64>,
    pub account_id: String,
    pub creation_time: i64,
}

/// The AWS KMS key of a customer-managed key configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwsKeyInfo {
    /// `arn:aws:kms:<region>:<12-digit account>:key/<id>`.
    pub key_arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_alias: Option<String>,
    /// Derived from the ARN when not given; must match it when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reuse_key_for_cluster_volumes: Option<bool>,
}

/// What a customer-managed key protects.
pub const KEY_USE_CASES: [&str; 2] = ["MANAGED_SERVICES", "STORAGE"];

/// `POST /customer-managed-keys`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateCustomerManagedKeyRequest {
    pub aws_key_info: Option<AwsKeyInfo>,
    /// Non-empty subset of [`KEY_USE_CASES`].
    #[serde(default)]
    pub use_cases: Vec<String>,
}

/// A customer-managed key configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerManagedKey {
    pub customer_managed_key_id: String,
    pub account_id: String,
    pub aws_key_info: AwsKeyInfo,
    pub use_cases: Vec<String>,
    pub creation_time: i64,
}

/// `POST /workspaces`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateWorkspaceRequest {
    pub workspace_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_configuration_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_services_customer_managed_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_customer_managed_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_access_settings_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing_tier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_tags: Option<BTreeMap<String, String>>,
}

/// `PATCH /workspaces/{id}`, in both forms clients send.
///
/// Classic clients (and the Terraform provider) send only the fields to change. The current SDK
/// sends a whole `Workspace` with an `update_mask` query parameter naming the fields to apply;
/// fields outside the mask are ignored. Read-only fields (`workspace_id`, `workspace_status`, ...)
/// are accepted so a full `Workspace` body deserializes, and ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateWorkspaceRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_configuration_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_services_customer_managed_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_customer_managed_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_access_settings_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_tags: Option<BTreeMap<String, String>>,
}

/// A workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workspace {
    pub workspace_id: i64,
    pub workspace_name: String,
    pub account_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_name: Option<String>,
    /// Always `"aws"`.
    pub cloud: String,
    /// `PROVISIONING`, then `RUNNING`.
    pub workspace_status: String,
    pub workspace_status_message: String,
    pub pricing_tier: String,
    pub creation_time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_configuration_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_services_customer_managed_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_customer_managed_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_access_settings_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_tags: Option<BTreeMap<String, String>>,
    /// Ironbrick extension: `{host}/w/{workspace_id}`, the base URL of the workspace API.
    pub workspace_url: String,
}

/// Body of `/.well-known/databricks-config`, the host metadata the SDKs probe at start-up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostMetadata {
    pub oidc_endpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    pub cloud: String,
}
