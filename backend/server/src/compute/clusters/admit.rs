//! Admission of a cluster specification on create and edit: the fields are checked, the policy
//! (if any) completes the specification and then judges it, every violated path at once, and
//! the decision point says whether the caller may create a cluster that way.

use super::spec;
use crate::auth::WorkspaceCtx;
use crate::authz::Action;
use crate::compute::check::{check, complete};
use crate::compute::policies;
use crate::compute::rules::Definition;
use crate::error::{ApiError, ApiResult};
use crate::identity::directory;
use crate::permissions::compute::ComputeObjects;
use crate::state::AppState;
use ironbrick_api::compute::{ClusterSpec, Policy};
use serde_json::{json, Value};

/// A specification that may be stored.
#[derive(Debug, Clone)]
pub struct Admitted {
    /// Completed by the policy: what the cluster runs with.
    pub attributes: ClusterSpec,
    /// As the client sent it.
    pub requested: ClusterSpec,
}

/// Completes `attributes` from `policy` (whose parsed definition is `def`) and judges the
/// result: its shape, then every rule, the virtual `dbus_per_hour` and `cluster_type`
/// included; all violated paths are reported in one INVALID_PARAMETER_VALUE.
pub fn enforce(
    policy: &Policy,
    def: &Definition,
    attributes: &mut ClusterSpec,
    use_defaults: bool,
) -> ApiResult<()> {
    complete(def, attributes, use_defaults);
    spec::check_shape(attributes)?;
    let virtuals = [
        ("dbus_per_hour", json!(spec::dbus_per_hour(attributes))),
        ("cluster_type", json!("all-purpose")),
    ];
    check(def, attributes, &virtuals).map_err(|violations| {
        let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
        ApiError::invalid(format!(
            "Validation failed against cluster policy {:?} ({}): {}.",
            policy.name,
            policy.policy_id,
            list.join("; ")
        ))
    })
}

/// Whether the caller holds `allow-cluster-create`, itself or through a group.
fn entitled(state: &AppState, ctx: &WorkspaceCtx) -> ApiResult<bool> {
    let ws = ctx.id();
    let store = state.store();
    let holds = |id: i64| -> ApiResult<bool> {
        Ok(directory::entitlements(store, ws, id)?.contains("allow-cluster-create"))
    };
    if holds(ctx.subject.principal.id)? {
        return Ok(true);
    }
    for g in &ctx.subject.groups {
        if holds(*g)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Checks `requested` (the body of create or edit, without `cluster_id`) and completes it.
pub fn admit(state: &AppState, ctx: &WorkspaceCtx, requested: ClusterSpec) -> ApiResult<Admitted> {
    spec::check_fields(&requested)?;
    let mut attributes = requested.clone();
    let use_defaults = attributes
        .remove("apply_policy_default_values")
        .and_then(|v| v.as_bool())
        != Some(false);
    attributes.remove("clone_from");
    attributes.remove("idempotency_token");
    let policy = match attributes.get("policy_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(
            policies::find(state, ctx.id(), id)
                .map_err(|_| ApiError::invalid(format!("Cluster policy {id} does not exist.")))?,
        ),
        Some(v) => {
            return Err(ApiError::invalid(format!(
                "policy_id must be a string, not {v}."
            )))
        }
    };
    let policy_acl = match &policy {
        Some(p) => {
            Some(ComputeObjects::CLUSTER_POLICIES.acl(state.store(), ctx.id(), &p.policy_id)?)
        }
        None => None,
    };
    ctx.allow(&Action::CreateCluster {
        entitled: ctx.subject.workspace_admin || entitled(state, ctx)?,
        policy: policy_acl.as_ref(),
    })?;
    match &policy {
        Some(p) => enforce(p, &*policies::definition(p)?, &mut attributes, use_defaults)?,
        None => spec::check_shape(&attributes)?,
    }
    Ok(Admitted {
        attributes,
        requested,
    })
}
