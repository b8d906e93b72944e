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
    /// The external id presented when assuming the role: the account id unless the
    /// configuration names another one at creation.
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
    /// GCP only: refused when set (Ironbrick serves AWS workspaces).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gcp_network_info: Option<serde_json::Value>,
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
    /// GCP only: refused when set (Ironbrick serves AWS workspaces).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gcp_key_info: Option<serde_json::Value>,
    /// Azure only: refused when set (Ironbrick serves AWS workspaces).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_key_info: Option<serde_json::Value>,
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

/// Workspace pricing tiers (`ENTERPRISE` when absent).
pub const PRICING_TIERS: [&str; 5] = [
    "STANDARD",
    "PREMIUM",
    "ENTERPRISE",
    "DEDICATED",
    "COMMUNITY_EDITION",
];

/// Workspace compute modes: `HYBRID` (classic, the default: customer credentials and storage)
/// and `SERVERLESS` (neither credentials nor storage configuration).
pub const COMPUTE_MODES: [&str; 2] = ["HYBRID", "SERVERLESS"];

/// The statuses a client may ask a new workspace to stop at (`expected_workspace_status`).
pub const EXPECTED_WORKSPACE_STATUSES: [&str; 2] = ["PROVISIONING", "RUNNING"];

/// Who a partner provisions a workspace for (`external_customer_info`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalCustomerInfo {
    pub customer_name: String,
    pub authoritative_user_email: String,
    pub authoritative_user_full_name: String,
}

/// Workspace fields that only mean something on GCP or Azure. Requests carry them so the server
/// can refuse them by name (INVALID_PARAMETER_VALUE): Ironbrick serves AWS workspaces.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherCloudFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_resource_container: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gcp_managed_network_config: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gke_config: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_workspace_info: Option<serde_json::Value>,
    /// The deprecated GCP network block (`network.gcp_*_network_config`); AWS uses `network_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<serde_json::Value>,
}

impl OtherCloudFields {
    /// The names of the fields that are set.
    pub fn set(&self) -> Vec<&'static str> {
        [
            ("location", &self.location),
            ("cloud_resource_container", &self.cloud_resource_container),
            (
                "gcp_managed_network_config",
                &self.gcp_managed_network_config,
            ),
            ("gke_config", &self.gke_config),
            ("azure_workspace_info", &self.azure_workspace_info),
            ("network", &self.network),
        ]
        .into_iter()
        .filter(|(_, v)| v.as_ref().is_some_and(|v| !v.is_null()))
        .map(|(n, _)| n)
        .collect()
    }
}

/// `POST /workspaces`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateWorkspaceRequest {
    pub workspace_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_region: Option<String>,
    /// The first label of the workspace's host name; generated (`dbc-xxxxxxxx-xxxx`) when absent.
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
    /// `aws` when given (the field is deprecated upstream; other clouds are refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud: Option<String>,
    /// One of [`COMPUTE_MODES`]; `HYBRID` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute_mode: Option<String>,
    /// Secure cluster connectivity (no public IPs on cluster nodes); `true` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_no_public_ip_enabled: Option<bool>,
    /// The network connectivity configuration of the workspace's serverless compute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_connectivity_config_id: Option<String>,
    /// One of [`EXPECTED_WORKSPACE_STATUSES`]: `PROVISIONING` holds the workspace there until
    /// an update asks for `RUNNING`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_workspace_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_customer_info: Option<ExternalCustomerInfo>,
    /// GCP and Azure fields, refused when set.
    #[serde(flatten)]
    pub other_clouds: OtherCloudFields,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_connectivity_config_id: Option<String>,
    /// `RUNNING` releases a workspace held in `PROVISIONING`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_workspace_status: Option<String>,
    /// GCP and Azure fields, refused when set.
    #[serde(flatten)]
    pub other_clouds: OtherCloudFields,
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
    /// `HYBRID` or `SERVERLESS`.
    #[serde(default)]
    pub compute_mode: String,
    /// `CUSTOMER_HOSTED` (the customer's root bucket) or `DEFAULT_STORAGE` (serverless).
    #[serde(default)]
    pub storage_mode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_no_public_ip_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_connectivity_config_id: Option<String>,
    /// The status the client asked the workspace to stop at, when it asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_workspace_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_customer_info: Option<ExternalCustomerInfo>,
    /// The base URL of the workspace API: `{scheme}://{deployment_name}.{domain}[:port]` when
    /// the server has a workspace domain (`--workspace-domain`), else `{host}/w/{workspace_id}`.
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
