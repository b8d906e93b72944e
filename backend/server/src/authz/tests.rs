use super::*;
use crate::identity::seed::principal;
use crate::identity::Kind;
use std::collections::BTreeSet;
use std::sync::Arc;

fn subject(id: i64, groups: &[i64], workspace_admin: bool, account_admin: bool) -> Subject {
    Subject {
        principal: Arc::new(principal(id, Kind::User, "u@example.com", "u")),
        workspace: Some(7),
        account_admin,
        workspace_admin,
        groups: groups.iter().copied().collect::<BTreeSet<_>>(),
    }
}

fn notebook(grants: &[(i64, Level)]) -> Acl {
    Acl {
        kind: ObjectKind::Notebook,
        name: "/Users/a/nb".into(),
        grants: grants
            .iter()
            .map(|(principal, level)| Grant {
                principal: *principal,
                level: *level,
                inherited_from: None,
            })
            .collect(),
    }
}

#[test]
fn levels_imply_weaker_levels_through_groups() {
    let acl = notebook(&[(50, Level::CanEdit)]);
    let member = subject(1, &[50], false, false);
    assert!(decide(
        &member,
        &Action::Access {
            acl: &acl,
            level: Level::CanRead
        }
    )
    .is_ok());
    assert!(decide(
        &member,
        &Action::Access {
            acl: &acl,
            level: Level::CanEdit
        }
    )
    .is_ok());
    let denied = decide(
        &member,
        &Action::Access {
            acl: &acl,
            level: Level::CanManage,
        },
    );
    assert_eq!(
        denied.unwrap_err().0,
        "User u@example.com does not have CAN_MANAGE permission on notebook /Users/a/nb."
    );
    let outsider = subject(2, &[], false, false);
    assert!(decide(
        &outsider,
        &Action::Access {
            acl: &acl,
            level: Level::CanRead
        }
    )
    .is_err());
}

#[test]
fn admins_always_hold_the_top_level() {
    let acl = notebook(&[]);
    let admin = subject(1, &[], true, false);
    assert!(decide(&admin, &Action::ManagePermissions { acl: &acl }).is_ok());
    assert!(decide(&admin, &Action::Administer("IP access lists")).is_ok());
    assert!(decide(&admin, &Action::AccountApi).is_err());
    assert!(decide(&subject(1, &[], false, true), &Action::AccountApi).is_ok());
}

#[test]
fn only_admins_manage_authorization_objects() {
    let acl = Acl {
        kind: ObjectKind::Tokens,
        name: "authorization/tokens".into(),
        grants: vec![Grant {
            principal: 1,
            level: Level::CanManage,
            inherited_from: None,
        }],
    };
    let user = subject(1, &[], false, false);
    assert!(decide(
        &user,
        &Action::Access {
            acl: &acl,
            level: Level::CanUse
        }
    )
    .is_ok());
    assert!(decide(&user, &Action::ManagePermissions { acl: &acl }).is_err());
    assert!(decide(&user, &Action::Administer("token management")).is_err());
}

#[test]
fn a_level_of_another_kind_grants_nothing() {
    let acl = notebook(&[(1, Level::Manage)]);
    let user = subject(1, &[], false, false);
    assert!(decide(
        &user,
        &Action::Access {
            acl: &acl,
            level: Level::CanRead
        }
    )
    .is_err());
}

#[test]
fn clusters_need_the_entitlement_or_a_policy_the_caller_may_use() {
    let policy = Acl {
        kind: ObjectKind::ClusterPolicy,
        name: "p".into(),
        grants: vec![Grant {
            principal: 7,
            level: Level::CanUse,
            inherited_from: None,
        }],
    };
    let alice = subject(1, &[], false, false);
    let team = subject(2, &[7], false, false);
    let admin = subject(3, &[], true, false);
    let free = |entitled| Action::CreateCluster {
        entitled,
        policy: None,
    };
    let under = |entitled| Action::CreateCluster {
        entitled,
        policy: Some(&policy),
    };
    assert!(decide(&alice, &free(false)).is_err());
    assert!(decide(&alice, &free(true)).is_ok());
    assert!(
        decide(&alice, &under(true)).is_err(),
        "the entitlement does not open every policy"
    );
    assert!(
        decide(&team, &under(false)).is_ok(),
        "CAN_USE through a group"
    );
    assert!(decide(&admin, &free(false)).is_ok());
    assert!(decide(&admin, &under(false)).is_ok());
}
