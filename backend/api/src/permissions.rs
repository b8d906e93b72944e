//! Object permission bodies: `/api/2.0/permissions/{object_type}/{object_id}`.
//!
//! `GET` answers [`ObjectPermissions`]; `PUT` (replace all direct grants) and `PATCH` (add
//! or change grants) take an [`ObjectPermissionsRequest`] and answer [`ObjectPermissions`];
//! `GET .../permissionLevels` answers [`GetPermissionLevelsResponse`].

use serde::{Deserialize, Serialize};

wire_enum! {
    /// A permission level (`permission_level`). Which levels an object type accepts is the
    /// server's business; any spelling outside this list fails to parse.
    pub enum PermissionLevel("permission_level") {
        CanAttachTo = "CAN_ATTACH_TO",
        CanBind = "CAN_BIND",
        CanCreate = "CAN_CREATE",
        CanCreateApp = "CAN_CREATE_APP",
        CanEdit = "CAN_EDIT",
        CanEditMetadata = "CAN_EDIT_METADATA",
        CanManage = "CAN_MANAGE",
        CanManageProductionVersions = "CAN_MANAGE_PRODUCTION_VERSIONS",
        CanManageRun = "CAN_MANAGE_RUN",
        CanManageStagingVersions = "CAN_MANAGE_STAGING_VERSIONS",
        CanMonitor = "CAN_MONITOR",
        CanMonitorOnly = "CAN_MONITOR_ONLY",
        CanQuery = "CAN_QUERY",
        CanRead = "CAN_READ",
        CanRestart = "CAN_RESTART",
        CanRun = "CAN_RUN",
        CanUse = "CAN_USE",
        CanView = "CAN_VIEW",
        CanViewMetadata = "CAN_VIEW_METADATA",
        IsOwner = "IS_OWNER",
    }
}

/// Who a grant names: exactly one of the three principal fields of an ACL entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalName<'a> {
    /// `user_name`: a user's e-mail.
    User(&'a str),
    /// `group_name`: a group's display name.
    Group(&'a str),
    /// `service_principal_name`: a service principal's application id.
    ServicePrincipal(&'a str),
}

/// One entry of `access_control_list` in a `PUT`/`PATCH /permissions/...` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessControlRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// The application id of a service principal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_principal_name: Option<String>,
    /// Optional in the SDK; the server requires it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_level: Option<PermissionLevel>,
}

impl AccessControlRequest {
    /// The principal this entry names, or a message when it names none or several.
    pub fn principal(&self) -> Result<PrincipalName<'_>, &'static str> {
        match (
            self.user_name.as_deref(),
            self.group_name.as_deref(),
            self.service_principal_name.as_deref(),
        ) {
            (Some(u), None, None) => Ok(PrincipalName::User(u)),
            (None, Some(g), None) => Ok(PrincipalName::Group(g)),
            (None, None, Some(s)) => Ok(PrincipalName::ServicePrincipal(s)),
            (None, None, None) => Err(
                "an access control entry needs one of user_name, group_name, service_principal_name",
            ),
            _ => Err(
                "an access control entry takes only one of user_name, group_name, service_principal_name",
            ),
        }
    }
}

/// Body of `PUT` (set: replaces every direct grant) and `PATCH` (update: adds or changes
/// the listed grants) on `/permissions/{object_type}/{object_id}`. The SDK sends `{}` when
/// given no list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectPermissionsRequest {
    #[serde(default)]
    pub access_control_list: Vec<AccessControlRequest>,
}

/// Body of `PUT /permissions/{object_type}/{object_id}` (the SDK's `set`).
pub type SetObjectPermissionsRequest = ObjectPermissionsRequest;
/// Body of `PATCH /permissions/{object_type}/{object_id}` (the SDK's `update`).
pub type UpdateObjectPermissionsRequest = ObjectPermissionsRequest;

/// One permission a principal holds on an object (`all_permissions` of an ACL answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission {
    pub permission_level: PermissionLevel,
    /// `true` when granted on a parent object (or to all admins) rather than directly.
    #[serde(default)]
    pub inherited: bool,
    /// The objects it is inherited from, e.g. `["/clusters/"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inherited_from_object: Vec<String>,
}

/// One entry of `access_control_list` in an [`ObjectPermissions`] answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessControlResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_principal_name: Option<String>,
    /// Display name of the user or service principal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub all_permissions: Vec<Permission>,
}

/// Answer of `GET`, `PUT` and `PATCH /permissions/{object_type}/{object_id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectPermissions {
    /// E.g. `/clusters/0123-456789-abcdef`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
    /// E.g. `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_type: Option<String>,
    #[serde(default)]
    pub access_control_list: Vec<AccessControlResponse>,
}

