//! Usage of clusters whose lifecycles are played with explicit times: the records and events
//! are made and stored as the clusters API makes them (creation, the clock's transitions,
//! resize, edit, termination, start), then read back as usage.

use super::*;
use crate::compute::clusters::lifecycle::{reason, NewEvent};
use ironbrick_api::clusters::{ClusterInfo, State};
use ironbrick_api::compute::ClusterSpec;
use ironbrick_store::MemStore;
use serde_json::{json, Value};
use std::sync::Arc;

/// Transitions last a minute.
const T: i64 = 60_000;
/// 2026-12-04T00:00:00Z.
const DAY: i64 = 1_796_342_400_000;
const WS: i64 = 1_234_567_890_123_456;

fn at(h: i64, m: i64) -> i64 {
    DAY + h * HOUR_MS + m * 60_000
}

fn spec(v: Value) -> ClusterSpec {
    v.as_object().cloned().unwrap_or_default()
}

/// One cluster, written as the clusters API writes it.
struct Sim {
    store: Store,
    ws: i64,
    rec: ClusterRecord,
}

impl Sim {
    /// `clusters/create` at `now`.
    fn create(store: &Store, ws: i64, id: &str, attrs: Value, now: i64) -> Self {
        let attributes = spec(attrs);
        let mut rec = ClusterRecord {
            info: ClusterInfo {
                cluster_id: id.into(),
                creator_user_name: Some("ana@example.com".into()),
                state: State::Pending,
                state_message: String::new(),
                start_time: now,
                terminated_time: None,
                last_restarted_time: None,
                termination_reason: None,
                cluster_source: "API".into(),
                default_tags: Default::default(),
                cluster_cores: None,
                cluster_memory_mb: None,
                spark_context_id: None,
                is_pinned: false,
                requested: attributes.clone(),
                attributes,
            },
            creator_id: 42,
            since: now,
            next_event: 0,
            libraries: Vec::new(),
        };
        let created = rec.event(now, "CREATING", json!({"user": "ana@example.com"}));
        let mut sim = Self {
            store: store.clone(),
            ws,
            rec,
        };
        sim.save(vec![created]);
        sim
    }

    fn save(&mut self, events: Vec<NewEvent>) {
        let (ws, rec) = (self.ws, &self.rec);
        self.store
            .transact(|tx| clusters::tx_save(tx, ws, rec, &events).map_err(ApiError::from))
            .unwrap();
    }

    /// A write at `now`: settles the stored record, lets `change` alter it, stores both.
    fn mutate(&mut self, now: i64, change: impl FnOnce(&mut ClusterRecord) -> Vec<NewEvent>) {
        let mut events = settle(&mut self.rec, now, T);
        events.extend(change(&mut self.rec));
        self.save(events);
    }

    /// `clusters/resize` to `n` workers.
    fn resize(&mut self, now: i64, n: i64) {
        self.mutate(now, |rec| {
            assert_eq!(rec.info.state, State::Running);
            let before = rec.workers();
            rec.info.attributes.remove("autoscale");
            rec.info.attributes.insert("num_workers".into(), json!(n));
            rec.enter(State::Resizing, now, "Resizing the cluster.");
            let details = json!({"current_num_workers": before, "target_num_workers": n});
            vec![rec.event(now, "RESIZING", details)]
        });
    }

    /// `clusters/edit` of a running cluster to `attrs`.
    fn edit(&mut self, now: i64, attrs: Value) {
        self.mutate(now, |rec| {
            assert_eq!(rec.info.state, State::Running);
            let previous = std::mem::replace(&mut rec.info.attributes, spec(attrs));
            let details =
                json!({"attributes": rec.info.attributes, "previous_attributes": previous});
            let edited = rec.event(now, "EDITED", details);
            rec.enter(
                State::Restarting,
                now,
                "Restarting to apply the new specification.",
            );
            vec![edited, rec.event(now, "RESTARTING", json!({}))]
        });
    }

    /// `clusters/delete` (terminate).
    fn terminate(&mut self, now: i64) {
        self.mutate(now, |rec| {
            if matches!(rec.info.state, State::Terminating | State::Terminated) {
                return Vec::new();
            }
            let why = reason("USER_REQUEST", "SUCCESS", &[("username", "ana".into())]);
            vec![rec.terminate(now, why, Some("ana"))]
        });
    }

    /// `clusters/start`.
    fn start(&mut self, now: i64) {
        self.mutate(now, |rec| {
            assert_eq!(rec.info.state, State::Terminated);
            rec.enter(State::Pending, now, "");
            rec.info.start_time = now;
            vec![rec.event(now, "STARTING", json!({}))]
        });
    }
}

