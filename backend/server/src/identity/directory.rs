//! Reads and transactional writes of the identity store (see the module docs of
//! [`crate::identity`] for the layout).

use super::records::{AssignmentRecord, EntitlementsRecord, Kind, PrincipalRecord};
use super::trees;
use crate::error::{ApiError, ApiResult};
use crate::repo::{self, tx_delete, tx_get, tx_put, ws_key};
use ironbrick_store::{Store, StoreError, Tx};
use rand::Rng;
use std::collections::{BTreeSet, VecDeque};

/// Where a group lives: at the account, or local to one workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Account,
    Workspace(i64),
}

/// The fixed-width key of a principal id.
pub fn pkey(id: i64) -> String {
    format!("{id:020}")
}

/// A fresh principal id (16 digits, as Databricks' are).
pub fn new_id() -> i64 {
    rand::thread_rng().gen_range(1_000_000_000_000_000..9_000_000_000_000_000)
}

/// The name index key of a principal of `kind` called `name`.
fn name_key(kind: Kind, name: &str) -> String {
    match kind {
        Kind::User => format!("u/{}", name.to_lowercase()),
        Kind::ServicePrincipal => format!("s/{}", name.to_lowercase()),
        Kind::Group => format!("g/{name}"),
    }
}

fn record_key(scope: Scope, id: i64) -> (&'static str, String) {
    match scope {
        Scope::Account => (trees::PRINCIPALS, pkey(id)),
        Scope::Workspace(ws) => (trees::WS_GROUPS, format!("{}{}", ws_key(ws), pkey(id))),
    }
}

fn names_key(scope: Scope, kind: Kind, name: &str) -> (&'static str, String) {
    match scope {
        Scope::Account => (trees::PRINCIPAL_NAMES, name_key(kind, name)),
        Scope::Workspace(ws) => (trees::WS_GROUP_NAMES, format!("{}{name}", ws_key(ws))),
    }
}

fn member_key(scope: Scope, group: i64, member: i64) -> (&'static str, String) {
    let k = format!("{}/{}", pkey(group), pkey(member));
    match scope {
        Scope::Account => (trees::GROUP_MEMBERS, k),
        Scope::Workspace(ws) => (trees::WS_GROUP_MEMBERS, format!("{}{k}", ws_key(ws))),
    }
}

fn membership_key(scope: Scope, member: i64, group: i64) -> (&'static str, String) {
    let k = format!("{}/{}", pkey(member), pkey(group));
    match scope {
        Scope::Account => (trees::MEMBERSHIPS, k),
        Scope::Workspace(ws) => (trees::WS_MEMBERSHIPS, format!("{}{k}", ws_key(ws))),
    }
}

fn assignment_key(ws: i64, principal: i64) -> String {
    format!("{}{}", ws_key(ws), pkey(principal))
}

fn reverse_assignment_key(principal: i64, ws: i64) -> String {
    format!("{}/{ws:020}", pkey(principal))
}

