//! Stored principals in their SCIM wire form, as seen from the account or from a workspace.

use super::visibility;
use super::Level;
use crate::error::ApiResult;
use crate::identity::directory::{self, Scope};
use crate::identity::{Kind, PrincipalRecord, WorkspacePermission};
use ironbrick_api::scim::{
    ComplexValue, Group, Name, ResourceMeta, ServicePrincipal, User, GROUP_SCHEMA,
    SERVICE_PRINCIPAL_SCHEMA, USER_SCHEMA,
};
use ironbrick_store::Store;
use serde_json::Value;
use std::collections::BTreeSet;

/// The SCIM resource folder of a principal kind (`Users`, `ServicePrincipals`, `Groups`).
pub fn folder(kind: Kind) -> &'static str {
    match kind {
        Kind::User => "Users",
        Kind::ServicePrincipal => "ServicePrincipals",
        Kind::Group => "Groups",
    }
}

/// A reference to principal `p` (a member or group entry).
pub fn reference(p: &PrincipalRecord, kind: Option<&str>) -> ComplexValue {
    ComplexValue {
        value: Some(p.id.to_string()),
        display: Some(p.display_name.clone()),
        kind: kind.map(str::to_string),
        reference: Some(format!("{}/{}", folder(p.kind), p.id)),
        primary: None,
    }
}

fn references(
    store: &Store,
    ws: Option<i64>,
    ids: impl IntoIterator<Item = i64>,
    kind: Option<&str>,
) -> ApiResult<Vec<ComplexValue>> {
    let mut out = Vec::new();
    for id in ids {
        if let Some(p) = directory::find(store, ws, id)? {
            out.push(reference(&p, kind));
        }
    }
    Ok(out)
}

fn entitlements(store: &Store, level: Level, id: i64) -> ApiResult<Vec<ComplexValue>> {
    Ok(match level {
        Level::Account => Vec::new(),
        Level::Workspace(ws) => directory::entitlements(store, ws, id)?
            .into_iter()
            .map(ComplexValue::value)
            .collect(),
    })
}

fn roles(level: Level, p: &PrincipalRecord) -> Vec<ComplexValue> {
    match level {
        Level::Account => p.roles.iter().map(ComplexValue::value).collect(),
        Level::Workspace(_) => Vec::new(),
    }
}

/// The direct groups of account principal `id` as seen at `level`: account groups, and in a
/// workspace its local groups plus the implicit `users` (and `admins` for principals
/// assigned `ADMIN`).
pub fn direct_groups(store: &Store, level: Level, id: i64) -> ApiResult<BTreeSet<i64>> {
    let mut ids: BTreeSet<i64> = directory::groups_of(store, Scope::Account, id)?
        .into_iter()
        .collect();
    if let Level::Workspace(ws) = level {
        let mut visible = BTreeSet::new();
        for g in ids {
            if visibility::group_in_workspace(store, ws, g)? {
                visible.insert(g);
            }
        }
        ids = visible;
        ids.extend(directory::groups_of(store, Scope::Workspace(ws), id)?);
        let (admins, users) = visibility::builtins(store, ws)?;
        ids.extend(users);
        if directory::assignment(store, ws, id)?
            .is_some_and(|a| a.permissions.contains(&WorkspacePermission::Admin))
        {
            ids.extend(admins);
        }
    }
    Ok(ids)
}

fn groups_of(store: &Store, level: Level, id: i64) -> ApiResult<Vec<ComplexValue>> {
    references(
        store,
        level.workspace(),
        direct_groups(store, level, id)?,
        Some("direct"),
    )
}

