//! `databricks_mws_permission_assignment`: assigns a principal of the account to a workspace
//! (`USER` or `ADMIN`), through the account API. Id and import id:
//! `<workspace_id>|<principal_id>`.

use crate::common::{account, delete_url, report, Conn};
use ironbrick_api::workspace_assignment::{
    PermissionAssignments, UpdateWorkspaceAssignments, WorkspacePermission,
};
use std::sync::Arc;
use tf_framework::{async_trait, Attr, Block, Diagnostics, Obj, Path, Resource, Schema, Ty, Value};

pub struct MwsPermissionAssignment(pub Arc<Conn>);

/// Permissions a configuration may ask for.
const ASSIGNABLE: [WorkspacePermission; 2] =
    [WorkspacePermission::User, WorkspacePermission::Admin];

/// Splits `<workspace_id>|<principal_id>`.
fn split_id(id: &str) -> Option<(i64, i64)> {
    let (ws, p) = id.split_once('|')?;
    Some((ws.trim().parse().ok()?, p.trim().parse().ok()?))
}

fn assignments_url(base: &str, ws: i64) -> String {
    format!("{base}/workspaces/{ws}/permissionassignments")
}

/// The permissions of `principal` in a listing, `None` when it has no assignment.
fn permissions_of(list: &PermissionAssignments, principal: i64) -> Option<Vec<String>> {
    list.permission_assignments
        .iter()
        .find(|a| a.principal.as_ref().map(|p| p.principal_id) == Some(principal))
        .map(|a| {
            let mut out: Vec<String> = a
                .permissions
                .iter()
                .map(|p| p.as_str().to_owned())
                .collect();
            out.sort();
            out
        })
}

#[async_trait]
impl Resource for MwsPermissionAssignment {
    fn type_name(&self) -> &'static str {
        "databricks_mws_permission_assignment"
    }

    fn schema(&self) -> Schema {
        Schema::new(Block::new(
            "Assigns a user, service principal or group of the account to a workspace.",
            vec![
                Attr::optional_computed("id", Ty::String, "`<workspace_id>|<principal_id>`."),
                Attr::required("workspace_id", Ty::Number, "Id of the workspace.").force_new(),
                Attr::required(
                    "principal_id",
                    Ty::Number,
                    "Id of the user, service principal or group.",
                )
                .force_new(),
                Attr::required(
                    "permissions",
                    Ty::set_of_strings(),
                    "`USER` or `ADMIN` (`ADMIN` makes it an admin of the workspace).",
                )
                .force_new(),
            ],
        ))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        if let Value::Known(perms) = config.strings("permissions") {
            if perms.is_empty() {
                diags.error_at(
                    Path::attr("permissions"),
                    "Invalid permissions",
                    "Give at least one permission: USER or ADMIN.",
                );
            }
            for (i, p) in perms.iter().enumerate() {
                let ok = p
                    .parse::<WorkspacePermission>()
                    .is_ok_and(|p| ASSIGNABLE.contains(&p));
                if !ok {
                    diags.error_at(
                        Path::attr("permissions").index(i),
                        "Invalid permissions",
                        format!("{p:?} is not a workspace permission: use USER or ADMIN."),
                    );
                }
            }
        }
        for name in ["workspace_id", "principal_id"] {
            if let Value::Known(n) = config.int(name) {
                if n <= 0 {
                    diags.error_at(
                        Path::attr(name),
                        format!("Invalid {name}"),
                        format!("{name} must be a positive id, not {n}."),
                    );
                }
            }
        }
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = account(&self.0, &planned, diags)?;
        let ws = planned.int("workspace_id").known().unwrap_or_default();
        let principal = planned.int("principal_id").known().unwrap_or_default();
        let permissions = planned
            .strings("permissions")
            .known()
            .unwrap_or_default()
            .iter()
            .filter_map(|p| p.parse().ok())
            .collect();
        let url = format!("{}/principals/{principal}", assignments_url(&base, ws));
        let body = UpdateWorkspaceAssignments { permissions };
        if let Err(e) = client.put::<_, serde_json::Value>(&url, &body).await {
            report(diags, "assign the principal to the workspace", &e);
            return None;
        }
        let mut st = planned;
        st.set("id", format!("{ws}|{principal}"));
        Some(st)
    }

    async fn read(&self, mut st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let Some((client, base)) = account(&self.0, &st, diags) else {
            return Some(st);
        };
        let id = st.str("id").to_owned();
        let Some((ws, principal)) = split_id(&id) else {
            diags.error(
                "Invalid id",
                format!("{id:?} is not <workspace_id>|<principal_id>."),
            );
            return Some(st);
        };
        let list: PermissionAssignments = match client.get(&assignments_url(&base, ws)).await {
            Ok(l) => l,
            Err(e) if e.is_not_found() => return None,
            Err(e) => {
                report(diags, "read the workspace's permission assignments", &e);
                return Some(st);
            }
        };
        let permissions = permissions_of(&list, principal)?;
        st.set("workspace_id", ws)
            .set("principal_id", principal)
            .set("permissions", permissions);
        Some(st)
    }

    async fn update(&self, _prior: Obj, planned: Obj, _diags: &mut Diagnostics) -> Option<Obj> {
        Some(planned)
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        let Some((client, base)) = account(&self.0, &st, diags) else {
            return;
        };
        let (ws, principal) = (
            st.int("workspace_id").known().unwrap_or_default(),
            st.int("principal_id").known().unwrap_or_default(),
        );
        let url = format!("{}/principals/{principal}", assignments_url(&base, ws));
        delete_url(&client, &url, "the permission assignment", diags).await;
    }

    fn import(&self, id: &str, diags: &mut Diagnostics) -> Option<Obj> {
        if split_id(id).is_none() {
            diags.error(
                "Invalid import id",
                format!("{id:?} is not <workspace_id>|<principal_id>, such as 1234567890|42."),
            );
            return None;
        }
        let mut o = Obj::new();
        o.set("id", id.trim());
        Some(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironbrick_api::workspace_assignment::{PermissionAssignment, PrincipalOutput};

    #[test]
    fn ids_and_listing_lookups() {
        assert_eq!(split_id("123|45"), Some((123, 45)));
        assert_eq!(split_id("123/45"), None);
        assert_eq!(split_id("x|45"), None);
        let list = PermissionAssignments {
            permission_assignments: vec![PermissionAssignment {
                principal: Some(PrincipalOutput {
                    principal_id: 45,
                    ..PrincipalOutput::default()
                }),
                permissions: vec![WorkspacePermission::User, WorkspacePermission::Admin],
                error: None,
            }],
        };
        assert_eq!(
            permissions_of(&list, 45),
            Some(vec!["ADMIN".to_owned(), "USER".to_owned()])
        );
        assert_eq!(permissions_of(&list, 46), None);
    }

    #[test]
    fn plan_refuses_unknown_permissions() {
        let r = MwsPermissionAssignment(Arc::new(Conn::default()));
        let mut config = Obj::new();
        config
            .set("workspace_id", 1i64)
            .set("principal_id", 2i64)
            .set("permissions", vec!["admin".to_owned()]);
        let mut diags = Diagnostics::default();
        r.validate(&config, &mut diags);
        assert!(format!("{diags:?}").contains("use USER or ADMIN"));
        config.set("permissions", vec!["ADMIN".to_owned()]);
        let mut diags = Diagnostics::default();
        r.validate(&config, &mut diags);
        assert!(!diags.has_errors(), "{diags:?}");
    }
}
