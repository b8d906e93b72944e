//! Compute objects: `cluster-policies/{policy_id}` (CAN_USE) and `clusters/{cluster_id}`
//! (CAN_ATTACH_TO < CAN_RESTART < CAN_MANAGE).
//!
//! Both are flat: an object's effective ACL is its own grants plus the workspace admins, who
//! always hold the top level. Deleting the object deletes its grants. A user without the
//! `allow-cluster-create` entitlement needs CAN_USE on the policy a cluster names; a cluster's
//! creator gets CAN_MANAGE on it.

use super::{Descriptor, Target};
use crate::authz::store as acl_store;
use crate::authz::{Acl, Grant, ObjectKind};
use crate::compute::{clusters, policies};
use crate::error::{ApiError, ApiResult};
use crate::repo::ws_key;
use crate::workspace::object_acl::Groups;
use ironbrick_store::Store;

/// A flat compute object type.
#[derive(Debug)]
pub struct ComputeObjects {
    request_type: &'static str,
    object_type: &'static str,
    kind: ObjectKind,
    /// The tree its objects are stored in, keyed `{ws}{id}`.
    tree: &'static str,
    /// How a missing object is named (`Cluster policy`).
    noun: &'static str,
}

impl ComputeObjects {
    pub const CLUSTER_POLICIES: Self = Self {
        request_type: "cluster-policies",
        object_type: "cluster-policy",
        kind: ObjectKind::ClusterPolicy,
        tree: policies::TREE,
        noun: "Cluster policy",
    };

    pub const CLUSTERS: Self = Self {
        request_type: "clusters",
        object_type: "cluster",
        kind: ObjectKind::Cluster,
        tree: clusters::TREE,
        noun: "Cluster",
    };

    /// The effective ACL of object `id`, which the caller has found.
    pub fn acl(&self, store: &Store, ws: i64, id: &str) -> ApiResult<Acl> {
        self.acl_with(store, ws, id, Groups::of(store, ws)?.admins)
    }

    /// Like [`Self::acl`], with the workspace's `admins` group already looked up (for loops
    /// over many objects).
    pub fn acl_with(
        &self,
        store: &Store,
        ws: i64,
        id: &str,
        admins: Option<i64>,
    ) -> ApiResult<Acl> {
        let key = format!("{}/{id}", self.request_type);
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
        grants.extend(admins.map(|a| Grant {
            principal: a,
            level: self.kind.top(),
            inherited_from: None,
        }));
        Ok(Acl {
            kind: self.kind,
            name: key,
            grants,
        })
    }
}

impl Descriptor for ComputeObjects {
    fn request_type(&self) -> &'static str {
        self.request_type
    }

    fn kind(&self) -> ObjectKind {
        self.kind
    }

    fn resolve(&self, store: &Store, ws: i64, object_id: &str) -> ApiResult<Target> {
        let stored = store
            .kv()
            .get(self.tree, format!("{}{object_id}", ws_key(ws)).as_bytes())?;
        if stored.is_none() || object_id.is_empty() {
            return Err(ApiError::not_found(format!(
                "{} {object_id} does not exist.",
                self.noun
            )));
        }
        let acl = self.acl(store, ws, object_id)?;
        Ok(Target {
            object_id: format!("/{}/{object_id}", self.request_type),
            object_type: self.object_type,
            key: acl.name.clone(),
            acl,
            defaults: Vec::new(),
        })
    }
}
