//! Personal access tokens and token management bodies.
//!
//! Times are milliseconds since the Unix epoch; `expiry_time` is `-1` for a token that
//! never expires.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A freshly minted token value (`dapi` + 32 hex digits). Shown once; Debug is redacted.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TokenValue(pub String);

impl fmt::Debug for TokenValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenValue(***)")
    }
}

/// `POST /api/2.0/token/create`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateTokenRequest {
    /// Lifetime in seconds; absent or non-positive means the default (two years), bounded
    /// by the workspace's `maxTokenLifetimeDays`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// Public metadata of a token, as answered by `token/list` and `token/create`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicTokenInfo {
    pub token_id: String,
    pub creation_time: i64,
    pub expiry_time: i64,
    #[serde(default)]
    pub comment: String,
}

/// Answer of `token/create` and of the on-behalf-of create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateTokenResponse {
    pub token_value: TokenValue,
    pub token_info: PublicTokenInfo,
}

/// Answer of `GET /api/2.0/token/list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListTokensResponse {
    #[serde(default)]
    pub token_infos: Vec<PublicTokenInfo>,
}

/// `POST /api/2.0/token/delete`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeTokenRequest {
    pub token_id: String,
}

/// A token as seen by token management (admins).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub token_id: String,
    pub creation_time: i64,
    pub expiry_time: i64,
    #[serde(default)]
    pub comment: String,
    pub created_by_id: i64,
    pub created_by_username: String,
    pub owner_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<i64>,
}

/// Answer of `GET /api/2.0/token-management/tokens`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListTokenInfosResponse {
    #[serde(default)]
    pub token_infos: Vec<TokenInfo>,
}

/// Answer of `GET /api/2.0/token-management/tokens/{token_id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetTokenResponse {
    pub token_info: TokenInfo,
}

/// `POST /api/2.0/token-management/on-behalf-of/tokens`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateOboTokenRequest {
    /// The service principal's application id.
    pub application_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// Answer of the on-behalf-of create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateOboTokenResponse {
    pub token_value: TokenValue,
    pub token_info: TokenInfo,
}
