//! `databricks_user`: a user of the account, or of one workspace (see [`crate::scim`] for
//! which API manages it).

use crate::account_object::refuse_outputs;
use crate::common::{check_workspace_id, imported, report, Conn};
use crate::scim::{
    already_exists, check_api, check_entitlements, configured, dual_scoped, entitlement_attrs,
    entitlements_of, eq_filter, refuse_account_entitlements, same_name, set_entitlements, Scim,
};
use ironbrick_api::scim::{User as ScimUser, USER_SCHEMA};
use std::sync::Arc;
use tf_framework::{async_trait, Attr, Block, Diagnostics, Dyn, Obj, Resource, Schema, Ty};

pub struct User(pub Arc<Conn>);

const USERS: &str = "Users";

/// Attributes only the server sets (declared optional upstream).
const OUTPUTS: [&str; 3] = ["home", "repos", "acl_principal_id"];

/// State from the API's answer.
fn state(mut o: Obj, u: ScimUser) -> Obj {
    let name = same_name(o.opt_str("user_name"), u.user_name);
    set_entitlements(&mut o, &u.entitlements);
    o.set("id", u.id)
        .set("display_name", u.display_name)
        .set("active", u.active.unwrap_or(true))
        .set("external_id", u.external_id.filter(|e| !e.is_empty()))
        .set("home", format!("/Users/{name}"))
        .set("repos", format!("/Repos/{name}"))
        .set("acl_principal_id", format!("users/{name}"))
        .set("user_name", name);
    if o.get("disable_as_user_deletion").is_unknown() {
        o.set("disable_as_user_deletion", Dyn::Null);
    }
    o
}

/// The create body, or the fields a replace sets, from a plan.
fn body(o: &Obj, scim: &Scim) -> ScimUser {
    ScimUser {
        user_name: o.str("user_name").to_owned(),
        display_name: configured(o, "display_name").unwrap_or_default(),
        active: Some(o.bool("active").known().unwrap_or(true)),
        external_id: configured(o, "external_id"),
        entitlements: if scim.is_account() {
            Vec::new()
        } else {
            entitlements_of(o)
        },
        schemas: vec![USER_SCHEMA.to_owned()],
        ..ScimUser::default()
    }
}

impl User {
    /// Replaces the user's own fields, keeping what the API holds besides (groups, roles,
    /// e-mails, name parts).
    async fn replace(
        &self,
        scim: &Scim,
        id: &str,
        o: &Obj,
        diags: &mut Diagnostics,
    ) -> Option<ScimUser> {
        let current: ScimUser = match scim.get(USERS, id, "the user", diags).await {
            Ok(Some(u)) => u,
            Ok(None) => {
                diags.error(
                    "Cannot update the user",
                    format!("user {id} does not exist"),
                );
                return None;
            }
            Err(()) => return None,
        };
        let want = body(o, scim);
        let next = ScimUser {
            id: String::new(),
            display_name: want.display_name,
            active: want.active,
            external_id: want.external_id.or(current.external_id.clone()),
            entitlements: if scim.is_account() {
                current.entitlements.clone()
            } else {
                want.entitlements
            },
            schemas: want.schemas,
            ..current
        };
        let url = format!("{}/{USERS}/{id}", scim.base);
        if let Err(e) = scim.client.put::<_, serde_json::Value>(&url, &next).await {
            report(diags, "update the user", &e);
            return None;
        }
        match scim.get(USERS, id, "the user", diags).await {
            Ok(Some(u)) => Some(u),
            _ => None,
        }
    }
}

