//! Secret scopes and secrets: `/api/2.0/secrets/...`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// `POST /secrets/scopes/create`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateScopeRequest {
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_manage_principal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_backend_type: Option<String>,
}

/// A secret scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretScope {
    pub name: String,
    pub backend_type: String,
}

/// Answer of `GET /secrets/scopes/list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListScopesResponse {
    #[serde(default)]
    pub scopes: Vec<SecretScope>,
}

/// `POST /secrets/scopes/delete`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteScopeRequest {
    pub scope: String,
}

/// `POST /secrets/put`. Exactly one of `string_value` and `bytes_value` (base64). Debug is
/// redacted.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutSecretRequest {
    pub scope: String,
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_value: Option<String>,
}

impl fmt::Debug for PutSecretRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PutSecretRequest")
            .field("scope", &self.scope)
            .field("key", &self.key)
            .field("value", &"***")
            .finish()
    }
}

/// Metadata of a secret; its value is never listed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretMetadata {
    pub key: String,
    pub last_updated_timestamp: i64,
}

/// Answer of `GET /secrets/list?scope=...`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListSecretsResponse {
    #[serde(default)]
    pub secrets: Vec<SecretMetadata>,
}

/// `POST /secrets/delete`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteSecretRequest {
    pub scope: String,
    pub key: String,
}

/// Answer of `GET /secrets/get?scope=...&key=...`: the value, base64. Debug is redacted.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetSecretResponse {
    pub key: String,
    pub value: String,
}

impl fmt::Debug for GetSecretResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetSecretResponse")
            .field("key", &self.key)
            .field("value", &"***")
            .finish()
    }
}
