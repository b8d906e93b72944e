//! Lookups and writes of SCIM resources at either level: create, replace (PUT and the result
//! of a PATCH), delete.

use super::draft::Draft;
use super::{render, visibility, Caller, Level};
use crate::error::{ApiError, ApiResult};
use crate::identity::directory::{self, Scope};
use crate::identity::records::ACCOUNT_ADMIN_ROLE;
use crate::identity::{
    seed, AssignmentRecord, Kind, PrincipalRecord, WorkspacePermission, ADMINS, USERS,
};
use crate::passwords;
use ironbrick_store::{Store, Tx};
use std::collections::BTreeSet;

/// The account admin created at bootstrap; it can be neither deactivated nor deleted.
pub const BOOTSTRAP_ADMIN: i64 = 1;

fn not_found(kind: Kind, id: &str) -> ApiError {
    let noun = match kind {
        Kind::User => "User",
        Kind::ServicePrincipal => "Service principal",
        Kind::Group => "Group",
    };
    ApiError::not_found(format!("{noun} {id} does not exist."))
}

fn describe(p: &PrincipalRecord) -> String {
    let noun = match p.kind {
        Kind::User => "User",
        Kind::ServicePrincipal => "Service principal",
        Kind::Group => "Group",
    };
    format!("{noun} {}", p.name)
}

/// The resource `id` of `kind` as seen at `level`; 404 when it does not exist there.
pub fn lookup(store: &Store, level: Level, kind: Kind, id: &str) -> ApiResult<PrincipalRecord> {
    let Ok(n) = id.trim().parse::<i64>() else {
        return Err(not_found(kind, id));
    };
    let found = match level {
        Level::Account => directory::get(store, Scope::Account, n)?,
        Level::Workspace(ws) => match directory::get(store, Scope::Workspace(ws), n)? {
            Some(local) => Some(local),
            None => match directory::get(store, Scope::Account, n)? {
                Some(p) if p.kind == Kind::Group => {
                    visibility::group_in_workspace(store, ws, n)?.then_some(p)
                }
                Some(p) => visibility::can_use(store, ws, &p)?.then_some(p),
                None => None,
            },
        },
    };
    found
        .filter(|p| p.kind == kind)
        .ok_or_else(|| not_found(kind, id))
}

/// Every resource of `kind` seen at `level`, by id.
pub fn list(store: &Store, level: Level, kind: Kind) -> ApiResult<Vec<PrincipalRecord>> {
    match (level, kind) {
        (Level::Account, kind) => directory::list(store, kind),
        (Level::Workspace(ws), Kind::Group) => visibility::workspace_groups(store, ws),
        (Level::Workspace(ws), kind) => visibility::workspace_principals(store, ws, kind),
    }
}

fn record(kind: Kind, d: &Draft, workspace: Option<i64>) -> PrincipalRecord {
    let mut p = seed::principal(directory::new_id(), kind, &d.name, &d.display_name);
    p.active = d.active;
    p.external_id = d.external_id.clone();
    p.person = d.person.clone();
    p.emails = d.emails.clone();
    p.workspace = workspace;
    p
}

/// Checks that `member` may join `group` (of `scope`): it exists there and no cycle forms.
fn check_member(store: &Store, scope: Scope, group: i64, member: i64) -> ApiResult<()> {
    let cycle = || {
        ApiError::invalid(format!(
            "Adding group {member} to group {group} would nest a group inside itself."
        ))
    };
    let missing = || ApiError::invalid(format!("Member {member} does not exist."));
    match scope {
        Scope::Account => {
            let p = directory::get(store, Scope::Account, member)?.ok_or_else(missing)?;
            if p.kind == Kind::Group && directory::would_cycle(store, scope, group, member)? {
                return Err(cycle());
            }
        }
        Scope::Workspace(ws) => {
            if let Some(local) = directory::get(store, scope, member)? {
                if local.name == USERS {
                    return Err(ApiError::invalid(
                        "The group users cannot be a member of another group.",
                    ));
                }
                if directory::would_cycle(store, scope, group, member)? {
                    return Err(cycle());
                }
                return Ok(());
            }
            let p = directory::get(store, Scope::Account, member)?.ok_or_else(missing)?;
            let visible = match p.kind {
                Kind::Group => visibility::group_in_workspace(store, ws, member)?,
                _ => visibility::can_use(store, ws, &p)?,
            };
            if !visible {
                return Err(ApiError::invalid(format!(
                    "Member {member} ({}) is not in workspace {ws}; assign it first.",
                    describe(&p)
                )));
            }
        }
    }
    Ok(())
}