#[async_trait]
impl Resource for User {
    fn type_name(&self) -> &'static str {
        "databricks_user"
    }

    fn schema(&self) -> Schema {
        let mut attrs = vec![
            Attr::optional_computed("id", Ty::String, "SCIM id of the user."),
            Attr::required(
                "user_name",
                Ty::String,
                "The user's e-mail address; compared without regard to case.",
            )
            .force_new(),
            Attr::optional_computed(
                "display_name",
                Ty::String,
                "Name shown for the user (the server uses `user_name` when unset).",
            ),
            Attr::optional("active", Ty::Bool, "Whether the user may sign in.").default(true),
            Attr::optional_computed(
                "external_id",
                Ty::String,
                "Id of the user in an external identity provider.",
            ),
            Attr::optional(
                "force",
                Ty::Bool,
                "Adopt a user that already exists with this `user_name` instead of failing.",
            ),
            Attr::optional_computed("home", Ty::String, "Home folder, `/Users/<user_name>`."),
            Attr::optional_computed("repos", Ty::String, "Repos folder, `/Repos/<user_name>`."),
            Attr::optional(
                "force_delete_repos",
                Ty::Bool,
                "On deletion from a workspace, also delete the user's repos folder.",
            ),
            Attr::optional(
                "force_delete_home_dir",
                Ty::Bool,
                "On deletion from a workspace, also delete the user's home folder.",
            ),
            Attr::optional_computed(
                "disable_as_user_deletion",
                Ty::Bool,
                "Deactivate the user instead of deleting it on destroy (the default at account \
                 level).",
            ),
            Attr::optional_computed(
                "acl_principal_id",
                Ty::String,
                "The user in access-control lists: `users/<user_name>`.",
            ),
        ];
        attrs.extend(entitlement_attrs());
        Schema::new(dual_scoped(Block::new(
            "A user, in the account or in one workspace.",
            attrs,
        )))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check_workspace_id(config, diags);
        check_api(config, diags);
        check_entitlements(config, diags);
        refuse_outputs(config, &OUTPUTS, diags);
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let scim = Scim::of(&self.0, &planned, diags)?;
        if refuse_account_entitlements(&scim, &planned, diags) {
            return None;
        }
        let url = format!("{}/{USERS}", scim.base);
        let made = match scim
            .client
            .post::<_, ScimUser>(&url, &body(&planned, &scim))
            .await
        {
            Ok(u) => u,
            Err(e) if already_exists(&e) && planned.bool("force").known() == Some(true) => {
                let name = planned.str("user_name");
                let found = match scim
                    .filter::<ScimUser>(USERS, &eq_filter("userName", name))
                    .await
                {
                    Ok(found) => found,
                    Err(e) => {
                        report(diags, "look up the existing user", &e);
                        return None;
                    }
                };
                let Some(existing) = found.into_iter().next() else {
                    diags.error(
                        "Cannot adopt the user",
                        format!("cannot find {name} for force import"),
                    );
                    return None;
                };
                self.replace(&scim, &existing.id, &planned, diags).await?
            }
            Err(e) => {
                report(diags, "create the user", &e);
                return None;
            }
        };
        Some(state(planned, made))
    }

    async fn read(&self, st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let Some(scim) = Scim::of(&self.0, &st, diags) else {
            return Some(st);
        };
        let id = st.str("id").to_owned();
        match scim.get::<ScimUser>(USERS, &id, "the user", diags).await {
            Ok(found) => found.map(|u| state(st, u)),
            Err(()) => Some(st),
        }
    }

    async fn update(&self, _prior: Obj, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let scim = Scim::of(&self.0, &planned, diags)?;
        if refuse_account_entitlements(&scim, &planned, diags) {
            return None;
        }
        let id = planned.str("id").to_owned();
        let u = self.replace(&scim, &id, &planned, diags).await?;
        Some(state(planned, u))
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        if let Some(scim) = Scim::of(&self.0, &st, diags) {
            scim.remove_principal(USERS, &st, st.str("user_name"), "the user", diags)
                .await;
        }
    }

    fn import(&self, id: &str, _diags: &mut Diagnostics) -> Option<Obj> {
        Some(imported(&self.0, id, false).0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironbrick_api::scim::ComplexValue;

    #[test]
    fn state_computes_folders_and_acl_id_and_keeps_the_configured_case() {
        let mut planned = Obj::new();
        planned
            .set("user_name", "Ann@Example.com")
            .set("disable_as_user_deletion", Dyn::Unknown);
        let answer = ScimUser {
            id: "42".into(),
            user_name: "ann@example.com".into(),
            display_name: "Ann".into(),
            active: Some(false),
            entitlements: vec![ComplexValue::value("allow-cluster-create")],
            ..ScimUser::default()
        };
        let o = state(planned, answer);
        assert_eq!(o.str("id"), "42");
        assert_eq!(o.str("user_name"), "Ann@Example.com");
        assert_eq!(o.str("home"), "/Users/Ann@Example.com");
        assert_eq!(o.str("repos"), "/Repos/Ann@Example.com");
        assert_eq!(o.str("acl_principal_id"), "users/Ann@Example.com");
        assert_eq!(o.bool("active").known(), Some(false));
        assert_eq!(o.bool("allow_cluster_create").known(), Some(true));
        assert_eq!(o.bool("workspace_access").known(), Some(false));
        assert!(o.get("disable_as_user_deletion").is_null());
        assert!(o.get("external_id").is_null());
    }

    #[test]
    fn plan_refuses_server_set_attributes_and_unknown_api_levels() {
        let r = User(Arc::new(Conn::default()));
        let mut config = Obj::new();
        config.set("user_name", "a@b.c").set("home", "/Users/x");
        let mut diags = Diagnostics::default();
        r.validate(&config, &mut diags);
        assert!(format!("{diags:?}").contains("home cannot be set"));
        let mut config = Obj::new();
        config.set("user_name", "a@b.c").set("api", "both");
        let mut diags = Diagnostics::default();
        r.validate(&config, &mut diags);
        assert!(diags.has_errors());
    }
}
