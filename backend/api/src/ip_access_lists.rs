//! IP access list bodies: `/api/2.0/ip-access-lists`.

use serde::{Deserialize, Serialize};

/// `ALLOW` or `BLOCK`.
pub const LIST_TYPES: [&str; 2] = ["ALLOW", "BLOCK"];

/// `POST /ip-access-lists`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateIpAccessListRequest {
    pub label: String,
    pub list_type: String,
    #[serde(default)]
    pub ip_addresses: Vec<String>,
}

/// `PATCH /ip-access-lists/{id}`: only the given fields change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateIpAccessListRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_addresses: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// `PUT /ip-access-lists/{id}`: the whole list is replaced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplaceIpAccessListRequest {
    pub label: String,
    pub list_type: String,
    #[serde(default)]
    pub ip_addresses: Vec<String>,
    pub enabled: bool,
}

/// An IP access list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpAccessListInfo {
    pub list_id: String,
    pub label: String,
    pub list_type: String,
    pub ip_addresses: Vec<String>,
    pub address_count: i64,
    pub enabled: bool,
    pub created_at: i64,
    pub created_by: i64,
    pub updated_at: i64,
    pub updated_by: i64,
}

/// Answer of create and get.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpAccessListResponse {
    pub ip_access_list: IpAccessListInfo,
}

/// Answer of list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListIpAccessListsResponse {
    #[serde(default)]
    pub ip_access_lists: Vec<IpAccessListInfo>,
}
