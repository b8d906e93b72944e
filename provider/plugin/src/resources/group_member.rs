//! `databricks_group_member`: one member (user, service principal or group) of a group, at the
//! account or in one workspace (see [`crate::scim`]). Id and import id: `<group_id>|<member_id>`.

use crate::common::{check_workspace_id, imported, report, Conn};
use crate::scim::{check_api, dual_scoped, eq_filter, Scim};
use ironbrick_api::scim::{Group, PatchOp, PatchOperation};
use std::sync::Arc;
use tf_framework::{async_trait, Attr, Block, Diagnostics, Obj, Resource, Schema, Ty};

pub struct GroupMember(pub Arc<Conn>);

const GROUPS: &str = "Groups";

/// Splits `<group_id>|<member_id>`.
fn split_id(id: &str) -> Option<(&str, &str)> {
    id.split_once('|')
        .filter(|(g, m)| !g.is_empty() && !m.is_empty())
}

#[async_trait]
impl Resource for GroupMember {
    fn type_name(&self) -> &'static str {
        "databricks_group_member"
    }

    fn schema(&self) -> Schema {
        Schema::new(dual_scoped(Block::new(
            "Membership of a user, service principal or group in a group.",
            vec![
                Attr::optional_computed("id", Ty::String, "`<group_id>|<member_id>`."),
                Attr::required("group_id", Ty::String, "Id of the group.").force_new(),
                Attr::required(
                    "member_id",
                    Ty::String,
                    "Id of the user, service principal or group to add.",
                )
                .force_new(),
            ],
        )))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check_workspace_id(config, diags);
        check_api(config, diags);
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let scim = Scim::of(&self.0, &planned, diags)?;
        let (group, member) = (planned.str("group_id"), planned.str("member_id"));
        let add = PatchOperation {
            op: PatchOp::Add,
            path: Some("members".to_owned()),
            value: Some(serde_json::json!([{ "value": member }])),
        };
        if let Err(e) = scim.patch(GROUPS, group, vec![add]).await {
            report(diags, "add the group member", &e);
            return None;
        }
        let id = format!("{group}|{member}");
        let mut st = planned;
        st.set("id", id);
        Some(st)
    }

    async fn read(&self, mut st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let Some(scim) = Scim::of(&self.0, &st, diags) else {
            return Some(st);
        };
        let id = st.str("id").to_owned();
        let Some((group, member)) = split_id(&id) else {
            diags.error(
                "Invalid id",
                format!("{id:?} is not <group_id>|<member_id>."),
            );
            return Some(st);
        };
        let found: Group = match scim.get(GROUPS, group, "the group", diags).await {
            Ok(Some(g)) => g,
            Ok(None) => return None,
            Err(()) => return Some(st),
        };
        if !found
            .members
            .iter()
            .any(|m| m.value.as_deref() == Some(member))
        {
            return None;
        }
        st.set("group_id", group).set("member_id", member);
        Some(st)
    }

    async fn update(&self, _prior: Obj, planned: Obj, _diags: &mut Diagnostics) -> Option<Obj> {
        Some(planned)
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        let Some(scim) = Scim::of(&self.0, &st, diags) else {
            return;
        };
        let (group, member) = (st.str("group_id"), st.str("member_id"));
        let remove = PatchOperation {
            op: PatchOp::Remove,
            path: Some(format!("members[{}]", eq_filter("value", member))),
            value: None,
        };
        match scim.patch(GROUPS, group, vec![remove]).await {
            Ok(()) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => report(diags, "remove the group member", &e),
        }
    }

    fn import(&self, id: &str, diags: &mut Diagnostics) -> Option<Obj> {
        let (o, rest) = imported(&self.0, id, false);
        if split_id(&rest).is_none() {
            diags.error(
                "Invalid import id",
                format!(
                    "{id:?} is not <group_id>|<member_id> (or <workspace_id>/<group_id>|<member_id>)."
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
    fn ids_are_group_bar_member() {
        assert_eq!(split_id("12|34"), Some(("12", "34")));
        assert_eq!(split_id("12|"), None);
        assert_eq!(split_id("1234"), None);
        let r = GroupMember(Arc::new(Conn::default()));
        let mut diags = Diagnostics::default();
        let o = r.import("5/12|34", &mut diags).expect("import");
        assert_eq!(o.str("id"), "12|34");
        assert_eq!(crate::common::own_workspace(&o).as_deref(), Some("5"));
        assert!(r.import("nope", &mut diags).is_none());
        assert!(diags.has_errors());
    }
}
