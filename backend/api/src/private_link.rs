//! PrivateLink objects of the account API: VPC endpoint registrations (`/vpc-endpoints`) and
//! private access settings (`/private-access-settings`).

use serde::{Deserialize, Serialize};

/// The private access levels: which registered endpoints may reach a workspace privately.
pub const PRIVATE_ACCESS_LEVELS: [&str; 2] = ["ACCOUNT", "ENDPOINT"];

/// `POST /vpc-endpoints`: registers an AWS VPC endpoint with the account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateVpcEndpointRequest {
    #[serde(default)]
    pub vpc_endpoint_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_vpc_endpoint_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// GCP only: refused when set (Ironbrick serves AWS workspaces).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gcp_vpc_endpoint_info: Option<serde_json::Value>,
}

/// A VPC endpoint registration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcEndpoint {
    pub vpc_endpoint_id: String,
    pub vpc_endpoint_name: String,
    /// `vpce-` and 17 hex digits.
    pub aws_vpc_endpoint_id: String,
    pub region: String,
    /// `available` once registered (Ironbrick does not ask AWS).
    pub state: String,
    /// `WORKSPACE_ACCESS` (front end and REST API) or `DATAPLANE_RELAY_ACCESS`.
    pub use_case: String,
    pub account_id: String,
}

/// `POST /private-access-settings` and `PUT /private-access-settings/{id}` (replace).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateAccessSettingsRequest {
    #[serde(default)]
    pub private_access_settings_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_access_enabled: Option<bool>,
    /// `ACCOUNT` (the default) or `ENDPOINT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_access_level: Option<String>,
    /// Registrations (`vpc_endpoint_id`s) allowed at the `ENDPOINT` level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_vpc_endpoint_ids: Option<Vec<String>>,
}

/// Private access settings, shared by the workspaces of one region that name them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateAccessSettings {
    pub private_access_settings_id: String,
    pub private_access_settings_name: String,
    pub region: String,
    /// Whether the workspaces stay reachable from the public internet.
    pub public_access_enabled: bool,
    pub private_access_level: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_vpc_endpoint_ids: Vec<String>,
    pub account_id: String,
}
