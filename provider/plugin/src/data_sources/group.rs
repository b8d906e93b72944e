//! `data "databricks_group"`: a group found by name, with its members (recursively by
//! default), parents, roles and entitlements, at the account or in a workspace (see
//! [`crate::scim`]).

use crate::common::{check_workspace_id, report, Conn};
use crate::scim::{check_api, dual_scoped, entitlement_attrs, eq_filter, Scim, ENTITLEMENTS};
use crate::validate::check;
use ironbrick_api::scim::{ComplexValue, Group};
use std::collections::{BTreeSet, HashSet, VecDeque};
use std::sync::Arc;
use tf_framework::{async_trait, Attr, Block, DataSource, Diagnostics, Obj, Path, Schema, Ty};

pub struct GroupData(pub Arc<Conn>);

/// What a group and (when recursive) its child groups hold.
#[derive(Debug, Default, PartialEq)]
struct Collected {
    members: BTreeSet<String>,
    users: BTreeSet<String>,
    service_principals: BTreeSet<String>,
    child_groups: BTreeSet<String>,
    groups: BTreeSet<String>,
    roles: BTreeSet<String>,
    entitlements: BTreeSet<String>,
}

impl Collected {
    /// Adds what `g` holds; returns the ids of its child groups.
    fn add(&mut self, g: &Group) -> Vec<String> {
        let mut children = Vec::new();
        for m in &g.members {
            let Some(id) = m.value.clone() else { continue };
            self.members.insert(id.clone());
            let reference = m.reference.as_deref().unwrap_or_default();
            if reference.starts_with("Users/") {
                self.users.insert(id);
            } else if reference.starts_with("ServicePrincipals/") {
                self.service_principals.insert(id);
            } else if reference.starts_with("Groups/") {
                self.child_groups.insert(id.clone());
                children.push(id);
            }
        }
        let values =
            |v: &[ComplexValue]| v.iter().filter_map(|c| c.value.clone()).collect::<Vec<_>>();
        self.groups.extend(values(&g.groups));
        self.roles.extend(values(&g.roles));
        self.entitlements.extend(values(&g.entitlements));
        children
    }
}

#[async_trait]
impl DataSource for GroupData {
    fn type_name(&self) -> &'static str {
        "databricks_group"
    }

    fn schema(&self) -> Schema {
        let ids = |n, d| Attr::optional_computed(n, Ty::set_of_strings(), d);
        let mut attrs = vec![
            Attr::optional_computed("id", Ty::String, "SCIM id of the group."),
            Attr::required("display_name", Ty::String, "Name of the group to find."),
            Attr::optional(
                "recursive",
                Ty::Bool,
                "Also collect the members of child groups.",
            )
            .default(true),
            ids("members", "Ids of every member (deprecated upstream)."),
            ids("users", "Ids of the member users."),
            ids(
                "service_principals",
                "Ids of the member service principals.",
            ),
            ids("child_groups", "Ids of the member groups."),
            ids("groups", "Ids of the groups this group is a member of."),
            ids("roles", "Roles (instance profile ARNs)."),
            ids(
                "instance_profiles",
                "Instance profile ARNs (deprecated upstream).",
            ),
            Attr::optional_computed("external_id", Ty::String, "External id."),
            Attr::optional_computed("acl_principal_id", Ty::String, "`groups/<display_name>`."),
        ];
        attrs.extend(entitlement_attrs().into_iter().map(|mut a| {
            a.default = None;
            a.kind = tf_framework::Kind::OptionalComputed;
            a
        }));
        Schema::new(dual_scoped(Block::new(
            "A group, found by name, with its members.",
            attrs,
        )))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check_workspace_id(config, diags);
        check_api(config, diags);
        check(
            config,
            "display_name",
            Path::attr("display_name"),
            diags,
            |v| {
                if v.is_empty() {
                    Err("display_name must not be empty.".to_owned())
                } else {
                    Ok(())
                }
            },
        );
    }

    async fn read(&self, config: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let scim = Scim::of(&self.0, &config, diags)?;
        let name = config.str("display_name").to_owned();
        let group = match scim
            .filter::<Group>("Groups", &eq_filter("displayName", &name))
            .await
        {
            Ok(found) => match found.into_iter().next() {
                Some(g) => g,
                None => {
                    diags.error("Group not found", format!("cannot find group: {name}"));
                    return None;
                }
            },
            Err(e) => {
                report(diags, "look up the group", &e);
                return None;
            }
        };
        let recursive = config.bool("recursive").known().unwrap_or(true);
        let mut got = Collected::default();
        let mut seen = HashSet::from([group.id.clone()]);
        let mut queue = VecDeque::from(got.add(&group));
        while let Some(child) = queue.pop_front().filter(|_| recursive) {
            if !seen.insert(child.clone()) {
                continue;
            }
            match scim
                .get::<Group>("Groups", &child, "a child group", diags)
                .await
            {
                Ok(Some(g)) => queue.extend(got.add(&g)),
                Ok(None) => {}
                Err(()) => return None,
            }
        }
        let list = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>();
        let mut o = config;
        for (value, attr) in ENTITLEMENTS {
            o.set(attr, got.entitlements.contains(value));
        }
        o.set("id", group.id)
            .set("members", list(&got.members))
            .set("users", list(&got.users))
            .set("service_principals", list(&got.service_principals))
            .set("child_groups", list(&got.child_groups))
            .set("groups", list(&got.groups))
            .set("roles", list(&got.roles))
            .set("instance_profiles", list(&got.roles))
            .set("external_id", group.external_id.unwrap_or_default())
            .set("acl_principal_id", format!("groups/{}", group.display_name))
            .set("recursive", recursive)
            .set("display_name", group.display_name);
        Some(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, reference: &str) -> ComplexValue {
        ComplexValue {
            reference: Some(reference.to_owned()),
            ..ComplexValue::value(id)
        }
    }

    #[test]
    fn members_are_sorted_by_kind_and_child_groups_returned() {
        let g = Group {
            id: "1".into(),
            members: vec![
                member("10", "Users/10"),
                member("20", "ServicePrincipals/20"),
                member("30", "Groups/30"),
            ],
            groups: vec![ComplexValue::value("99")],
            entitlements: vec![ComplexValue::value("workspace-access")],
            ..Group::default()
        };
        let mut got = Collected::default();
        assert_eq!(got.add(&g), vec!["30".to_owned()]);
        assert_eq!(got.members.len(), 3);
        assert!(got.users.contains("10") && got.service_principals.contains("20"));
        assert!(got.child_groups.contains("30") && got.groups.contains("99"));
        assert!(got.entitlements.contains("workspace-access"));
    }
}
