//! Turning `PUT`/`PATCH` bodies into stored grants: every entry is checked (one principal, a
//! level of the object's kind, a principal that exists, `admins` never lowered) before
//! anything is written.

use crate::authz::store::StoredGrant;
use crate::authz::{Level, ObjectKind};
use crate::error::{ApiError, ApiResult};
use crate::identity::{directory, Kind, Scope};
use ironbrick_api::permissions::{AccessControlRequest, PermissionLevel, PrincipalName};
use ironbrick_store::Store;

/// The level `wire` means for objects of `kind`, or a message naming the allowed ones.
pub fn level_for(kind: ObjectKind, wire: PermissionLevel) -> Result<Level, String> {
    Level::parse(wire.as_str())
        .filter(|l| kind.rank(*l).is_some())
        .ok_or_else(|| {
            let allowed: Vec<&str> = kind.levels().iter().map(|l| l.as_str()).collect();
            format!(
                "Permission level {} is not valid for {} objects; allowed levels: {}.",
                wire.as_str(),
                kind.noun(),
                allowed.join(", ")
            )
        })
}

/// The id of the principal an entry names in workspace `ws` (groups: the workspace's own
/// first, then account groups).
pub fn principal_id(store: &Store, ws: i64, name: PrincipalName<'_>) -> ApiResult<Option<i64>> {
    match name {
        PrincipalName::User(n) => directory::id_by_name(store, Scope::Account, Kind::User, n),
        PrincipalName::ServicePrincipal(n) => {
            directory::id_by_name(store, Scope::Account, Kind::ServicePrincipal, n)
        }
        PrincipalName::Group(n) => {
            match directory::id_by_name(store, Scope::Workspace(ws), Kind::Group, n)? {
                Some(id) => Ok(Some(id)),
                None => directory::id_by_name(store, Scope::Account, Kind::Group, n),
            }
        }
    }
}

fn described(name: PrincipalName<'_>) -> String {
    match name {
        PrincipalName::User(n) => format!("user {n}"),
        PrincipalName::Group(n) => format!("group {n}"),
        PrincipalName::ServicePrincipal(n) => format!("service principal {n}"),
    }
}

