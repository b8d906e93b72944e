//! The HTTP application: routes and layers.

use crate::error::ApiError;
use crate::state::AppState;
use crate::{account, audit, auth, client_ip, hosts, workspace};
use axum::extract::{DefaultBodyLimit, OriginalUri, State};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::get;
use axum::{Json, Router};
use ironbrick_api::account::HostMetadata;
use ironbrick_api::ErrorCode;
use std::collections::HashMap;
use tower::ServiceExt;
use tower_http::trace::TraceLayer;

/// Largest accepted request body.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The whole application over `state`. With a workspace domain, requests to workspace hosts
/// are rewritten to the path form before routing (see [`crate::hosts`]).
pub fn app(state: AppState) -> Router {
    let routes = path_routes(state.clone());
    if state.settings().workspace_domain.is_none() {
        return routes;
    }
    let by_host = routes.map_request(move |req| hosts::route(&state, req));
    Router::new().fallback_service(by_host)
}

fn path_routes(state: AppState) -> Router {
    let account_api =
        account::routes().route_layer(from_fn_with_state(state.clone(), auth::account));
    let workspace_api =
        workspace::routes().route_layer(from_fn_with_state(state.clone(), auth::workspace));
    let workspace_api_2_1 = crate::compute::routes_2_1()
        .route_layer(from_fn_with_state(state.clone(), auth::workspace));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .route("/.well-known/databricks-config", get(host_metadata))
        .route(
            "/w/{workspace_id}/.well-known/databricks-config",
            get(host_metadata),
        )
        .merge(crate::oauth::public_routes())
        .nest("/api/2.0/accounts/{account_id}", account_api)
        .nest("/w/{workspace_id}/api/2.0", workspace_api)
        .nest("/w/{workspace_id}/api/2.1", workspace_api_2_1)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn(hosts::refuse_unknown))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(from_fn_with_state(state.clone(), audit::record))
        .layer(from_fn_with_state(state.clone(), client_ip::resolve))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// `/.well-known/databricks-config`: `oidc_endpoint` is the OIDC root the SDKs discover the
/// token endpoint under (see [`crate::oauth::discovery`]).
async fn host_metadata(
    State(state): State<AppState>,
    axum::extract::Path(params): axum::extract::Path<HashMap<String, String>>,
) -> Result<Json<HostMetadata>, ApiError> {
    let workspace_id = params.get("workspace_id").cloned();
    let oidc_endpoint = match &workspace_id {
        Some(ws) => crate::oauth::discovery::workspace_root(&state, ws)?,
        None => crate::oauth::discovery::account_root(&state),
    };
    Ok(Json(HostMetadata {
        oidc_endpoint,
        account_id: Some(state.account_id().to_string()),
        workspace_id,
        cloud: "aws".into(),
    }))
}

async fn metrics(
    State(state): State<AppState>,
) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        state.vault().envelope().metrics().render(),
    )
}

async fn not_found(OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::new(
        ErrorCode::EndpointNotFound,
        format!("No API found for {}.", uri.path()),
    )
}

async fn method_not_allowed(OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("Method not allowed on {}.", uri.path()),
    )
}
