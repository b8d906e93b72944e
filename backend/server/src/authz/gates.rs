//! The workspace API's gate table: which endpoints only workspace admins may call.
//!
//! The authentication layer looks every request up here by method and route template (the
//! part after `/api/2.0`). `Member` endpoints are open to every principal of the workspace and
//! decide per object in the handler; everything else, including any route missing from the
//! table, is admin-only.

use axum::http::Method;

/// Who may reach an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Every principal of the workspace; the handler checks the object.
    Member,
    /// Workspace admins only; the name of the feature is used in the refusal.
    Admin(&'static str),
}

const SCIM_READS: [&str; 6] = [
    "/preview/scim/v2/Users",
    "/preview/scim/v2/Users/{id}",
    "/preview/scim/v2/Groups",
    "/preview/scim/v2/Groups/{id}",
    "/preview/scim/v2/ServicePrincipals",
    "/preview/scim/v2/ServicePrincipals/{id}",
];

/// Endpoints every member may call (with any method unless listed in [`MEMBER_GETS`]).
const MEMBER_ROUTES: [&str; 20] = [
    "/preview/scim/v2/Me",
    "/token/create",
    "/token/list",
    "/token/delete",
    "/workspace/import",
    "/workspace/export",
    "/workspace/list",
    "/workspace/get-status",
    "/workspace/delete",
    "/workspace/mkdirs",
    "/secrets/scopes/create",
    "/secrets/scopes/list",
    "/secrets/scopes/delete",
    "/secrets/put",
    "/secrets/list",
    "/secrets/delete",
    "/secrets/get",
    "/secrets/acls/put",
    "/secrets/acls/get",
    "/secrets/acls/list",
];

/// Member endpoints not covered by [`MEMBER_ROUTES`]: permissions, secret ACL deletion.
const MEMBER_PREFIXES: [&str; 5] = [
    "/permissions/",
    "/secrets/acls/delete",
    "/policy-families",
    "/clusters/list-node-types",
    "/clusters/spark-versions",
];

/// The clusters and libraries APIs: every member may call them; the handler decides per
/// cluster (its ACL) and per policy (CAN_USE, or the `allow-cluster-create` entitlement).
/// Pinning stays with admins.
const CLUSTER_ROUTES: [&str; 14] = [
    "/clusters/create",
    "/clusters/edit",
    "/clusters/get",
    "/clusters/list",
    "/clusters/delete",
    "/clusters/permanent-delete",
    "/clusters/start",
    "/clusters/restart",
    "/clusters/resize",
    "/clusters/events",
    "/libraries/install",
    "/libraries/uninstall",
    "/libraries/cluster-status",
    "/libraries/all-cluster-statuses",
];

/// Read-only member endpoints: cluster policies are readable by every member (who may use
/// which is the Permissions API's `cluster-policies` CAN_USE).
const MEMBER_GETS: [&str; 2] = ["/policies/clusters/get", "/policies/clusters/list"];

/// The gate of `method` on `route` (a template relative to `/api/2.0`).
pub fn gate(method: &Method, route: &str) -> Gate {
    if MEMBER_ROUTES.contains(&route)
        || CLUSTER_ROUTES.contains(&route)
        || MEMBER_PREFIXES.iter().any(|p| route.starts_with(p))
    {
        return Gate::Member;
    }
    if MEMBER_GETS.contains(&route) && method == Method::GET {
        return Gate::Member;
    }
    if SCIM_READS.contains(&route) {
        return if method == Method::GET {
            Gate::Member
        } else {
            Gate::Admin(
                "SCIM writes (creating, changing or deleting users, groups and service principals)",
            )
        };
    }
    Gate::Admin(feature(route))
}

fn feature(route: &str) -> &'static str {
    if route.starts_with("/workspace-conf") {
        "workspace settings (workspace-conf)"
    } else if route.starts_with("/ip-access-lists") {
        "IP access lists"
    } else if route.starts_with("/policies/clusters") {
        "cluster policies"
    } else if route.starts_with("/clusters/pin") || route.starts_with("/clusters/unpin") {
        "pinning clusters"
    } else if route.starts_with("/token-management") {
        "token management"
    } else {
        "this API"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_features_are_closed_and_user_features_open() {
        assert_eq!(gate(&Method::GET, "/token/list"), Gate::Member);
        assert_eq!(
            gate(&Method::GET, "/permissions/notebooks/{id}"),
            Gate::Member
        );
        assert_eq!(gate(&Method::GET, "/preview/scim/v2/Users"), Gate::Member);
        assert!(matches!(
            gate(&Method::POST, "/preview/scim/v2/Users"),
            Gate::Admin(_)
        ));
        assert!(matches!(
            gate(&Method::PATCH, "/workspace-conf"),
            Gate::Admin(_)
        ));
        assert!(matches!(
            gate(&Method::GET, "/ip-access-lists"),
            Gate::Admin(_)
        ));
        assert!(matches!(
            gate(&Method::GET, "/token-management/tokens"),
            Gate::Admin("token management")
        ));
    }

    #[test]
    fn cluster_policies_are_readable_by_members_and_written_by_admins() {
        assert_eq!(gate(&Method::GET, "/policies/clusters/get"), Gate::Member);
        assert_eq!(
            gate(&Method::GET, "/policy-families/{policy_family_id}"),
            Gate::Member
        );
        assert_eq!(gate(&Method::GET, "/clusters/spark-versions"), Gate::Member);
        assert_eq!(gate(&Method::POST, "/clusters/create"), Gate::Member);
        assert_eq!(gate(&Method::POST, "/libraries/install"), Gate::Member);
        assert_eq!(
            gate(&Method::POST, "/clusters/pin"),
            Gate::Admin("pinning clusters")
        );
        assert_eq!(
            gate(&Method::POST, "/policies/clusters/create"),
            Gate::Admin("cluster policies")
        );
    }

    #[test]
    fn unknown_routes_are_admin_only() {
        assert!(matches!(
            gate(&Method::GET, "/jobs/list"),
            Gate::Admin("this API")
        ));
    }
}