/// Checks `entries` for objects of `kind` and resolves them to grants with `lookup` (name →
/// principal id). Entries for `admins` (whose id is `admins`) must say the strongest level
/// and are not stored: admins always hold it. A principal named twice keeps its strongest level.
pub fn grants(
    kind: ObjectKind,
    entries: &[AccessControlRequest],
    admins: Option<i64>,
    mut lookup: impl FnMut(PrincipalName<'_>) -> ApiResult<Option<i64>>,
) -> ApiResult<Vec<StoredGrant>> {
    let mut out: Vec<StoredGrant> = Vec::new();
    for e in entries {
        let name = e.principal().map_err(|m| ApiError::invalid(capital(m)))?;
        let wire = e.permission_level.ok_or_else(|| {
            ApiError::invalid(format!(
                "permission_level is required (for {}).",
                described(name)
            ))
        })?;
        let level = level_for(kind, wire).map_err(ApiError::invalid)?;
        let id = lookup(name)?.ok_or_else(|| {
            ApiError::invalid(format!("Principal {} does not exist.", described(name)))
        })?;
        if Some(id) == admins {
            if level != kind.top() {
                return Err(ApiError::invalid(format!(
                    "The admins group always keeps {}: admins always keep CAN_MANAGE; its permission cannot be lowered to {}.",
                    kind.top().as_str(),
                    level.as_str()
                )));
            }
            continue;
        }
        match out.iter_mut().find(|g| g.principal == id) {
            Some(g) if kind.rank(level) > kind.rank(g.level) => g.level = level,
            Some(_) => {}
            None => out.push(StoredGrant {
                principal: id,
                level,
            }),
        }
    }
    Ok(out)
}

/// `PATCH`: `changes` replace the grants of the principals they name; other grants stay.
pub fn merge(current: &[StoredGrant], changes: &[StoredGrant]) -> Vec<StoredGrant> {
    let mut out = current.to_vec();
    for c in changes {
        match out.iter_mut().find(|g| g.principal == c.principal) {
            Some(g) => g.level = c.level,
            None => out.push(*c),
        }
    }
    out
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(user: &str, level: &str) -> AccessControlRequest {
        AccessControlRequest {
            user_name: Some(user.into()),
            permission_level: Some(level.parse().unwrap()),
            ..AccessControlRequest::default()
        }
    }

    fn group(name: &str, level: &str) -> AccessControlRequest {
        AccessControlRequest {
            group_name: Some(name.into()),
            permission_level: Some(level.parse().unwrap()),
            ..AccessControlRequest::default()
        }
    }

    fn lookup(name: PrincipalName<'_>) -> ApiResult<Option<i64>> {
        Ok(match name {
            PrincipalName::User("ann") => Some(1),
            PrincipalName::User("bob") => Some(2),
            PrincipalName::Group("admins") => Some(9),
            _ => None,
        })
    }

    fn msg(e: ApiError) -> String {
        match e {
            ApiError::Client { message, .. } => message,
            other => other.to_string(),
        }
    }

    fn g(principal: i64, level: Level) -> StoredGrant {
        StoredGrant { principal, level }
    }

    #[test]
    fn levels_are_checked_against_the_kind() {
        let ok = grants(
            ObjectKind::Notebook,
            &[entry("ann", "CAN_RUN"), entry("bob", "CAN_MANAGE")],
            Some(9),
            lookup,
        )
        .unwrap();
        assert_eq!(ok, vec![g(1, Level::CanRun), g(2, Level::CanManage)]);
        let err = grants(
            ObjectKind::Tokens,
            &[entry("ann", "CAN_READ")],
            Some(9),
            lookup,
        )
        .unwrap_err();
        assert_eq!(
            msg(err),
            "Permission level CAN_READ is not valid for tokens objects; allowed levels: CAN_USE, CAN_MANAGE."
        );
        assert!(level_for(ObjectKind::Directory, PermissionLevel::CanUse).is_err());
        assert_eq!(
            level_for(ObjectKind::Directory, PermissionLevel::CanEdit),
            Ok(Level::CanEdit)
        );
    }

    #[test]
    fn unknown_principals_and_bad_entries_are_named() {
        let err = grants(
            ObjectKind::Notebook,
            &[entry("zed", "CAN_RUN")],
            None,
            lookup,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("user zed does not exist"), "{err}");
        let two = AccessControlRequest {
            user_name: Some("ann".into()),
            group_name: Some("g".into()),
            permission_level: Some(PermissionLevel::CanRead),
            ..AccessControlRequest::default()
        };
        let err = grants(ObjectKind::Notebook, &[two], None, lookup).unwrap_err();
        assert!(err.to_string().contains("only one of"), "{err}");
        let none = AccessControlRequest {
            permission_level: Some(PermissionLevel::CanRead),
            ..AccessControlRequest::default()
        };
        assert!(grants(ObjectKind::Notebook, &[none], None, lookup).is_err());
        let no_level = AccessControlRequest {
            user_name: Some("ann".into()),
            ..AccessControlRequest::default()
        };
        assert!(grants(ObjectKind::Notebook, &[no_level], None, lookup)
            .unwrap_err()
            .to_string()
            .contains("permission_level is required"));
    }

    #[test]
    fn admins_cannot_be_lowered_and_are_not_stored() {
        let err = grants(
            ObjectKind::Notebook,
            &[group("admins", "CAN_READ")],
            Some(9),
            lookup,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("admins always keep CAN_MANAGE"),
            "{err}"
        );
        let kept = grants(
            ObjectKind::Tokens,
            &[group("admins", "CAN_MANAGE"), entry("ann", "CAN_USE")],
            Some(9),
            lookup,
        )
        .unwrap();
        assert_eq!(kept, vec![g(1, Level::CanUse)]);
    }

    #[test]
    fn a_principal_named_twice_keeps_its_strongest_level() {
        let got = grants(
            ObjectKind::Notebook,
            &[entry("ann", "CAN_EDIT"), entry("ann", "CAN_READ")],
            None,
            lookup,
        )
        .unwrap();
        assert_eq!(got, vec![g(1, Level::CanEdit)]);
    }

    #[test]
    fn patch_merges_and_put_replaces() {
        let current = vec![g(1, Level::CanRead), g(2, Level::CanManage)];
        let merged = merge(&current, &[g(1, Level::CanEdit), g(3, Level::CanRun)]);
        assert_eq!(
            merged,
            vec![
                g(1, Level::CanEdit),
                g(2, Level::CanManage),
                g(3, Level::CanRun)
            ]
        );
        assert_eq!(merge(&current, &[]), current);
    }
}
