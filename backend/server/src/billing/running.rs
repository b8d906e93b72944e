//! When a cluster was billable, and as what: its history of events read as stretches of
//! running time, each with the shape (node types, workers, name, tags) it ran with.
//!
//! A cluster is billable while RUNNING, RESIZING or RESTARTING: from a `RUNNING` event until
//! the next `TERMINATING` one. PENDING (before the first `RUNNING`) and TERMINATING are not
//! billed. The events are the cluster's stored events followed by those its settling produced
//! and did not store yet (see [`crate::compute::clusters::lifecycle::settle`]).
//!
//! The shape a stretch is billed as:
//! - **Workers.** The `current_num_workers` a `RUNNING` or `RESIZING` event recorded. While
//!   resizing, the cluster is billed at the size it had before (the nodes it is adding are not
//!   up yet, the ones it is removing still are); the `RUNNING` that ends the resize brings the
//!   new size. An autoscaling cluster records its `min_workers` (Ironbrick runs no load, so it
//!   never scales up), and is billed at that; with no recorded size, the specification's
//!   `num_workers` or `autoscale.min_workers` is used.
//! - **Node types, name, custom tags, runtime.** The specification in force at the `RUNNING`
//!   event: the `previous_attributes` of the first `EDITED` event after it, or the cluster's
//!   current specification when it has not been edited since. A cluster edited while running
//!   restarts; it keeps its old shape through RESTARTING and takes the new one at the
//!   `RUNNING` that ends the restart.

use super::amount::per_hour_micros;
use super::sku;
use crate::compute::catalog;
use crate::compute::clusters::lifecycle::ClusterRecord;
use ironbrick_api::clusters::ClusterEvent;
use ironbrick_api::compute::ClusterSpec;
use serde_json::Value;
use std::collections::BTreeMap;

/// What a cluster ran as during a stretch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// `cluster_name`.
    pub cluster_name: String,
    /// The workers' `node_type_id` (the `clusterNodeType` column).
    pub node_type: String,
    /// `driver_node_type_id`, or the workers' node type.
    pub driver_node_type: String,
    /// Workers running besides the driver.
    pub workers: i64,
    /// `custom_tags`.
    pub custom_tags: BTreeMap<String, String>,
    /// Whether it runs Photon (which names the SKU).
    pub photon: bool,
}

impl Shape {
    /// The shape of a cluster of `spec` with `workers` workers.
    pub fn of(spec: &ClusterSpec, workers: i64) -> Self {
        let text = |field: &str| {
            spec.get(field)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let node_type = text("node_type_id");
        let driver = text("driver_node_type_id");
        let custom_tags = match spec.get("custom_tags") {
            Some(Value::Object(tags)) => tags
                .iter()
                .map(|(k, v)| {
                    let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    (k.clone(), v)
                })
                .collect(),
            _ => BTreeMap::new(),
        };
        Self {
            cluster_name: text("cluster_name"),
            driver_node_type: if driver.is_empty() {
                node_type.clone()
            } else {
                driver
            },
            node_type,
            workers: workers.max(0),
            custom_tags,
            photon: sku::runs_photon(spec),
        }
    }

    /// Machines running: the driver and the workers.
    pub fn nodes(&self) -> i64 {
        1 + self.workers
    }

    /// DBUs per hour in millionths, at the catalogue's rates (a node type the catalogue lacks
    /// costs nothing). The same rates as the policies' `dbus_per_hour`, at the running size.
    pub fn dbus_per_hour_micros(&self) -> i64 {
        let rate =
            |id: &str| catalog::find_node_type(id).map_or(0, |n| per_hour_micros(n.dbus_per_hour));
        rate(&self.driver_node_type) + self.workers * rate(&self.node_type)
    }
}

/// A billable stretch of time `[start, end)` (ms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stretch {
    pub start: i64,
    pub end: i64,
    pub shape: Shape,
}

/// The workers of `spec`: `num_workers`, else the autoscale minimum.
fn spec_workers(spec: &ClusterSpec) -> i64 {
    spec.get("num_workers")
        .and_then(Value::as_i64)
        .or_else(|| spec.get("autoscale")?.get("min_workers")?.as_i64())
        .unwrap_or(0)
}

/// The size an event recorded, if it did.
fn recorded_workers(e: &ClusterEvent) -> Option<i64> {
    e.details.get("current_num_workers").and_then(Value::as_i64)
}

/// The specification in force at `events[at]`: what the first later EDITED event replaced, or
/// `current`.
fn spec_at<'a>(events: &'a [ClusterEvent], at: usize, current: &'a ClusterSpec) -> &'a ClusterSpec {
    events[at + 1..]
        .iter()
        .filter(|e| e.kind == "EDITED")
        .find_map(|e| match e.details.get("previous_attributes") {
            Some(Value::Object(spec)) => Some(spec),
            _ => None,
        })
        .unwrap_or(current)
}

/// Ends the stretch that is `open` (its start and shape), if any, at `end`.
fn close(raw: &mut Vec<Stretch>, open: Option<(i64, Shape)>, end: i64) {
    if let Some((start, shape)) = open {
        raw.push(Stretch {
            start,
            end: end.max(start),
            shape,
        });
    }
}

/// The billable stretches of `rec` (settled) whose `events` (oldest first) are given, clipped
/// to `[from, to)`; a cluster still billable after its last event counts up to `to`.
pub fn stretches(rec: &ClusterRecord, events: &[ClusterEvent], from: i64, to: i64) -> Vec<Stretch> {
    let mut raw: Vec<Stretch> = Vec::new();
    let mut open: Option<(i64, Shape)> = None;
    for (i, e) in events.iter().enumerate() {
        let t = e.timestamp;
        match e.kind.as_str() {
            "RUNNING" => {
                close(&mut raw, open.take(), t);
                let spec = spec_at(events, i, &rec.info.attributes);
                let workers = recorded_workers(e).unwrap_or_else(|| spec_workers(spec));
                open = Some((t, Shape::of(spec, workers)));
            }
            "RESIZING" => {
                if let (Some((start, shape)), Some(n)) = (open.as_mut(), recorded_workers(e)) {
                    if n != shape.workers {
                        let mut next = shape.clone();
                        next.workers = n;
                        raw.push(Stretch {
                            start: *start,
                            end: t,
                            shape: std::mem::replace(shape, next),
                        });
                        *start = t;
                    }
                }
            }
            "TERMINATING" => close(&mut raw, open.take(), t),
            _ => {}
        }
    }
    close(&mut raw, open, to);
    raw.into_iter()
        .filter_map(|s| {
            let (start, end) = (s.start.max(from), s.end.min(to));
            (start < end).then_some(Stretch { start, end, ..s })
        })
        .collect()
}
