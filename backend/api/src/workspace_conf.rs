//! Workspace configuration (`/api/2.0/workspace-conf`): a flat map of string keys to string values.

use std::collections::BTreeMap;

/// Keys Ironbrick understands and enforces.
pub const KNOWN_KEYS: [&str; 3] = [
    "enableIpAccessLists",
    "maxTokenLifetimeDays",
    "enableTokensConfig",
];

/// Body of `PATCH /workspace-conf` and answer of `GET /workspace-conf?keys=...`.
pub type WorkspaceConf = BTreeMap<String, String>;
