//! Which workspaces use an account object. Kept in its own tree and updated in the same
//! transaction as the workspace, so "in use" checks never race with workspace creation.

use crate::error::ApiError;
use crate::repo::trees;
use ironbrick_store::record::Record;
use ironbrick_store::{StoreError, Tx};
use serde::{Deserialize, Serialize};

const REFS: &str = "refs";

/// The kinds of account objects (those a workspace references, and log delivery
/// configurations, which reference credentials and storage).
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Credentials,
    Storage,
    Network,
    Key,
    VpcEndpoint,
    PrivateAccess,
    LogDelivery,
}

impl Kind {
    /// The tree its objects are stored in, keyed by id.
    pub fn tree(self) -> &'static str {
        match self {
            Self::Credentials => trees::CREDENTIALS,
            Self::Storage => trees::STORAGE,
            Self::Network => trees::NETWORKS,
            Self::Key => trees::KEYS,
            Self::VpcEndpoint => trees::VPC_ENDPOINTS,
            Self::PrivateAccess => trees::PRIVATE_ACCESS,
            Self::LogDelivery => trees::LOG_DELIVERY,
        }
    }

    /// How it is named in messages.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Credentials => "Credential configuration",
            Self::Storage => "Storage configuration",
            Self::Network => "Network configuration",
            Self::Key => "Customer-managed key",
            Self::VpcEndpoint => "VPC endpoint registration",
            Self::PrivateAccess => "Private access settings",
            Self::LogDelivery => "Log delivery configuration",
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Users(Vec<i64>);

impl Record for Users {}

fn key(kind: Kind, id: &str) -> String {
    format!("{}/{id}", kind.tree())
}

/// The workspaces using object `id`.
pub fn users(tx: &mut dyn Tx, kind: Kind, id: &str) -> Result<Vec<i64>, StoreError> {
    Ok(crate::repo::tx_get::<Users>(tx, REFS, &key(kind, id))?
        .unwrap_or_default()
        .0)
}

/// Records that `workspace_id` uses object `id`.
pub fn add(tx: &mut dyn Tx, kind: Kind, id: &str, workspace_id: i64) -> Result<(), StoreError> {
    let mut users = users(tx, kind, id)?;
    if !users.contains(&workspace_id) {
        users.push(workspace_id);
    }
    crate::repo::tx_put(tx, REFS, &key(kind, id), &Users(users))
}

/// Records that `workspace_id` no longer uses object `id`.
pub fn remove(tx: &mut dyn Tx, kind: Kind, id: &str, workspace_id: i64) -> Result<(), StoreError> {
    let users: Vec<i64> = users(tx, kind, id)?
        .into_iter()
        .filter(|w| *w != workspace_id)
        .collect();
    if users.is_empty() {
        crate::repo::tx_delete(tx, REFS, &key(kind, id))
    } else {
        crate::repo::tx_put(tx, REFS, &key(kind, id), &Users(users))
    }
}

/// Requires that object `id` exists (INVALID_PARAMETER_VALUE naming `field` otherwise).
pub fn require_exists(tx: &mut dyn Tx, kind: Kind, field: &str, id: &str) -> Result<(), ApiError> {
    if tx.get(kind.tree(), id.as_bytes())?.is_none() {
        return Err(ApiError::invalid(format!(
            "{field}: {} {id} does not exist.",
            kind.noun()
        )));
    }
    Ok(())
}

/// Deletes object `id` unless a workspace uses it.
pub fn delete_unused(tx: &mut dyn Tx, kind: Kind, id: &str) -> Result<(), ApiError> {
    if tx.get(kind.tree(), id.as_bytes())?.is_none() {
        return Err(ApiError::not_found(format!(
            "{} {id} does not exist.",
            kind.noun()
        )));
    }
    let users = users(tx, kind, id)?;
    if let Some(ws) = users.first() {
        return Err(ApiError::invalid_state(format!(
            "{} {id} is in use by workspace {ws} and cannot be deleted.",
            kind.noun()
        )));
    }
    tx.delete(kind.tree(), id.as_bytes())?;
    Ok(())
}
