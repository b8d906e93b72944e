//! Who is calling: a principal with its effective groups and roles, resolved fresh for every
//! request (so deactivation, removal and group changes apply at once).

use super::directory::{self, Scope};
use super::records::{Kind, PrincipalRecord, WorkspacePermission};
use super::{ADMINS, USERS};
use crate::error::{ApiError, ApiResult};
use ironbrick_store::Store;
use std::collections::BTreeSet;
use std::sync::Arc;

/// A resolved caller.
#[derive(Debug, Clone)]
pub struct Subject {
    pub principal: Arc<PrincipalRecord>,
    /// The workspace the request is for; `None` on the account API.
    pub workspace: Option<i64>,
    pub account_admin: bool,
    /// Account admins, principals assigned `ADMIN`, and members of `admins`.
    pub workspace_admin: bool,
    /// Every group the principal belongs to, directly or through nested groups: account
    /// groups and the workspace's local groups, `users` (and `admins`) included.
    pub groups: BTreeSet<i64>,
}

impl Subject {
    /// Whether an access-control entry for principal `id` applies to this subject.
    pub fn is(&self, id: i64) -> bool {
        self.principal.id == id || self.groups.contains(&id)
    }

    /// How the subject is named in messages: `User alice@example.com`.
    pub fn describe(&self) -> String {
        let noun = match self.principal.kind {
            Kind::User => "User",
            Kind::ServicePrincipal => "Service principal",
            Kind::Group => "Group",
        };
        format!("{noun} {}", self.principal.name)
    }
}

fn load_active(store: &Store, principal_id: i64) -> ApiResult<PrincipalRecord> {
    let p = directory::get(store, Scope::Account, principal_id)?.ok_or_else(|| {
        ApiError::unauthenticated("The principal of this credential no longer exists.")
    })?;
    if !p.active {
        return Err(ApiError::forbidden(format!(
            "{} {} is deactivated.",
            capitalized(p.kind.noun()),
            p.name
        )));
    }
    Ok(p)
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Resolves principal `principal_id` for the account API: it must exist, be active and hold
/// the account admin role.
pub fn resolve_account(store: &Store, principal_id: i64) -> ApiResult<Subject> {
    let p = load_active(store, principal_id)?;
    let account_admin = p.is_account_admin();
    let groups = directory::closure(store, Scope::Account, &[p.id])?;
    Ok(Subject {
        principal: Arc::new(p),
        workspace: None,
        account_admin,
        workspace_admin: false,
        groups,
    })
}

/// Resolves principal `principal_id` in workspace `ws`: it must exist, be active, and be an
/// account admin or assigned to the workspace (directly or through one of its groups).
pub fn resolve(store: &Store, principal_id: i64, ws: i64) -> ApiResult<Subject> {
    let p = load_active(store, principal_id)?;
    let account_admin = p.is_account_admin();
    let account_groups = directory::closure(store, Scope::Account, &[p.id])?;
    let mut permissions = BTreeSet::new();
    for id in std::iter::once(p.id).chain(account_groups.iter().copied()) {
        if let Some(a) = directory::assignment(store, ws, id)? {
            permissions.extend(a.permissions);
        }
    }
    if !account_admin && permissions.is_empty() {
        return Err(ApiError::forbidden(format!(
            "{} {} is not a member of workspace {ws}.",
            capitalized(p.kind.noun()),
            p.name
        )));
    }
    let local = Scope::Workspace(ws);
    let users = directory::id_by_name(store, local, Kind::Group, USERS)?;
    let admins = directory::id_by_name(store, local, Kind::Group, ADMINS)?;
    let mut start: Vec<i64> = std::iter::once(p.id)
        .chain(account_groups.iter().copied())
        .chain(users)
        .collect();
    let mut workspace_admin = account_admin || permissions.contains(&WorkspacePermission::Admin);
    if workspace_admin {
        start.extend(admins);
    }
    let mut groups = directory::closure(store, local, &start)?;
    groups.extend(account_groups);
    groups.extend(users);
    if admins.is_some_and(|a| groups.contains(&a)) {
        workspace_admin = true;
    }
    if workspace_admin {
        groups.extend(admins);
    }
    Ok(Subject {
        principal: Arc::new(p),
        workspace: Some(ws),
        account_admin,
        workspace_admin,
        groups,
    })
}
