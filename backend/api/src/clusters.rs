//! Wire types of the clusters and libraries APIs (`/api/2.1/clusters/*`,
//! `/api/2.0/libraries/*`).
//!
//! A cluster's specification stays a JSON object ([`ClusterSpec`]): the server checks the
//! fields policies and the catalogue speak about and keeps the rest as given. What the control
//! plane adds (id, state, times, tags) is typed here.

use crate::compute::ClusterSpec;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

wire_enum! {
    /// A cluster's lifecycle state. `PENDING → RUNNING`, `RUNNING → RESTARTING | RESIZING →
    /// RUNNING`, any live state `→ TERMINATING → TERMINATED`, `TERMINATED → PENDING` (start).
    pub enum State("cluster state") {
        Pending = "PENDING",
        Running = "RUNNING",
        Restarting = "RESTARTING",
        Resizing = "RESIZING",
        Terminating = "TERMINATING",
        Terminated = "TERMINATED",
        Error = "ERROR",
        Unknown = "UNKNOWN",
    }
}

impl State {
    /// Whether the cluster is on its way to or at RUNNING (it counts against
    /// `max_clusters_per_user`).
    pub fn is_active(self) -> bool {
        !matches!(self, Self::Terminating | Self::Terminated | Self::Error)
    }
}

/// Why a cluster stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminationReason {
    /// `USER_REQUEST`, `INACTIVITY`, ...
    pub code: String,
    /// `SUCCESS`, `CLIENT_ERROR`, `SERVICE_FAULT`, `CLOUD_FAILURE`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, String>,
}

/// A cluster as `get` and `list` return it: its completed specification (flattened in), what
/// the control plane knows about it, and under `spec` the specification as the client sent it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterInfo {
    pub cluster_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator_user_name: Option<String>,
    pub state: State,
    #[serde(default)]
    pub state_message: String,
    /// When the cluster was created or last started (ms).
    #[serde(default)]
    pub start_time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminated_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_restarted_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_reason: Option<TerminationReason>,
    /// `API` or `UI` (`JOB` clusters are not served).
    #[serde(default)]
    pub cluster_source: String,
    /// Tags Databricks adds to every cloud resource of the cluster.
    #[serde(default)]
    pub default_tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_cores: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_memory_mb: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_context_id: Option<i64>,
    #[serde(default)]
    pub is_pinned: bool,
    /// The specification as sent by the client, before the policy completed it.
    #[serde(default, rename = "spec")]
    pub requested: ClusterSpec,
    /// The completed specification: `cluster_name`, `spark_version`, `node_type_id`, ...
    #[serde(flatten)]
    pub attributes: ClusterSpec,
}

/// `{"cluster_id": ...}`: the body of delete, permanent-delete, start, restart, pin, unpin,
/// and the answer of create.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterId {
    pub cluster_id: String,
}

/// `POST /api/2.1/clusters/resize`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResizeCluster {
    pub cluster_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_workers: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<Value>,
}

/// Answer of `GET /api/2.1/clusters/list`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListClustersResponse {
    #[serde(default)]
    pub clusters: Vec<ClusterInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_page_token: Option<String>,
}

/// One event of a cluster's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterEvent {
    pub cluster_id: String,
    pub timestamp: i64,
    /// `CREATING`, `RUNNING`, `EDITED`, `TERMINATING`, ... (the SDK's `EventType`).
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub details: Value,
}

/// `POST /api/2.1/clusters/events` (and its `next_page`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GetEvents {
    pub cluster_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<i64>,
    /// `ASC` or `DESC` (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub event_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_token: Option<String>,
}

/// Answer of `POST /api/2.1/clusters/events`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GetEventsResponse {
    #[serde(default)]
    pub events: Vec<ClusterEvent>,
    /// The request for the next page; absent on the last one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page: Option<GetEvents>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
    pub total_count: i64,
}

/// `POST /api/2.0/libraries/install` and `uninstall`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InstallLibraries {
    pub cluster_id: String,
    #[serde(default)]
    pub libraries: Vec<Value>,
}

/// One library of a cluster and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LibraryFullStatus {
    pub library: Value,
    /// `PENDING`, `INSTALLED`, `UNINSTALL_ON_RESTART`, ...
    pub status: String,
    #[serde(default)]
    pub is_library_for_all_clusters: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
}

/// Answer of `GET /api/2.0/libraries/cluster-status`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterLibraryStatuses {
    pub cluster_id: String,
    #[serde(default)]
    pub library_statuses: Vec<LibraryFullStatus>,
}

/// Answer of `GET /api/2.0/libraries/all-cluster-statuses`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListAllClusterLibraryStatuses {
    #[serde(default)]
    pub statuses: Vec<ClusterLibraryStatuses>,
}