/// The scope of the groups a principal's `groups` list can change at `level`, and checks
/// that `g` is such a group.
fn editable_group(store: &Store, level: Level, g: i64) -> ApiResult<Scope> {
    match level {
        Level::Account => match directory::get(store, Scope::Account, g)? {
            Some(p) if p.kind == Kind::Group => Ok(Scope::Account),
            _ => Err(ApiError::invalid(format!("Group {g} does not exist."))),
        },
        Level::Workspace(ws) => {
            if let Some(local) = directory::get(store, Scope::Workspace(ws), g)? {
                if local.name == USERS {
                    return Err(ApiError::invalid(
                        "Membership in users is implicit: every principal of the workspace is in it.",
                    ));
                }
                return Ok(Scope::Workspace(ws));
            }
            match directory::get(store, Scope::Account, g)? {
                Some(p) if p.kind == Kind::Group => Err(ApiError::invalid(format!(
                    "Group {} is an account group; change its members through the account SCIM API.",
                    p.name
                ))),
                _ => Err(ApiError::invalid(format!("Group {g} does not exist."))),
            }
        }
    }
}

/// Groups (with their scope) to join and to leave.
type GroupChanges = (Vec<(Scope, i64)>, Vec<(Scope, i64)>);

/// Membership changes of a user or service principal from its `groups` list.
fn group_changes(
    store: &Store,
    level: Level,
    id: i64,
    desired: Option<&BTreeSet<i64>>,
) -> ApiResult<GroupChanges> {
    let Some(desired) = desired else {
        return Ok((Vec::new(), Vec::new()));
    };
    let shown = render::direct_groups(store, level, id)?;
    let mut add = Vec::new();
    for g in desired.difference(&shown) {
        add.push((editable_group(store, level, *g)?, *g));
    }
    let scope = match level {
        Level::Account => Scope::Account,
        Level::Workspace(ws) => Scope::Workspace(ws),
    };
    let remove = directory::groups_of(store, scope, id)?
        .into_iter()
        .filter(|g| !desired.contains(g))
        .map(|g| (scope, g))
        .collect();
    Ok((add, remove))
}

/// Stores the new password of a draft, if it has one (hashed beforehand).
fn tx_set_password(tx: &mut dyn Tx, id: i64, d: &Draft) -> ApiResult<()> {
    if let Some(h) = &d.password_hash {
        passwords::tx_set(tx, id, h)?;
    }
    Ok(())
}

fn apply_groups(tx: &mut dyn Tx, id: i64, changes: &GroupChanges) -> ApiResult<()> {
    for (scope, g) in &changes.0 {
        directory::tx_add_member(tx, *scope, *g, id)?;
    }
    for (scope, g) in &changes.1 {
        directory::tx_remove_member(tx, *scope, *g, id)?;
    }
    Ok(())
}

fn refuse_name_clash(store: &Store, ws: i64, name: &str) -> ApiResult<()> {
    if visibility::workspace_groups(store, ws)?
        .iter()
        .any(|g| g.name == name)
    {
        return Err(ApiError::exists(format!(
            "Group with name {name} already exists."
        )));
    }
    Ok(())
}