/// A level an object type accepts, with its meaning (`/permissionLevels` answer entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionsDescription {
    pub permission_level: PermissionLevel,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// Answer of `GET /permissions/{object_type}/{object_id}/permissionLevels`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetPermissionLevelsResponse {
    #[serde(default)]
    pub permission_levels: Vec<PermissionsDescription>,
}

/// A role assignable on an account resource (`roles` of
/// `GET /preview/accounts/access-control/assignable-roles`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// E.g. `roles/servicePrincipal.user`.
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_body_as_the_sdk_sends_it_round_trips() {
        let body = json!({"access_control_list": [
            {"permission_level": "CAN_MANAGE", "user_name": "ann@example.com"},
            {"group_name": "users", "permission_level": "CAN_ATTACH_TO"},
            {"permission_level": "CAN_RESTART",
             "service_principal_name": "00000000-0000-0000-0000-000000000001"}]});
        let req: SetObjectPermissionsRequest = serde_json::from_value(body.clone()).expect("parse");
        let principals: Vec<_> = req
            .access_control_list
            .iter()
            .map(|e| e.principal().expect("one principal"))
            .collect();
        assert_eq!(
            principals,
            [
                PrincipalName::User("ann@example.com"),
                PrincipalName::Group("users"),
                PrincipalName::ServicePrincipal("00000000-0000-0000-0000-000000000001"),
            ]
        );
        assert_eq!(
            req.access_control_list[1].permission_level,
            Some(PermissionLevel::CanAttachTo)
        );
        assert_eq!(serde_json::to_value(&req).expect("write"), body);
        let empty: UpdateObjectPermissionsRequest =
            serde_json::from_value(json!({})).expect("sdk sends {} without a list");
        assert!(empty.access_control_list.is_empty());
    }

    #[test]
    fn entry_with_no_or_two_principals_is_refused() {
        let none = AccessControlRequest::default();
        assert!(none.principal().expect_err("none").contains("needs one"));
        let two = AccessControlRequest {
            user_name: Some("a".into()),
            group_name: Some("g".into()),
            ..AccessControlRequest::default()
        };
        assert!(two.principal().expect_err("two").contains("only one"));
    }

    #[test]
    fn unknown_level_fails_at_parse_time_naming_the_allowed_ones() {
        let err = serde_json::from_value::<AccessControlRequest>(
            json!({"user_name": "a", "permission_level": "CAN_FLY"}),
        )
        .expect_err("unknown level");
        let msg = err.to_string();
        assert!(msg.contains("invalid permission_level `CAN_FLY`"), "{msg}");
        assert!(
            msg.contains("CAN_MANAGE") && msg.contains("IS_OWNER"),
            "{msg}"
        );
        assert!("can_manage".parse::<PermissionLevel>().is_err());
        for level in PermissionLevel::ALL {
            assert_eq!(level.as_str().parse::<PermissionLevel>(), Ok(*level));
        }
    }

    #[test]
    fn answer_serializes_to_the_keys_from_dict_reads() {
        let answer = ObjectPermissions {
            object_id: Some("/clusters/c1".into()),
            object_type: Some("cluster".into()),
            access_control_list: vec![AccessControlResponse {
                group_name: Some("admins".into()),
                all_permissions: vec![Permission {
                    permission_level: PermissionLevel::CanManage,
                    inherited: true,
                    inherited_from_object: vec!["/clusters/".into()],
                }],
                ..AccessControlResponse::default()
            }],
        };
        let expected = json!({"object_id": "/clusters/c1", "object_type": "cluster",
            "access_control_list": [{"group_name": "admins", "all_permissions": [
                {"permission_level": "CAN_MANAGE", "inherited": true,
                 "inherited_from_object": ["/clusters/"]}]}]});
        assert_eq!(serde_json::to_value(&answer).expect("write"), expected);
        assert_eq!(
            serde_json::from_value::<ObjectPermissions>(expected).expect("parse"),
            answer
        );
        let levels: GetPermissionLevelsResponse = serde_json::from_value(json!({
            "permission_levels": [{"permission_level": "CAN_USE", "description": "Can use"}]}))
        .expect("levels");
        assert_eq!(
            levels.permission_levels[0].permission_level,
            PermissionLevel::CanUse
        );
        let role: Role =
            serde_json::from_value(json!({"name": "roles/servicePrincipal.user"})).expect("role");
        assert_eq!(role.name, "roles/servicePrincipal.user");
    }
}
