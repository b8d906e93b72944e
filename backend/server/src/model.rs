//! Stored records. Wire types are wrapped so each record carries its own version marker.

use ironbrick_api::account::{
    Credential, CustomerManagedKey, ExternalCustomerInfo, Network, StorageConfiguration,
};
use ironbrick_api::ip_access_lists::IpAccessListInfo;
use ironbrick_api::log_delivery::LogDeliveryConfiguration;
use ironbrick_api::private_link::{PrivateAccessSettings, VpcEndpoint};
use ironbrick_store::record::Record;
use ironbrick_store::StoreError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

macro_rules! wire_record {
    ($name:ident, $wire:ty) => {
        #[doc = concat!("Stored form of [`", stringify!($wire), "`].")]
        #[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub $wire);
        impl ironbrick_store::record::Record for $name {}
        impl From<$wire> for $name {
            fn from(w: $wire) -> Self {
                Self(w)
            }
        }
        impl From<$name> for $wire {
            fn from(r: $name) -> Self {
                r.0
            }
        }
    };
}
pub(crate) use wire_record;

wire_record!(CredentialRecord, Credential);
wire_record!(StorageRecord, StorageConfiguration);
wire_record!(NetworkRecord, Network);
wire_record!(KeyRecord, CustomerManagedKey);
wire_record!(VpcEndpointRecord, VpcEndpoint);
wire_record!(PrivateAccessRecord, PrivateAccessSettings);
wire_record!(LogDeliveryRecord, LogDeliveryConfiguration);
wire_record!(IpListRecord, IpAccessListInfo);
wire_record!(ConfRecord, BTreeMap<String, String>);

/// What kind of principal owns a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    User,
    ServicePrincipal,
}

/// A user or service principal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub id: i64,
    /// User name (e-mail) of a user, application id of a service principal.
    pub name: String,
    pub kind: PrincipalKind,
    /// Account admins administer the account and every workspace in it.
    pub admin: bool,
}

impl Record for Principal {}

/// The account this server hosts, created on first start.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountRecord {
    pub account_id: String,
    pub admin: Principal,
    pub creation_time: i64,
}

impl Record for AccountRecord {}

/// A workspace as stored (format 2: every workspace has a deployment name).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkspaceRecord {
    pub workspace_id: i64,
    pub workspace_name: String,
    pub aws_region: Option<String>,
    /// Unique across the installation; indexed in [`crate::account::DEPLOYMENTS`].
    pub deployment_name: String,
    pub pricing_tier: String,
    pub creation_time: i64,
    /// When provisioning completes (status turns RUNNING); [`HELD`] while the client asked the
    /// workspace to stay `PROVISIONING`.
    pub ready_at: i64,
    pub credentials_id: Option<String>,
    pub storage_configuration_id: Option<String>,
    pub network_id: Option<String>,
    pub managed_services_customer_managed_key_id: Option<String>,
    pub storage_customer_managed_key_id: Option<String>,
    pub private_access_settings_id: Option<String>,
    pub custom_tags: Option<BTreeMap<String, String>>,
    /// `HYBRID` or `SERVERLESS`.
    #[serde(default = "hybrid")]
    pub compute_mode: String,
    #[serde(default = "yes")]
    pub is_no_public_ip_enabled: bool,
    #[serde(default)]
    pub network_connectivity_config_id: Option<String>,
    #[serde(default)]
    pub expected_workspace_status: Option<String>,
    #[serde(default)]
    pub external_customer_info: Option<ExternalCustomerInfo>,
    /// The workspace's data key, wrapped by its managed-services CMK (or the platform key).
    #[serde(default)]
    pub dmk: Option<StoredDmk>,
}

/// [`WorkspaceRecord::ready_at`] of a workspace held in `PROVISIONING`.
pub const HELD: i64 = i64::MAX;

fn hybrid() -> String {
    "HYBRID".into()
}

fn yes() -> bool {
    true
}

impl Record for WorkspaceRecord {
    const VERSION: u8 = 2;

    /// Format 1 had an optional deployment name. A workspace stored without one gets a stable
    /// `dbc-xxxxxxxx-xxxx` name derived from its id (so reads agree before and after
    /// [`crate::account::backfill_deployment_names`] stores and indexes it at start-up).
    fn migrate(version: u8, bytes: &[u8]) -> Result<Self, StoreError> {
        if version != 1 {
            return Err(StoreError::Corrupt(format!(
                "unknown workspace record version {version}"
            )));
        }
        let mut v: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let obj = v
            .as_object_mut()
            .ok_or_else(|| StoreError::Corrupt("workspace record is not an object".into()))?;
        let id = obj
            .get("workspace_id")
            .and_then(serde_json::Value::as_i64)
            .ok_or_else(|| StoreError::Corrupt("workspace record without an id".into()))?;
        if obj
            .get("deployment_name")
            .is_none_or(serde_json::Value::is_null)
        {
            obj.insert(
                "deployment_name".into(),
                crate::account::legacy_deployment_name(id).into(),
            );
        }
        serde_json::from_value(v).map_err(|e| StoreError::Corrupt(e.to_string()))
    }
}

/// A workspace data key as stored: only ever wrapped.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredDmk {
    /// The CMK's ARN; `None` for the platform key.
    pub key_arn: Option<String>,
    pub wrapped: ironbrick_kms::WrappedKey,
}

/// Where a token is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "workspace_id")]
pub enum TokenScope {
    /// The account API and every workspace of the account (the admin token).
    Account,
    /// One workspace only.
    Workspace(i64),
}

impl TokenScope {
    /// The key prefix of tokens of this scope in [`crate::repo::trees::TOKENS`].
    pub fn key_prefix(self) -> String {
        match self {
            Self::Account => "account/".to_string(),
            Self::Workspace(id) => crate::repo::ws_key(id),
        }
    }
}

/// A personal access token or an OAuth access token. Only the SHA-256 digest of its value is
/// stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenRecord {
    pub token_id: String,
    /// Hex SHA-256 of the token value.
    pub digest: String,
    pub scope: TokenScope,
    pub owner: Principal,
    pub created_by: Principal,
    pub comment: String,
    pub creation_time: i64,
    /// `-1` when the token never expires.
    pub expiry_time: i64,
    /// Set on OAuth access tokens (see [`crate::oauth`]): the secret they were issued for.
    /// Such tokens live under their own keys, so token lists and revocation by id never see
    /// them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth: Option<OAuthGrant>,
}

impl Record for TokenRecord {}

/// The origin of an OAuth access token: a service principal's OAuth secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthGrant {
    /// The account id of the service principal.
    pub service_principal_id: i64,
    pub secret_id: String,
}

/// One entry of the append-only audit log.
///
/// Format 1 throughout: the fields after `error_code` were added later with serde defaults, so
/// entries written before them still decode (as `None`/empty). Nothing here may hold a secret:
/// the path, parameters and user agent are recorded through [`crate::redact`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditRecord {
    pub seq: u64,
    pub timestamp: i64,
    pub principal: Option<String>,
    pub principal_id: Option<i64>,
    pub method: String,
    pub path: String,
    pub workspace_id: Option<i64>,
    pub source_ip: String,
    pub status: u16,
    pub error_code: Option<String>,
    /// A UUID per request (absent from entries older than the field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The client's `User-Agent`, scrubbed and cut.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Path parameters (by route name) and query parameters, secret-ish ones redacted.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub request_params: BTreeMap<String, String>,
}

impl Record for AuditRecord {}
