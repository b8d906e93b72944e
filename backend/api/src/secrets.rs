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

wire_enum! {
    /// A secret ACL permission, ordered `READ < WRITE < MANAGE` (each implies the lower ones).
    pub enum AclPermission("permission") {
        Read = "READ",
        Write = "WRITE",
        Manage = "MANAGE",
    }
}

/// A grant on a secret scope: entry of `GET /secrets/acls/list`, answer of `/acls/get`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclItem {
    /// A user name, group name or service principal application id.
    pub principal: String,
    pub permission: AclPermission,
}

/// `POST /secrets/acls/put`: grant or change a principal's permission on a scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutAclRequest {
    pub scope: String,
    pub principal: String,
    pub permission: AclPermission,
}

/// `POST /secrets/acls/delete`: remove a principal's grant on a scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteAclRequest {
    pub scope: String,
    pub principal: String,
}

/// Query of `GET /secrets/acls/get?scope=...&principal=...`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetAclQuery {
    pub scope: String,
    pub principal: String,
}

/// Query of `GET /secrets/acls/list?scope=...`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListAclsQuery {
    pub scope: String,
}

/// Answer of `GET /secrets/acls/list?scope=...`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListAclsResponse {
    #[serde(default)]
    pub items: Vec<AclItem>,
}

#[cfg(test)]
mod acl_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn acl_bodies_as_the_sdk_sends_them() {
        let put = json!({"permission": "WRITE", "principal": "data-eng", "scope": "s1"});
        let req: PutAclRequest = serde_json::from_value(put.clone()).expect("put");
        assert_eq!(req.permission, AclPermission::Write);
        assert_eq!(serde_json::to_value(&req).expect("write"), put);
        let del: DeleteAclRequest =
            serde_json::from_value(json!({"principal": "data-eng", "scope": "s1"})).expect("del");
        assert_eq!(
            (del.scope.as_str(), del.principal.as_str()),
            ("s1", "data-eng")
        );
        let q: GetAclQuery =
            serde_json::from_value(json!({"scope": "s1", "principal": "users"})).expect("get");
        assert_eq!(q.principal, "users");
    }

    #[test]
    fn list_answer_uses_the_keys_from_dict_reads() {
        let answer = ListAclsResponse {
            items: vec![AclItem {
                principal: "users".into(),
                permission: AclPermission::Read,
            }],
        };
        let v = serde_json::to_value(&answer).expect("write");
        assert_eq!(
            v,
            json!({"items": [{"principal": "users", "permission": "READ"}]})
        );
        assert_eq!(
            serde_json::from_value::<ListAclsResponse>(v).expect("parse"),
            answer
        );
    }

    #[test]
    fn permissions_are_ordered_and_strict() {
        assert!(AclPermission::Read < AclPermission::Write);
        assert!(AclPermission::Write < AclPermission::Manage);
        assert_eq!("MANAGE".parse::<AclPermission>(), Ok(AclPermission::Manage));
        let err = serde_json::from_value::<AclItem>(json!({"principal": "u", "permission": "OWN"}))
            .expect_err("unknown");
        assert!(err
            .to_string()
            .contains("invalid permission `OWN`; expected one of READ, WRITE, MANAGE"));
    }
}
