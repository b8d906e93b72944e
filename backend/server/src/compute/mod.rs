//! Compute: cluster policies and the policy language, policy families, clusters and their
//! libraries, and the node-type and Spark-version catalogue.

pub mod catalog;
pub mod check;
pub mod clusters;
pub mod families;
pub mod libraries;
pub mod policies;
pub mod rules;

use crate::state::AppState;
use axum::routing::get;
use axum::{Json, Router};
use ironbrick_api::compute::{GetSparkVersionsResponse, ListNodeTypesResponse};

/// Routes of the compute APIs, relative to `/w/{workspace_id}/api/2.0`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(policies::routes())
        .merge(clusters::libraries::routes())
        .merge(cluster_routes())
}

/// The clusters API, which the SDKs call at `/api/2.1` (and older clients at `/api/2.0`).
pub fn routes_2_1() -> Router<AppState> {
    cluster_routes()
}

fn cluster_routes() -> Router<AppState> {
    clusters::routes()
        .route("/clusters/list-node-types", get(node_types))
        .route("/clusters/spark-versions", get(spark_versions))
}

async fn node_types() -> Json<ListNodeTypesResponse> {
    Json(ListNodeTypesResponse {
        node_types: catalog::node_types(),
    })
}

async fn spark_versions() -> Json<GetSparkVersionsResponse> {
    Json(GetSparkVersionsResponse {
        versions: catalog::spark_versions(),
    })
}
