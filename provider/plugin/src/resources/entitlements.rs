//! `databricks_entitlements`: the entitlements of one user, service principal or group in a
//! workspace. Id and import id: `user/<id>`, `spn/<id>` or `group/<id>`.

use crate::common::{check_workspace_id, imported, report, workspace_scoped, Conn};
use crate::scim::{
    check_entitlements, entitlement_attrs, entitlements_of, set_entitlements, Level, Scim,
};
use ironbrick_api::scim::{ComplexValue, PatchOp, PatchOperation};
use serde::Deserialize;
use std::sync::Arc;
use tf_framework::{async_trait, Attr, Block, Diagnostics, Obj, Path, Resource, Schema, Ty};

pub struct Entitlements(pub Arc<Conn>);

/// Whose entitlements: id prefix, attribute and SCIM collection.
const SUBJECTS: [(&str, &str, &str); 3] = [
    ("group", "group_id", "Groups"),
    ("user", "user_id", "Users"),
    ("spn", "service_principal_id", "ServicePrincipals"),
];

/// The part of any SCIM principal these need.
#[derive(Deserialize)]
struct WithEntitlements {
    #[serde(default)]
    entitlements: Vec<ComplexValue>,
}

/// `(attribute, collection, principal id)` of `user/<id>`, `spn/<id>` or `group/<id>`.
fn parse_id(id: &str) -> Option<(&'static str, &'static str, String)> {
    let (kind, pid) = id.split_once('/')?;
    let (_, attr, collection) = SUBJECTS
        .iter()
        .find(|(k, _, _)| k.eq_ignore_ascii_case(kind))?;
    (!pid.is_empty()).then(|| (*attr, *collection, pid.to_owned()))
}

/// The id of the principal a configuration names (the first of group, user, service
/// principal, as upstream).
fn id_of(o: &Obj) -> Option<String> {
    SUBJECTS
        .iter()
        .find_map(|(kind, attr, _)| o.opt_str(attr).map(|v| format!("{kind}/{v}")))
}

impl Entitlements {
    async fn patch(&self, o: &Obj, op: PatchOp, diags: &mut Diagnostics) -> bool {
        let Some(scim) = Scim::at(&self.0, o, Level::Workspace, diags) else {
            return false;
        };
        let Some((_, collection, pid)) = id_of(o).as_deref().and_then(parse_id) else {
            diags.error(
                "Missing principal",
                "Set one of group_id, user_id and service_principal_id.",
            );
            return false;
        };
        let granted = entitlements_of(o);
        if op == PatchOp::Remove && granted.is_empty() {
            return true;
        }
        let operation = PatchOperation {
            op,
            path: Some("entitlements".to_owned()),
            value: Some(serde_json::to_value(&granted).unwrap_or_default()),
        };
        match scim.patch(collection, &pid, vec![operation]).await {
            Ok(()) => true,
            Err(e) if op == PatchOp::Remove && e.is_not_found() => true,
            Err(e) => {
                report(diags, "set the entitlements", &e);
                false
            }
        }
    }
}

#[async_trait]
impl Resource for Entitlements {
    fn type_name(&self) -> &'static str {
        "databricks_entitlements"
    }

    fn schema(&self) -> Schema {
        let mut attrs = vec![
            Attr::optional_computed("id", Ty::String, "`user/<id>`, `spn/<id>` or `group/<id>`."),
            Attr::optional("group_id", Ty::String, "Id of the group.").force_new(),
            Attr::optional("user_id", Ty::String, "Id of the user.").force_new(),
            Attr::optional(
                "service_principal_id",
                Ty::String,
                "SCIM id of the service principal.",
            )
            .force_new(),
        ];
        attrs.extend(entitlement_attrs());
        Schema::new(workspace_scoped(Block::new(
            "The entitlements of a user, service principal or group in a workspace.",
            attrs,
        )))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check_workspace_id(config, diags);
        check_entitlements(config, diags);
        let set: Vec<&str> = SUBJECTS
            .iter()
            .map(|(_, attr, _)| *attr)
            .filter(|attr| !config.get(attr).is_null())
            .collect();
        if set.len() != 1 {
            diags.error_at(
                Path::attr("user_id"),
                "Exactly one principal",
                format!(
                    "Set exactly one of group_id, user_id and service_principal_id (set: {}).",
                    if set.is_empty() {
                        "none".to_owned()
                    } else {
                        set.join(", ")
                    }
                ),
            );
        }
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        if !self.patch(&planned, PatchOp::Replace, diags).await {
            return None;
        }
        let mut st = planned;
        st.set("id", id_of(&st));
        Some(st)
    }

    async fn read(&self, mut st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let scim = match Scim::at(&self.0, &st, Level::Workspace, diags) {
            Some(s) => s,
            None => return Some(st),
        };
        let id = st.str("id").to_owned();
        let Some((attr, collection, pid)) = parse_id(&id) else {
            diags.error(
                "Invalid id",
                format!("{id:?} is not user/<id>, spn/<id> or group/<id>."),
            );
            return Some(st);
        };
        let found: WithEntitlements = match scim.get(collection, &pid, "the principal", diags).await
        {
            Ok(Some(p)) => p,
            Ok(None) => return None,
            Err(()) => return Some(st),
        };
        set_entitlements(&mut st, &found.entitlements);
        st.set(attr, pid);
        Some(st)
    }

    async fn update(&self, _prior: Obj, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        self.patch(&planned, PatchOp::Replace, diags)
            .await
            .then_some(planned)
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        self.patch(&st, PatchOp::Remove, diags).await;
    }

    fn import(&self, id: &str, diags: &mut Diagnostics) -> Option<Obj> {
        let (o, rest) = imported(&self.0, id, false);
        if parse_id(&rest).is_none() {
            diags.error(
                "Invalid import id",
                format!(
                    "{id:?} is not user/<id>, spn/<id> or group/<id> (optionally after \
                     <workspace_id>/)."
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
    fn ids_name_the_kind_of_principal() {
        assert_eq!(
            parse_id("user/12"),
            Some(("user_id", "Users", "12".to_owned()))
        );
        assert_eq!(
            parse_id("spn/3"),
            Some(("service_principal_id", "ServicePrincipals", "3".to_owned()))
        );
        assert_eq!(
            parse_id("group/9"),
            Some(("group_id", "Groups", "9".to_owned()))
        );
        assert_eq!(parse_id("team/9"), None);
        let mut o = Obj::new();
        o.set("service_principal_id", "3");
        assert_eq!(id_of(&o).as_deref(), Some("spn/3"));
        let r = Entitlements(Arc::new(Conn::default()));
        let mut diags = Diagnostics::default();
        let o = r.import("7/group/9", &mut diags).expect("import");
        assert_eq!(o.str("id"), "group/9");
        assert!(r.import("group", &mut diags).is_none());
    }

    #[test]
    fn plan_needs_exactly_one_principal() {
        let r = Entitlements(Arc::new(Conn::default()));
        let mut diags = Diagnostics::default();
        r.validate(&Obj::new(), &mut diags);
        assert!(diags.has_errors());
        let mut both = Obj::new();
        both.set("user_id", "1").set("group_id", "2");
        let mut diags = Diagnostics::default();
        r.validate(&both, &mut diags);
        assert!(format!("{diags:?}").contains("group_id, user_id"));
        let mut one = Obj::new();
        one.set("user_id", "1").set("workspace_access", true);
        let mut diags = Diagnostics::default();
        r.validate(&one, &mut diags);
        assert!(!diags.has_errors(), "{diags:?}");
    }
}
