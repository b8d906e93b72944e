//! The account API: `/api/2.0/accounts/{account_id}/...` (the SCIM API under `/scim/v2` is
//! in [`crate::scim`]).

mod assignments;
mod audit_log;
mod credentials;
mod deployments;
mod keys;
mod networks;
mod refs;
mod storage;
mod workspaces;

pub use deployments::{
    backfill_deployment_names, deployment_workspace, legacy_deployment_name, DEPLOYMENTS,
};

use crate::state::AppState;
use axum::Router;

/// Routes of the account API, relative to `/api/2.0/accounts/{account_id}`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(credentials::routes())
        .merge(storage::routes())
        .merge(networks::routes())
        .merge(keys::routes())
        .merge(workspaces::routes())
        .merge(audit_log::routes())
        .merge(assignments::routes())
        .merge(crate::oauth::manage::account_routes())
        .merge(crate::scim::routes("/scim/v2"))
}
