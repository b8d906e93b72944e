//! Billable usage of a workspace's clusters, as the rows of Databricks' billable usage log.
//!
//! Usage is computed from what the clusters store, never kept apart: each cluster of the
//! workspace is settled to the window's end (as a read would show it), its events are read as
//! billable [stretches](super::running), the stretches are cut at UTC hour boundaries, and the
//! pieces of one cluster in one hour that share name, node type, custom tags and SKU make one
//! row. DBUs are the node types' catalogue rates (driver plus workers) times the time;
//! machine hours are the nodes times the time. Rows come sorted by hour, then cluster, so
//! the same store and window always give the same rows, and the same CSV text.
//!
//! What the delivery worker calls: [`month_file`] gives a workspace's file for a month,
//! counting up to a given instant, with its object key ([`object_key`]); Databricks redelivers
//! the month's file as the month grows, so the worker rewrites it at each run (and once more
//! after the month ends, to deliver its last hours). [`usage_rows`] and
//! [`super::usage_csv::render_csv`] are the parts.
//!
//! Permanently deleted clusters count too: their records and events are kept for billing
//! ([`clusters::PURGED`]).

use super::amount::Micros;
use super::calendar::{hour_start, UsageMonth, HOUR_MS};
use super::running::{stretches, Shape};
use super::sku;
use super::usage_csv::render_csv;
use crate::compute::clusters::lifecycle::{settle, ClusterRecord};
use crate::compute::clusters::store::{self as clusters, EventRecord};
use crate::error::{ApiError, ApiResult};
use crate::model::WorkspaceRecord;
use crate::repo::{self, trees, ws_key};
use crate::state::AppState;
use ironbrick_store::Store;
use std::collections::BTreeMap;

/// The folder of usage files under a delivery's prefix.
pub const FOLDER: &str = "billable-usage/csv";

/// One row of the billable usage log: a cluster's usage during one UTC hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRow {
    /// `workspaceId`.
    pub workspace_id: i64,
    /// The start of the hour (ms); the `timestamp` column is its last millisecond.
    pub hour_start: i64,
    /// `clusterId`.
    pub cluster_id: String,
    /// `clusterName`.
    pub cluster_name: String,
    /// `clusterNodeType`: the workers' node type.
    pub cluster_node_type: String,
    /// `clusterOwnerUserId`: the creator's principal id.
    pub cluster_owner_user_id: i64,
    /// `clusterCustomTags`.
    pub cluster_custom_tags: BTreeMap<String, String>,
    /// `sku`, e.g. `PREMIUM_ALL_PURPOSE_COMPUTE`.
    pub sku: String,
    /// `dbus`.
    pub dbus: Micros,
    /// `machineHours`: driver and workers.
    pub machine_hours: Micros,
    /// `clusterOwnerUserName`: the creator's user name.
    pub cluster_owner_user_name: String,
    /// `tags`: the default tags (`Vendor`, `Creator`, `ClusterName`, `ClusterId`) and the custom
    /// ones.
    pub tags: BTreeMap<String, String>,
}

/// A month's usage file of one workspace, ready to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageFile {
    /// The object key under the bucket ([`object_key`]).
    pub key: String,
    /// The CSV text (the header alone when there was no usage).
    pub csv: String,
    /// How many rows it has.
    pub rows: usize,
}

/// The object key of workspace `workspace_id`'s usage file for `month` under a delivery's
/// `delivery_path_prefix` (which may be empty):
/// `{prefix}/billable-usage/csv/workspaceId={id}-usageMonth={YYYY-MM}.csv`, as Databricks
/// delivers them.
pub fn object_key(prefix: &str, workspace_id: i64, month: UsageMonth) -> String {
    let name = format!("{FOLDER}/workspaceId={workspace_id}-usageMonth={month}.csv");
    match prefix.trim_matches('/') {
        "" => name,
        p => format!("{p}/{name}"),
    }
}

/// The usage file of workspace `workspace_id` for `month`, counting usage up to `now_ms` (the
/// whole month once it has ended), keyed under `prefix`.
pub fn month_file(
    state: &AppState,
    prefix: &str,
    workspace_id: i64,
    month: UsageMonth,
    now_ms: i64,
) -> ApiResult<UsageFile> {
    let to = month.end_ms().min(now_ms);
    let rows = usage_rows(state, workspace_id, month.start_ms(), to)?;
    Ok(UsageFile {
        key: object_key(prefix, workspace_id, month),
        csv: render_csv(&rows)?,
        rows: rows.len(),
    })
}