fn store() -> Store {
    Store::new(Arc::new(MemStore::new()))
}

fn usage(store: &Store, from: i64, to: i64) -> Vec<UsageRow> {
    rows(store, WS, "PREMIUM", T, from, to).unwrap()
}

/// (timestamp, cluster, node type, dbus, machine hours) of each row.
fn summary(rows: &[UsageRow]) -> Vec<(String, String, String, String, String)> {
    rows.iter()
        .map(|r| {
            (
                super::super::calendar::hour_end_stamp(r.hour_start),
                r.cluster_id.clone(),
                r.cluster_node_type.clone(),
                r.dbus.to_string(),
                r.machine_hours.to_string(),
            )
        })
        .collect()
}

fn row(
    stamp: &str,
    id: &str,
    node: &str,
    dbus: &str,
    hours: &str,
) -> (String, String, String, String, String) {
    (
        stamp.into(),
        id.into(),
        node.into(),
        dbus.into(),
        hours.into(),
    )
}

#[test]
fn ninety_minutes_across_an_hour_boundary() {
    let s = store();
    // i3.xlarge is 1 DBU/h: a driver and two workers make 3 DBU/h on 3 machines.
    Sim::create(
        &s,
        WS,
        "1204-102900-aaaa",
        json!({
            "cluster_name": "etl", "spark_version": "15.4.x-scala2.12",
            "node_type_id": "i3.xlarge", "num_workers": 2
        }),
        at(10, 29),
    );
    // PENDING for a minute (not billed), RUNNING from 10:30, still running at 12:00.
    let rows = usage(&s, DAY, at(12, 0));
    assert_eq!(
        summary(&rows),
        [
            row(
                "2026-12-04T10:59:59.999Z",
                "1204-102900-aaaa",
                "i3.xlarge",
                "1.5",
                "1.5"
            ),
            row(
                "2026-12-04T11:59:59.999Z",
                "1204-102900-aaaa",
                "i3.xlarge",
                "3.0",
                "3.0"
            ),
        ]
    );
    let csv = render_csv(&rows).unwrap();
    assert_eq!(
        csv,
        "workspaceId,timestamp,clusterId,clusterName,clusterNodeType,clusterOwnerUserId,\
         clusterCustomTags,sku,dbus,machineHours,clusterOwnerUserName,tags\n\
         1234567890123456,2026-12-04T10:59:59.999Z,1204-102900-aaaa,etl,i3.xlarge,42,{},\
         PREMIUM_ALL_PURPOSE_COMPUTE,1.5,1.5,ana@example.com,\
         \"{\"\"ClusterId\"\":\"\"1204-102900-aaaa\"\",\"\"ClusterName\"\":\"\"etl\"\",\
         \"\"Creator\"\":\"\"ana@example.com\"\",\"\"Vendor\"\":\"\"Databricks\"\"}\"\n\
         1234567890123456,2026-12-04T11:59:59.999Z,1204-102900-aaaa,etl,i3.xlarge,42,{},\
         PREMIUM_ALL_PURPOSE_COMPUTE,3.0,3.0,ana@example.com,\
         \"{\"\"ClusterId\"\":\"\"1204-102900-aaaa\"\",\"\"ClusterName\"\":\"\"etl\"\",\
         \"\"Creator\"\":\"\"ana@example.com\"\",\"\"Vendor\"\":\"\"Databricks\"\"}\"\n"
    );
    // A window ending mid-hour counts the running cluster up to its end.
    let partial = usage(&s, DAY, at(11, 15));
    assert_eq!(
        summary(&partial)[1],
        row(
            "2026-12-04T11:59:59.999Z",
            "1204-102900-aaaa",
            "i3.xlarge",
            "0.75",
            "0.75"
        )
    );
    // And one starting mid-hour from its start.
    let late = usage(&s, at(11, 45), at(12, 0));
    assert_eq!(
        summary(&late),
        [row(
            "2026-12-04T11:59:59.999Z",
            "1204-102900-aaaa",
            "i3.xlarge",
            "0.75",
            "0.75"
        )]
    );
    assert!(
        usage(&s, DAY, at(10, 30)).is_empty(),
        "pending is not billed"
    );
}