/// Creates a resource of `kind` at the caller's level. At a workspace, a user or service
/// principal is the account principal of that name (created if new) assigned `USER`.
pub fn create(store: &Store, caller: &Caller, kind: Kind, d: Draft) -> ApiResult<PrincipalRecord> {
    match (caller.level, kind) {
        (Level::Account, Kind::Group) => {
            let mut g = record(kind, &d, None);
            let members = d.members.clone().unwrap_or_default();
            for m in &members {
                check_member(store, Scope::Account, g.id, *m)?;
            }
            g.roles = BTreeSet::new();
            store.transact(|tx| {
                directory::tx_insert(tx, Scope::Account, &g)?;
                for m in &members {
                    directory::tx_add_member(tx, Scope::Account, g.id, *m)?;
                }
                Ok::<_, ApiError>(())
            })?;
            Ok(g)
        }
        (Level::Account, kind) => {
            let mut p = record(kind, &d, None);
            p.roles = d.roles.clone().unwrap_or_default();
            let changes = group_changes(store, Level::Account, p.id, d.groups.as_ref())?;
            store.transact(|tx| {
                directory::tx_insert(tx, Scope::Account, &p)?;
                tx_set_password(tx, p.id, &d)?;
                apply_groups(tx, p.id, &changes)
            })?;
            Ok(p)
        }
        (Level::Workspace(ws), Kind::Group) => {
            refuse_name_clash(store, ws, &d.name)?;
            let g = record(kind, &d, Some(ws));
            let scope = Scope::Workspace(ws);
            let members = d.members.clone().unwrap_or_default();
            for m in &members {
                check_member(store, scope, g.id, *m)?;
            }
            store.transact(|tx| {
                directory::tx_insert(tx, scope, &g)?;
                for m in &members {
                    directory::tx_add_member(tx, scope, g.id, *m)?;
                }
                directory::tx_set_entitlements(tx, ws, g.id, &d.entitlements)?;
                Ok::<_, ApiError>(())
            })?;
            Ok(g)
        }
        (Level::Workspace(ws), kind) => {
            let existing = directory::by_name(store, Scope::Account, kind, &d.name)?;
            if let Some(p) = &existing {
                if visibility::can_use(store, ws, p)? {
                    let what = match kind {
                        Kind::User => "User with username",
                        _ => "Service principal with application id",
                    };
                    return Err(ApiError::exists(format!(
                        "{what} {} already exists in workspace {ws}.",
                        p.name
                    )));
                }
            }
            let p = existing.clone().unwrap_or_else(|| record(kind, &d, None));
            let level = Level::Workspace(ws);
            let changes = group_changes(store, level, p.id, d.groups.as_ref())?;
            store.transact(|tx| {
                if existing.is_none() {
                    directory::tx_insert(tx, Scope::Account, &p)?;
                }
                let mut a = directory::tx_assignment(tx, ws, p.id)?.unwrap_or_default();
                a.permissions.insert(WorkspacePermission::User);
                directory::tx_assign(tx, ws, p.id, &a)?;
                directory::tx_set_entitlements(tx, ws, p.id, &d.entitlements)?;
                tx_set_password(tx, p.id, &d)?;
                apply_groups(tx, p.id, &changes)
            })?;
            Ok(p)
        }
    }
}

fn guard(caller: &Caller, p: &PrincipalRecord) -> ApiResult<()> {
    if matches!(caller.level, Level::Workspace(_))
        && p.workspace.is_none()
        && p.is_account_admin()
        && !caller.account_admin
    {
        return Err(ApiError::forbidden(format!(
            "{} is an account admin; only account admins can change it.",
            describe(p)
        )));
    }
    Ok(())
}

