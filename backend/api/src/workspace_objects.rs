//! Workspace objects (notebooks, directories, files): `/api/2.0/workspace/...`.
//!
//! Content travels base64-encoded in `content`.

use serde::{Deserialize, Serialize};

/// Notebook languages.
pub const LANGUAGES: [&str; 4] = ["PYTHON", "SCALA", "SQL", "R"];

/// `POST /workspace/import`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRequest {
    /// Absolute path of the object to create.
    pub path: String,
    /// `SOURCE` (default), `AUTO`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Required for `SOURCE` notebooks: one of [`LANGUAGES`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Base64 content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Replace an existing object at `path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overwrite: Option<bool>,
}

/// Answer of `GET /workspace/export?path=...&format=...`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportResponse {
    /// Base64 content.
    pub content: String,
    /// File extension of the exported form (`py`, `scala`, `sql`, `r`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_type: Option<String>,
}

/// Metadata of a workspace object (`get-status` and `list` entries).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectInfo {
    /// `NOTEBOOK`, `DIRECTORY` or `FILE`.
    pub object_type: String,
    pub path: String,
    pub object_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_at: Option<i64>,
    /// Size of the content in bytes (notebooks and files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
}

/// Answer of `GET /workspace/list?path=...`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListResponse {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<ObjectInfo>,
}

/// `POST /workspace/delete`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteRequest {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recursive: Option<bool>,
}

/// `POST /workspace/mkdirs`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MkdirsRequest {
    pub path: String,
}
