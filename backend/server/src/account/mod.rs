//! The account API: `/api/2.0/accounts/{account_id}/...` (the SCIM API under `/scim/v2` is
//! in [`crate::scim`]).

mod assignments;
mod audit_log;
mod credentials;
mod deployments;
mod keys;
pub mod log_delivery;
mod networks;
pub mod object;
mod private_access;
mod refs;
mod storage;
mod vpc_endpoints;
mod workspaces;

pub use deployments::{
    backfill_deployment_names, deployment_workspace, legacy_deployment_name, DEPLOYMENTS,
};

use crate::state::AppState;
use axum::Router;

/// Routes of the account API, relative to `/api/2.0/accounts/{account_id}`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(object::routes::<credentials::Credentials>())
        .merge(object::routes::<storage::Storage>())
        .merge(object::routes::<networks::Networks>())
        .merge(object::routes::<keys::Keys>())
        .merge(object::routes::<vpc_endpoints::VpcEndpoints>())
        .merge(private_access::routes())
        .merge(log_delivery::routes())
        .merge(workspaces::routes())
        .merge(audit_log::routes())
        .merge(assignments::routes())
        .merge(crate::oauth::manage::account_routes())
        .merge(crate::scim::routes("/scim/v2"))
}
