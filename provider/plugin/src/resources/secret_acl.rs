//! `databricks_secret_acl`: one principal's permission on a secret scope
//! (`/api/2.0/secrets/acls/put|get|delete`). Every argument replaces the grant when it changes,
//! as upstream; the id is `<scope>|||<principal>`.

use crate::common::{
    check_workspace_id, imported, post_removal, report, workspace, workspace_scoped, Conn,
};
use crate::validate::{check, secret_name};
use ironbrick_api::scim::User;
use ironbrick_api::secrets::{AclItem, AclPermission, DeleteAclRequest, PutAclRequest};
use std::sync::Arc;
use tf_framework::{async_trait, Attr, Block, Diagnostics, Obj, Path, Resource, Schema, Ty};

pub struct SecretAcl(pub Arc<Conn>);

const SEP: &str = "|||";

/// The scope and principal of a state, from its arguments or else its id.
fn scope_principal(st: &Obj) -> Option<(String, String)> {
    match (st.opt_str("scope"), st.opt_str("principal")) {
        (Some(s), Some(p)) => Some((s, p)),
        _ => {
            let (s, p) = st.str("id").split_once(SEP)?;
            Some((s.to_owned(), p.to_owned())).filter(|(s, p)| !s.is_empty() && !p.is_empty())
        }
    }
}

#[async_trait]
impl Resource for SecretAcl {
    fn type_name(&self) -> &'static str {
        "databricks_secret_acl"
    }

    fn schema(&self) -> Schema {
        Schema::new(workspace_scoped(Block::new(
            "A principal's permission on a secret scope.",
            vec![
                Attr::optional_computed("id", Ty::String, "`<scope>|||<principal>`."),
                Attr::required("scope", Ty::String, "Name of the secret scope.").force_new(),
                Attr::required(
                    "principal",
                    Ty::String,
                    "A user name, a group's display name (`users` for every workspace user) \
                     or a service principal's application id.",
                )
                .force_new(),
                Attr::required("permission", Ty::String, "`READ`, `WRITE` or `MANAGE`.")
                    .force_new(),
            ],
        )))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check_workspace_id(config, diags);
        check(
            config,
            "scope",
            Path::attr("scope"),
            diags,
            secret_name("scope name"),
        );
        check(config, "permission", Path::attr("permission"), diags, |v| {
            v.parse::<AclPermission>()
                .map(drop)
                .map_err(|e| e.to_string())
        });
        check(config, "principal", Path::attr("principal"), diags, |v| {
            if v.trim().is_empty() || v.contains(SEP) {
                Err(format!("{v:?} is not a principal name."))
            } else {
                Ok(())
            }
        });
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &planned, diags)?;
        let permission = match planned.str("permission").parse::<AclPermission>() {
            Ok(p) => p,
            Err(e) => {
                diags.error("Invalid permission", e.to_string());
                return None;
            }
        };
        let req = PutAclRequest {
            scope: planned.str("scope").to_owned(),
            principal: planned.str("principal").to_owned(),
            permission,
        };
        let url = format!("{base}/secrets/acls/put");
        if let Err(e) = client.post::<_, serde_json::Value>(&url, &req).await {
            report(diags, "set the secret ACL", &e);
            return None;
        }
        let mut st = planned;
        st.set("id", format!("{}{SEP}{}", req.scope, req.principal));
        self.read(st, diags).await
    }

    async fn read(&self, mut st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &st, diags)?;
        let (scope, principal) = scope_principal(&st)?;
        let url = format!("{base}/secrets/acls/get");
        let query = [("scope", scope.as_str()), ("principal", principal.as_str())];
        let item: AclItem = match client.get_query(&url, &query).await {
            Ok(item) => item,
            Err(e) if e.is_not_found() => return None,
            Err(e) => {
                report(diags, "read the secret ACL", &e);
                return Some(st);
            }
        };
        st.set("id", format!("{scope}{SEP}{principal}"))
            .set("scope", scope)
            .set("principal", principal)
            .set("permission", item.permission.as_str());
        Some(st)
    }

    async fn update(&self, _prior: Obj, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        // Every argument replaces the grant when it changes, so there is nothing to send.
        self.read(planned, diags).await
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        let Some((client, base)) = workspace(&self.0, &st, diags) else {
            return;
        };
        let Some((scope, principal)) = scope_principal(&st) else {
            return;
        };
        // As upstream: the applying user's own MANAGE stays, so nobody locks themselves out.
        if st.str("permission") == AclPermission::Manage.as_str() {
            match client
                .get::<User>(&format!("{base}/preview/scim/v2/Me"))
                .await
            {
                Ok(me) if me.user_name == principal => return,
                Ok(_) => {}
                Err(e) => {
                    report(diags, "read the current user", &e);
                    return;
                }
            }
        }
        let req = DeleteAclRequest { scope, principal };
        post_removal(
            &client,
            &format!("{base}/secrets/acls/delete"),
            &req,
            "delete the secret ACL",
            diags,
        )
        .await;
    }

    fn import(&self, id: &str, diags: &mut Diagnostics) -> Option<Obj> {
        let (o, _) = imported(&self.0, id, false);
        if scope_principal(&o).is_none() {
            diags.error(
                "Invalid import id",
                format!(
                    "{id:?} is not <scope>|||<principal> (or <workspace_id>/<scope>|||<principal>)."
                ),
            );
            return None;
        }
        Some(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_name_scope_and_principal() {
        let r = SecretAcl(Arc::new(Conn::default()));
        let mut diags = Diagnostics::default();
        let o = r
            .import("12/app|||data-scientists", &mut diags)
            .expect("valid id");
        assert_eq!(
            scope_principal(&o),
            Some(("app".into(), "data-scientists".into()))
        );
        assert_eq!(crate::common::own_workspace(&o).as_deref(), Some("12"));
        assert!(r.import("app", &mut diags).is_none());
        assert!(r.import("app|||", &mut diags).is_none());
        assert!(diags.has_errors());
    }

    #[test]
    fn permission_and_scope_are_checked_at_plan_time() {
        let r = SecretAcl(Arc::new(Conn::default()));
        let mut o = Obj::new();
        o.set("scope", "app")
            .set("principal", "users")
            .set("permission", "READ");
        let mut diags = Diagnostics::default();
        r.validate(&o, &mut diags);
        assert!(!diags.has_errors(), "{diags:?}");
        o.set("permission", "OWN").set("scope", "bad scope!");
        r.validate(&o, &mut diags);
        let text = format!("{diags:?}");
        assert!(
            text.contains("Invalid permission") && text.contains("Invalid scope"),
            "{text}"
        );
    }
}
