//! `access_control` blocks and the Permissions API's ACLs: what is sent on apply and destroy,
//! and what of an answer goes into state (the official provider's rules: only direct grants;
//! never the admins' unless configurable; the applying user only when configured).

use super::objects::{AdminsAlways, Kind};
use ironbrick_api::permissions::{AccessControlRequest, ObjectPermissions, PermissionLevel};
use tf_framework::{Dyn, Obj};

/// The principal fields of an `access_control` block.
pub const PRINCIPALS: [&str; 3] = ["user_name", "group_name", "service_principal_name"];

const ADMINS: &str = "admins";

/// The `access_control` blocks of a plan or state (values all known).
pub fn entries(o: &Obj) -> Result<Vec<AccessControlRequest>, String> {
    let items = o.get("access_control").as_list().unwrap_or(&[]);
    items
        .iter()
        .filter_map(Obj::from_dyn)
        .map(|b| {
            let level = match b.opt_str("permission_level") {
                Some(l) => Some(l.parse::<PermissionLevel>().map_err(|e| e.to_string())?),
                None => None,
            };
            Ok(AccessControlRequest {
                user_name: b.opt_str("user_name"),
                group_name: b.opt_str("group_name"),
                service_principal_name: b.opt_str("service_principal_name"),
                permission_level: level,
            })
        })
        .collect()
}

/// An `access_control` block for state.
pub fn block(e: &AccessControlRequest) -> Dyn {
    let mut o = Obj::new();
    o.set("user_name", e.user_name.clone())
        .set("group_name", e.group_name.clone())
        .set("service_principal_name", e.service_principal_name.clone())
        .set("permission_level", e.permission_level.map(|l| l.as_str()));
    o.into()
}

/// Whether two entries name the same principal (user and service principal names ignore
/// case, as the API does).
pub fn same_principal(a: &AccessControlRequest, b: &AccessControlRequest) -> bool {
    let ci = |x: &Option<String>, y: &Option<String>| match (x, y) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        _ => false,
    };
    ci(&a.user_name, &b.user_name)
        || ci(&a.service_principal_name, &b.service_principal_name)
        || (a.group_name.is_some() && a.group_name == b.group_name)
}

fn is_user(e: &AccessControlRequest, me: &str) -> bool {
    [&e.user_name, &e.service_principal_name]
        .into_iter()
        .flatten()
        .any(|n| n.eq_ignore_ascii_case(me))
}

fn admins(level: PermissionLevel) -> AccessControlRequest {
    AccessControlRequest {
        group_name: Some(ADMINS.to_owned()),
        permission_level: Some(level),
        ..AccessControlRequest::default()
    }
}

fn keeps_admins(kind: &Kind, object_id: &str, on_update: bool) -> bool {
    match kind.admins_always {
        AdminsAlways::No => false,
        AdminsAlways::OnUpdate => on_update,
        AdminsAlways::ForId(id) => id == object_id,
    }
}

/// Refuses an ACL that would take management of the object from the applying user `me`.
pub fn check_self(kind: &Kind, acl: &[AccessControlRequest], me: &str) -> Result<(), String> {
    for e in acl.iter().filter(|e| is_user(e, me)) {
        if let Some(level) = e.permission_level.filter(|l| !kind.manages(*l)) {
            let managing: Vec<_> = kind
                .levels
                .iter()
                .filter(|(_, m)| *m)
                .map(|(l, _)| l.as_str())
                .collect();
            return Err(format!(
                "{level} would take management of this {} from {me}, who applies this \
                 configuration; the applying user may only be given {}.",
                kind.object_type,
                managing.join(", ")
            ));
        }
    }
    Ok(())
}

/// The ACL to `PUT` on apply: the configured grants, plus what the API insists on.
pub fn for_update(
    kind: &Kind,
    object_id: &str,
    mut acl: Vec<AccessControlRequest>,
) -> Vec<AccessControlRequest> {
    let has_admins = acl.iter().any(|e| e.group_name.as_deref() == Some(ADMINS));
    if keeps_admins(kind, object_id, true) && !has_admins {
        acl.push(admins(PermissionLevel::CanManage));
    }
    acl
}