#[test]
fn a_terminated_cluster_stops_counting_when_it_starts_terminating() {
    let s = store();
    // m5d.xlarge is 0.69 DBU/h: with one worker, 1.38 DBU/h on 2 machines.
    let mut c = Sim::create(
        &s,
        WS,
        "c",
        json!({
            "cluster_name": "adhoc", "spark_version": "15.4.x-scala2.12",
            "node_type_id": "m5d.xlarge", "num_workers": 1, "autotermination_minutes": 30
        }),
        at(9, 59),
    );
    c.terminate(at(10, 20)); // RUNNING 10:00, TERMINATING 10:20, TERMINATED 10:21
    assert_eq!(c.rec.info.state, State::Terminating);
    c.start(at(13, 0)); // PENDING 13:00, RUNNING 13:01, autoterminated at 13:31
    let rows = usage(&s, DAY, at(23, 0));
    assert_eq!(
        summary(&rows),
        [
            row(
                "2026-12-04T10:59:59.999Z",
                "c",
                "m5d.xlarge",
                "0.46",
                "0.666667"
            ),
            row("2026-12-04T13:59:59.999Z", "c", "m5d.xlarge", "0.69", "1.0"),
        ]
    );
    // The inactivity termination was settled by the read, not stored: the rows are the same
    // once a write has stored it.
    c.mutate(at(23, 0), |_| Vec::new());
    assert_eq!(c.rec.info.state, State::Terminated);
    assert_eq!(usage(&s, DAY, at(23, 0)), rows);
}

#[test]
fn a_resized_cluster_is_billed_at_each_size() {
    let s = store();
    let mut c = Sim::create(
        &s,
        WS,
        "c",
        json!({
            "cluster_name": "grow", "spark_version": "15.4.x-scala2.12",
            "node_type_id": "i3.xlarge", "num_workers": 1
        }),
        at(9, 59),
    );
    // 2 machines from 10:00; resized at 10:30 (still 2 while RESIZING), 4 from 10:31;
    // terminated at 11:30.
    c.resize(at(10, 30), 3);
    c.terminate(at(11, 30));
    let rows = usage(&s, DAY, at(12, 0));
    // 10:xx: 31 min × 2 + 29 min × 4 = 178 machine-minutes; 11:xx: 30 min × 4 = 120.
    assert_eq!(
        summary(&rows),
        [
            row(
                "2026-12-04T10:59:59.999Z",
                "c",
                "i3.xlarge",
                "2.966667",
                "2.966667"
            ),
            row("2026-12-04T11:59:59.999Z", "c", "i3.xlarge", "2.0", "2.0"),
        ]
    );
}

#[test]
fn an_autoscaling_cluster_is_billed_at_its_recorded_size() {
    let s = store();
    // Autoscale 2..8 with an i3.2xlarge driver (2 DBU/h): records 2 workers when RUNNING.
    Sim::create(
        &s,
        WS,
        "auto",
        json!({
            "cluster_name": "auto", "spark_version": "15.4.x-scala2.12",
            "node_type_id": "i3.xlarge", "driver_node_type_id": "i3.2xlarge",
            "autoscale": {"min_workers": 2, "max_workers": 8}
        }),
        at(9, 59),
    );
    let rows = usage(&s, DAY, at(11, 0));
    assert_eq!(
        summary(&rows),
        [row(
            "2026-12-04T10:59:59.999Z",
            "auto",
            "i3.xlarge",
            "4.0",
            "3.0"
        )]
    );
}

#[test]
fn an_edited_cluster_changes_shape_when_it_is_running_again() {
    let s = store();
    let mut c = Sim::create(
        &s,
        WS,
        "c",
        json!({
            "cluster_name": "a", "spark_version": "15.4.x-scala2.12",
            "node_type_id": "i3.xlarge", "num_workers": 1
        }),
        at(9, 59),
    );
    c.edit(
        at(10, 30),
        json!({
            "cluster_name": "b", "spark_version": "15.4.x-photon-scala2.12",
            "node_type_id": "i3.2xlarge", "num_workers": 1, "custom_tags": {"team": "x"}
        }),
    );
    // 10:00-10:31 as i3.xlarge (RESTARTING keeps the old shape), then i3.2xlarge with Photon.
    let rows = usage(&s, DAY, at(11, 0));
    assert_eq!(
        summary(&rows),
        [
            row(
                "2026-12-04T10:59:59.999Z",
                "c",
                "i3.xlarge",
                "1.033333",
                "1.033333"
            ),
            row(
                "2026-12-04T10:59:59.999Z",
                "c",
                "i3.2xlarge",
                "1.933333",
                "0.966667"
            ),
        ]
    );
    assert_eq!(
        (rows[0].cluster_name.as_str(), rows[0].sku.as_str()),
        ("a", "PREMIUM_ALL_PURPOSE_COMPUTE")
    );
    assert!(rows[0].cluster_custom_tags.is_empty());
    assert_eq!(rows[1].cluster_name, "b");
    assert_eq!(rows[1].sku, "PREMIUM_ALL_PURPOSE_COMPUTE_(PHOTON)");
    assert_eq!(
        rows[1].cluster_custom_tags.get("team").map(String::as_str),
        Some("x")
    );
}

