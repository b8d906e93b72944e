//! Reading the audit log (an Ironbrick extension of the account API).

use crate::error::ApiResult;
use crate::model::AuditRecord;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

pub fn routes() -> Router<AppState> {
    Router::new().route("/audit-logs", get(read))
}

#[derive(Debug, Deserialize)]
struct Page {
    #[serde(default)]
    since: u64,
    limit: Option<usize>,
}

#[derive(Debug, Serialize)]
struct Entries {
    entries: Vec<AuditRecord>,
}

async fn read(State(state): State<AppState>, Query(page): Query<Page>) -> ApiResult<Json<Entries>> {
    let limit = page.limit.unwrap_or(1000).clamp(1, 10_000);
    Ok(Json(Entries {
        entries: state.audit().read(page.since, limit)?,
    }))
}
