//! The CSV text of usage rows, in the column order of Databricks' billable usage log.
//!
//! Quoting is RFC 4180's, by the `csv` crate: a field holding a comma, a quote or a line break
//! is quoted and its quotes doubled. The tag columns are JSON objects (keys sorted), so they
//! always come quoted, as in Databricks' files: `"{""dept"":""mktg""}"`. Lines end with `\n`.

use super::calendar::hour_end_stamp;
use super::usage::UsageRow;
use crate::error::{ApiError, ApiResult};

/// The header line's columns.
pub const COLUMNS: [&str; 12] = [
    "workspaceId",
    "timestamp",
    "clusterId",
    "clusterName",
    "clusterNodeType",
    "clusterOwnerUserId",
    "clusterCustomTags",
    "sku",
    "dbus",
    "machineHours",
    "clusterOwnerUserName",
    "tags",
];

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(format!("rendering usage CSV: {e}"))
}

/// The CSV text of `rows` under the header line.
pub fn render_csv(rows: &[UsageRow]) -> ApiResult<String> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(COLUMNS).map_err(internal)?;
    for r in rows {
        let custom = serde_json::to_string(&r.cluster_custom_tags).map_err(internal)?;
        let tags = serde_json::to_string(&r.tags).map_err(internal)?;
        w.write_record([
            r.workspace_id.to_string(),
            hour_end_stamp(r.hour_start),
            r.cluster_id.clone(),
            r.cluster_name.clone(),
            r.cluster_node_type.clone(),
            r.cluster_owner_user_id.to_string(),
            custom,
            r.sku.clone(),
            r.dbus.to_string(),
            r.machine_hours.to_string(),
            r.cluster_owner_user_name.clone(),
            tags,
        ])
        .map_err(internal)?;
    }
    let bytes = w.into_inner().map_err(internal)?;
    String::from_utf8(bytes).map_err(internal)
}
