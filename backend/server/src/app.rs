//! The HTTP application: routes and layers.

use crate::error::ApiError;
use crate::state::AppState;
use crate::{account, audit, auth, client_ip, hosts, limits, workspace};
use axum::extract::{DefaultBodyLimit, OriginalUri, State};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::get;
use axum::{Json, Router};
use ironbrick_api::account::HostMetadata;
use ironbrick_api::ErrorCode;
use std::collections::HashMap;
use tower::ServiceExt;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

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
    let max_body = state.limits().max_body_bytes;
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
        .layer(RequestBodyLimitLayer::new(max_body))
        .layer(from_fn(databricks_errors))
        .layer(from_fn_with_state(state.clone(), limits::header_size))
        .layer(from_fn(hosts::refuse_unknown))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(from_fn_with_state(state.clone(), audit::record))
        // Outside the audit layer: refusals of a flooding address are counted, not audited
        // (a store write per refused request would amplify the flood).
        .layer(from_fn_with_state(state.clone(), limits::by_client_ip))
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
        format!(
            "{}{}{}",
            state.vault().envelope().metrics().render(),
            state.vault().render_metrics(),
            state.limiters().render()
        ),
    )
}

/// Answers every error in the Databricks shape (`error_code`, `message`). Handlers and this
/// crate's extractors already do; this catches the rejections axum's own extractors answer in
/// plain text, such as a path segment that is not a number or a query string that does not
/// parse (found by the HTTP fuzzer, tests/sdk/test_http_fuzz.py). The status and the other
/// headers are kept; the text becomes the message.
async fn databricks_errors(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
    let resp = next.run(req).await;
    let status = resp.status();
    let json = resp
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let code = match status.as_u16() {
        401 => ErrorCode::Unauthenticated,
        403 => ErrorCode::PermissionDenied,
        404 => ErrorCode::EndpointNotFound,
        405 => ErrorCode::MethodNotAllowed,
        413 | 429 | 431 => ErrorCode::RequestLimitExceeded,
        503 => ErrorCode::TemporarilyUnavailable,
        s if s >= 500 => ErrorCode::InternalError,
        _ => ErrorCode::InvalidParameterValue,
    };
    let (mut parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let text: String = String::from_utf8_lossy(&text).chars().take(1000).collect();
    let message = match text.trim() {
        "" => status.canonical_reason().unwrap_or("Error").to_string(),
        t => t.to_string(),
    };
    let body = serde_json::to_vec(&ironbrick_api::ErrorBody {
        error_code: code.as_str().to_string(),
        message,
    })
    .unwrap_or_default();
    parts.headers.insert(
        CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(CONTENT_LENGTH);
    axum::response::Response::from_parts(parts, axum::body::Body::from(body))
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
