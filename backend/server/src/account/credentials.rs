//! Credential configurations.

use super::refs::{self, Kind};
use crate::error::{ApiError, ApiResult};
use crate::json::Body;
use crate::model::CredentialRecord;
use crate::repo::{self, trees};
use crate::state::AppState;
use crate::time::now_ms;
use crate::validate;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use ironbrick_api::account::{CreateCredentialRequest, Credential, StsRole};
use ironbrick_api::Empty;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/credentials", get(list).post(create))
        .route("/credentials/{credentials_id}", get(fetch).delete(delete))
}

async fn create(
    State(state): State<AppState>,
    Body(req): Body<CreateCredentialRequest>,
) -> ApiResult<Json<Credential>> {
    let name = validate::required("credentials_name", &req.credentials_name)?.to_string();
    let role = req.aws_credentials.sts_role.unwrap_or_default();
    let role_arn = role
        .role_arn
        .ok_or_else(|| ApiError::invalid("aws_credentials.sts_role.role_arn is required."))?;
    validate::iam_role_arn("aws_credentials.sts_role.role_arn", &role_arn)?;
    let external_id = match role.external_id.filter(|e| !e.is_empty()) {
        Some(e) => {
            ironbrick_api::validate::sts_external_id("aws_credentials.sts_role.external_id", &e)
                .map_err(ApiError::invalid)?;
            e
        }
        None => state.account_id().to_string(),
    };
    let cred = Credential {
        credentials_id: crate::ids::uuid(),
        credentials_name: name,
        aws_credentials: ironbrick_api::account::AwsCredentials {
            sts_role: Some(StsRole {
                role_arn: Some(role_arn),
                external_id: Some(external_id),
            }),
        },
        account_id: state.account_id().to_string(),
        creation_time: now_ms(),
    };
    let record = CredentialRecord(cred.clone());
    state.store().transact(|tx| {
        repo::tx_put(tx, trees::CREDENTIALS, &cred.credentials_id, &record).map_err(ApiError::from)
    })?;
    state.flush().await?;
    Ok(Json(cred))
}

async fn list(State(state): State<AppState>) -> ApiResult<Json<Vec<Credential>>> {
    let all = repo::scan::<CredentialRecord>(state.store(), trees::CREDENTIALS, "")?;
    Ok(Json(all.into_iter().map(|r| r.0).collect()))
}

async fn fetch(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<Credential>> {
    repo::get::<CredentialRecord>(state.store(), trees::CREDENTIALS, &id)?
        .map(|r| Json(r.0))
        .ok_or_else(|| {
            ApiError::not_found(format!("Credential configuration {id} does not exist."))
        })
}

async fn delete(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<Empty>> {
    state
        .store()
        .transact(|tx| refs::delete_unused(tx, Kind::Credentials, &id))?;
    state.flush().await?;
    Ok(Json(Empty {}))
}
