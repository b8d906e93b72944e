//! Stored identity records: principals, workspace assignments and entitlements.

use ironbrick_store::record::Record;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What a principal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    User,
    ServicePrincipal,
    Group,
}

impl Kind {
    /// The word used in messages ("user", "service principal", "group").
    pub fn noun(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::ServicePrincipal => "service principal",
            Self::Group => "group",
        }
    }
}

/// A user's structured name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
}

/// A stored e-mail address of a user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailRecord {
    pub value: String,
    pub kind: Option<String>,
    pub primary: bool,
}

/// A user, service principal or group.
///
/// Account principals live in [`super::trees::PRINCIPALS`]; workspace-local groups (the
/// built-in `admins` and `users`, and groups created through a workspace's SCIM API) live in
/// [`super::trees::WS_GROUPS`] and have `workspace = Some(id)`. Group members are not stored
/// here but in the membership indexes, so adding a member never rewrites a large record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipalRecord {
    pub id: i64,
    pub kind: Kind,
    /// The unique name: `userName` of a user, `applicationId` of a service principal,
    /// `displayName` of a group.
    pub name: String,
    pub display_name: String,
    pub active: bool,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub person: Option<PersonName>,
    #[serde(default)]
    pub emails: Vec<EmailRecord>,
    /// Account roles, such as `account_admin`.
    #[serde(default)]
    pub roles: BTreeSet<String>,
    /// The workspace of a workspace-local group.
    #[serde(default)]
    pub workspace: Option<i64>,
    pub created: i64,
}

impl Record for PrincipalRecord {}

/// The account role that makes a principal an account admin.
pub const ACCOUNT_ADMIN_ROLE: &str = "account_admin";

impl PrincipalRecord {
    /// Whether this principal holds the account admin role.
    pub fn is_account_admin(&self) -> bool {
        self.roles.contains(ACCOUNT_ADMIN_ROLE)
    }

    /// The lightweight reference kept in tokens and audit entries.
    pub fn reference(&self) -> crate::model::Principal {
        crate::model::Principal {
            id: self.id,
            name: self.name.clone(),
            kind: match self.kind {
                Kind::ServicePrincipal => crate::model::PrincipalKind::ServicePrincipal,
                _ => crate::model::PrincipalKind::User,
            },
            admin: self.is_account_admin(),
        }
    }
}

/// A workspace permission of an assigned principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkspacePermission {
    User,
    Admin,
}

impl WorkspacePermission {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "USER",
            Self::Admin => "ADMIN",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "USER" => Some(Self::User),
            "ADMIN" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// The assignment of an account principal to a workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentRecord {
    pub permissions: BTreeSet<WorkspacePermission>,
}

impl Record for AssignmentRecord {}

/// The entitlements of a principal in one workspace (`workspace-access`,
/// `allow-cluster-create`, `databricks-sql-access`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntitlementsRecord(pub BTreeSet<String>);

impl Record for EntitlementsRecord {}

/// Entitlements the API accepts.
pub const ENTITLEMENTS: [&str; 4] = [
    "workspace-access",
    "allow-cluster-create",
    "databricks-sql-access",
    "allow-instance-pool-create",
];
