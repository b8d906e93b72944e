//! `databricks_service_principal`: a service principal of the account, or of one workspace
//! (see [`crate::scim`] for which API manages it).

use crate::account_object::refuse_outputs;
use crate::common::{check_workspace_id, imported, report, Conn};
use crate::scim::{
    already_exists, check_api, check_entitlements, configured, dual_scoped, entitlement_attrs,
    entitlements_of, eq_filter, refuse_account_entitlements, set_entitlements, Scim,
};
use ironbrick_api::scim::{ServicePrincipal as ScimSp, SERVICE_PRINCIPAL_SCHEMA};
use std::sync::Arc;
use tf_framework::{async_trait, Attr, Block, Diagnostics, Obj, Path, Resource, Schema, Ty, Value};

pub struct ServicePrincipal(pub Arc<Conn>);

const SPS: &str = "ServicePrincipals";

/// Attributes only the server sets (declared optional upstream).
const OUTPUTS: [&str; 3] = ["home", "repos", "acl_principal_id"];

/// State from the API's answer.
pub(crate) fn state(mut o: Obj, sp: ScimSp) -> Obj {
    let app = sp.application_id;
    set_entitlements(&mut o, &sp.entitlements);
    o.set("id", sp.id)
        .set("display_name", sp.display_name)
        .set("active", sp.active.unwrap_or(true))
        .set("external_id", sp.external_id.filter(|e| !e.is_empty()))
        .set("home", format!("/Users/{app}"))
        .set("repos", format!("/Repos/{app}"))
        .set("acl_principal_id", format!("servicePrincipals/{app}"))
        .set("application_id", app);
    o
}

fn body(o: &Obj, scim: &Scim) -> ScimSp {
    ScimSp {
        application_id: configured(o, "application_id").unwrap_or_default(),
        display_name: configured(o, "display_name").unwrap_or_default(),
        active: Some(o.bool("active").known().unwrap_or(true)),
        external_id: configured(o, "external_id"),
        entitlements: if scim.is_account() {
            Vec::new()
        } else {
            entitlements_of(o)
        },
        schemas: vec![SERVICE_PRINCIPAL_SCHEMA.to_owned()],
        ..ScimSp::default()
    }
}

impl ServicePrincipal {
    /// Replaces the service principal's own fields, keeping its application id, groups and
    /// roles.
    async fn replace(
        &self,
        scim: &Scim,
        id: &str,
        o: &Obj,
        diags: &mut Diagnostics,
    ) -> Option<ScimSp> {
        let what = "the service principal";
        let current: ScimSp = match scim.get(SPS, id, what, diags).await {
            Ok(Some(sp)) => sp,
            Ok(None) => {
                diags.error(
                    "Cannot update the service principal",
                    format!("service principal {id} does not exist"),
                );
                return None;
            }
            Err(()) => return None,
        };
        let want = body(o, scim);
        let next = ScimSp {
            id: String::new(),
            display_name: if want.display_name.is_empty() {
                current.display_name.clone()
            } else {
                want.display_name
            },
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
        let url = format!("{}/{SPS}/{id}", scim.base);
        if let Err(e) = scim.client.put::<_, serde_json::Value>(&url, &next).await {
            report(diags, "update the service principal", &e);
            return None;
        }
        match scim.get(SPS, id, what, diags).await {
            Ok(Some(sp)) => Some(sp),
            _ => None,
        }
    }
}

#[async_trait]
impl Resource for ServicePrincipal {
    fn type_name(&self) -> &'static str {
        "databricks_service_principal"
    }

