//! `data "databricks_cluster_policy"`: a cluster policy of the workspace, by `id` or by `name`
//! (such as a built-in one, `Personal Compute`).

use crate::common::{check_workspace_id, report, workspace, workspace_scoped, Conn};
use ironbrick_api::compute::{ListPoliciesResponse, Policy};
use std::sync::Arc;
use tf_framework::{async_trait, Attr, Block, DataSource, Diagnostics, Obj, Schema, Ty};

pub struct ClusterPolicyData(pub Arc<Conn>);

/// The data source's attributes from a policy.
fn fill(mut o: Obj, p: Policy) -> Obj {
    o.set("id", p.policy_id)
        .set("name", p.name)
        .set("definition", p.definition)
        .set("description", p.description)
        .set("max_clusters_per_user", p.max_clusters_per_user)
        .set("policy_family_id", p.policy_family_id)
        .set(
            "policy_family_definition_overrides",
            p.policy_family_definition_overrides,
        )
        .set("is_default", p.is_default);
    o
}

#[async_trait]
impl DataSource for ClusterPolicyData {
    fn type_name(&self) -> &'static str {
        "databricks_cluster_policy"
    }

    fn schema(&self) -> Schema {
        let out = |name, ty, d| Attr::optional_computed(name, ty, d);
        Schema::new(workspace_scoped(Block::new(
            "A cluster policy, by id or by name.",
            vec![
                out("id", Ty::String, "The policy id; set it, or `name`."),
                out("name", Ty::String, "The policy name; set it, or `id`."),
                out("definition", Ty::String, "Policy definition (JSON)."),
                out("description", Ty::String, "Description."),
                out(
                    "max_clusters_per_user",
                    Ty::Number,
                    "Most clusters one user may have under the policy.",
                ),
                out(
                    "policy_family_id",
                    Ty::String,
                    "Policy family the definition comes from.",
                ),
                out(
                    "policy_family_definition_overrides",
                    Ty::String,
                    "Rules (JSON) laid over the family's definition.",
                ),
                out(
                    "is_default",
                    Ty::Bool,
                    "Whether the workspace made the policy itself.",
                ),
            ],
        )))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check_workspace_id(config, diags);
        if config.get("id").is_null() && config.get("name").is_null() {
            diags.error(
                "Missing id or name",
                "Name the cluster policy by id or by name.",
            );
        }
    }

    async fn read(&self, config: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &config, diags)?;
        if let Some(id) = config.opt_str("id") {
            let url = format!("{base}/policies/clusters/get");
            return match client
                .get_query::<Policy>(&url, &[("policy_id", id.as_str())])
                .await
            {
                Ok(p) => Some(fill(config, p)),
                Err(e) => {
                    report(diags, &format!("read cluster policy {id}"), &e);
                    None
                }
            };
        }
        let name = config.opt_str("name").unwrap_or_default();
        let list: ListPoliciesResponse =
            match client.get(&format!("{base}/policies/clusters/list")).await {
                Ok(l) => l,
                Err(e) => {
                    report(diags, "list the cluster policies", &e);
                    return None;
                }
            };
        match list.policies.into_iter().find(|p| p.name == name) {
            Some(p) => Some(fill(config, p)),
            None => {
                diags.error(
                    "Cluster policy not found",
                    format!("The workspace has no cluster policy named {name:?}."),
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_fills_every_attribute() {
        let p = Policy {
            policy_id: "P1".into(),
            name: "Personal Compute".into(),
            definition: Some("{}".into()),
            max_clusters_per_user: Some(1),
            policy_family_id: Some("personal-vm".into()),
            is_default: true,
            ..Policy::default()
        };
        let mut cfg = Obj::new();
        cfg.set("name", "Personal Compute");
        let o = fill(cfg, p);
        assert_eq!(o.str("id"), "P1");
        assert_eq!(o.str("definition"), "{}");
        assert_eq!(o.int("max_clusters_per_user").known(), Some(1));
        assert_eq!(o.bool("is_default").known(), Some(true));
        assert!(o.get("description").is_null());
        let mut diags = Diagnostics::default();
        ClusterPolicyData(Arc::new(Conn::default())).validate(&Obj::new(), &mut diags);
        assert!(diags.has_errors());
    }
}
