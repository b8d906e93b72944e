//! `databricks_group`: an account group, or a workspace-local group (see [`crate::scim`] for
//! which API manages it).

use crate::account_object::refuse_outputs;
use crate::common::{check_workspace_id, delete_url, imported, report, Conn};
use crate::scim::{
    already_exists, check_api, check_entitlements, configured, dual_scoped, entitlement_attrs,
    entitlements_of, eq_filter, refuse_account_entitlements, set_entitlements, Scim,
};
use crate::validate::check;
use ironbrick_api::scim::{Group as ScimGroup, GROUP_SCHEMA};
use std::sync::Arc;
use tf_framework::{
    async_trait, Attr, Block, Diagnostics, Dyn, Obj, Path, PlanRequest, Resource, Schema, Ty,
};

pub struct Group(pub Arc<Conn>);

const GROUPS: &str = "Groups";

/// Built-in workspace groups, which Terraform cannot own.
const RESERVED: [&str; 2] = ["users", "admins"];

/// State from the API's answer.
fn state(mut o: Obj, g: ScimGroup, scim: &Scim) -> Obj {
    set_entitlements(&mut o, &g.entitlements);
    let url = if scim.is_account() {
        format!("{}/users/groups/{}/information", scim.site, g.id)
    } else {
        format!("{}/#setting/accounts/groups/{}", scim.site, g.id)
    };
    o.set("acl_principal_id", format!("groups/{}", g.display_name))
        .set("url", url)
        .set("id", g.id)
        .set("display_name", g.display_name)
        .set("external_id", g.external_id.filter(|e| !e.is_empty()));
    o
}

/// A rename changes `acl_principal_id` (`groups/<display_name>`): known after apply.
fn plan_acl_principal_id(req: &mut PlanRequest) {
    let Some(prior) = &req.prior else { return };
    if prior.get("display_name") != req.planned.get("display_name")
        && req.config.get("acl_principal_id").is_null()
    {
        req.planned.set("acl_principal_id", Dyn::Unknown);
    }
}

impl Group {
    /// Renames the group and sets its external id and entitlements, keeping its members,
    /// parents and roles.
    async fn replace(
        &self,
        scim: &Scim,
        id: &str,
        o: &Obj,
        diags: &mut Diagnostics,
    ) -> Option<ScimGroup> {
        let current: ScimGroup = match scim.get(GROUPS, id, "the group", diags).await {
            Ok(Some(g)) => g,
            Ok(None) => {
                diags.error(
                    "Cannot update the group",
                    format!("group {id} does not exist"),
                );
                return None;
            }
            Err(()) => return None,
        };
        let next = ScimGroup {
            id: String::new(),
            display_name: o.str("display_name").to_owned(),
            external_id: configured(o, "external_id").or(current.external_id.clone()),
            entitlements: if scim.is_account() {
                current.entitlements.clone()
            } else {
                entitlements_of(o)
            },
            schemas: vec![GROUP_SCHEMA.to_owned()],
            meta: None,
            ..current
        };
        let url = format!("{}/{GROUPS}/{id}", scim.base);
        if let Err(e) = scim.client.put::<_, serde_json::Value>(&url, &next).await {
            report(diags, "update the group", &e);
            return None;
        }
        match scim.get(GROUPS, id, "the group", diags).await {
            Ok(Some(g)) => Some(g),
            _ => None,
        }
    }
}