/// Replaces `p` with `d` at the caller's level.
pub fn replace(store: &Store, caller: &Caller, p: &PrincipalRecord, d: Draft) -> ApiResult<()> {
    guard(caller, p)?;
    if p.id == BOOTSTRAP_ADMIN {
        if !d.active {
            return Err(ApiError::invalid(
                "The bootstrap account admin cannot be deactivated (that could lock everyone out).",
            ));
        }
        if d.roles
            .as_ref()
            .is_some_and(|r| !r.contains(ACCOUNT_ADMIN_ROLE))
        {
            return Err(ApiError::invalid(
                "The bootstrap account admin keeps the account_admin role (that could lock everyone out).",
            ));
        }
    }
    let mut new = p.clone();
    new.name = d.name.clone();
    new.display_name = d.display_name.clone();
    new.external_id = d.external_id.clone();
    if p.kind != Kind::Group {
        new.active = d.active;
        new.person = d.person.clone();
        new.emails = d.emails.clone();
    }
    if caller.level == Level::Account {
        if let Some(r) = &d.roles {
            new.roles = r.clone();
        }
    }
    match (caller.level, p.kind, p.workspace) {
        (level, Kind::User | Kind::ServicePrincipal, _) => {
            let changes = group_changes(store, level, p.id, d.groups.as_ref())?;
            store.transact(|tx| {
                directory::tx_replace(tx, Scope::Account, p, &new)?;
                if let Level::Workspace(ws) = level {
                    directory::tx_set_entitlements(tx, ws, p.id, &d.entitlements)?;
                }
                tx_set_password(tx, p.id, &d)?;
                apply_groups(tx, p.id, &changes)
            })
        }
        (Level::Account, Kind::Group, _) => {
            let (add, remove) = member_changes(store, Scope::Account, p, d.members.as_ref())?;
            store.transact(|tx| {
                directory::tx_replace(tx, Scope::Account, p, &new)?;
                for m in &add {
                    directory::tx_add_member(tx, Scope::Account, p.id, *m)?;
                }
                for m in &remove {
                    directory::tx_remove_member(tx, Scope::Account, p.id, *m)?;
                }
                Ok(())
            })
        }
        (Level::Workspace(ws), Kind::Group, None) => {
            let members_changed = d
                .members
                .as_ref()
                .map(|m| Ok::<_, ApiError>(*m != render::members(store, p)?))
                .transpose()?
                .unwrap_or(false);
            if new != *p || members_changed {
                return Err(ApiError::invalid(format!(
                    "Group {} is an account group; change it through the account SCIM API (a workspace can change only its entitlements).",
                    p.name
                )));
            }
            store.transact(|tx| {
                directory::tx_set_entitlements(tx, ws, p.id, &d.entitlements)?;
                Ok(())
            })
        }
        (Level::Workspace(ws), Kind::Group, Some(_)) => replace_local_group(store, ws, p, &new, &d),
    }
}

/// Members to add and remove to make `g`'s explicit members `desired`.
fn member_changes(
    store: &Store,
    scope: Scope,
    g: &PrincipalRecord,
    desired: Option<&BTreeSet<i64>>,
) -> ApiResult<(Vec<i64>, Vec<i64>)> {
    let Some(desired) = desired else {
        return Ok((Vec::new(), Vec::new()));
    };
    let current: BTreeSet<i64> = directory::members(store, scope, g.id)?
        .into_iter()
        .collect();
    let add: Vec<i64> = desired.difference(&current).copied().collect();
    for m in &add {
        check_member(store, scope, g.id, *m)?;
    }
    Ok((add, current.difference(desired).copied().collect()))
}

