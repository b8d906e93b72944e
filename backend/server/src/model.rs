//! Stored records. Wire types are wrapped so each record carries its own version marker.

use ironbrick_api::account::{Credential, CustomerManagedKey, Network, StorageConfiguration};
use ironbrick_api::ip_access_lists::IpAccessListInfo;
use ironbrick_store::record::Record;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

macro_rules! wire_record {
    ($name:ident, $wire:ty) => {
        #[doc = concat!("Stored form of [`", stringify!($wire), "`].")]
        #[derive(Debug, Clone, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub $wire);
        impl Record for $name {}
    };
}

wire_record!(CredentialRecord, Credential);
wire_record!(StorageRecord, StorageConfiguration);
wire_record!(NetworkRecord, Network);
wire_record!(KeyRecord, CustomerManagedKey);
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

/// A workspace as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkspaceRecord {
    pub workspace_id: i64,
    pub workspace_name: String,
    pub aws_region: Option<String>,
    pub deployment_name: Option<String>,
    pub pricing_tier: String,
    pub creation_time: i64,
    /// When provisioning completes (status turns RUNNING).
    pub ready_at: i64,
    pub credentials_id: Option<String>,
    pub storage_configuration_id: Option<String>,
    pub network_id: Option<String>,
    pub managed_services_customer_managed_key_id: Option<String>,
    pub storage_customer_managed_key_id: Option<String>,
    pub private_access_settings_id: Option<String>,
    pub custom_tags: Option<BTreeMap<String, String>>,
    /// The workspace's data key, wrapped by its managed-services CMK (or the platform key).
    #[serde(default)]
    pub dmk: Option<StoredDmk>,
}

impl Record for WorkspaceRecord {}

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

/// A personal access token. Only the SHA-256 digest of its value is stored.
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
}

impl Record for TokenRecord {}

/// One entry of the append-only audit log.
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
}

impl Record for AuditRecord {}
