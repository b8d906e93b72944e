//! Stored ACLs: the grants set directly on one object of a workspace, keyed by
//! `{ws}{object}` where `object` is the Permissions API path (`authorization/tokens`,
//! `notebooks/123`, `directories/45`) or `secret-scopes/{name}`.

use super::acl::Level;
use crate::error::ApiResult;
use crate::repo::{self, ws_key};
use ironbrick_store::record::Record;
use ironbrick_store::{Store, StoreError, Tx};
use serde::{Deserialize, Serialize};

/// The tree of stored ACLs (workspace-scoped).
pub const ACLS: &str = "acls";

/// One grant as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredGrant {
    pub principal: i64,
    pub level: Level,
}

/// The grants set directly on one object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclRecord {
    pub grants: Vec<StoredGrant>,
}

impl Record for AclRecord {}

fn key(ws: i64, object: &str) -> String {
    format!("{}{object}", ws_key(ws))
}

/// The ACL stored for `object` of workspace `ws`; `None` when none was ever set.
pub fn get(store: &Store, ws: i64, object: &str) -> ApiResult<Option<AclRecord>> {
    repo::get(store, ACLS, &key(ws, object))
}

/// Reads an ACL inside a transaction.
pub fn tx_get(tx: &mut dyn Tx, ws: i64, object: &str) -> Result<Option<AclRecord>, StoreError> {
    repo::tx_get(tx, ACLS, &key(ws, object))
}

/// Stores the ACL of `object`.
pub fn tx_put(tx: &mut dyn Tx, ws: i64, object: &str, acl: &AclRecord) -> Result<(), StoreError> {
    repo::tx_put(tx, ACLS, &key(ws, object), acl)
}

/// Forgets the ACL of `object` (when the object goes).
pub fn tx_delete(tx: &mut dyn Tx, ws: i64, object: &str) -> Result<(), StoreError> {
    repo::tx_delete(tx, ACLS, &key(ws, object))
}

/// The object key of the workspace's token permissions.
pub const TOKENS: &str = "authorization/tokens";
/// The object key of the workspace's password permissions.
pub const PASSWORDS: &str = "authorization/passwords";
