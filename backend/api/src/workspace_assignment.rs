//! Workspace permission assignment bodies (account level):
//! `/api/2.0/accounts/{account_id}/workspaces/{workspace_id}/permissionassignments`.
//!
//! - `GET .../permissionassignments` answers [`PermissionAssignments`];
//! - `PUT .../permissionassignments/principals/{principal_id}` takes
//!   [`UpdateWorkspaceAssignments`] and answers one [`PermissionAssignment`];
//! - `DELETE .../permissionassignments/principals/{principal_id}` answers `{}`;
//! - `GET .../permissionassignments/permissions` answers [`WorkspacePermissions`].

use serde::{Deserialize, Serialize};

wire_enum! {
    /// A workspace permission. Ordered so that the strongest of a set is its maximum
    /// (`ADMIN` wins over `USER` when both are given).
    pub enum WorkspacePermission("workspace permission") {
        Unknown = "UNKNOWN",
        User = "USER",
        Admin = "ADMIN",
    }
}

/// The principal of an assignment (`principal` of a [`PermissionAssignment`]); exactly one
/// of the three name fields is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipalOutput {
    /// The id of the user, group or service principal.
    #[serde(default)]
    pub principal_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// The application id of a service principal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_principal_name: Option<String>,
}

/// One principal's permissions on a workspace (list entry and answer of the `PUT`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionAssignment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<PrincipalOutput>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<WorkspacePermission>,
    /// Set when this assignment could not be resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Answer of `GET .../workspaces/{workspace_id}/permissionassignments`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionAssignments {
    #[serde(default)]
    pub permission_assignments: Vec<PermissionAssignment>,
}

/// Body of `PUT .../permissionassignments/principals/{principal_id}`. The SDK sends `{}`
/// when given no list; an empty list removes every permission of the principal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateWorkspaceAssignments {
    #[serde(default)]
    pub permissions: Vec<WorkspacePermission>,
}

/// A workspace permission with its meaning (entry of [`WorkspacePermissions`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionOutput {
    pub permission_level: WorkspacePermission,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// Answer of `GET .../permissionassignments/permissions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspacePermissions {
    #[serde(default)]
    pub permissions: Vec<PermissionOutput>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn assignment_round_trips_the_sdk_shape() {
        let sdk = json!({"permissions": ["ADMIN"], "principal":
            {"display_name": "Ann", "principal_id": 42, "user_name": "ann@example.com"}});
        let a: PermissionAssignment = serde_json::from_value(sdk.clone()).expect("parse");
        let p = a.principal.as_ref().expect("principal");
        assert_eq!(
            (p.principal_id, p.user_name.as_deref()),
            (42, Some("ann@example.com"))
        );
        assert_eq!(a.permissions, [WorkspacePermission::Admin]);
        assert_eq!(serde_json::to_value(&a).expect("write"), sdk);
        let list = PermissionAssignments {
            permission_assignments: vec![a],
        };
        let v = serde_json::to_value(&list).expect("write");
        assert_eq!(
            v["permission_assignments"][0]["principal"]["principal_id"],
            42
        );
    }

    #[test]
    fn update_body_and_permissions_answer() {
        let body: UpdateWorkspaceAssignments =
            serde_json::from_value(json!({"permissions": ["USER", "ADMIN"]})).expect("parse");
        assert_eq!(
            body.permissions.iter().max(),
            Some(&WorkspacePermission::Admin)
        );
        let empty: UpdateWorkspaceAssignments = serde_json::from_value(json!({})).expect("{}");
        assert!(empty.permissions.is_empty());
        let err =
            serde_json::from_value::<UpdateWorkspaceAssignments>(json!({"permissions": ["admin"]}))
                .expect_err("case-sensitive");
        assert!(err
            .to_string()
            .contains("expected one of UNKNOWN, USER, ADMIN"));
        let answer = WorkspacePermissions {
            permissions: vec![PermissionOutput {
                permission_level: WorkspacePermission::User,
                description: "Can access the workspace".into(),
            }],
        };
        assert_eq!(
            serde_json::to_value(&answer).expect("write"),
            json!({"permissions": [{"permission_level": "USER",
                "description": "Can access the workspace"}]})
        );
    }
}
