//! Identity: account principals (users, service principals, groups), workspace-local groups,
//! group membership (nested), workspace assignments and entitlements.
//!
//! Principals live at the account. A workspace sees the principals assigned to it (directly or
//! through a group) plus its own local groups, among them the built-in `admins` and `users`.
//! `users` has every assigned principal as an implicit member; `admins` has its explicit
//! members plus every principal assigned `ADMIN`.
//!
//! Layout (every key is fixed-width so prefix scans are exact):
//! - [`trees::PRINCIPALS`] `{id}` → [`PrincipalRecord`] of account principals;
//! - [`trees::PRINCIPAL_NAMES`] `u/{userName lowercased}`, `s/{applicationId}`, `g/{displayName}` → id;
//! - [`trees::GROUP_MEMBERS`] `{group}/{member}` and [`trees::MEMBERSHIPS`] `{member}/{group}`;
//! - the same three for workspace-local groups under the workspace's key
//!   ([`trees::WS_GROUPS`], [`trees::WS_GROUP_NAMES`], [`trees::WS_GROUP_MEMBERS`],
//!   [`trees::WS_MEMBERSHIPS`]);
//! - [`trees::ASSIGNMENTS`] `{ws}{principal}` → [`AssignmentRecord`] and
//!   [`trees::PRINCIPAL_WORKSPACES`] `{principal}/{ws}` (its reverse);
//! - [`trees::ENTITLEMENTS`] `{ws}{principal}` → [`EntitlementsRecord`].
//!
//! Resolving who a caller is ([`subject::resolve`]) reads only the caller's own records and
//! the groups it belongs to, so its cost does not grow with the number of principals.

pub mod directory;
pub mod records;
pub mod seed;
pub mod subject;

pub use directory::Scope;
pub use records::{
    AssignmentRecord, EntitlementsRecord, Kind, PrincipalRecord, WorkspacePermission,
    ACCOUNT_ADMIN_ROLE,
};
pub use subject::Subject;

/// Tree names of the identity store.
pub mod trees {
    pub const PRINCIPALS: &str = "principals";
    pub const PRINCIPAL_NAMES: &str = "principal_names";
    pub const GROUP_MEMBERS: &str = "group_members";
    pub const MEMBERSHIPS: &str = "memberships";
    pub const WS_GROUPS: &str = "ws_groups";
    pub const WS_GROUP_NAMES: &str = "ws_group_names";
    pub const WS_GROUP_MEMBERS: &str = "ws_group_members";
    pub const WS_MEMBERSHIPS: &str = "ws_memberships";
    pub const ASSIGNMENTS: &str = "assignments";
    pub const PRINCIPAL_WORKSPACES: &str = "principal_workspaces";
    pub const ENTITLEMENTS: &str = "entitlements";
}

/// Name of the built-in group of a workspace's admins.
pub const ADMINS: &str = "admins";
/// Name of the built-in group of all of a workspace's users.
pub const USERS: &str = "users";
