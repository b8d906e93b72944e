//! Authorization: the one place that decides whether a principal may do something.
//!
//! Handlers describe what a request wants as an [`Action`] and ask [`decide`] (usually through
//! `WorkspaceCtx::allow`); nothing else in the server compares roles or permission levels.
//! Which workspace endpoints are admin-only is one table, [`gates::gate`], applied by the
//! workspace API's authentication layer before any handler runs; endpoints not in the table
//! are admin-only, so an endpoint added later is closed until someone opens it.
//!
//! The rules:
//! - account admins may use the account API and administer every workspace;
//! - workspace admins (assigned `ADMIN`, or in `admins`) administer their workspace and hold
//!   the strongest level on every object in it: no ACL change can take it from them;
//! - everyone else holds what the object's effective ACL grants to them or to a group they are
//!   in, and may change an object's ACL only with its strongest level (for the workspace-wide
//!   `authorization/*` objects, only admins may).

pub mod acl;
pub mod gates;
pub mod store;

pub use acl::{Acl, Grant, Level, ObjectKind};
pub use gates::{gate, Gate};

use crate::error::ApiError;
use crate::identity::Subject;

/// What a request wants to do.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    /// Use the account API.
    AccountApi,
    /// Use an admin-only feature of the workspace, named for the message.
    Administer(&'static str),
    /// Act on an object, which needs at least `level` on it.
    Access { acl: &'a Acl, level: Level },
    /// Read or change who may access an object.
    ManagePermissions { acl: &'a Acl },
    /// Create a cluster (or give one a new specification): under a policy, CAN_USE on the
    /// policy; without one, the `allow-cluster-create` entitlement (`entitled`).
    CreateCluster {
        entitled: bool,
        policy: Option<&'a Acl>,
    },
}

/// Why an action is refused; becomes 403 PERMISSION_DENIED. The message names the missing
/// permission and never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial(pub String);

impl From<Denial> for ApiError {
    fn from(d: Denial) -> Self {
        ApiError::forbidden(d.0)
    }
}

/// Allows `action` for `subject`, or says why not.
pub fn decide(subject: &Subject, action: &Action<'_>) -> Result<(), Denial> {
    match action {
        Action::AccountApi if subject.account_admin => Ok(()),
        Action::AccountApi => Err(Denial(format!(
            "{} is not an account admin; this API is only available to account admins.",
            subject.describe()
        ))),
        _ if subject.workspace_admin => Ok(()),
        Action::Administer(feature) => Err(Denial(format!(
            "Only workspace admins can use {feature}; {} is not one.",
            subject.describe()
        ))),
        Action::Access { acl, level } => access(subject, acl, *level),
        Action::ManagePermissions { acl } => match acl.kind {
            ObjectKind::Tokens | ObjectKind::Passwords => Err(Denial(format!(
                "Only workspace admins can manage the permissions of authorization/{}.",
                acl.kind.noun()
            ))),
            kind => access(subject, acl, kind.top()),
        },
        Action::CreateCluster {
            policy: Some(acl), ..
        } => access(subject, acl, Level::CanUse),
        Action::CreateCluster { entitled: true, .. } => Ok(()),
        Action::CreateCluster { .. } => Err(Denial(format!(
            "{} does not have the allow-cluster-create entitlement: name a cluster policy \
             (policy_id) it has CAN_USE permission on.",
            subject.describe()
        ))),
    }
}

fn access(subject: &Subject, acl: &Acl, needed: Level) -> Result<(), Denial> {
    let needed_rank = acl.kind.rank(needed).unwrap_or(usize::MAX);
    let held = acl.level_of(subject);
    if held
        .and_then(|l| acl.kind.rank(l))
        .is_some_and(|r| r >= needed_rank)
    {
        return Ok(());
    }
    Err(Denial(format!(
        "{} does not have {} permission on {} {}.",
        subject.describe(),
        needed.as_str(),
        acl.kind.noun(),
        acl.name
    )))
}

#[cfg(test)]
mod tests;
