//! Rendering effective ACLs as Permissions API answers: one entry per principal, named from
//! the identity store (grants whose principal no longer exists are left out).

use super::Target;
use crate::authz::{Grant, ObjectKind};
use crate::error::ApiResult;
use crate::identity::{directory, Kind, PrincipalRecord};
use ironbrick_api::permissions::{
    AccessControlResponse, ObjectPermissions, Permission, PermissionLevel, PermissionsDescription,
};
use ironbrick_store::Store;

/// The answer of `GET`/`PUT`/`PATCH` for `target` in workspace `ws`.
pub fn answer(store: &Store, ws: i64, target: &Target) -> ApiResult<ObjectPermissions> {
    let mut entries: Vec<(i64, AccessControlResponse)> = Vec::new();
    for grant in &target.acl.grants {
        let Some(permission) = permission(grant) else {
            continue;
        };
        if let Some((_, e)) = entries.iter_mut().find(|(id, _)| *id == grant.principal) {
            if !e.all_permissions.contains(&permission) {
                e.all_permissions.push(permission);
            }
            continue;
        }
        let Some(p) = directory::find(store, Some(ws), grant.principal)? else {
            continue;
        };
        let mut e = named(&p);
        e.all_permissions.push(permission);
        entries.push((grant.principal, e));
    }
    Ok(ObjectPermissions {
        object_id: Some(target.object_id.clone()),
        object_type: Some(target.object_type.to_string()),
        access_control_list: entries.into_iter().map(|(_, e)| e).collect(),
    })
}

fn permission(g: &Grant) -> Option<Permission> {
    Some(Permission {
        permission_level: g.level.as_str().parse::<PermissionLevel>().ok()?,
        inherited: g.inherited_from.is_some(),
        inherited_from_object: g.inherited_from.iter().cloned().collect(),
    })
}

/// An answer entry naming `p` (no permissions yet).
fn named(p: &PrincipalRecord) -> AccessControlResponse {
    let mut e = AccessControlResponse::default();
    match p.kind {
        Kind::User => {
            e.user_name = Some(p.name.clone());
            e.display_name = Some(p.display_name.clone());
        }
        Kind::ServicePrincipal => {
            e.service_principal_name = Some(p.name.clone());
            e.display_name = Some(p.display_name.clone());
        }
        Kind::Group => e.group_name = Some(p.name.clone()),
    }
    e
}

/// The `/permissionLevels` answer of objects of `kind`.
pub fn levels(kind: ObjectKind) -> Vec<PermissionsDescription> {
    kind.levels()
        .iter()
        .filter_map(|l| {
            let description = match l.as_str() {
                "CAN_READ" => "Can view and comment",
                "CAN_RUN" => "Can view, comment and run",
                "CAN_EDIT" => "Can view, comment, run and edit",
                "CAN_MANAGE" => "Can manage, including changing permissions",
                "CAN_USE" => "Can use",
                other => other,
            };
            Some(PermissionsDescription {
                permission_level: l.as_str().parse().ok()?,
                description: description.to_string(),
            })
        })
        .collect()
}
