//! Built-in identities: the bootstrap account admin, each workspace's `admins` and `users`
//! groups, and the upgrade of data written before identities existed.

use super::directory::{self, Scope};
use super::records::{AssignmentRecord, Kind, PrincipalRecord, WorkspacePermission};
use super::{trees, ADMINS, USERS};
use crate::error::{ApiError, ApiResult};
use crate::model::{Principal, PrincipalKind, WorkspaceRecord};
use crate::repo::{self, ws_key};
use crate::time::now_ms;
use ironbrick_store::{Store, Tx};
use std::collections::BTreeSet;

/// A new principal record with defaults.
pub fn principal(id: i64, kind: Kind, name: &str, display_name: &str) -> PrincipalRecord {
    PrincipalRecord {
        id,
        kind,
        name: name.to_string(),
        display_name: display_name.to_string(),
        active: true,
        external_id: None,
        person: None,
        emails: Vec::new(),
        roles: BTreeSet::new(),
        workspace: None,
        created: now_ms(),
    }
}

/// Creates the built-in groups of a new workspace.
pub fn tx_seed_workspace(tx: &mut dyn Tx, ws: i64) -> ApiResult<()> {
    for name in [ADMINS, USERS] {
        let mut g = principal(directory::new_id(), Kind::Group, name, name);
        g.workspace = Some(ws);
        directory::tx_insert(tx, Scope::Workspace(ws), &g)?;
    }
    Ok(())
}

/// Makes sure the account admin `admin` exists as an active user holding the account admin
/// role (first start, and data written before identities existed).
pub fn ensure_account_admin(store: &Store, admin: &Principal) -> ApiResult<()> {
    if directory::get(store, Scope::Account, admin.id)?.is_some() {
        return Ok(());
    }
    let mut p = principal(admin.id, Kind::User, &admin.name, &admin.name);
    p.roles.insert(super::ACCOUNT_ADMIN_ROLE.to_string());
    p.emails.push(super::records::EmailRecord {
        value: admin.name.clone(),
        kind: Some("work".into()),
        primary: true,
    });
    store.transact(|tx| directory::tx_insert(tx, Scope::Account, &p))
}

/// Upgrades data written before identities existed: gives every workspace its built-in groups,
/// and turns the service principals that tokens were once minted for (registered per
/// workspace) into account service principals assigned to that workspace. Returns how many
/// records it wrote.
pub fn backfill(store: &Store) -> ApiResult<usize> {
    let mut written = 0;
    for w in repo::scan::<WorkspaceRecord>(store, crate::repo::trees::WORKSPACES, "")? {
        let ws = w.workspace_id;
        if directory::id_by_name(store, Scope::Workspace(ws), Kind::Group, USERS)?.is_none() {
            store.transact(|tx| tx_seed_workspace(tx, ws))?;
            written += 1;
        }
        let legacy: Vec<Principal> =
            repo::scan(store, crate::repo::trees::SERVICE_PRINCIPALS, &ws_key(ws))?;
        for sp in legacy {
            adopt_service_principal(store, ws, &sp)?;
            written += 1;
        }
    }
    Ok(written)
}

fn adopt_service_principal(store: &Store, ws: i64, sp: &Principal) -> ApiResult<()> {
    let legacy_key = format!("{}{}", ws_key(ws), sp.name);
    let existing = directory::by_name(store, Scope::Account, Kind::ServicePrincipal, &sp.name)?;
    let id_free = directory::get(store, Scope::Account, sp.id)?.is_none();
    store.transact(|tx| {
        let id = match &existing {
            Some(p) => p.id,
            None => {
                let id = if id_free { sp.id } else { directory::new_id() };
                let p = principal(id, Kind::ServicePrincipal, &sp.name, &sp.name);
                directory::tx_insert(tx, Scope::Account, &p)?;
                id
            }
        };
        let mut a = directory::tx_assignment(tx, ws, id)?.unwrap_or_default();
        a.permissions.insert(WorkspacePermission::User);
        directory::tx_assign(tx, ws, id, &a)?;
        repo::tx_delete(tx, crate::repo::trees::SERVICE_PRINCIPALS, &legacy_key)?;
        Ok::<_, ApiError>(())
    })
}

/// The token owner `owner` as an account principal id: its own id, or for a service principal
/// adopted by [`backfill`] under a new id, the id its application id now has.
pub fn owner_id(store: &Store, owner: &Principal) -> ApiResult<i64> {
    if owner.kind == PrincipalKind::ServicePrincipal
        && directory::get(store, Scope::Account, owner.id)?.is_none()
    {
        if let Some(id) =
            directory::id_by_name(store, Scope::Account, Kind::ServicePrincipal, &owner.name)?
        {
            return Ok(id);
        }
    }
    Ok(owner.id)
}

/// Keys a deleted workspace leaves outside its own key range: the reverse assignment index.
pub fn workspace_removal_keys(store: &Store, ws: i64) -> ApiResult<Vec<(&'static str, Vec<u8>)>> {
    Ok(directory::assignments(store, ws)?
        .into_iter()
        .map(|(id, _)| {
            (
                trees::PRINCIPAL_WORKSPACES,
                format!("{}/{ws:020}", directory::pkey(id)).into_bytes(),
            )
        })
        .collect())
}

/// An assignment holding exactly `permission`.
pub fn assignment_of(permission: WorkspacePermission) -> AssignmentRecord {
    AssignmentRecord {
        permissions: BTreeSet::from([permission]),
    }
}