    fn schema(&self) -> Schema {
        let mut attrs = vec![
            Attr::optional_computed("id", Ty::String, "SCIM id of the service principal."),
            Attr::optional_computed(
                "application_id",
                Ty::String,
                "Application id (a UUID); generated when unset.",
            )
            .force_new(),
            Attr::optional_computed("display_name", Ty::String, "Name shown for it."),
            Attr::optional("active", Ty::Bool, "Whether it may authenticate.").default(true),
            Attr::optional_computed(
                "external_id",
                Ty::String,
                "Id in an external identity provider.",
            ),
            Attr::optional(
                "force",
                Ty::Bool,
                "Adopt a service principal that already exists with this `application_id`.",
            ),
            Attr::optional_computed(
                "home",
                Ty::String,
                "Home folder, `/Users/<application_id>`.",
            ),
            Attr::optional_computed(
                "repos",
                Ty::String,
                "Repos folder, `/Repos/<application_id>`.",
            ),
            Attr::optional(
                "force_delete_repos",
                Ty::Bool,
                "On deletion from a workspace, also delete its repos folder.",
            ),
            Attr::optional(
                "force_delete_home_dir",
                Ty::Bool,
                "On deletion from a workspace, also delete its home folder.",
            ),
            Attr::optional(
                "disable_as_user_deletion",
                Ty::Bool,
                "Deactivate instead of deleting on destroy (the default at account level).",
            ),
            Attr::optional_computed(
                "acl_principal_id",
                Ty::String,
                "It in access-control lists: `servicePrincipals/<application_id>`.",
            ),
        ];
        attrs.extend(entitlement_attrs());
        Schema::new(dual_scoped(Block::new(
            "A service principal, in the account or in one workspace.",
            attrs,
        )))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check_workspace_id(config, diags);
        check_api(config, diags);
        check_entitlements(config, diags);
        refuse_outputs(config, &OUTPUTS, diags);
        let unset = |n| matches!(config.string(n), Value::Null);
        if unset("application_id") && unset("display_name") {
            diags.error_at(
                Path::attr("display_name"),
                "Missing display_name",
                "Set at least one of application_id and display_name.",
            );
        }
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let scim = Scim::of(&self.0, &planned, diags)?;
        if refuse_account_entitlements(&scim, &planned, diags) {
            return None;
        }
        let url = format!("{}/{SPS}", scim.base);
        let made = match scim
            .client
            .post::<_, ScimSp>(&url, &body(&planned, &scim))
            .await
        {
            Ok(sp) => sp,
            Err(e) if already_exists(&e) && planned.bool("force").known() == Some(true) => {
                let app = planned.str("application_id");
                let found = match scim
                    .filter::<ScimSp>(SPS, &eq_filter("applicationId", app))
                    .await
                {
                    Ok(found) => found,
                    Err(e) => {
                        report(diags, "look up the existing service principal", &e);
                        return None;
                    }
                };
                let Some(existing) = found.into_iter().next() else {
                    diags.error(
                        "Cannot adopt the service principal",
                        format!("cannot find SP with ID {app} for force import"),
                    );
                    return None;
                };
                self.replace(&scim, &existing.id, &planned, diags).await?
            }
            Err(e) => {
                report(diags, "create the service principal", &e);
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
        match scim
            .get::<ScimSp>(SPS, &id, "the service principal", diags)
            .await
        {
            Ok(found) => found.map(|sp| state(st, sp)),
            Err(()) => Some(st),
        }
    }

    async fn update(&self, _prior: Obj, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let scim = Scim::of(&self.0, &planned, diags)?;
        if refuse_account_entitlements(&scim, &planned, diags) {
            return None;
        }
        let id = planned.str("id").to_owned();
        let sp = self.replace(&scim, &id, &planned, diags).await?;
        Some(state(planned, sp))
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        if let Some(scim) = Scim::of(&self.0, &st, diags) {
            let app = st.str("application_id");
            scim.remove_principal(SPS, &st, app, "the service principal", diags)
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

    #[test]
    fn state_derives_folders_and_acl_id_from_the_application_id() {
        let answer = ScimSp {
            id: "7".into(),
            application_id: "00000000-0000-0000-0000-000000000001".into(),
            display_name: "bot".into(),
            active: None,
            external_id: Some(String::new()),
            ..ScimSp::default()
        };
        let o = state(Obj::new(), answer);
        assert_eq!(
            o.str("acl_principal_id"),
            "servicePrincipals/00000000-0000-0000-0000-000000000001"
        );
        assert_eq!(o.str("home"), "/Users/00000000-0000-0000-0000-000000000001");
        assert_eq!(o.bool("active").known(), Some(true));
        assert!(o.get("external_id").is_null());
    }

    #[test]
    fn plan_needs_an_application_id_or_a_display_name() {
        let r = ServicePrincipal(Arc::new(Conn::default()));
        let mut diags = Diagnostics::default();
        r.validate(&Obj::new(), &mut diags);
        assert!(format!("{diags:?}").contains("at least one of application_id and display_name"));
        let mut config = Obj::new();
        config.set("display_name", "bot");
        let mut diags = Diagnostics::default();
        r.validate(&config, &mut diags);
        assert!(!diags.has_errors(), "{diags:?}");
    }
}
