//! `cluster-policies/{policy_id}`: who may create clusters under a policy (CAN_USE). Admins
//! always may; a user without the `allow-cluster-create` entitlement needs CAN_USE on the
//! policy a cluster names. Deleting the policy deletes its grants.

use super::{Descriptor, Target};
use crate::authz::store as acl_store;
use crate::authz::{Acl, Grant, ObjectKind};
use crate::compute::policies::{PolicyRecord, TREE};
use crate::error::{ApiError, ApiResult};
use crate::repo::{self, ws_key};
use crate::workspace::object_acl::Groups;
use ironbrick_store::Store;

/// The descriptor of cluster policies.
#[derive(Debug)]
pub struct ClusterPolicies;

impl Descriptor for ClusterPolicies {
    fn request_type(&self) -> &'static str {
        "cluster-policies"
    }

    fn kind(&self) -> ObjectKind {
        ObjectKind::ClusterPolicy
    }

    fn resolve(&self, store: &Store, ws: i64, object_id: &str) -> ApiResult<Target> {
        let stored: Option<PolicyRecord> =
            repo::get(store, TREE, &format!("{}{object_id}", ws_key(ws)))?;
        if stored.is_none() {
            return Err(ApiError::not_found(format!(
                "Cluster policy {object_id} does not exist."
            )));
        }
        let key = format!("cluster-policies/{object_id}");
        let kind = ObjectKind::ClusterPolicy;
        let mut grants: Vec<Grant> = acl_store::get(store, ws, &key)?
            .map(|r| r.grants)
            .unwrap_or_default()
            .iter()
            .map(|g| Grant {
                principal: g.principal,
                level: g.level,
                inherited_from: None,
            })
            .collect();
        grants.extend(Groups::of(store, ws)?.admins.map(|a| Grant {
            principal: a,
            level: kind.top(),
            inherited_from: None,
        }));
        Ok(Target {
            object_id: format!("/cluster-policies/{object_id}"),
            object_type: "cluster-policy",
            acl: Acl {
                kind,
                name: key.clone(),
                grants,
            },
            key,
            defaults: Vec::new(),
        })
    }
}
