//! The Permissions API: `/api/2.0/permissions/{object_type}/{object_id}`.
//!
//! Each object type it serves is one [`Descriptor`] in [`objects::DESCRIPTORS`]: it names the
//! type's URL segment and ACL kind, and resolves an object id to a [`Target`] (its effective
//! ACL, its direct grants and how answers name it). Everything else is shared: requests are
//! checked and turned into stored grants by [`edit`], answers are rendered by [`render`], and
//! the decision whether the caller may read or change the ACL is [`crate::authz::decide`]'s.
//! Cluster policies and clusters are [`compute::ComputeObjects`].

pub mod compute;
pub mod edit;
pub mod objects;
pub mod render;

use crate::authz::store::StoredGrant;
use crate::authz::{Acl, ObjectKind};
use crate::error::ApiResult;
use crate::state::AppState;
use ironbrick_store::Store;

/// An object of the Permissions API, resolved.
#[derive(Debug, Clone)]
pub struct Target {
    /// Where its direct grants are stored ([`crate::authz::store`] key, `notebooks/123`).
    pub key: String,
    /// `object_id` of answers (`/notebooks/123`, `/authorization/tokens`).
    pub object_id: String,
    /// `object_type` of answers (`notebook`, `tokens`).
    pub object_type: &'static str,
    /// The effective ACL: direct grants, inherited ones and the defaults (admins included).
    pub acl: Acl,
    /// The direct grants the object has while none were ever stored.
    pub defaults: Vec<StoredGrant>,
}

/// One object type served by the Permissions API.
pub trait Descriptor: Sync {
    /// The `{object_type}` URL segment (`notebooks`, `authorization`).
    fn request_type(&self) -> &'static str;
    /// The ACL kind (its levels and their order); a descriptor serving several kinds
    /// (`authorization`) names its first, and each [`Target`]'s ACL names its own.
    fn kind(&self) -> ObjectKind;
    /// Resolves `{object_id}` in workspace `ws`: RESOURCE_DOES_NOT_EXIST when there is no such
    /// object.
    fn resolve(&self, store: &Store, ws: i64, object_id: &str) -> ApiResult<Target>;
    /// Runs after the object's direct grants changed (to drop cached policies).
    fn changed(&self, _state: &AppState, _ws: i64) {}
}

/// The descriptor serving `object_type`.
pub fn descriptor(object_type: &str) -> Option<&'static dyn Descriptor> {
    objects::DESCRIPTORS
        .iter()
        .copied()
        .find(|d| d.request_type() == object_type)
}

/// The object types served, for messages (`authorization/tokens, notebooks, directories`).
pub fn served() -> String {
    objects::DESCRIPTORS
        .iter()
        .map(|d| match d.kind() {
            ObjectKind::Tokens => "authorization/tokens, authorization/passwords",
            _ => d.request_type(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
