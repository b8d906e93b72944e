//! Credential configurations: the cross-account IAM role Databricks assumes.

use super::object::{AccountObject, Fresh};
use super::refs::Kind;
use crate::error::{ApiError, ApiResult};
use crate::model::CredentialRecord;
use crate::state::AppState;
use crate::validate;
use ironbrick_api::account::{CreateCredentialRequest, Credential, StsRole};

/// Credential configurations (`/credentials`).
#[derive(Debug)]
pub struct Credentials;

impl AccountObject for Credentials {
    type Wire = Credential;
    type Stored = CredentialRecord;
    type Create = CreateCredentialRequest;
    const KIND: Kind = Kind::Credentials;
    const SEGMENT: &'static str = "credentials";
    const ID: &'static str = "credentials_id";

    fn id(o: &Credential) -> &str {
        &o.credentials_id
    }

    fn make(_: &AppState, req: CreateCredentialRequest, fresh: Fresh) -> ApiResult<Credential> {
        let name = validate::required("credentials_name", &req.credentials_name)?.to_string();
        let role = req.aws_credentials.sts_role.unwrap_or_default();
        let role_arn = role
            .role_arn
            .ok_or_else(|| ApiError::invalid("aws_credentials.sts_role.role_arn is required."))?;
        validate::iam_role_arn("aws_credentials.sts_role.role_arn", &role_arn)?;
        let external_id = match role.external_id.filter(|e| !e.is_empty()) {
            Some(e) => {
                ironbrick_api::validate::sts_external_id(
                    "aws_credentials.sts_role.external_id",
                    &e,
                )
                .map_err(ApiError::invalid)?;
                e
            }
            None => fresh.account_id.clone(),
        };
        Ok(Credential {
            credentials_id: fresh.id,
            credentials_name: name,
            aws_credentials: ironbrick_api::account::AwsCredentials {
                sts_role: Some(StsRole {
                    role_arn: Some(role_arn),
                    external_id: Some(external_id),
                }),
            },
            account_id: fresh.account_id,
            creation_time: fresh.now,
        })
    }

    /// An enabled log delivery configuration using it.
    fn used_by(state: &AppState, id: &str) -> ApiResult<Option<String>> {
        super::log_delivery::used_by(state, Kind::Credentials, id)
    }
}