#[async_trait]
impl Resource for Group {
    fn type_name(&self) -> &'static str {
        "databricks_group"
    }

    fn schema(&self) -> Schema {
        let mut attrs = vec![
            Attr::optional_computed("id", Ty::String, "SCIM id of the group."),
            Attr::required("display_name", Ty::String, "Name of the group."),
            Attr::optional_computed(
                "external_id",
                Ty::String,
                "Id of the group in an external identity provider.",
            )
            .force_new(),
            Attr::optional_computed("url", Ty::String, "Where the group is shown in the UI."),
            Attr::optional(
                "force",
                Ty::Bool,
                "Adopt a group that already exists with this name instead of failing.",
            ),
            Attr::optional_computed(
                "acl_principal_id",
                Ty::String,
                "The group in access-control lists: `groups/<display_name>`.",
            ),
        ];
        attrs.extend(entitlement_attrs());
        Schema::new(dual_scoped(Block::new(
            "A group, in the account or local to one workspace.",
            attrs,
        )))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check_workspace_id(config, diags);
        check_api(config, diags);
        check_entitlements(config, diags);
        refuse_outputs(config, &["url", "acl_principal_id"], diags);
        check(
            config,
            "display_name",
            Path::attr("display_name"),
            diags,
            |v| {
                if RESERVED.contains(&v) {
                    Err(format!(
                        "{v:?} is a built-in group of every workspace and cannot be managed; \
                         add members to it with databricks_group_member and a \
                         databricks_group data source."
                    ))
                } else if v.trim().is_empty() {
                    Err("display_name must not be empty.".to_owned())
                } else {
                    Ok(())
                }
            },
        );
    }

    fn modify_plan(&self, req: &mut PlanRequest, _diags: &mut Diagnostics) {
        plan_acl_principal_id(req);
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let scim = Scim::of(&self.0, &planned, diags)?;
        if refuse_account_entitlements(&scim, &planned, diags) {
            return None;
        }
        let req = ScimGroup {
            display_name: planned.str("display_name").to_owned(),
            external_id: configured(&planned, "external_id"),
            entitlements: entitlements_of(&planned),
            schemas: vec![GROUP_SCHEMA.to_owned()],
            ..ScimGroup::default()
        };
        let url = format!("{}/{GROUPS}", scim.base);
        let made = match scim.client.post::<_, ScimGroup>(&url, &req).await {
            Ok(g) => g,
            Err(e) if already_exists(&e) && planned.bool("force").known() == Some(true) => {
                let name = planned.str("display_name");
                let found = match scim
                    .filter::<ScimGroup>(GROUPS, &eq_filter("displayName", name))
                    .await
                {
                    Ok(found) => found,
                    Err(e) => {
                        report(diags, "look up the existing group", &e);
                        return None;
                    }
                };
                let Some(existing) = found.into_iter().next() else {
                    diags.error(
                        "Cannot adopt the group",
                        format!("cannot find group: {name}"),
                    );
                    return None;
                };
                self.replace(&scim, &existing.id, &planned, diags).await?
            }
            Err(e) => {
                report(diags, "create the group", &e);
                return None;
            }
        };
        Some(state(planned, made, &scim))
    }

    async fn read(&self, st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let Some(scim) = Scim::of(&self.0, &st, diags) else {
            return Some(st);
        };
        let id = st.str("id").to_owned();
        match scim.get::<ScimGroup>(GROUPS, &id, "the group", diags).await {
            Ok(found) => found.map(|g| state(st, g, &scim)),
            Err(()) => Some(st),
        }
    }

    async fn update(&self, _prior: Obj, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let scim = Scim::of(&self.0, &planned, diags)?;
        if refuse_account_entitlements(&scim, &planned, diags) {
            return None;
        }
        let id = planned.str("id").to_owned();
        let g = self.replace(&scim, &id, &planned, diags).await?;
        Some(state(planned, g, &scim))
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        if let Some(scim) = Scim::of(&self.0, &st, diags) {
            let url = format!("{}/{GROUPS}/{}", scim.base, st.str("id"));
            delete_url(&scim.client, &url, "the group", diags).await;
        }
    }

    fn import(&self, id: &str, _diags: &mut Diagnostics) -> Option<Obj> {
        Some(imported(&self.0, id, false).0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_groups_are_refused_at_plan() {
        let r = Group(Arc::new(Conn::default()));
        for name in ["users", "admins", " "] {
            let mut config = Obj::new();
            config.set("display_name", name);
            let mut diags = Diagnostics::default();
            r.validate(&config, &mut diags);
            assert!(diags.has_errors(), "{name}");
        }
        let mut config = Obj::new();
        config.set("display_name", "data-engineers");
        let mut diags = Diagnostics::default();
        r.validate(&config, &mut diags);
        assert!(!diags.has_errors(), "{diags:?}");
    }

    #[test]
    fn a_rename_plans_a_new_acl_principal_id() {
        let mut prior = Obj::new();
        prior
            .set("display_name", "old")
            .set("acl_principal_id", "groups/old");
        let mut planned = prior.clone();
        planned.set("display_name", "new");
        let mut config = Obj::new();
        config.set("display_name", "new");
        let mut req = PlanRequest {
            prior: Some(prior.clone()),
            config: config.clone(),
            planned,
        };
        plan_acl_principal_id(&mut req);
        assert!(req.planned.get("acl_principal_id").is_unknown());
        config.set("display_name", "old");
        let mut same = PlanRequest {
            prior: Some(prior.clone()),
            config,
            planned: prior,
        };
        plan_acl_principal_id(&mut same);
        assert_eq!(same.planned.str("acl_principal_id"), "groups/old");
    }
}
