//! Who a workspace sees: the account principals that can use it (assigned directly, through
//! an account group, or account admins), its local groups and the account groups assigned to
//! it; and removing a principal from a workspace.

use crate::error::ApiResult;
use crate::identity::directory::{self, Scope};
use crate::identity::{Kind, PrincipalRecord, ADMINS, USERS};
use ironbrick_store::Store;
use std::collections::{BTreeSet, VecDeque};

/// Whether account principal `p` can use workspace `ws`.
pub fn can_use(store: &Store, ws: i64, p: &PrincipalRecord) -> ApiResult<bool> {
    if p.kind != Kind::Group && p.is_account_admin() {
        return Ok(true);
    }
    if directory::assignment(store, ws, p.id)?.is_some() {
        return Ok(true);
    }
    for g in directory::closure(store, Scope::Account, &[p.id])? {
        if directory::assignment(store, ws, g)?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether account group `g` is assigned to workspace `ws` (so the workspace lists it).
pub fn group_in_workspace(store: &Store, ws: i64, g: i64) -> ApiResult<bool> {
    Ok(directory::assignment(store, ws, g)?.is_some())
}

/// The users and service principals assigned to `ws`, directly or through account groups
/// (account admins not included).
pub fn assigned_principals(store: &Store, ws: i64) -> ApiResult<BTreeSet<i64>> {
    let mut out = BTreeSet::new();
    let mut seen_groups = BTreeSet::new();
    let mut queue = VecDeque::new();
    for (id, _) in directory::assignments(store, ws)? {
        match directory::get(store, Scope::Account, id)? {
            Some(p) if p.kind == Kind::Group => queue.push_back(id),
            Some(_) => {
                out.insert(id);
            }
            None => {}
        }
    }
    while let Some(g) = queue.pop_front() {
        if !seen_groups.insert(g) {
            continue;
        }
        for m in directory::members(store, Scope::Account, g)? {
            match directory::get(store, Scope::Account, m)? {
                Some(p) if p.kind == Kind::Group => queue.push_back(m),
                Some(_) => {
                    out.insert(m);
                }
                None => {}
            }
        }
    }
    Ok(out)
}

/// The account principals of `kind` that can use `ws`, by id.
pub fn workspace_principals(store: &Store, ws: i64, kind: Kind) -> ApiResult<Vec<PrincipalRecord>> {
    let assigned = assigned_principals(store, ws)?;
    Ok(directory::list(store, kind)?
        .into_iter()
        .filter(|p| assigned.contains(&p.id) || p.is_account_admin())
        .collect())
}

/// The groups a workspace lists: its local groups and the account groups assigned to it.
pub fn workspace_groups(store: &Store, ws: i64) -> ApiResult<Vec<PrincipalRecord>> {
    let mut groups = directory::workspace_groups(store, ws)?;
    for (id, _) in directory::assignments(store, ws)? {
        if let Some(p) = directory::get(store, Scope::Account, id)? {
            if p.kind == Kind::Group {
                groups.push(p);
            }
        }
    }
    groups.sort_by_key(|g| g.id);
    Ok(groups)
}

/// The ids of the built-in `admins` and `users` groups of `ws`.
pub fn builtins(store: &Store, ws: i64) -> ApiResult<(Option<i64>, Option<i64>)> {
    let local = Scope::Workspace(ws);
    Ok((
        directory::id_by_name(store, local, Kind::Group, ADMINS)?,
        directory::id_by_name(store, local, Kind::Group, USERS)?,
    ))
}

/// Whether `g` is one of the built-in groups `admins` and `users`.
pub fn is_builtin(g: &PrincipalRecord) -> bool {
    g.workspace.is_some() && (g.name == ADMINS || g.name == USERS)
}

/// Keys that take account principal `id` out of workspace `ws`: its assignment, its
/// entitlements there, and its memberships in the workspace's local groups.
pub fn removal_keys(store: &Store, ws: i64, id: i64) -> ApiResult<Vec<LocalKey>> {
    let mut keys = vec![LocalKey::Assignment, LocalKey::Entitlements];
    for g in directory::groups_of(store, Scope::Workspace(ws), id)? {
        keys.push(LocalKey::Membership(g));
    }
    Ok(keys)
}

/// One thing [`removal_keys`] found to remove.
#[derive(Debug, Clone, Copy)]
pub enum LocalKey {
    Assignment,
    Entitlements,
    Membership(i64),
}

/// Removes what [`removal_keys`] found.
pub fn tx_remove(
    tx: &mut dyn ironbrick_store::Tx,
    ws: i64,
    id: i64,
    keys: &[LocalKey],
) -> ApiResult<()> {
    for k in keys {
        match k {
            LocalKey::Assignment => directory::tx_unassign(tx, ws, id)?,
            LocalKey::Entitlements => directory::tx_set_entitlements(tx, ws, id, &BTreeSet::new())?,
            LocalKey::Membership(g) => {
                directory::tx_remove_member(tx, Scope::Workspace(ws), *g, id)?
            }
        }
    }
    Ok(())
}
