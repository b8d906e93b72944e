//! `data "databricks_service_principal"`: a service principal found by `application_id`,
//! `display_name` or `scim_id`, at the account or in a workspace (see [`crate::scim`]).

use crate::common::{check_workspace_id, report, Conn};
use crate::scim::{check_api, dual_scoped, eq_filter, Scim};
use ironbrick_api::scim::ServicePrincipal;
use std::sync::Arc;
use tf_framework::{async_trait, Attr, Block, DataSource, Diagnostics, Obj, Path, Schema, Ty};

pub struct ServicePrincipalData(pub Arc<Conn>);

/// The arguments that find a service principal, with the SCIM attribute each one filters on.
const KEYS: [(&str, &str); 3] = [
    ("application_id", "applicationId"),
    ("scim_id", "id"),
    ("display_name", "displayName"),
];

#[async_trait]
impl DataSource for ServicePrincipalData {
    fn type_name(&self) -> &'static str {
        "databricks_service_principal"
    }

    fn schema(&self) -> Schema {
        let s = |n, d| Attr::optional_computed(n, Ty::String, d);
        Schema::new(dual_scoped(Block::new(
            "A service principal, found by application id, display name or SCIM id.",
            vec![
                s("id", "SCIM id."),
                s("application_id", "Application id to find."),
                s("display_name", "Display name to find (it must be unique)."),
                s("scim_id", "SCIM id to find."),
                s("sp_id", "SCIM id."),
                s("home", "Home folder, `/Users/<application_id>`."),
                s("repos", "Repos folder, `/Repos/<application_id>`."),
                Attr::optional_computed("active", Ty::Bool, "Whether it is active."),
                s("external_id", "External id."),
                s("acl_principal_id", "`servicePrincipals/<application_id>`."),
            ],
        )))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check_workspace_id(config, diags);
        check_api(config, diags);
        let given = KEYS
            .iter()
            .filter(|(n, _)| !config.get(n).is_null())
            .count();
        if given != 1 {
            diags.error_at(
                Path::attr("application_id"),
                "Exactly one of application_id, display_name and scim_id",
                "Set exactly one of application_id, display_name and scim_id.",
            );
        }
    }

    async fn read(&self, config: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let scim = Scim::of(&self.0, &config, diags)?;
        let Some((arg, attr, value)) = KEYS
            .iter()
            .find_map(|(arg, attr)| config.opt_str(arg).map(|v| (*arg, *attr, v)))
        else {
            diags.error(
                "Missing search",
                "please specify either application_id, display_name, or scim_id",
            );
            return None;
        };
        let found = match scim
            .filter::<ServicePrincipal>("ServicePrincipals", &eq_filter(attr, &value))
            .await
        {
            Ok(found) => found,
            Err(e) => {
                report(diags, "look up the service principal", &e);
                return None;
            }
        };
        let sp = match found.len() {
            1 => found.into_iter().next()?,
            0 => {
                diags.error(
                    "Service principal not found",
                    format!("cannot find SP with {arg} {value}"),
                );
                return None;
            }
            n => {
                diags.error(
                    "Service principal not unique",
                    format!("there are {n} Service Principals with {arg} {value}"),
                );
                return None;
            }
        };
        let app = sp.application_id;
        let mut o = config;
        o.set("id", sp.id.clone())
            .set("sp_id", sp.id.clone())
            .set("scim_id", sp.id)
            .set("display_name", sp.display_name)
            .set("home", format!("/Users/{app}"))
            .set("repos", format!("/Repos/{app}"))
            .set("acl_principal_id", format!("servicePrincipals/{app}"))
            .set("external_id", sp.external_id.unwrap_or_default())
            .set("active", sp.active.unwrap_or(true))
            .set("application_id", app);
        Some(o)
    }
}
