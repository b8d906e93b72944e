//! `databricks_cluster_policy`: rules that limit the clusters users may create
//! (`/api/2.0/policies/clusters/*`). A policy has its own `definition`, or inherits a policy
//! family's with `policy_family_definition_overrides` laid over it; the backend parses every
//! definition and refuses a malformed rule with its path and the reason.

mod definition;
pub(crate) mod libraries;

use crate::common::{
    check_workspace_id, imported, post_removal, report, workspace, workspace_scoped, Conn,
};
use ironbrick_api::compute::{CreatePolicyResponse, Policy, PolicyId, PolicyRequest};
use std::sync::Arc;
use tf_framework::{
    async_trait, Attr, Block, Diagnostics, Dyn, Obj, Path, PlanRequest, Resource, Schema, Ty, Value,
};

pub struct ClusterPolicy(pub Arc<Conn>);

/// The JSON-text arguments, compared semantically.
const JSON_ARGS: [&str; 2] = ["definition", "policy_family_definition_overrides"];

fn policy_id(o: &Obj) -> String {
    o.opt_str("policy_id")
        .or_else(|| o.opt_str("id"))
        .unwrap_or_default()
}

/// The create or edit request of a plan.
fn request(planned: &Obj, id: Option<String>) -> PolicyRequest {
    let family = planned.opt_str("policy_family_id");
    let libs = libraries::to_api(planned);
    PolicyRequest {
        policy_id: id,
        name: planned.string("name").known(),
        description: planned.string("description").known(),
        // a family's policy has the family's definition: the one in state is computed
        definition: if family.is_some() {
            None
        } else {
            planned.string("definition").known()
        },
        max_clusters_per_user: planned.int("max_clusters_per_user").known(),
        policy_family_id: family,
        policy_family_definition_overrides: planned
            .string("policy_family_definition_overrides")
            .known(),
        libraries: (!libs.is_empty()).then_some(libs),
    }
}

/// State from the API's policy; JSON texts keep their spelling in `st` when they denote the
/// same document.
fn state(mut st: Obj, p: Policy) -> Obj {
    let definition = definition::keep(st.string("definition").known(), p.definition);
    let overrides = definition::keep(
        st.string("policy_family_definition_overrides").known(),
        p.policy_family_definition_overrides,
    );
    libraries::set_state(&mut st, p.libraries.as_deref().unwrap_or_default());
    st.set("id", p.policy_id.clone())
        .set("policy_id", p.policy_id)
        .set("name", p.name)
        .set("description", p.description)
        .set("definition", definition)
        .set("max_clusters_per_user", p.max_clusters_per_user)
        .set("policy_family_id", p.policy_family_id)
        .set("policy_family_definition_overrides", overrides);
    st
}

/// Plan-time check of a JSON-text argument.
fn check_json(config: &Obj, name: &str, diags: &mut Diagnostics) {
    if let Value::Known(text) = config.string(name) {
        if let Err(why) = definition::parse_object(&text) {
            diags.error_at(
                Path::attr(name),
                format!("Invalid {name}"),
                format!("{name} is {why}."),
            );
        }
    }
}

