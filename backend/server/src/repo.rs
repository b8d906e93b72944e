//! Typed access to stored records on top of the byte-level store.

use crate::error::ApiResult;
use ironbrick_store::record::{decode, encode, Record};
use ironbrick_store::{Store, StoreError, Tx};

/// Tree names. Workspace-scoped trees key their entries by [`ws_key`] first.
pub mod trees {
    pub const META: &str = "meta";
    pub const CREDENTIALS: &str = "credentials";
    pub const STORAGE: &str = "storage_configurations";
    pub const NETWORKS: &str = "networks";
    pub const KEYS: &str = "customer_managed_keys";
    pub const VPC_ENDPOINTS: &str = "vpc_endpoints";
    pub const PRIVATE_ACCESS: &str = "private_access_settings";
    pub const LOG_DELIVERY: &str = "log_delivery";
    /// Per log delivery configuration: how far delivery has gone ([`crate::delivery`]).
    pub const LOG_DELIVERY_CURSORS: &str = "log_delivery_cursors";
    pub const WORKSPACES: &str = "workspaces";
    pub const TOKENS: &str = "tokens";
    pub const TOKEN_HASHES: &str = "token_hashes";
    pub const WORKSPACE_CONF: &str = "workspace_conf";
    pub const IP_LISTS: &str = "ip_access_lists";
    pub const SERVICE_PRINCIPALS: &str = "service_principals";
    pub const AUDIT: &str = "audit";
    pub const WS_OBJECTS: &str = "ws_objects";
    pub const WS_CONTENT: &str = "ws_content";
    /// Workspace object id → path (`{ws}{id:020}`), for the Permissions API's object ids.
    pub const WS_OBJECT_IDS: &str = "ws_object_ids";
    pub const SECRET_SCOPES: &str = "secret_scopes";
    pub const SECRETS: &str = "secrets";
    /// Shared state of replicas on one database: the local key store's document
    /// ([`crate::key_store`]), the bootstrap marker ([`crate::bootstrap`]) and the audit
    /// sequence counter ([`crate::audit`]).
    pub const SHARED: &str = "shared";

    /// Trees whose entries belong to one workspace and go with it.
    pub const WORKSPACE_SCOPED: [&str; 19] = [
        crate::compute::policies::TREE,
        crate::compute::clusters::store::TREE,
        crate::compute::clusters::store::EVENTS,
        crate::authz::store::ACLS,
        crate::identity::trees::WS_GROUPS,
        crate::identity::trees::WS_GROUP_NAMES,
        crate::identity::trees::WS_GROUP_MEMBERS,
        crate::identity::trees::WS_MEMBERSHIPS,
        crate::identity::trees::ASSIGNMENTS,
        crate::identity::trees::ENTITLEMENTS,
        TOKENS,
        WORKSPACE_CONF,
        IP_LISTS,
        SERVICE_PRINCIPALS,
        WS_OBJECTS,
        WS_CONTENT,
        WS_OBJECT_IDS,
        SECRET_SCOPES,
        SECRETS,
    ];
}

/// The key prefix of everything a workspace owns: zero-padded so keys sort by workspace.
pub fn ws_key(workspace_id: i64) -> String {
    format!("w{workspace_id:020}/")
}

/// Reads one record.
pub fn get<T: Record>(store: &Store, tree: &str, key: &str) -> ApiResult<Option<T>> {
    match store.kv().get(tree, key.as_bytes())? {
        Some(bytes) => Ok(Some(decode(&bytes)?)),
        None => Ok(None),
    }
}

/// Reads every record under `prefix`, in key order.
pub fn scan<T: Record>(store: &Store, tree: &str, prefix: &str) -> ApiResult<Vec<T>> {
    store
        .kv()
        .scan_prefix(tree, prefix.as_bytes())?
        .into_iter()
        .map(|(_, v)| decode(&v).map_err(Into::into))
        .collect()
}

/// Reads one record inside a transaction.
pub fn tx_get<T: Record>(tx: &mut dyn Tx, tree: &str, key: &str) -> Result<Option<T>, StoreError> {
    tx.get(tree, key.as_bytes())?
        .map(|b| decode(&b))
        .transpose()
}

/// Writes one record inside a transaction.
pub fn tx_put<T: Record>(
    tx: &mut dyn Tx,
    tree: &str,
    key: &str,
    value: &T,
) -> Result<(), StoreError> {
    tx.put(tree, key.as_bytes(), &encode(value)?)
}

/// Removes one record inside a transaction.
pub fn tx_delete(tx: &mut dyn Tx, tree: &str, key: &str) -> Result<(), StoreError> {
    tx.delete(tree, key.as_bytes())
}
