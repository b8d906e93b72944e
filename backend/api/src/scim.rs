//! SCIM 2.0 identity bodies: users, groups and service principals.
//!
//! Workspace level under `/api/2.0/preview/scim/v2/{Users,Groups,ServicePrincipals}` (and
//! `/Me`), account level under `/api/2.0/accounts/{account_id}/scim/v2/...`; both use the
//! same bodies. Keys are camelCase as in SCIM; the list answer's `Resources` and the patch
//! body's `Operations` are capitalised. The same type is the create/replace body (`POST`,
//! `PUT`) and the answer: server-assigned fields (`id`) are simply absent in requests.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Schema URN of a user.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// Schema URN of the workspace extension of a user (sent by the SDK, accepted and ignored).
pub const USER_WORKSPACE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:workspace:2.0:User";
/// Schema URN of a group.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// Schema URN of a service principal.
pub const SERVICE_PRINCIPAL_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal";
/// Schema URN of a list answer.
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// Schema URN of a `PATCH` body.
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A SCIM multi-valued attribute entry (e-mail, group, member, entitlement, role).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplexValue {
    /// The referenced id (group or member id), address, entitlement or role ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
    /// E.g. `work` for an e-mail, `direct` for a group membership.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Relative URI of the referenced resource, e.g. `Groups/123`.
    #[serde(rename = "$ref", default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl ComplexValue {
    /// An entry with only `value` set (entitlements, members, roles).
    pub fn value(value: impl Into<String>) -> Self {
        Self {
            value: Some(value.into()),
            ..Self::default()
        }
    }
}

/// A user's name parts (`name` of a SCIM user).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Name {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
}

/// A write-only password (`password` of a user create body). Never serialized; Debug is
/// redacted.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Password(pub String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A user: body and answer of `/scim/v2/Users[/{id}]`, and the answer of `GET /scim/v2/Me`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Server-assigned; empty (and absent) in create bodies.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// The e-mail address; required on create.
    #[serde(default)]
    pub user_name: String,
    /// Empty when absent; the server then uses `user_name`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub display_name: String,
    /// Absent in a request means `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Name>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Only at account level.
    #[serde(
        default,
        rename = "account_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<ComplexValue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entitlements: Vec<ComplexValue>,
    /// Groups the user is a member of (read-only; membership is changed on the group).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<ComplexValue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<ComplexValue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
    /// Accepted on create only, never serialized (so never echoed).
    #[serde(default, skip_serializing)]
    pub password: Option<Password>,
}

/// The kind of group (`meta` of a group): `WorkspaceGroup` or `Group` (account group).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
}

/// A group: body and answer of `/scim/v2/Groups[/{id}]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// Server-assigned; empty (and absent) in create bodies.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Required on create.
    #[serde(default)]
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Only at account level.
    #[serde(
        default,
        rename = "account_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub account_id: Option<String>,
    /// Users, service principals and groups in this group (`value` = their id).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<ComplexValue>,
    /// Parent groups (read-only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<ComplexValue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entitlements: Vec<ComplexValue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<ComplexValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<ResourceMeta>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
}

/// A service principal: body and answer of `/scim/v2/ServicePrincipals[/{id}]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipal {
    /// Server-assigned; empty (and absent) in create bodies.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// A UUID; generated by the server when absent on create.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub application_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub display_name: String,
    /// Absent in a request means `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Only at account level.
    #[serde(
        default,
        rename = "account_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entitlements: Vec<ComplexValue>,
    /// Groups the service principal is a member of (read-only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<ComplexValue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<ComplexValue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
}

/// Answer of `GET /scim/v2/{Users,Groups,ServicePrincipals}`. The SDK pages with
/// `startIndex` (1-based) until `Resources` is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse<T> {
    #[serde(rename = "Resources", default)]
    pub resources: Vec<T>,
    #[serde(default)]
    pub total_results: i64,
    #[serde(default)]
    pub start_index: i64,
    #[serde(default)]
    pub items_per_page: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
}

/// Answer of `GET /scim/v2/Users`.
pub type ListUsersResponse = ListResponse<User>;
/// Answer of `GET /scim/v2/Groups`.
pub type ListGroupsResponse = ListResponse<Group>;
/// Answer of `GET /scim/v2/ServicePrincipals`.
pub type ListServicePrincipalResponse = ListResponse<ServicePrincipal>;

/// `ascending` or `descending` (`sortOrder` of a list query).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    Ascending,
    Descending,
}

/// Query of `GET /scim/v2/{Users,Groups,ServicePrincipals}` (and of a get by id).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    /// Comma-separated attributes to return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<String>,
    /// Comma-separated attributes to leave out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded_attributes: Option<String>,
    /// A SCIM filter, e.g. `userName eq "ann@example.com"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<SortOrder>,
    /// 1-based index of the first result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_index: Option<i64>,
    /// Page size (the SDK asks for 10000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
}

/// A patch operation (`op`): `add`, `remove` or `replace`. Parsed case-insensitively (the
/// SDK sends lower case, some SCIM clients `Add`/`Replace`), always written lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatchOp {
    Add,
    Remove,
    Replace,
}

impl PatchOp {
    /// The lower-case spelling on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            PatchOp::Add => "add",
            PatchOp::Remove => "remove",
            PatchOp::Replace => "replace",
        }
    }
}

impl fmt::Display for PatchOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PatchOp {
    type Err = crate::UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [PatchOp::Add, PatchOp::Remove, PatchOp::Replace]
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| crate::UnknownValue::new("op", s, &["add", "remove", "replace"]))
    }
}