/// The ACL to `PUT` on destroy: no direct grants but the admins' own (the official provider's
/// reset), plus what the API insists on.
pub fn for_delete(
    kind: &Kind,
    object_id: &str,
    current: &ObjectPermissions,
) -> Vec<AccessControlRequest> {
    let mut acl: Vec<_> = current
        .access_control_list
        .iter()
        .filter(|e| e.group_name.as_deref() == Some(ADMINS))
        .flat_map(|e| e.all_permissions.iter().filter(|p| !p.inherited))
        .take(1)
        .map(|p| admins(p.permission_level))
        .collect();
    if keeps_admins(kind, object_id, false) && acl.is_empty() {
        acl.push(admins(PermissionLevel::CanManage));
    }
    acl
}

/// The grants of an API answer that belong in state. `prior` is the state's ACL: the applying
/// user `me` appears only when it is there, and names keep its spelling when they differ only
/// in case.
pub fn from_answer(
    kind: &Kind,
    answer: &ObjectPermissions,
    prior: &[AccessControlRequest],
    me: &str,
) -> Vec<AccessControlRequest> {
    let me_configured = prior.iter().any(|e| is_user(e, me));
    let admins_configured = kind.admins_configurable
        && prior
            .iter()
            .any(|e| e.group_name.as_deref() == Some(ADMINS));
    let mut out = Vec::new();
    for e in &answer.access_control_list {
        if e.group_name.as_deref() == Some(ADMINS) && !admins_configured {
            continue;
        }
        for p in e.all_permissions.iter().filter(|p| !p.inherited) {
            let mut entry = AccessControlRequest {
                user_name: e.user_name.clone(),
                group_name: e.group_name.clone(),
                service_principal_name: e.service_principal_name.clone(),
                permission_level: Some(p.permission_level),
            };
            if is_user(&entry, me) && !me_configured {
                continue;
            }
            if let Some(known) = prior.iter().find(|k| same_principal(k, &entry)) {
                entry.user_name.clone_from(&known.user_name);
                entry
                    .service_principal_name
                    .clone_from(&known.service_principal_name);
            }
            out.push(entry);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::objects::KINDS;
    use super::*;
    use ironbrick_api::permissions::{AccessControlResponse, Permission};
    use PermissionLevel::*;

    fn user(n: &str, l: PermissionLevel) -> AccessControlRequest {
        AccessControlRequest {
            user_name: Some(n.into()),
            permission_level: Some(l),
            ..AccessControlRequest::default()
        }
    }

    fn group(n: &str, l: PermissionLevel) -> AccessControlRequest {
        AccessControlRequest {
            group_name: Some(n.into()),
            permission_level: Some(l),
            ..AccessControlRequest::default()
        }
    }

    fn answer(entries: &[(&str, &str, PermissionLevel, bool)]) -> ObjectPermissions {
        ObjectPermissions {
            object_id: Some("/notebooks/7".into()),
            object_type: Some("notebook".into()),
            access_control_list: entries
                .iter()
                .map(|(field, name, level, inherited)| AccessControlResponse {
                    user_name: (*field == "user").then(|| (*name).into()),
                    group_name: (*field == "group").then(|| (*name).into()),
                    all_permissions: vec![Permission {
                        permission_level: *level,
                        inherited: *inherited,
                        inherited_from_object: Vec::new(),
                    }],
                    ..AccessControlResponse::default()
                })
                .collect(),
        }
    }

    #[test]
    fn blocks_round_trip_through_state() {
        let acl = vec![user("ann@x.com", CanRead), group("eng", CanEdit)];
        let mut o = Obj::new();
        o.set("access_control", Dyn::List(acl.iter().map(block).collect()));
        assert_eq!(entries(&o).unwrap(), acl);
        let mut bad = Obj::new();
        bad.set("group_name", "g")
            .set("permission_level", "CAN_FLY");
        o.set("access_control", Dyn::List(vec![bad.into()]));
        assert!(entries(&o).unwrap_err().contains("CAN_FLY"));
    }

    #[test]
    fn answers_drop_admins_inherited_grants_and_the_unconfigured_applier() {
        let notebook = &KINDS[1];
        let a = answer(&[
            ("group", "admins", CanManage, true),
            ("group", "admins", CanManage, false),
            ("user", "Me@x.com", CanManage, false),
            ("user", "Ann@X.com", CanRead, false),
            ("group", "users", CanRun, true),
            ("group", "eng", CanEdit, false),
        ]);
        let prior = vec![user("ann@x.com", CanRun)];
        let got = from_answer(notebook, &a, &prior, "me@x.com");
        assert_eq!(got, vec![user("ann@x.com", CanRead), group("eng", CanEdit)]);
        let prior = vec![user("me@x.com", CanManage)];
        let got = from_answer(notebook, &a, &prior, "me@x.com");
        assert_eq!(got[0], user("me@x.com", CanManage));
        assert_eq!(
            got[1],
            user("Ann@X.com", CanRead),
            "API spelling without a prior"
        );
    }

    #[test]
    fn password_answers_show_the_admins_only_when_configured() {
        let passwords = &KINDS[3];
        assert_eq!(passwords.object_type, "passwords");
        let a = answer(&[
            ("group", "admins", CanUse, false),
            ("group", "ops", CanUse, false),
        ]);
        let got = from_answer(passwords, &a, &[group("ops", CanUse)], "me@x.com");
        assert_eq!(got, vec![group("ops", CanUse)]);
        let prior = vec![group("admins", CanUse), group("ops", CanUse)];
        let got = from_answer(passwords, &a, &prior, "me@x.com");
        assert_eq!(got, prior);
        assert!(
            for_update(passwords, "passwords", vec![group("ops", CanUse)])
                .iter()
                .all(|e| e.group_name.as_deref() != Some("admins"))
        );
    }

    #[test]
    fn updates_and_resets_keep_what_the_api_insists_on() {
        let (tokens, notebook, directory) = (&KINDS[0], &KINDS[1], &KINDS[2]);
        let sent = for_update(tokens, "tokens", vec![group("users", CanUse)]);
        assert_eq!(
            sent,
            vec![group("users", CanUse), group("admins", CanManage)]
        );
        let sent = for_update(notebook, "7", vec![group("users", CanRead)]);
        assert_eq!(sent, vec![group("users", CanRead)]);
        assert_eq!(
            for_update(directory, "0", vec![]),
            vec![group("admins", CanManage)]
        );
        let a = answer(&[
            ("group", "admins", CanManage, true),
            ("group", "users", CanRead, false),
        ]);
        assert!(for_delete(notebook, "7", &a).is_empty());
        assert!(for_delete(tokens, "tokens", &a).is_empty());
        assert_eq!(
            for_delete(directory, "0", &a),
            vec![group("admins", CanManage)]
        );
        let direct = answer(&[("group", "admins", CanManage, false)]);
        assert_eq!(
            for_delete(notebook, "7", &direct),
            vec![group("admins", CanManage)]
        );
    }

    #[test]
    fn the_applier_keeps_management() {
        let notebook = &KINDS[1];
        let err = check_self(notebook, &[user("ME@x.com", CanRead)], "me@x.com").unwrap_err();
        assert!(err.contains("CAN_MANAGE"), "{err}");
        assert!(check_self(notebook, &[user("me@x.com", CanManage)], "me@x.com").is_ok());
        assert!(check_self(notebook, &[user("ann@x.com", CanRead)], "me@x.com").is_ok());
        assert!(check_self(&KINDS[0], &[user("me@x.com", CanUse)], "me@x.com").is_ok());
        assert!(same_principal(&user("A@x", CanRead), &user("a@X", CanEdit)));
        assert!(!same_principal(
            &group("Eng", CanRead),
            &group("eng", CanRead)
        ));
    }
}