fn replace_local_group(
    store: &Store,
    ws: i64,
    g: &PrincipalRecord,
    new: &PrincipalRecord,
    d: &Draft,
) -> ApiResult<()> {
    let scope = Scope::Workspace(ws);
    if visibility::is_builtin(g) && new.name != g.name {
        return Err(ApiError::invalid(format!(
            "The built-in group {} cannot be renamed.",
            g.name
        )));
    }
    if new.name != g.name {
        refuse_name_clash(store, ws, &new.name)?;
    }
    let shown = render::members(store, g)?;
    let desired = d.members.clone().unwrap_or_else(|| shown.clone());
    if g.name == USERS && desired != shown {
        return Err(ApiError::invalid(
            "The members of users are implicit (every principal that can use the workspace) and cannot be changed; assign or remove principals instead.",
        ));
    }
    let add: Vec<i64> = desired.difference(&shown).copied().collect();
    for m in &add {
        check_member(store, scope, g.id, *m)?;
    }
    let mut remove = Vec::new();
    let mut demote = Vec::new();
    for m in shown.difference(&desired) {
        if directory::is_member(store, scope, g.id, *m)? {
            remove.push(*m);
        }
        if g.name == ADMINS {
            if let Some(a) = directory::assignment(store, ws, *m)? {
                if a.permissions.contains(&WorkspacePermission::Admin) {
                    demote.push((*m, a));
                }
            }
        }
    }
    store.transact(|tx| {
        directory::tx_replace(tx, scope, g, new)?;
        for m in &add {
            directory::tx_add_member(tx, scope, g.id, *m)?;
        }
        for m in &remove {
            directory::tx_remove_member(tx, scope, g.id, *m)?;
        }
        for (m, a) in &demote {
            let mut a: AssignmentRecord = a.clone();
            a.permissions.remove(&WorkspacePermission::Admin);
            a.permissions.insert(WorkspacePermission::User);
            directory::tx_assign(tx, ws, *m, &a)?;
        }
        directory::tx_set_entitlements(tx, ws, g.id, &d.entitlements)?;
        Ok::<_, ApiError>(())
    })
}

/// Deletes `p` at the caller's level: everywhere from the account; from the workspace only
/// (its assignment, entitlements and local memberships) at a workspace.
pub fn delete(store: &Store, caller: &Caller, p: &PrincipalRecord) -> ApiResult<()> {
    if p.id == BOOTSTRAP_ADMIN {
        return Err(ApiError::invalid(
            "The bootstrap account admin cannot be deleted (that could lock everyone out).",
        ));
    }
    guard(caller, p)?;
    match (caller.level, p.workspace) {
        (Level::Account, _) => {
            let mut keys = directory::removal_keys(store, Scope::Account, p)?;
            keys.push(passwords::removal_key(p.id));
            store.transact(|tx| directory::tx_remove(tx, &keys).map_err(ApiError::from))
        }
        (Level::Workspace(ws), Some(_)) => {
            if visibility::is_builtin(p) {
                return Err(ApiError::invalid(format!(
                    "The built-in group {} cannot be deleted.",
                    p.name
                )));
            }
            let keys = directory::removal_keys(store, Scope::Workspace(ws), p)?;
            store.transact(|tx| {
                directory::tx_remove(tx, &keys)?;
                directory::tx_set_entitlements(tx, ws, p.id, &BTreeSet::new())?;
                Ok::<_, ApiError>(())
            })
        }
        (Level::Workspace(ws), None) => remove_from_workspace(store, ws, p, true),
    }
}

/// Takes account principal `p` out of workspace `ws`: its direct assignment, entitlements
/// and local group memberships. With `strict` (a SCIM delete, which promises the principal
/// is gone) it is refused when `p` would keep access anyway, through a group or as an
/// account admin.
pub fn remove_from_workspace(
    store: &Store,
    ws: i64,
    p: &PrincipalRecord,
    strict: bool,
) -> ApiResult<()> {
    if strict && p.kind != Kind::Group {
        if p.is_account_admin() {
            return Err(ApiError::invalid(format!(
                "{} is an account admin and can use every workspace; remove its account_admin role through the account SCIM API first.",
                describe(p)
            )));
        }
        for g in directory::closure(store, Scope::Account, &[p.id])? {
            if directory::assignment(store, ws, g)?.is_some() {
                let name = directory::get(store, Scope::Account, g)?
                    .map_or_else(|| g.to_string(), |g| g.name);
                return Err(ApiError::invalid(format!(
                    "{} can use workspace {ws} through group {name}; remove it from that group or unassign the group.",
                    describe(p)
                )));
            }
        }
    }
    let keys = visibility::removal_keys(store, ws, p.id)?;
    store.transact(|tx| visibility::tx_remove(tx, ws, p.id, &keys))
}