/// A user.
pub fn user(store: &Store, level: Level, p: &PrincipalRecord) -> ApiResult<User> {
    Ok(User {
        id: p.id.to_string(),
        user_name: p.name.clone(),
        display_name: p.display_name.clone(),
        active: Some(p.active),
        name: p.person.as_ref().map(|n| Name {
            given_name: n.given_name.clone(),
            family_name: n.family_name.clone(),
        }),
        external_id: p.external_id.clone(),
        account_id: None,
        emails: p
            .emails
            .iter()
            .map(|e| ComplexValue {
                value: Some(e.value.clone()),
                kind: e.kind.clone(),
                primary: Some(e.primary),
                ..ComplexValue::default()
            })
            .collect(),
        entitlements: entitlements(store, level, p.id)?,
        groups: groups_of(store, level, p.id)?,
        roles: roles(level, p),
        schemas: vec![USER_SCHEMA.into()],
        password: None,
    })
}

/// A service principal.
pub fn service_principal(
    store: &Store,
    level: Level,
    p: &PrincipalRecord,
) -> ApiResult<ServicePrincipal> {
    Ok(ServicePrincipal {
        id: p.id.to_string(),
        application_id: p.name.clone(),
        display_name: p.display_name.clone(),
        active: Some(p.active),
        external_id: p.external_id.clone(),
        account_id: None,
        entitlements: entitlements(store, level, p.id)?,
        groups: groups_of(store, level, p.id)?,
        roles: roles(level, p),
        schemas: vec![SERVICE_PRINCIPAL_SCHEMA.into()],
    })
}

/// The members of group `g`: stored members, and for the built-in
/// groups of a workspace the implicit ones (everyone assigned for `users`, principals
/// assigned `ADMIN` for `admins`).
pub fn members(store: &Store, g: &PrincipalRecord) -> ApiResult<BTreeSet<i64>> {
    let Some(ws) = g.workspace else {
        return Ok(directory::members(store, Scope::Account, g.id)?
            .into_iter()
            .collect());
    };
    let mut ids: BTreeSet<i64> = directory::members(store, Scope::Workspace(ws), g.id)?
        .into_iter()
        .collect();
    if visibility::is_builtin(g) {
        for (id, a) in directory::assignments(store, ws)? {
            let admin = a.permissions.contains(&WorkspacePermission::Admin);
            if g.name == crate::identity::USERS || admin {
                ids.insert(id);
            }
        }
    }
    Ok(ids)
}

/// The parent groups of group `g` as seen at `level`.
fn parents(store: &Store, level: Level, g: &PrincipalRecord) -> ApiResult<BTreeSet<i64>> {
    Ok(match (level, g.workspace) {
        (_, Some(ws)) => directory::groups_of(store, Scope::Workspace(ws), g.id)?
            .into_iter()
            .collect(),
        (Level::Account, None) => directory::groups_of(store, Scope::Account, g.id)?
            .into_iter()
            .collect(),
        (Level::Workspace(_), None) => direct_groups(store, level, g.id)?,
    })
}

/// A group.
pub fn group(store: &Store, level: Level, g: &PrincipalRecord) -> ApiResult<Group> {
    let ws = level.workspace();
    Ok(Group {
        id: g.id.to_string(),
        display_name: g.display_name.clone(),
        external_id: g.external_id.clone(),
        account_id: None,
        members: references(store, ws, members(store, g)?, None)?,
        groups: references(store, ws, parents(store, level, g)?, Some("direct"))?,
        entitlements: entitlements(store, level, g.id)?,
        roles: roles(level, g),
        meta: Some(ResourceMeta {
            resource_type: Some(
                if g.workspace.is_some() {
                    "WorkspaceGroup"
                } else {
                    "Group"
                }
                .into(),
            ),
        }),
        schemas: vec![GROUP_SCHEMA.into()],
    })
}

/// Any principal as JSON.
pub fn doc(store: &Store, level: Level, p: &PrincipalRecord) -> ApiResult<Value> {
    let v = match p.kind {
        Kind::User => serde_json::to_value(user(store, level, p)?),
        Kind::ServicePrincipal => serde_json::to_value(service_principal(store, level, p)?),
        Kind::Group => serde_json::to_value(group(store, level, p)?),
    };
    v.map_err(|e| crate::error::ApiError::Internal(e.to_string()))
}
