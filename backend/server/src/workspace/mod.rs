//! The workspace API: `{workspace_url}/api/2.0/...` with `workspace_url = {host}/w/{id}`.

mod conf;
mod ip_access_lists;
mod me;
pub(crate) mod object_acl;
pub mod objects;
pub mod paths;
mod permissions;
mod secret_acls;
mod secrets;
mod token_management;
mod tokens;

use crate::state::AppState;
use axum::Router;

/// Routes of the workspace API, relative to `/w/{workspace_id}/api/2.0`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(me::routes())
        .merge(tokens::routes())
        .merge(token_management::routes())
        .merge(conf::routes())
        .merge(ip_access_lists::routes())
        .merge(objects::routes())
        .merge(secrets::routes())
        .merge(permissions::routes())
        .merge(crate::compute::routes())
        .merge(crate::oauth::manage::workspace_routes())
        .merge(crate::scim::routes("/preview/scim/v2"))
}
