//! The object types the Permissions API serves: the workspace's token and password
//! permissions, notebooks and directories.

use super::{Descriptor, Target};
use crate::authz::store::{self as acl_store, StoredGrant};
use crate::authz::{Acl, Grant, Level, ObjectKind};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::workspace::object_acl::{self, Groups};
use crate::workspace::objects;
use ironbrick_store::Store;

/// Every served type; a new type is one more entry.
pub static DESCRIPTORS: &[&dyn Descriptor] = &[
    &Authorization,
    &WorkspaceObjects::NOTEBOOKS,
    &WorkspaceObjects::DIRECTORIES,
    &super::compute::ComputeObjects::CLUSTER_POLICIES,
    &super::compute::ComputeObjects::CLUSTERS,
];

fn direct(grants: &[StoredGrant]) -> impl Iterator<Item = Grant> + '_ {
    grants.iter().map(|g| Grant {
        principal: g.principal,
        level: g.level,
        inherited_from: None,
    })
}

/// The workspace-wide `authorization/*` objects:
/// - `authorization/tokens`: who may create and use personal access tokens. Until it is
///   first set, every member (`users`) holds CAN_USE; `admins` always hold CAN_MANAGE.
/// - `authorization/passwords`: who may sign in with a password (HTTP Basic). Until it is
///   first set, every member (`users`) holds CAN_USE; `admins` always hold it. Enforced at
///   admission from the cached policy (`passwords_acl`).
#[derive(Debug)]
pub struct Authorization;

impl Descriptor for Authorization {
    fn request_type(&self) -> &'static str {
        "authorization"
    }

    fn kind(&self) -> ObjectKind {
        ObjectKind::Tokens
    }

    fn resolve(&self, store: &Store, ws: i64, object_id: &str) -> ApiResult<Target> {
        let (kind, key, object_type) = match object_id {
            "tokens" => (ObjectKind::Tokens, acl_store::TOKENS, "tokens"),
            "passwords" => (ObjectKind::Passwords, acl_store::PASSWORDS, "passwords"),
            other => {
                return Err(ApiError::not_found(format!(
                    "authorization/{other} does not exist; use authorization/tokens or authorization/passwords."
                )))
            }
        };
        let groups = Groups::of(store, ws)?;
        let defaults: Vec<StoredGrant> = groups
            .users
            .map(|u| StoredGrant {
                principal: u,
                level: Level::CanUse,
            })
            .into_iter()
            .collect();
        let stored = acl_store::get(store, ws, key)?.map(|r| r.grants);
        let mut grants: Vec<Grant> = direct(stored.as_deref().unwrap_or(&defaults)).collect();
        grants.extend(groups.admins.map(|a| Grant {
            principal: a,
            level: kind.top(),
            inherited_from: None,
        }));
        Ok(Target {
            key: key.to_string(),
            object_id: format!("/{key}"),
            object_type,
            acl: Acl {
                kind,
                name: key.to_string(),
                grants,
            },
            defaults,
        })
    }

    fn changed(&self, state: &AppState, ws: i64) {
        state.policies().invalidate(ws);
    }
}

/// Notebooks or directories, named by object id; their ACLs inherit down the folder tree
/// (see [`object_acl`]).
#[derive(Debug)]
pub struct WorkspaceObjects {
    request_type: &'static str,
    kind: ObjectKind,
    object_type: &'static str,
    /// `object_type` of the stored workspace object.
    stored_type: &'static str,
}

impl WorkspaceObjects {
    pub const NOTEBOOKS: Self = Self {
        request_type: "notebooks",
        kind: ObjectKind::Notebook,
        object_type: "notebook",
        stored_type: "NOTEBOOK",
    };
    pub const DIRECTORIES: Self = Self {
        request_type: "directories",
        kind: ObjectKind::Directory,
        object_type: "directory",
        stored_type: "DIRECTORY",
    };
}

impl Descriptor for WorkspaceObjects {
    fn request_type(&self) -> &'static str {
        self.request_type
    }

    fn kind(&self) -> ObjectKind {
        self.kind
    }

    fn resolve(&self, store: &Store, ws: i64, object_id: &str) -> ApiResult<Target> {
        let missing = || {
            ApiError::not_found(format!(
                "{} {object_id} does not exist.",
                capitalized(self.object_type)
            ))
        };
        let id: i64 = object_id.parse().map_err(|_| missing())?;
        let (path, record) = objects::by_id(store, ws, id)?
            .filter(|(_, r)| r.object_type == self.stored_type)
            .ok_or_else(missing)?;
        Ok(Target {
            key: object_acl::object_key(&record),
            object_id: format!("/{}/{id}", self.request_type),
            object_type: self.object_type,
            acl: object_acl::effective(store, ws, &path, &record)?,
            defaults: Vec::new(),
        })
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