#[async_trait]
impl Resource for ClusterPolicy {
    fn type_name(&self) -> &'static str {
        "databricks_cluster_policy"
    }

    fn schema(&self) -> Schema {
        Schema::new(workspace_scoped(
            Block::new(
                "A cluster policy: rules every cluster that uses it must follow.",
                vec![
                    Attr::optional_computed("id", Ty::String, "The policy id."),
                    Attr::computed("policy_id", Ty::String, "The policy id."),
                    Attr::optional(
                        "name",
                        Ty::String,
                        "Unique name, 1 to 100 characters (required by the API).",
                    ),
                    Attr::optional("description", Ty::String, "Description."),
                    Attr::optional_computed(
                        "definition",
                        Ty::String,
                        "Policy definition (JSON). With `policy_family_id`, the family's \
                         definition with the overrides applied.",
                    ),
                    Attr::optional(
                        "max_clusters_per_user",
                        Ty::Number,
                        "Most clusters one user may have under the policy.",
                    ),
                    Attr::optional(
                        "policy_family_id",
                        Ty::String,
                        "Policy family whose definition the policy inherits.",
                    ),
                    Attr::optional(
                        "policy_family_definition_overrides",
                        Ty::String,
                        "Rules (JSON) laid over the family's definition.",
                    ),
                ],
            )
            .with_block(libraries::block()),
        ))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check_workspace_id(config, diags);
        match config.string("name") {
            Value::Null => diags.error_at(
                Path::attr("name"),
                "Missing name",
                "A cluster policy needs a name, unique in the workspace.",
            ),
            Value::Known(n) if n.trim().is_empty() || n.chars().count() > 100 => diags.error_at(
                Path::attr("name"),
                "Invalid name",
                format!("{n:?} must be 1 to 100 characters."),
            ),
            _ => {}
        }
        for name in JSON_ARGS {
            check_json(config, name, diags);
        }
        let set = |n: &str| !config.get(n).is_null();
        if set("policy_family_id") && set("definition") {
            diags.error_at(
                Path::attr("definition"),
                "Conflicting arguments",
                "definition cannot be used with policy_family_id: a family's policy inherits the \
                 family's definition; customise it with policy_family_definition_overrides.",
            );
        }
        if set("policy_family_definition_overrides") && !set("policy_family_id") {
            diags.error_at(
                Path::attr("policy_family_definition_overrides"),
                "Missing policy_family_id",
                "policy_family_definition_overrides customises a policy family's definition: \
                 set policy_family_id too, or put the rules in definition.",
            );
        }
        if let Value::Known(n) = config.int("max_clusters_per_user") {
            if n < 1 {
                diags.error_at(
                    Path::attr("max_clusters_per_user"),
                    "Invalid max_clusters_per_user",
                    format!("max_clusters_per_user must be greater than zero, not {n}."),
                );
            }
        }
        libraries::check(config, diags);
    }

    fn modify_plan(&self, req: &mut PlanRequest, _diags: &mut Diagnostics) {
        let Some(prior) = &req.prior else {
            return;
        };
        // the same JSON document written differently is no change: plan the prior text
        for name in JSON_ARGS {
            if let (Value::Known(old), Value::Known(new)) =
                (prior.string(name), req.config.string(name))
            {
                if definition::same(&old, &new) {
                    req.planned.set(name, old);
                }
            }
        }
        // an inherited definition changes with the family and its overrides
        let inherited = req.config.get("definition").is_null();
        let family_changed = ["policy_family_id", "policy_family_definition_overrides"]
            .iter()
            .any(|n| prior.get(n) != req.planned.get(n));
        if inherited && family_changed {
            req.planned.set("definition", Dyn::Unknown);
        }
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &planned, diags)?;
        let url = format!("{base}/policies/clusters/create");
        let created = match client
            .post::<_, CreatePolicyResponse>(&url, &request(&planned, None))
            .await
        {
            Ok(r) => r,
            Err(e) => {
                report(diags, "create the cluster policy", &e);
                return None;
            }
        };
        let mut st = planned;
        st.set("id", created.policy_id.clone())
            .set("policy_id", created.policy_id);
        self.read(st, diags).await
    }

    async fn read(&self, st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &st, diags)?;
        let id = policy_id(&st);
        let url = format!("{base}/policies/clusters/get");
        match client
            .get_query::<Policy>(&url, &[("policy_id", id.as_str())])
            .await
        {
            Ok(p) => Some(state(st, p)),
            Err(e) if e.is_not_found() => None,
            Err(e) => {
                report(diags, "read the cluster policy", &e);
                Some(st)
            }
        }
    }

    async fn update(&self, prior: Obj, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &planned, diags)?;
        let id = policy_id(&prior);
        let url = format!("{base}/policies/clusters/edit");
        if let Err(e) = client
            .post::<_, serde_json::Value>(&url, &request(&planned, Some(id.clone())))
            .await
        {
            report(diags, "update the cluster policy", &e);
            return None;
        }
        let mut st = planned;
        st.set("id", id.clone()).set("policy_id", id);
        self.read(st, diags).await
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        let Some((client, base)) = workspace(&self.0, &st, diags) else {
            return;
        };
        let req = PolicyId {
            policy_id: policy_id(&st),
        };
        post_removal(
            &client,
            &format!("{base}/policies/clusters/delete"),
            &req,
            "delete the cluster policy",
            diags,
        )
        .await;
    }

    fn import(&self, id: &str, _diags: &mut Diagnostics) -> Option<Obj> {
        let (mut o, id) = imported(&self.0, id, false);
        o.set("policy_id", id);
        Some(o)
    }
}

#[cfg(test)]
mod tests;