#[test]
fn other_workspaces_are_excluded() {
    let s = store();
    let attrs = json!({"cluster_name": "x", "node_type_id": "i3.xlarge", "num_workers": 0});
    Sim::create(&s, WS, "mine", attrs.clone(), at(9, 59));
    // Ids whose keys share a prefix with ours in other workspaces.
    Sim::create(&s, 123_456_789_012_345, "theirs", attrs.clone(), at(9, 59));
    Sim::create(&s, WS * 10 + 1, "theirs-too", attrs, at(9, 59));
    let rows = usage(&s, DAY, at(11, 0));
    assert_eq!(
        summary(&rows),
        [row(
            "2026-12-04T10:59:59.999Z",
            "mine",
            "i3.xlarge",
            "1.0",
            "1.0"
        )]
    );
    assert!(rows.iter().all(|r| r.workspace_id == WS));
}

#[test]
fn tags_with_commas_and_quotes_round_trip_through_a_csv_parser() {
    let s = store();
    let custom =
        json!({"team": "data, platform", "note": "say \"hi\"\nthen, \"bye\"", "k,\"": "{}"});
    Sim::create(
        &s,
        WS,
        "tagged",
        json!({
            "cluster_name": "a \"quoted\", name", "node_type_id": "i3.xlarge", "num_workers": 0,
            "custom_tags": custom
        }),
        at(9, 59),
    );
    let rows = usage(&s, DAY, at(11, 0));
    let text = render_csv(&rows).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header, crate::billing::usage_csv::COLUMNS);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(&r[3], "a \"quoted\", name");
    let parsed: Value = serde_json::from_str(&r[6]).unwrap();
    assert_eq!(parsed, custom);
    let tags: Value = serde_json::from_str(&r[11]).unwrap();
    assert_eq!(tags["team"], "data, platform");
    assert_eq!(tags["ClusterName"], "a \"quoted\", name");
    assert_eq!(tags["Vendor"], "Databricks");
    assert_eq!(&r[8], "1.0");
}

#[test]
fn windows_are_half_open_and_empty_ones_have_no_rows() {
    let s = store();
    Sim::create(
        &s,
        WS,
        "c",
        json!({"node_type_id": "i3.xlarge", "num_workers": 0}),
        at(9, 59),
    );
    assert!(usage(&s, at(11, 0), at(11, 0)).is_empty());
    assert!(usage(&s, at(11, 0), at(10, 0)).is_empty());
    let two = usage(&s, at(10, 0), at(12, 0));
    let whole = usage(&s, DAY, at(12, 0));
    assert_eq!(two, whole);
    assert_eq!(
        render_csv(&[]).unwrap(),
        format!("{}\n", crate::billing::usage_csv::COLUMNS.join(","))
    );
}

#[test]
fn usage_files_are_named_as_databricks_delivers_them() {
    let dec = UsageMonth::parse("2026-12").unwrap();
    assert_eq!(
        object_key("logs/usage", 42, dec),
        "logs/usage/billable-usage/csv/workspaceId=42-usageMonth=2026-12.csv"
    );
    assert_eq!(
        object_key("", 42, dec),
        "billable-usage/csv/workspaceId=42-usageMonth=2026-12.csv"
    );
    assert_eq!(
        object_key("/p/", 42, dec),
        "p/billable-usage/csv/workspaceId=42-usageMonth=2026-12.csv"
    );
}

#[test]
fn a_cluster_running_across_months_is_split_between_their_files() {
    let s = store();
    let dec = UsageMonth::parse("2026-12").unwrap();
    let start = dec.start_ms() - 31 * 60_000; // 2026-11-30T23:29Z, RUNNING from 23:30
    let mut c = Sim::create(
        &s,
        WS,
        "c",
        json!({"node_type_id": "i3.xlarge", "num_workers": 0}),
        start,
    );
    c.terminate(dec.start_ms() + 30 * 60_000);
    let nov = usage(
        &s,
        UsageMonth::parse("2026-11").unwrap().start_ms(),
        dec.start_ms(),
    );
    let december = usage(&s, dec.start_ms(), dec.end_ms());
    assert_eq!(
        summary(&nov),
        [row(
            "2026-11-30T23:59:59.999Z",
            "c",
            "i3.xlarge",
            "0.5",
            "0.5"
        )]
    );
    assert_eq!(
        summary(&december),
        [row(
            "2026-12-01T00:59:59.999Z",
            "c",
            "i3.xlarge",
            "0.5",
            "0.5"
        )]
    );
}
