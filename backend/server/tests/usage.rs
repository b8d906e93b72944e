//! Billable usage of clusters driven through the clusters API in real time (transitions of
//! 200 ms): what the rows bill is exactly what the clusters' recorded events say they ran.
#![allow(clippy::unwrap_used)]

mod support;

use ironbrick::billing::{self, UsageMonth};
use ironbrick::compute::clusters::store::stored_events;
use ironbrick::time::now_ms;
use ironbrick_api::ErrorCode;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;
use support::Server;

async fn create(s: &Server, ws: i64, name: &str, tags: Value) -> String {
    let body = json!({
        "cluster_name": name, "spark_version": "15.4.x-scala2.12",
        "node_type_id": "i3.xlarge", "num_workers": 1, "custom_tags": tags
    });
    let c = s
        .ok(Method::POST, &s.ws(ws, "/clusters/create"), body)
        .await;
    c["cluster_id"].as_str().unwrap().to_owned()
}

async fn settle_a_while() {
    tokio::time::sleep(Duration::from_millis(400)).await;
}

#[tokio::test]
async fn rows_bill_what_the_recorded_lifecycle_ran() {
    let s = Server::start().await;
    let (a, b) = (s.workspace("usage-a").await, s.workspace("usage-b").await);
    let from = now_ms();
    let tags = json!({"team": "data, \"platform\""});
    let mine = create(&s, a, "etl, \"nightly\"", tags.clone()).await;
    let theirs = create(&s, b, "other", json!({})).await;
    settle_a_while().await;
    let resize = json!({"cluster_id": mine, "num_workers": 2});
    s.ok(Method::POST, &s.ws(a, "/clusters/resize"), resize)
        .await;
    settle_a_while().await;
    let delete = json!({"cluster_id": mine});
    s.ok(Method::POST, &s.ws(a, "/clusters/delete"), delete)
        .await;
    settle_a_while().await;
    let to = now_ms();

    // What the events say: 2 machines from the first RUNNING to the one ending the resize
    // (RESIZING bills the old size), then 3 until TERMINATING.
    let events = stored_events(&s.state, a, &mine).unwrap();
    let when = |kind: &str| -> Vec<i64> {
        events
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.timestamp)
            .collect()
    };
    let (running, terminating) = (when("RUNNING"), when("TERMINATING"));
    assert_eq!((running.len(), terminating.len()), (2, 1), "{events:?}");
    let machine_ms = 2 * (running[1] - running[0]) + 3 * (terminating[0] - running[1]);
    let expected = machine_ms as f64 / 3_600_000.0;

    let rows = billing::usage_rows(&s.state, a, from, to).unwrap();
    assert!(!rows.is_empty());
    assert!(rows
        .iter()
        .all(|r| r.cluster_id == mine && r.workspace_id == a));
    let billed: f64 = rows.iter().map(|r| r.machine_hours.as_f64()).sum();
    let dbus: f64 = rows.iter().map(|r| r.dbus.as_f64()).sum();
    // Each row rounds to a millionth once.
    let slack = 1e-6 * rows.len() as f64;
    assert!((billed - expected).abs() <= slack, "{billed} vs {expected}");
    assert!(
        (dbus - expected).abs() <= slack,
        "i3.xlarge is 1 DBU/h: {dbus}"
    );
    assert!(rows
        .iter()
        .all(|r| r.sku == "ENTERPRISE_ALL_PURPOSE_COMPUTE"));
    assert_eq!(
        rows[0].cluster_owner_user_name,
        ironbrick::bootstrap::ADMIN_USER
    );

    // Terminated: a later window end adds nothing, and the same inputs give the same rows.
    assert_eq!(
        billing::usage_rows(&s.state, a, from, now_ms() + 1).unwrap(),
        rows
    );
    assert_eq!(billing::usage_rows(&s.state, a, from, to).unwrap(), rows);

    // The other workspace's cluster is still running, and only there.
    let other = billing::usage_rows(&s.state, b, from, now_ms()).unwrap();
    assert!(!other.is_empty() && other.iter().all(|r| r.cluster_id == theirs));

    // The month's file parses back, tags included.
    let month = UsageMonth::containing(to);
    let file = billing::month_file(&s.state, "usage", a, month, to).unwrap();
    assert_eq!(
        file.key,
        format!("usage/billable-usage/csv/workspaceId={a}-usageMonth={month}.csv")
    );
    let mut reader = csv::Reader::from_reader(file.csv.as_bytes());
    let parsed: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(parsed.len(), file.rows);
    for r in &parsed {
        assert_eq!(&r[2], mine);
        assert_eq!(&r[3], "etl, \"nightly\"");
        assert_eq!(serde_json::from_str::<Value>(&r[6]).unwrap(), tags);
        let all: Value = serde_json::from_str(&r[11]).unwrap();
        assert_eq!(all["ClusterId"], mine.as_str());
        assert_eq!(all["team"], tags["team"]);
    }

    // Before the month begins its file is the header alone.
    let next = billing::month_file(&s.state, "", a, month.next(), to).unwrap();
    assert_eq!(next.rows, 0);
    assert_eq!(next.csv.lines().count(), 1);

    let missing = billing::usage_rows(&s.state, 999, from, to).unwrap_err();
    assert_eq!(missing.code(), ErrorCode::ResourceDoesNotExist);
}

#[tokio::test]
async fn a_permanently_deleted_cluster_stays_billed_up_to_its_deletion() {
    let s = Server::start().await;
    let ws = s.workspace("usage-purged").await;
    let from = now_ms();
    let id = create(&s, ws, "purged", json!({})).await;
    settle_a_while().await;
    let purge = json!({"cluster_id": id});
    s.ok(Method::POST, &s.ws(ws, "/clusters/permanent-delete"), purge)
        .await;
    let after = now_ms();
    settle_a_while().await;

    let gone = s
        .send(
            Method::GET,
            &s.ws(ws, &format!("/clusters/get?cluster_id={id}")),
            support::ADMIN,
            None,
        )
        .await;
    assert_eq!(gone.status, 404, "{:?}", gone.body);

    let rows = billing::usage_rows(&s.state, ws, from, now_ms()).unwrap();
    assert!(rows.iter().all(|r| r.cluster_id == id), "{rows:?}");
    let billed: f64 = rows.iter().map(|r| r.machine_hours.as_f64()).sum();
    // Two machines, from RUNNING until the deletion (before `after`), and nothing after it.
    let (least, most) = (0.0, 2.0 * (after - from) as f64 / 3_600_000.0);
    assert!(
        billed > least && billed <= most + 1e-6,
        "{billed} not in ({least}, {most}]"
    );
    assert_eq!(
        billing::usage_rows(&s.state, ws, from, now_ms() + 60_000).unwrap(),
        rows,
        "billing stopped at the deletion"
    );
}