/// The usage rows of workspace `workspace_id` in `[from_ms, to_ms)`, hour by hour. Pass a
/// `to_ms` no later than now: clusters are settled to it, and settling ahead of the clock would
/// bill running time (and autoterminations) that has not happened yet.
pub fn usage_rows(
    state: &AppState,
    workspace_id: i64,
    from_ms: i64,
    to_ms: i64,
) -> ApiResult<Vec<UsageRow>> {
    let ws: WorkspaceRecord = repo::get(state.store(), trees::WORKSPACES, &ws_key(workspace_id))?
        .ok_or_else(|| {
        ApiError::not_found(format!("Workspace {workspace_id} does not exist."))
    })?;
    rows(
        state.store(),
        workspace_id,
        &ws.pricing_tier,
        clusters::transition_ms(state),
        from_ms,
        to_ms,
    )
}

/// [`usage_rows`] over `store`, for a workspace of `pricing_tier` whose clusters' transitions
/// last `transition_ms`.
pub fn rows(
    store: &Store,
    workspace_id: i64,
    pricing_tier: &str,
    transition_ms: i64,
    from_ms: i64,
    to_ms: i64,
) -> ApiResult<Vec<UsageRow>> {
    if from_ms >= to_ms {
        return Ok(Vec::new());
    }
    let mut acc = Accumulator::default();
    let mut records: Vec<ClusterRecord> = repo::scan(store, clusters::TREE, &ws_key(workspace_id))?;
    records.extend(repo::scan::<ClusterRecord>(
        store,
        clusters::PURGED,
        &ws_key(workspace_id),
    )?);
    for mut rec in records {
        let id = rec.info.cluster_id.clone();
        let unsaved = settle(&mut rec, to_ms, transition_ms);
        let mut events: Vec<_> = repo::scan::<EventRecord>(
            store,
            clusters::EVENTS,
            &clusters::events_prefix(workspace_id, &id),
        )?
        .into_iter()
        .map(|e| e.0)
        .collect();
        events.extend(unsaved.into_iter().map(|e| e.event));
        for s in stretches(&rec, &events, from_ms, to_ms) {
            let mut t = s.start;
            while t < s.end {
                let hour = hour_start(t);
                let end = s.end.min(hour + HOUR_MS);
                acc.add(&rec, hour, &s.shape, pricing_tier, end - t);
                t = end;
            }
        }
    }
    Ok(acc.finish(workspace_id))
}

/// What identifies a row: hour, cluster, and the columns that may change between two pieces
/// of one hour (name, node type, custom tags, SKU).
type RowKey = (i64, String, String, String, Vec<(String, String)>, String);

/// Exact sums per row: rate × milliseconds, in millionths per hour.
#[derive(Debug)]
struct Sums {
    owner_id: i64,
    owner_name: String,
    dbu_ms: i128,
    machine_ms: i128,
}

#[derive(Debug, Default)]
struct Accumulator {
    rows: BTreeMap<RowKey, Sums>,
}

impl Accumulator {
    /// Adds `ms` of `rec` running as `shape` in the hour starting at `hour`.
    fn add(&mut self, rec: &ClusterRecord, hour: i64, shape: &Shape, tier: &str, ms: i64) {
        let key = (
            hour,
            rec.info.cluster_id.clone(),
            shape.cluster_name.clone(),
            shape.node_type.clone(),
            shape.custom_tags.clone().into_iter().collect(),
            sku::all_purpose(tier, shape.photon),
        );
        let sums = self.rows.entry(key).or_insert_with(|| Sums {
            owner_id: rec.creator_id,
            owner_name: rec.info.creator_user_name.clone().unwrap_or_default(),
            dbu_ms: 0,
            machine_ms: 0,
        });
        let ms = i128::from(ms);
        sums.dbu_ms += i128::from(shape.dbus_per_hour_micros()) * ms;
        sums.machine_ms += i128::from(shape.nodes()) * 1_000_000 * ms;
    }

    fn finish(self, workspace_id: i64) -> Vec<UsageRow> {
        self.rows
            .into_iter()
            .map(|((hour, cluster_id, name, node_type, custom, sku), s)| {
                let custom_tags: BTreeMap<String, String> = custom.into_iter().collect();
                let mut tags = custom_tags.clone();
                tags.insert("Vendor".into(), "Databricks".into());
                tags.insert("Creator".into(), s.owner_name.clone());
                tags.insert("ClusterName".into(), name.clone());
                tags.insert("ClusterId".into(), cluster_id.clone());
                UsageRow {
                    workspace_id,
                    hour_start: hour,
                    cluster_id,
                    cluster_name: name,
                    cluster_node_type: node_type,
                    cluster_owner_user_id: s.owner_id,
                    cluster_custom_tags: custom_tags,
                    sku,
                    dbus: Micros::from_rate_ms(s.dbu_ms),
                    machine_hours: Micros::from_rate_ms(s.machine_ms),
                    cluster_owner_user_name: s.owner_name,
                    tags,
                }
            })
            .collect()
    }
}

#[cfg(test)]
#[path = "usage_tests.rs"]
mod tests;
