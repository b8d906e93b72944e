//! Workspace settings: `GET /workspace-conf?keys=a,b` and `PATCH /workspace-conf`.

use crate::auth::WorkspaceCtx;
use crate::error::{ApiError, ApiResult};
use crate::json::Body;
use crate::model::ConfRecord;
use crate::policy::WorkspacePolicy;
use crate::repo::{self, trees, ws_key};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Extension, Json, Router};
use ironbrick_api::workspace_conf::{default_of, normalize_value, WorkspaceConf, KNOWN_KEYS};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/workspace-conf", get(fetch).patch(set))
}

#[derive(Debug, Deserialize)]
struct Keys {
    keys: Option<String>,
}

fn known(key: &str) -> ApiResult<&'static str> {
    KNOWN_KEYS.into_iter().find(|k| *k == key).ok_or_else(|| {
        ApiError::invalid(format!(
            "Invalid keys: [{key}]. Known keys are {KNOWN_KEYS:?}."
        ))
    })
}

async fn fetch(
    Extension(ctx): Extension<WorkspaceCtx>,
    Query(q): Query<Keys>,
) -> ApiResult<Json<WorkspaceConf>> {
    let requested = q.keys.unwrap_or_default();
    let mut out = BTreeMap::new();
    for key in requested
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        let key = known(key)?;
        let value = ctx
            .policy
            .conf
            .get(key)
            .cloned()
            .unwrap_or_else(|| default_of(key).to_string());
        out.insert(key.to_string(), value);
    }
    Ok(Json(out))
}

fn normalize(key: &str, value: &Value) -> ApiResult<String> {
    let text = match value {
        Value::String(s) => s.trim().to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
        _ => {
            return Err(ApiError::invalid(format!(
                "{key}: expected a string value."
            )))
        }
    };
    normalize_value(key, &text).map_err(ApiError::invalid)
}

async fn set(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(req): Body<BTreeMap<String, Value>>,
) -> ApiResult<StatusCode> {
    let _guard = state.policy_writes().await?;
    let current = state.policies().fresh(state.store(), ctx.id())?;
    let mut conf = current.conf.clone();
    for (key, value) in &req {
        let key = known(key)?;
        conf.insert(key.to_string(), normalize(key, value)?);
    }
    let next = WorkspacePolicy::compile(conf.clone(), current.lists);
    if !next.permits(ctx.client_ip) {
        return Err(ApiError::invalid(format!(
            "Your current IP {} would not be allowed to access the workspace under this configuration; add it to an allow list first.",
            ctx.client_ip
        )));
    }
    let record = ConfRecord(conf);
    let key = ws_key(ctx.id());
    state.store().transact(|tx| {
        repo::tx_put(tx, trees::WORKSPACE_CONF, &key, &record).map_err(ApiError::from)
    })?;
    state.policies().invalidate(ctx.id());
    state.flush().await?;
    Ok(StatusCode::NO_CONTENT)
}
