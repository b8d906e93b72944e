//! Deployment names: the first label of a workspace's host name (`<name>.<domain>`), unique
//! across the installation and indexed name → workspace id, so host-based routing is one point
//! read. Names are chosen at creation (validated as a DNS label) or generated in Databricks'
//! pattern `dbc-xxxxxxxx-xxxx`.

use crate::error::{ApiError, ApiResult};
use crate::model::WorkspaceRecord;
use crate::repo::{self, trees, ws_key};
use ironbrick_store::record::{decode, Record};
use ironbrick_store::{Store, StoreError, Tx};
use rand::Rng;
use sha2::{Digest, Sha256};

/// The index tree: deployment name → workspace id (decimal).
pub const DEPLOYMENTS: &str = "deployment_names";

/// `dbc-` + 8 hex digits + `-` + 4 hex digits, from 6 bytes.
fn dbc_name(bytes: [u8; 6]) -> String {
    let h = hex::encode(bytes);
    format!("dbc-{}-{}", &h[..8], &h[8..])
}

/// A new random name in Databricks' default pattern, `dbc-xxxxxxxx-xxxx`.
pub fn generated() -> String {
    dbc_name(rand::thread_rng().gen())
}

/// The stable name given to a workspace stored before deployment names were mandatory.
pub fn legacy_deployment_name(workspace_id: i64) -> String {
    let digest = Sha256::digest(format!("ironbrick/legacy-deployment/{workspace_id}"));
    let mut bytes = [0u8; 6];
    bytes.copy_from_slice(&digest[..6]);
    dbc_name(bytes)
}

/// The workspace with deployment name `name`, if any.
pub fn deployment_workspace(store: &Store, name: &str) -> Result<Option<i64>, StoreError> {
    Ok(store
        .kv()
        .get(DEPLOYMENTS, name.as_bytes())?
        .and_then(|v| std::str::from_utf8(&v).ok()?.parse().ok()))
}

/// Records that `workspace_id` has deployment name `name`; RESOURCE_ALREADY_EXISTS when another
/// workspace has it.
pub fn claim(tx: &mut dyn Tx, name: &str, workspace_id: i64) -> ApiResult<()> {
    let id = workspace_id.to_string();
    match tx.get(DEPLOYMENTS, name.as_bytes())? {
        Some(owner) if owner != id.as_bytes() => Err(ApiError::exists(format!(
            "Deployment name {name} is already in use by another workspace."
        ))),
        Some(_) => Ok(()),
        None => Ok(tx.put(DEPLOYMENTS, name.as_bytes(), id.as_bytes())?),
    }
}

/// Claims a fresh generated name for `workspace_id`.
pub fn claim_generated(tx: &mut dyn Tx, workspace_id: i64) -> ApiResult<String> {
    for _ in 0..16 {
        let name = generated();
        if tx.get(DEPLOYMENTS, name.as_bytes())?.is_none() {
            claim(tx, &name, workspace_id)?;
            return Ok(name);
        }
    }
    Err(ApiError::Internal(
        "no free generated deployment name after 16 attempts".into(),
    ))
}

/// Frees `name` (when the workspace holding it is deleted).
pub fn release(tx: &mut dyn Tx, name: &str) -> Result<(), StoreError> {
    tx.delete(DEPLOYMENTS, name.as_bytes())
}

/// Start-up migration: rewrites workspaces stored in format 1 in the current format, with the
/// deployment name they read with (stored and indexed), so every workspace has a host name.
/// A derived name that is somehow taken is replaced by a fresh generated one. Returns how many
/// records were rewritten.
pub fn backfill_deployment_names(store: &Store) -> ApiResult<usize> {
    let rows = store.kv().scan_prefix(trees::WORKSPACES, b"")?;
    let mut rewritten = 0;
    for (_, bytes) in rows {
        if bytes.first() == Some(&WorkspaceRecord::VERSION) {
            continue;
        }
        let legacy: WorkspaceRecord = decode(&bytes)?;
        store.transact(|tx| {
            let mut w = legacy.clone();
            match claim(tx, &w.deployment_name, w.workspace_id) {
                Ok(()) => {}
                Err(ApiError::Client { .. }) => {
                    w.deployment_name = claim_generated(tx, w.workspace_id)?;
                }
                Err(e) => return Err(e),
            }
            repo::tx_put(tx, trees::WORKSPACES, &ws_key(w.workspace_id), &w)?;
            Ok::<_, ApiError>(())
        })?;
        rewritten += 1;
    }
    Ok(rewritten)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_databricks_pattern_and_pass_validation() {
        for name in [generated(), legacy_deployment_name(1234567890123456)] {
            assert_eq!(name.len(), "dbc-xxxxxxxx-xxxx".len(), "{name}");
            assert!(name.starts_with("dbc-") && name.as_bytes()[12] == b'-');
            ironbrick_api::validate::deployment_name(&name).unwrap();
        }
        assert_eq!(legacy_deployment_name(7), legacy_deployment_name(7));
        assert_ne!(legacy_deployment_name(7), legacy_deployment_name(8));
    }
}
