//! SCIM identity bodies: `/api/2.0/preview/scim/v2/Me`.

use serde::{Deserialize, Serialize};

/// A SCIM e-mail entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    pub value: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub primary: bool,
}

/// A SCIM group membership.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRef {
    pub value: String,
    pub display: String,
}

/// The caller, as answered by `GET /preview/scim/v2/Me`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub user_name: String,
    pub display_name: String,
    pub active: bool,
    #[serde(default)]
    pub emails: Vec<Email>,
    #[serde(default)]
    pub groups: Vec<GroupRef>,
    #[serde(default)]
    pub schemas: Vec<String>,
}
