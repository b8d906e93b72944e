//! Compute: cluster policies, policy families, clusters, libraries, node types and Spark
//! versions (the SDK's `compute` service).
//!
//! Cluster specifications stay JSON objects ([`ClusterSpec`]): Databricks' cluster has dozens of
//! optional fields, the server validates the ones policies and the catalogue speak about and
//! keeps the rest as given, so clients read back exactly what they wrote.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A cluster specification as sent to create/edit (`cluster_name`, `spark_version`,
/// `node_type_id`, `num_workers` or `autoscale`, `policy_id`, `custom_tags`, ...).
pub type ClusterSpec = Map<String, Value>;

/// A cluster policy (`/api/2.0/policies/clusters/get`, and the list entries).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub policy_id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The policy's rules (JSON text); for a policy of a family, the family's definition with
    /// the overrides applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_clusters_per_user: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_family_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_family_definition_overrides: Option<String>,
    /// Libraries installed on every cluster that uses the policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub libraries: Option<Vec<Value>>,
    #[serde(default)]
    pub created_at_timestamp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator_user_name: Option<String>,
    #[serde(default)]
    pub is_default: bool,
}

/// `POST /api/2.0/policies/clusters/create` (and `edit`, with `policy_id`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PolicyRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_clusters_per_user: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_family_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_family_definition_overrides: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub libraries: Option<Vec<Value>>,
}

/// Answer of `create`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatePolicyResponse {
    pub policy_id: String,
}

/// `POST /api/2.0/policies/clusters/delete`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyId {
    pub policy_id: String,
}

/// Answer of `list`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListPoliciesResponse {
    #[serde(default)]
    pub policies: Vec<Policy>,
}

/// A built-in policy family.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyFamily {
    pub policy_family_id: String,
    pub name: String,
    pub description: String,
    pub definition: String,
}

/// Answer of `GET /api/2.0/policy-families`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListPolicyFamiliesResponse {
    #[serde(default)]
    pub policy_families: Vec<PolicyFamily>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
}

/// An instance type clusters can use.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeType {
    pub node_type_id: String,
    pub instance_type_id: String,
    pub memory_mb: i64,
    pub num_cores: f64,
    #[serde(default)]
    pub num_gpus: i64,
    pub description: String,
    pub category: String,
    /// Databricks units per hour of one node of this type.
    #[serde(default)]
    pub dbus_per_hour: f64,
    #[serde(default)]
    pub is_deprecated: bool,
    #[serde(default)]
    pub is_graviton: bool,
    #[serde(default)]
    pub photon_worker_capable: bool,
    #[serde(default)]
    pub photon_driver_capable: bool,
    #[serde(default)]
    pub is_io_cache_enabled: bool,
    #[serde(default)]
    pub support_ebs_volumes: bool,
    #[serde(default)]
    pub support_port_forwarding: bool,
    /// The instance's local storage, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_instance_type: Option<NodeInstanceType>,
}

/// The hardware of a node type: its local disks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInstanceType {
    pub instance_type_id: String,
    #[serde(default)]
    pub local_disks: i64,
    #[serde(default)]
    pub local_disk_size_gb: i64,
    #[serde(default)]
    pub local_nvme_disks: i64,
    #[serde(default)]
    pub local_nvme_disk_size_gb: i64,
}

/// Answer of `GET /api/2.0/clusters/list-node-types`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListNodeTypesResponse {
    pub node_types: Vec<NodeType>,
}

/// A Databricks Runtime version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SparkVersion {
    pub key: String,
    pub name: String,
}

/// Answer of `GET /api/2.0/clusters/spark-versions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetSparkVersionsResponse {
    pub versions: Vec<SparkVersion>,
}