impl Serialize for PatchOp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PatchOp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// One operation of a `PATCH` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchOperation {
    pub op: PatchOp,
    /// Attribute path, e.g. `members`, `active`, `members[value eq "42"]`; absent means the
    /// resource itself (then `value` is an object of attributes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Any JSON. The SDK drops a falsy value (`false`, `0`, `""`, `[]`): a `replace` of
    /// `active` with `false` arrives without `value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
}

/// `PATCH /scim/v2/{Users,Groups,ServicePrincipals}/{id}` (answer: empty, 204 or 200).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PatchRequest {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
    #[serde(rename = "Operations", alias = "operations", default)]
    pub operations: Vec<PatchOperation>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// `User(...).as_dict()` of the Python SDK, every field set.
    fn sdk_user() -> Value {
        json!({"active": true, "displayName": "Ann",
            "emails": [{"primary": true, "type": "work", "value": "ann@example.com"}],
            "entitlements": [{"value": "allow-cluster-create"}], "externalId": "ext-1",
            "groups": [{"display": "admins", "$ref": "Groups/123", "value": "123"}],
            "name": {"familyName": "Lee", "givenName": "Ann"},
            "roles": [{"value": "arn:aws:iam::1:role/r"}], "schemas": [USER_SCHEMA],
            "userName": "ann@example.com"})
    }

    #[test]
    fn user_round_trips_the_sdk_shape() {
        let u: User = serde_json::from_value(sdk_user()).expect("parse");
        assert_eq!(u.user_name, "ann@example.com");
        assert_eq!(u.active, Some(true));
        assert_eq!(u.emails[0].kind.as_deref(), Some("work"));
        assert_eq!(u.groups[0].reference.as_deref(), Some("Groups/123"));
        assert_eq!(
            u.name.as_ref().and_then(|n| n.family_name.as_deref()),
            Some("Lee")
        );
        assert_eq!(serde_json::to_value(&u).expect("write"), sdk_user());
    }

    #[test]
    fn minimal_user_create_leaves_server_fields_unset_and_never_echoes_password() {
        let u: User =
            serde_json::from_value(json!({"userName": "b@example.com", "password": "hunter2"}))
                .expect("parse");
        assert_eq!((u.id.as_str(), u.active), ("", None));
        assert!(!format!("{u:?}").contains("hunter2"));
        let back = serde_json::to_value(&u).expect("write");
        assert_eq!(back, json!({"userName": "b@example.com"}));
    }

    #[test]
    fn group_and_service_principal_round_trip_the_sdk_shape() {
        let g = json!({"displayName": "data", "entitlements": [{"value": "workspace-access"}],
            "externalId": "e", "groups": [{"display": "parent", "value": "7"}],
            "members": [{"value": "42"}], "meta": {"resourceType": "WorkspaceGroup"},
            "id": "9", "schemas": [GROUP_SCHEMA]});
        let parsed: Group = serde_json::from_value(g.clone()).expect("group");
        assert_eq!(parsed.members, vec![ComplexValue::value("42")]);
        assert_eq!(serde_json::to_value(&parsed).expect("write"), g);
        let sp = json!({"active": false, "applicationId": "00000000-0000-0000-0000-000000000001",
            "displayName": "bot", "entitlements": [{"value": "databricks-sql-access"}],
            "schemas": [SERVICE_PRINCIPAL_SCHEMA]});
        let parsed: ServicePrincipal = serde_json::from_value(sp.clone()).expect("sp");
        assert_eq!(parsed.active, Some(false));
        assert_eq!(serde_json::to_value(&parsed).expect("write"), sp);
    }

    #[test]
    fn list_answer_uses_the_keys_from_dict_reads() {
        let list = ListUsersResponse {
            resources: vec![serde_json::from_value(sdk_user()).expect("user")],
            total_results: 1,
            start_index: 1,
            items_per_page: 1,
            schemas: vec![LIST_RESPONSE_SCHEMA.into()],
        };
        let v = serde_json::to_value(&list).expect("write");
        assert_eq!(v["Resources"][0]["userName"], "ann@example.com");
        assert_eq!(
            (&v["totalResults"], &v["startIndex"], &v["itemsPerPage"]),
            (&json!(1), &json!(1), &json!(1))
        );
        let empty: ListGroupsResponse = serde_json::from_value(json!({})).expect("empty");
        assert!(empty.resources.is_empty());
    }

    #[test]
    fn patch_body_as_the_sdk_sends_it() {
        let body = json!({"Operations": [
            {"op": "add", "path": "members", "value": [{"value": "42"}]},
            {"op": "remove", "path": "members[value eq \"42\"]"},
            {"op": "replace", "path": "active"}], "schemas": [PATCH_OP_SCHEMA]});
        let p: PatchRequest = serde_json::from_value(body.clone()).expect("patch");
        let ops: Vec<_> = p.operations.iter().map(|o| o.op).collect();
        assert_eq!(ops, [PatchOp::Add, PatchOp::Remove, PatchOp::Replace]);
        assert_eq!(p.operations[2].value, None);
        assert_eq!(serde_json::to_value(&p).expect("write"), body);
    }

    #[test]
    fn patch_op_accepts_case_variants_and_rejects_others() {
        assert_eq!("Replace".parse::<PatchOp>(), Ok(PatchOp::Replace));
        assert_eq!("ADD".parse::<PatchOp>(), Ok(PatchOp::Add));
        let err = serde_json::from_value::<PatchOperation>(json!({"op": "move"}))
            .expect_err("unknown op");
        assert!(err
            .to_string()
            .contains("invalid op `move`; expected one of add, remove, replace"));
        let query: ListQuery = serde_json::from_value(json!({"startIndex": 3, "count": 10,
            "sortOrder": "descending", "filter": "userName eq \"a\""}))
        .expect("query");
        assert_eq!(
            (query.start_index, query.sort_order),
            (Some(3), Some(SortOrder::Descending))
        );
    }
}
