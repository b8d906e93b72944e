//! OAuth for service principals: secret management bodies, the token endpoint's answers and
//! the discovery documents.
//!
//! Secret times are RFC 3339 UTC strings (`2025-01-31T12:00:00Z`), as the SDK's `SecretInfo`
//! says; lifetimes are protobuf durations in seconds (`"3600s"`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A freshly created OAuth secret value. Shown once; Debug is redacted.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretValue(pub String);

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(***)")
    }
}

/// `POST .../servicePrincipals/{id}/credentials/secrets`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateServicePrincipalSecretRequest {
    /// Lifetime in seconds, as a duration string (`"3600s"`; a bare number is accepted too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<String>,
    /// OAuth scopes bound to the secret; only `all-apis` (or none) is supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
}

/// Metadata of a secret, as listed (never its value).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretInfo {
    pub id: String,
    /// Hex SHA-256 of the secret value, so a holder can tell which secret they have.
    pub secret_hash: String,
    /// `ACTIVE`, or `EXPIRED` once past `expire_time`.
    pub status: String,
    pub create_time: String,
    pub update_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_time: Option<String>,
}

/// Answer of the create call: the metadata and, this once, the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateServicePrincipalSecretResponse {
    #[serde(flatten)]
    pub info: SecretInfo,
    pub secret: SecretValue,
}

/// Answer of the list call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListServicePrincipalSecretsResponse {
    #[serde(default)]
    pub secrets: Vec<SecretInfo>,
}

/// A successful token endpoint answer (RFC 6749 §5.1).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub scope: String,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"***")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish()
    }
}

/// A token endpoint error (RFC 6749 §5.2): `invalid_request`, `invalid_client`,
/// `invalid_grant`, `unauthorized_client`, `unsupported_grant_type` or `invalid_scope`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthErrorBody {
    pub error: String,
    pub error_description: String,
}

/// `/.well-known/oauth-authorization-server` (RFC 8414), the fields the SDKs read and a few
/// more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationServerMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub grant_types_supported: Vec<String>,
    pub scopes_supported: Vec<String>,
    pub token_endpoint_auth_methods_supported: Vec<String>,
    pub response_types_supported: Vec<String>,
}