fn id_of(bytes: &[u8]) -> Option<i64> {
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

/// The trailing id of a `{a}/{b}` index key.
fn tail_id(key: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(key).ok()?;
    s.rsplit('/').next()?.parse().ok()
}

/// The principal `id` of `scope`.
pub fn get(store: &Store, scope: Scope, id: i64) -> ApiResult<Option<PrincipalRecord>> {
    let (tree, key) = record_key(scope, id);
    repo::get(store, tree, &key)
}

/// An account principal, or a local group of workspace `ws`.
pub fn find(store: &Store, ws: Option<i64>, id: i64) -> ApiResult<Option<PrincipalRecord>> {
    if let Some(p) = get(store, Scope::Account, id)? {
        return Ok(Some(p));
    }
    match ws {
        Some(ws) => get(store, Scope::Workspace(ws), id),
        None => Ok(None),
    }
}

/// The id of the principal of `kind` called `name` in `scope`.
pub fn id_by_name(store: &Store, scope: Scope, kind: Kind, name: &str) -> ApiResult<Option<i64>> {
    let (tree, key) = names_key(scope, kind, name);
    Ok(store
        .kv()
        .get(tree, key.as_bytes())?
        .and_then(|b| id_of(&b)))
}

/// The principal of `kind` called `name` in `scope`.
pub fn by_name(
    store: &Store,
    scope: Scope,
    kind: Kind,
    name: &str,
) -> ApiResult<Option<PrincipalRecord>> {
    match id_by_name(store, scope, kind, name)? {
        Some(id) => get(store, scope, id),
        None => Ok(None),
    }
}

/// Every account principal of `kind`, by id.
pub fn list(store: &Store, kind: Kind) -> ApiResult<Vec<PrincipalRecord>> {
    Ok(repo::scan::<PrincipalRecord>(store, trees::PRINCIPALS, "")?
        .into_iter()
        .filter(|p| p.kind == kind)
        .collect())
}

/// Every local group of workspace `ws`, by id.
pub fn workspace_groups(store: &Store, ws: i64) -> ApiResult<Vec<PrincipalRecord>> {
    repo::scan(store, trees::WS_GROUPS, &ws_key(ws))
}

/// The direct members of `group`.
pub fn members(store: &Store, scope: Scope, group: i64) -> ApiResult<Vec<i64>> {
    let (tree, prefix) = member_key(scope, group, 0);
    let prefix = &prefix[..prefix.len() - 20];
    Ok(store
        .kv()
        .scan_prefix(tree, prefix.as_bytes())?
        .iter()
        .filter_map(|(k, _)| tail_id(k))
        .collect())
}

/// The groups of `scope` that `member` belongs to directly.
pub fn groups_of(store: &Store, scope: Scope, member: i64) -> ApiResult<Vec<i64>> {
    let (tree, prefix) = membership_key(scope, member, 0);
    let prefix = &prefix[..prefix.len() - 20];
    Ok(store
        .kv()
        .scan_prefix(tree, prefix.as_bytes())?
        .iter()
        .filter_map(|(k, _)| tail_id(k))
        .collect())
}

/// The groups of `scope` that any of `start` belongs to, directly or through nested groups.
pub fn closure(store: &Store, scope: Scope, start: &[i64]) -> ApiResult<BTreeSet<i64>> {
    let mut seen = BTreeSet::new();
    let mut queue: VecDeque<i64> = start.iter().copied().collect();
    while let Some(m) = queue.pop_front() {
        for g in groups_of(store, scope, m)? {
            if seen.insert(g) {
                queue.push_back(g);
            }
        }
    }
    Ok(seen)
}

/// Whether `id` is a direct member of `group`.
pub fn is_member(store: &Store, scope: Scope, group: i64, id: i64) -> ApiResult<bool> {
    let (tree, key) = member_key(scope, group, id);
    Ok(store.kv().get(tree, key.as_bytes())?.is_some())
}

/// Stores a new principal in `scope` and indexes its name; a taken name is
/// RESOURCE_ALREADY_EXISTS.
pub fn tx_insert(tx: &mut dyn Tx, scope: Scope, p: &PrincipalRecord) -> ApiResult<()> {
    let (names, nkey) = names_key(scope, p.kind, &p.name);
    if tx.get(names, nkey.as_bytes())?.is_some() {
        return Err(taken(p.kind, &p.name));
    }
    tx.put(names, nkey.as_bytes(), p.id.to_string().as_bytes())?;
    let (tree, key) = record_key(scope, p.id);
    tx_put(tx, tree, &key, p)?;
    Ok(())
}

fn taken(kind: Kind, name: &str) -> ApiError {
    let what = match kind {
        Kind::User => "User with username",
        Kind::ServicePrincipal => "Service principal with application id",
        Kind::Group => "Group with name",
    };
    ApiError::exists(format!("{what} {name} already exists."))
}

/// Rewrites a principal, moving its name index when the name changed.
pub fn tx_replace(
    tx: &mut dyn Tx,
    scope: Scope,
    old: &PrincipalRecord,
    new: &PrincipalRecord,
) -> ApiResult<()> {
    let (names, old_key) = names_key(scope, old.kind, &old.name);
    let (_, new_key) = names_key(scope, new.kind, &new.name);
    if old_key != new_key {
        if tx.get(names, new_key.as_bytes())?.is_some() {
            return Err(taken(new.kind, &new.name));
        }
        tx.delete(names, old_key.as_bytes())?;
        tx.put(names, new_key.as_bytes(), new.id.to_string().as_bytes())?;
    }
    let (tree, key) = record_key(scope, new.id);
    tx_put(tx, tree, &key, new)?;
    Ok(())
}

/// Everything to delete with principal `p` of `scope`: its record, name, memberships in both
/// directions, and (account principals) its assignments and entitlements. Computed outside the
/// transaction because transactions cannot scan; a concurrent change can at worst leave an index
/// entry pointing at a missing principal, which every reader skips.
pub fn removal_keys(
    store: &Store,
    scope: Scope,
    p: &PrincipalRecord,
) -> ApiResult<Vec<(&'static str, String)>> {
    let mut keys = vec![record_key(scope, p.id), names_key(scope, p.kind, &p.name)];
    let scopes: Vec<Scope> = match scope {
        Scope::Account => std::iter::once(Scope::Account)
            .chain(
                workspaces_of(store, p.id)?
                    .into_iter()
                    .map(Scope::Workspace),
            )
            .collect(),
        ws => vec![ws],
    };
    for s in &scopes {
        for g in groups_of(store, *s, p.id)? {
            keys.push(member_key(*s, g, p.id));
            keys.push(membership_key(*s, p.id, g));
        }
        if p.kind == Kind::Group && *s == scope {
            for m in members(store, *s, p.id)? {
                keys.push(member_key(*s, p.id, m));
                keys.push(membership_key(*s, m, p.id));
            }
        }
        if let Scope::Workspace(ws) = s {
            if scope == Scope::Account {
                keys.push((trees::ASSIGNMENTS, assignment_key(*ws, p.id)));
                keys.push((
                    trees::PRINCIPAL_WORKSPACES,
                    reverse_assignment_key(p.id, *ws),
                ));
                keys.push((trees::ENTITLEMENTS, assignment_key(*ws, p.id)));
            }
        }
    }
    if scope == Scope::Account && p.kind == Kind::ServicePrincipal {
        for k in crate::oauth::secrets::keys_of(store, p.id)? {
            keys.push((crate::oauth::secrets::SP_SECRETS, k));
        }
    }
    Ok(keys)
}

/// Deletes the keys [`removal_keys`] listed.
pub fn tx_remove(tx: &mut dyn Tx, keys: &[(&'static str, String)]) -> Result<(), StoreError> {
    keys.iter()
        .try_for_each(|(tree, key)| tx_delete(tx, tree, key))
}

/// Adds `member` to `group` (idempotent). The caller checks first, with [`would_cycle`], that
/// the group is not nested inside the member.
pub fn tx_add_member(tx: &mut dyn Tx, scope: Scope, group: i64, member: i64) -> ApiResult<()> {
    let (t1, k1) = member_key(scope, group, member);
    let (t2, k2) = membership_key(scope, member, group);
    tx.put(t1, k1.as_bytes(), b"")?;
    tx.put(t2, k2.as_bytes(), b"")?;
    Ok(())
}

/// Removes `member` from `group` (idempotent).
pub fn tx_remove_member(tx: &mut dyn Tx, scope: Scope, group: i64, member: i64) -> ApiResult<()> {
    let (t1, k1) = member_key(scope, group, member);
    let (t2, k2) = membership_key(scope, member, group);
    tx.delete(t1, k1.as_bytes())?;
    tx.delete(t2, k2.as_bytes())?;
    Ok(())
}

/// Whether making `member` a member of `group` would nest a group inside itself.
pub fn would_cycle(store: &Store, scope: Scope, group: i64, member: i64) -> ApiResult<bool> {
    Ok(group == member || closure(store, scope, &[group])?.contains(&member))
}

/// The assignment of `principal` to workspace `ws`, if any.
pub fn assignment(store: &Store, ws: i64, principal: i64) -> ApiResult<Option<AssignmentRecord>> {
    repo::get(store, trees::ASSIGNMENTS, &assignment_key(ws, principal))
}

/// Every assignment of workspace `ws`, by principal id.
pub fn assignments(store: &Store, ws: i64) -> ApiResult<Vec<(i64, AssignmentRecord)>> {
    let prefix = ws_key(ws);
    store
        .kv()
        .scan_prefix(trees::ASSIGNMENTS, prefix.as_bytes())?
        .into_iter()
        .map(|(k, v)| {
            let id = id_of(&k[prefix.len()..])
                .ok_or_else(|| ApiError::Internal("malformed assignment key".into()))?;
            Ok((id, ironbrick_store::record::decode(&v)?))
        })
        .collect()
}

/// The workspaces `principal` is assigned to directly.
pub fn workspaces_of(store: &Store, principal: i64) -> ApiResult<Vec<i64>> {
    let prefix = format!("{}/", pkey(principal));
    Ok(store
        .kv()
        .scan_prefix(trees::PRINCIPAL_WORKSPACES, prefix.as_bytes())?
        .iter()
        .filter_map(|(k, _)| tail_id(k))
        .collect())
}

/// Assigns `principal` to workspace `ws` with `record`'s permissions.
pub fn tx_assign(
    tx: &mut dyn Tx,
    ws: i64,
    principal: i64,
    record: &AssignmentRecord,
) -> Result<(), StoreError> {
    tx_put(
        tx,
        trees::ASSIGNMENTS,
        &assignment_key(ws, principal),
        record,
    )?;
    tx.put(
        trees::PRINCIPAL_WORKSPACES,
        reverse_assignment_key(principal, ws).as_bytes(),
        b"",
    )
}

/// The assignment of `principal` to `ws` inside a transaction.
pub fn tx_assignment(
    tx: &mut dyn Tx,
    ws: i64,
    principal: i64,
) -> Result<Option<AssignmentRecord>, StoreError> {
    tx_get(tx, trees::ASSIGNMENTS, &assignment_key(ws, principal))
}

/// Removes `principal` from workspace `ws`.
pub fn tx_unassign(tx: &mut dyn Tx, ws: i64, principal: i64) -> Result<(), StoreError> {
    tx_delete(tx, trees::ASSIGNMENTS, &assignment_key(ws, principal))?;
    tx_delete(
        tx,
        trees::PRINCIPAL_WORKSPACES,
        &reverse_assignment_key(principal, ws),
    )
}

/// The entitlements of `principal` in workspace `ws`.
pub fn entitlements(store: &Store, ws: i64, principal: i64) -> ApiResult<BTreeSet<String>> {
    Ok(
        repo::get::<EntitlementsRecord>(
            store,
            trees::ENTITLEMENTS,
            &assignment_key(ws, principal),
        )?
        .map(|e| e.0)
        .unwrap_or_default(),
    )
}

/// Replaces the entitlements of `principal` in workspace `ws`.
pub fn tx_set_entitlements(
    tx: &mut dyn Tx,
    ws: i64,
    principal: i64,
    set: &BTreeSet<String>,
) -> Result<(), StoreError> {
    let key = assignment_key(ws, principal);
    if set.is_empty() {
        tx_delete(tx, trees::ENTITLEMENTS, &key)
    } else {
        tx_put(
            tx,
            trees::ENTITLEMENTS,
            &key,
            &EntitlementsRecord(set.clone()),
        )
    }
}
